/**
 * Schemas shared by the discovery methods: `discovery.sendtargets` and `discovery.isns`
 * (one server, asked through ifaces) and `discovery.firmware` (iBFT targets). All three
 * apply open-iscsi's discovery ops to the node records (reference §5.6) and answer with
 * what each op did to which record, then the logins of `-l`.
 */
import { z } from 'zod';
import { loginOutcome } from './outcome-schemas.js';
import { dbWarning, firstErrno, ifaceName, itemError, nodeKey, portalAddress, tcpPort } from './schemas.js';

/** `-o`: open-iscsi's discovery ops. */
export const discoveryOp = z.enum(['new', 'update', 'delete', 'nonpersistent']);

/** `-o`; none = new + update + delete. */
export const discoveryOps = z.array(discoveryOp).max(4).optional();

/** Params of a discovery at one server (`-p ADDR[:PORT] [-I iface]... [-o op]... [-l]`). */
export const serverDiscoveryParams = {
  address: portalAddress,
  /** Default: the discovery type's well-known port (3260 SendTargets, 3205 iSNS). */
  port: tcpPort.optional(),
  /** `-I`: discover through these ifaces only (default: every tcp iface, else `default`). */
  ifaces: z.array(ifaceName).min(1).max(64).optional(),
  ops: discoveryOps,
  /** `-l`: log in to every returned portal. */
  login: z.boolean().optional(),
};

/** What the ops did to the node records (`portals`: one `-P 0` line each, in discovery order). */
const recordOutcome = {
  portals: z.array(nodeKey),
  created: z.array(nodeKey),
  updated: z.array(nodeKey),
  unchanged: z.array(nodeKey),
  /** Not stored (no `new` op, or nonpersistent). */
  skipped: z.array(nodeKey),
  deleted: z.array(nodeKey),
  /** Stale but kept because a session uses them. */
  kept: z.array(nodeKey),
  failed: z.array(z.object({ node: nodeKey, error: itemError })),
};

/** The logins of `-l` (present with `login`), the first errno, the record's warnings. */
const loginsAndErrno = {
  logins: z.array(loginOutcome).optional(),
  firstErrno,
  warnings: z.array(dbWarning),
};

/** Result of `discovery.firmware`. */
export const firmwareDiscoveryResult = z.object({ ...recordOutcome, ...loginsAndErrno });

/** Result of a discovery at one server of `type`. */
export function serverDiscoveryResult<T extends 'sendtargets' | 'isns'>(type: T) {
  return z.object({
    source: z.object({ type: z.literal(type), address: portalAddress, port: tcpPort }),
    /** The discovery record was created by this call (`New discovery record ... added`). */
    recordCreated: z.boolean(),
    ifaces: z.array(ifaceName),
    ...recordOutcome,
    /** Ifaces on which discovery failed (others may have worked). */
    ifaceErrors: z.array(z.object({ iface: ifaceName, error: itemError })),
    ...loginsAndErrno,
  });
}
