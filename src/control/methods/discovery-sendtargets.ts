/**
 * `discovery.sendtargets`: SendTargets discovery at one portal (`iscsiadm -m discovery
 * -t st -p ADDR[:PORT] [-I iface]... [-o op]... [-l]`). An existing `st_config` record
 * supplies the discovery settings (CHAP, timeouts); a missing one is created once discovery
 * worked, unless `nonpersistent`. Node records follow open-iscsi's ops, except that
 * re-discovery keeps keys the user edited (open-iscsi #58/#286). With `login`, every
 * returned portal is logged in (through the bounded login pool).
 * Errors: 21 NO_PORTALS_FOUND (nothing returned; ops were still applied), the session
 * layer's errno when discovery failed on every iface (4, 8, 24, 19, 5).
 */
import { z } from 'zod';
import { loginOutcome } from './outcome-schemas.js';
import { methodSpec } from './spec.js';
import { dbWarning, firstErrno, ifaceName, itemError, nodeKey, portalAddress, tcpPort } from './schemas.js';

export const discoveryOp = z.enum(['new', 'update', 'delete', 'nonpersistent']);

export const discoverySendTargets = methodSpec({
  name: 'discovery.sendtargets',
  description: 'SendTargets discovery at a portal; creates/updates node records by ops; optionally logs in.',
  params: z.strictObject({
    address: portalAddress,
    /** Default 3260. */
    port: tcpPort.optional(),
    /** `-I`: discover through these ifaces only (default: every tcp iface, else `default`). */
    ifaces: z.array(ifaceName).min(1).max(64).optional(),
    /** `-o`; none = new + update + delete. */
    ops: z.array(discoveryOp).max(4).optional(),
    /** `-l`: log in to every returned portal. */
    login: z.boolean().optional(),
  }),
  result: z.object({
    source: z.object({ type: z.literal('sendtargets'), address: portalAddress, port: tcpPort }),
    /** The discovery record was created by this call (`New discovery record ... added`). */
    recordCreated: z.boolean(),
    ifaces: z.array(ifaceName),
    /** One line of `-P 0` output per entry, in discovery order. */
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
    /** Ifaces on which discovery failed (others may have worked). */
    ifaceErrors: z.array(z.object({ iface: ifaceName, error: itemError })),
    /** Present with `login`. */
    logins: z.array(loginOutcome).optional(),
    firstErrno,
    warnings: z.array(dbWarning),
  }),
});
