/**
 * What the daemon reports about one live session: every field `iscsiadm -m session`
 * prints at -P 0..3 (reference §6.5), plus the effective timeouts and the LUNs found
 * by REPORT LUNS / INQUIRY for usertcp sessions.
 */
import { z } from 'zod';
import { ifaceName, iscsiName, nodeKey, portalAddress, sid, startupMode, tpgt } from './schemas.js';

/** `address` as recorded (IPv6 without brackets) and port. */
export const portal = z.object({ address: portalAddress, port: z.number().int().min(0).max(65535) });

/** "iSCSI Connection State" words (iscsid conn state, reference §4.2). */
export const connectionStateWord = z.enum(['FREE', 'TRANSPORT WAIT', 'IN LOGIN', 'LOGGED IN', 'IN LOGOUT', 'LOGOUT REQUESTED', 'CLEANUP WAIT', 'Unknown']);
/** "iSCSI Session State" words (kernel session state). */
export const sessionStateWord = z.enum(['LOGGED_IN', 'FAILED', 'FREE', 'Unknown']);
/** "Internal iscsid Session State" words (r_stage). */
export const internalStateWord = z.enum(['NO CHANGE', 'CLEANUP', 'REOPEN', 'REDIRECT', 'Unknown']);

/** The `-P 1` state block. */
export const sessionStates = z.object({
  connection: connectionStateWord,
  session: sessionStateWord,
  internal: internalStateWord,
});

/** The `-P 1` interface block (values are '' when unset; the CLI prints `<empty>`). */
export const sessionIface = z.object({
  name: ifaceName,
  /** `iface.transport_name` of the record (`tcp`): what `-m session` prints first. */
  transport: z.string(),
  initiatorName: z.string(),
  /** Local address of the connection (or iface.ipaddress). */
  ipAddress: z.string(),
  hwAddress: z.string(),
  netdev: z.string(),
});

/** Effective timeouts of this session in seconds (`-P 2` Timeouts block and more). */
export const sessionTimeouts = z.object({
  /** replacement_timeout (kernel recovery_tmo). */
  recovery: z.number().int(),
  /** null prints `<empty>`. */
  targetReset: z.number().int().nullable(),
  lunReset: z.number().int().nullable(),
  abort: z.number().int().nullable(),
  login: z.number().int(),
  logout: z.number().int(),
  noopOutInterval: z.number().int(),
  noopOutTimeout: z.number().int(),
});

/** Recovery supervisor states (src/recovery/machine.ts). */
export const recoveryState = z.enum(['FREE', 'IN_LOGIN', 'LOGGED_IN', 'REOPEN', 'FAILED', 'IN_LOGOUT']);

/**
 * Connection recovery of a session (docs/recovery.md): where the supervisor is, what a
 * new SCSI command meets, and the effective recovery timers. Not printed by `-P n`.
 */
export const sessionRecovery = z.object({
  state: recoveryState,
  /** What IN_LOGIN / REOPEN is doing: waiting (`delay`), logging in, waiting for a target-requested logout. */
  step: z.enum(['none', 'logout-wait', 'delay', 'login']),
  /** A new SCSI command is sent (`pass`), held until the session is back (`hold`), or failed at once (`fail`). */
  io: z.enum(['pass', 'hold', 'fail']),
  /** Login attempts in the current episode. */
  attempts: z.number().int(),
  /** Commands held for the session to come back. */
  held: z.number().int(),
  /** replacement_timeout expired in this episode: I/O fails fast until the session is back. */
  replacementExpired: z.boolean(),
  /** Delay of the last reopen wait armed, ms. */
  delayMs: z.number().int(),
  /** The last failure. */
  cause: z.object({ code: z.string(), message: z.string() }).optional(),
  /** Effective timers: replacement_timeout (ms; 0 fail at once, < 0 hold until logout), reopen_max (0 unlimited), ... */
  replacementTimeoutMs: z.number().int(),
  reopenMax: z.number().int(),
  loginTimeoutMs: z.number().int(),
  initialLoginRetryMax: z.number().int(),
  defaultTime2WaitMs: z.number().int(),
  /** Profile the session inherited from its iface at login (null: none). */
  profile: z.string().nullable(),
  connectionErrors: z.number().int(),
  recoveries: z.number().int(),
  /** ISO time of the last recovery; null when it never failed. */
  lastRecoveredAt: z.string().nullable(),
});

/** The `-P 2` CHAP block; passwords are `********` unless showSecrets, '' when unset. */
export const sessionChap = z.object({
  username: z.string(),
  password: z.string(),
  usernameIn: z.string(),
  passwordIn: z.string(),
});

