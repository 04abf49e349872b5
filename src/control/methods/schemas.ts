/**
 * Building blocks shared by the method specs: names, portals, node identities and
 * selectors, record dumps, per-item outcomes and reader warnings.
 *
 * Conventions every method follows (docs/control-api.md §8):
 * - Params are strict objects: an unknown field is refused (INVALID_PARAMS, errno 7,
 *   the issue path names the field).
 * - Listings return what exists (possibly nothing); the CLI maps an empty listing to
 *   open-iscsi's message and exit status 21.
 * - Actions on one named object throw a typed error (21 nothing matched, 2 session not
 *   found, 7 invalid parameter, ...).
 * - Actions on many objects (login, logout, delete, update by selector) go on after a
 *   failure, like iscsiadm: they answer one outcome per object and `firstErrno` (0 when
 *   every object succeeded), which is the exit status iscsiadm would use. They throw only
 *   when nothing matched (21) or the params are bad (7).
 * - CHAP passwords appear only as `********` unless the request says `showSecrets: true`.
 */
import { z } from 'zod';

/** An iSCSI name as stored (iqn./eui./naa.; the daemon checks the structure). */
export const iscsiName = z.string().min(1).max(255);
/** A portal address as written in records: IPv4, IPv6 without brackets, or a host name. */
export const portalAddress = z.string().min(1).max(255);
/** A TCP port. */
export const tcpPort = z.number().int().min(1).max(65535);
/** Target portal group tag; -1 = unknown (open-iscsi PORTAL_GROUP_TAG_UNKNOWN). */
export const tpgt = z.number().int().min(-1).max(65535);
/** An iface record name. */
export const ifaceName = z.string().min(1).max(64);
/** Session id (1, 2, ...). */
export const sid = z.number().int().min(1).max(0x7fffffff);
/** `-S/--show`: print CHAP passwords instead of `********`. */
export const showSecrets = z.boolean().optional();
/** Version for `# BEGIN RECORD <v>` and key selection (e.g. `2.1.8` leaves out newer keys). */
export const recordVersion = z.string().regex(/^\d+\.\d+\.\d+$/).max(16).optional();

/** Identity of a node record (`nodes/<target>/<address>,<port>,<tpgt>/<iface>`). */
export const nodeKey = z.object({
  target: iscsiName,
  address: portalAddress,
  port: tcpPort,
  tpgt,
  iface: ifaceName,
});

/**
 * Selects node records or sessions with open-iscsi's matching rule (reference
 * Appendix B): absent fields match anything; `port` -1 matches any port; addresses
 * match by string or by a common resolved address; `iface` with `transport`.
 */
export const nodeSelectorShape = {
  target: iscsiName.optional(),
  address: portalAddress.optional(),
  port: z.number().int().min(-1).max(65535).optional(),
  iface: ifaceName.optional(),
  transport: z.string().min(1).max(16).optional(),
};

/** One `-n key -v value` setting: text as typed, or an already typed value. */
export const patchValue = z.union([z.string().max(255), z.number(), z.boolean(), z.array(z.string().max(16)).max(5)]);
/** `key -> value` settings; keys are checked against the record's key table (errno 7 names the key). */
export const patchValues = z.record(z.string().min(1).max(127), patchValue)
  .refine((v) => Object.keys(v).length <= 256, { message: 'at most 256 keys' });

/** A record as `-o show` prints it: ordered `[key, value]` pairs and the rendered text. */
export const recordDump = z.object({
  /** Display form: `<empty>` placeholders, passwords masked unless showSecrets. */
  entries: z.array(z.tuple([z.string(), z.string()])),
  /** `# BEGIN RECORD <version>` ... `# END RECORD`, newline-terminated. */
  text: z.string(),
});

/** A problem met while reading a record or config file (bad lines are reported, never dropped silently). */
export const dbWarning = z.object({
  code: z.string(),
  file: z.string(),
  line: z.number().int().optional(),
  key: z.string().optional(),
  message: z.string(),
});

/** Why one object of a many-object action failed. */
export const itemError = z.object({
  /** ISCSI_ERR_* number (the exit status iscsiadm would use). */
  errno: z.number().int(),
  code: z.string(),
  message: z.string(),
  /** What an operator can do about it (login failures). */
  action: z.string().optional(),
});

/** Exit status of a many-object action: the first failure's errno, 0 when all succeeded. */
export const firstErrno = z.number().int().min(0);

/** A discovery source of node records. */
export const discoverySource = z.discriminatedUnion('type', [
  z.object({ type: z.enum(['sendtargets', 'isns', 'offload_send_targets']), address: portalAddress, port: tcpPort }),
  z.object({ type: z.enum(['static', 'fw']) }),
]);

/** Node startup modes (`node.startup`). */
export const startupMode = z.enum(['manual', 'automatic', 'onboot']);