/** Negotiated parameters (`-P 2` block: the first nine; the rest for --json). */
export const negotiatedParams = z.object({
  headerDigest: z.enum(['None', 'CRC32C']),
  dataDigest: z.enum(['None', 'CRC32C']),
  maxRecvDataSegmentLength: z.number().int(),
  maxXmitDataSegmentLength: z.number().int(),
  firstBurstLength: z.number().int(),
  maxBurstLength: z.number().int(),
  immediateData: z.boolean(),
  initialR2T: z.boolean(),
  maxOutstandingR2T: z.number().int(),
  maxConnections: z.number().int(),
  defaultTime2Wait: z.number().int(),
  defaultTime2Retain: z.number().int(),
  errorRecoveryLevel: z.number().int(),
  dataPDUInOrder: z.boolean(),
  dataSequenceInOrder: z.boolean(),
  targetAlias: z.string().optional(),
});

/** One logical unit found by REPORT LUNS + INQUIRY (+ READ CAPACITY, unit serial). */
export const lunInfo = z.object({
  lun: z.number().int(),
  /** SCSI channel and target id as `-P 3` prints them (always 0 for iSCSI). */
  channel: z.number().int(),
  targetId: z.number().int(),
  /** Peripheral device type (0 disk, 5 cd/dvd, 0x0c storage array controller...). */
  deviceType: z.number().int(),
  deviceTypeName: z.string(),
  vendor: z.string(),
  product: z.string(),
  revision: z.string(),
  sizeBytes: z.number().optional(),
  blocks: z.number().optional(),
  blockLength: z.number().int().optional(),
  serial: z.string().optional(),
  /** Block device (`sdb`) when the kernel made one; null for usertcp. */
  blockDevice: z.string().nullable(),
  /** Device state (`running`) as `Attached scsi disk ... State:` prints it. */
  state: z.string(),
});

/** The `-P 3` device tree. */
export const scsiTree = z.object({
  /** SCSI host number; null when there is no kernel host (usertcp). */
  hostNumber: z.number().int().nullable(),
  /** `running`, `recovery`, or `Unknown`. */
  hostState: z.string(),
  luns: z.array(lunInfo),
  /** When LUNs were last scanned (ISO time); null before the first scan. */
  scannedAt: z.string().nullable(),
  /** Why the last scan failed, if it did. */
  scanError: z.string().optional(),
});

/** Everything about one session. */
export const sessionInfo = z.object({
  sid,
  target: iscsiName,
  /** Portal group tag reported by the target (else the record's). */
  tpgt,
  /** `iface.transport_name` (`tcp`). */
  transport: z.string(),
  /** Who carries the data: `usertcp` (the daemon) or a kernel transport. */
  dataPath: z.string(),
  /** Created by firmware/kernel (`flash`) or by us (`non-flash`). */
  flash: z.boolean(),
  /** The address the connection is on now (after redirects). */
  currentPortal: portal,
  /** The record's address: what sessions are matched by. */
  persistentPortal: portal,
  iface: sessionIface,
  states: sessionStates,
  /** Effective timeouts of the live session (what it logged in with; `recovery` is replacement_timeout). */
  timeouts: sessionTimeouts,
  /** Connection recovery state and timers (usertcp sessions). */
  recovery: sessionRecovery.optional(),
  chap: sessionChap,
  /** null until the first login completes. */
  negotiated: negotiatedParams.nullable(),
  /** The node record this session was logged in from. */
  node: nodeKey,
  startup: startupMode,
  /** 12 hex digits. */
  isid: z.string(),
  tsih: z.number().int(),
  /** ISO time of the last successful login; null before. */
  loggedInAt: z.string().nullable(),
  scsi: scsiTree,
});

/** The versions `-P 3` prints before the first session. */
export const sessionVersions = z.object({
  /** "iSCSI Transport Class version"; null without the kernel transport class. */
  transportClass: z.string().nullable(),
  /** tsiscsid version. */
  daemon: z.string(),
});

/**
 * `session.list {detail: 'flat'}`: what `-m session` (`-P 0`) prints, plus the record
 * key (node-mode filters match sessions by it). About a tenth of the full form: a flat
 * listing of 10 000 sessions must not pay for `-P 3` (bench/RESULTS.md problem 3).
 */
export const sessionFlat = z.object({
  sid,
  target: iscsiName,
  tpgt,
  transport: z.string(),
  flash: z.boolean(),
  persistentPortal: portal,
  node: nodeKey,
});

/** `session.list {detail: 'brief'}`: the flat fields plus the `-P 1` blocks. */
export const sessionBrief = sessionFlat.extend({
  currentPortal: portal,
  iface: sessionIface,
  states: sessionStates,
});

/** How much `session.list` reports per session. */
export const sessionDetail = z.enum(['flat', 'brief', 'full']).optional()
  .describe("'flat': -P 0 fields; 'brief': -P 1; 'full' (default): everything (-P 3 and --json)");
