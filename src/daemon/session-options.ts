/**
 * Session settings from a node record (reference §5.3, §7.1): CHAP from
 * `node.session.auth.*`, the operational offer from `node.session.iscsi.*` and
 * `node.conn[0].iscsi.*` (clamped as open-iscsi clamps them at login), the effective
 * timeouts, the initial CmdSN, the initiator name (`iface.initiatorname` overrides the
 * daemon's) and the ISID (open-iscsi's OUI format 00 02 3D + 24-bit session id).
 * Pure: no I/O; every adjustment is returned as a note for the log.
 */
import { isidFromQualifier } from '../iscsi/isid.js';
import type { ChapAlgorithm, ChapConfig } from '../iscsi/security.js';
import type { Digest, OperationalOffer } from '../iscsi/text/negotiate.js';
import type { NodeRecord } from '../db/index.js';
import type { RecoveryConfig } from '../recovery/policy.js';

/** open-iscsi `chap_algs` words → CHAP_A values (IANA PPP authentication algorithms). */
export const CHAP_ALG_NUMBERS: Readonly<Record<string, ChapAlgorithm>> = { MD5: 5, SHA1: 6, SHA256: 7, 'SHA3-256': 8 };

/** Segment and burst lengths allowed at login (reference §5.3 notes, Appendix B). */
const MIN_LEN = 512;
const MAX_LEN = 16777215;

/** Effective timeouts of a session, in seconds (null: not set, prints `<empty>`). */
export interface EffectiveTimeouts {
  recovery: number;
  targetReset: number | null;
  lunReset: number | null;
  abort: number | null;
  login: number;
  logout: number;
  noopOutInterval: number;
  noopOutTimeout: number;
}

/** Credentials as a record holds them (node or discovery keys). */
export interface RecordCredentials {
  username: string;
  password: string;
  usernameIn: string;
  passwordIn: string;
  algorithms: readonly string[];
}

/** What a session needs from its record, minus the daemon-owned parts (transport, clock, logger). */
export interface RecordSessionConfig {
  targetName: string;
  tpgt: number;
  initiatorName: string;
  initiatorAlias?: string;
  isid: Buffer;
  chap?: ChapConfig;
  offer: Partial<OperationalOffer>;
  timeouts: EffectiveTimeouts;
  initialCmdSN: number;
  localAddress?: string;
  /** Initial login gives up after `initial_login_retry_max` × login timeout (reference §7.1). */
  loginRetryMax: number;
  /** Recovery timers for the session's supervisor (src/recovery). */
  recovery: RecordRecoveryConfig;
  /** Adjustments made to the record's values, for the log. */
  notes: string[];
}

/** The CHAP_A list of `chap_algs` (unknown words dropped; MD5 if nothing is left). */
export function chapAlgorithms(words: readonly string[]): ChapAlgorithm[] {
  const out: ChapAlgorithm[] = [];
  for (const w of words) {
    const n = CHAP_ALG_NUMBERS[w];
    if (n !== undefined && !out.includes(n)) out.push(n);
  }
  return out.length > 0 ? out : [5];
}

/**
 * CHAP settings from record credentials: used whenever outgoing credentials are set
 * (open-iscsi ignores authmethod, §8.2). Incoming credentials alone are ignored with a note.
 */
export function chapFromCredentials(c: RecordCredentials, notes: string[]): ChapConfig | undefined {
  const outgoing = c.username !== '' || c.password !== '';
  const incoming = c.usernameIn !== '' || c.passwordIn !== '';
  if (!outgoing) {
    if (incoming) notes.push('CHAP configuration has incoming authentication credentials but has no outgoing credentials configured; not using CHAP');
    return undefined;
  }
  return {
    username: c.username,
    secret: c.password,
    ...(incoming ? { usernameIn: c.usernameIn, secretIn: c.passwordIn } : {}),
    algorithms: chapAlgorithms(c.algorithms),
  };
}

/** Node record credentials. */
export function nodeCredentials(rec: Readonly<NodeRecord>): RecordCredentials {
  return {
    username: rec['node.session.auth.username'],
    password: rec['node.session.auth.password'],
    usernameIn: rec['node.session.auth.username_in'],
    passwordIn: rec['node.session.auth.password_in'],
    algorithms: rec['node.session.auth.chap_algs'],
  };
}

/** Bound a length to 512..16777215 (invalid → fallback), optionally aligned down to 4. */
function clampLength(value: number, fallback: number, align: boolean, what: string, notes: string[]): number {
  if (!Number.isInteger(value) || value < MIN_LEN || value > MAX_LEN) {
    notes.push(`${what} ${value} is outside ${MIN_LEN}..${MAX_LEN}; using ${fallback}`);
    return fallback;
  }
  return align ? value - (value % 4) : value;
}

function digests(word: string): Digest[] {
  return word.split(',').filter((d): d is Digest => d === 'None' || d === 'CRC32C');
}

/** The operational offer of a node record, clamped like open-iscsi (reference §5.3 notes). */
export function offerFromRecord(rec: Readonly<NodeRecord>, notes: string[]): Partial<OperationalOffer> {
  const maxBurst = clampLength(rec['node.session.iscsi.MaxBurstLength'], 16776192, false, 'MaxBurstLength', notes);
  let firstBurst = clampLength(rec['node.session.iscsi.FirstBurstLength'], 262144, false, 'FirstBurstLength', notes);
  if (firstBurst > maxBurst) {
    notes.push(`FirstBurstLength ${firstBurst} exceeds MaxBurstLength ${maxBurst}; using ${maxBurst}`);
    firstBurst = maxBurst;
  }
  const erl = rec['node.session.iscsi.ERL'];
  if (erl !== 0) notes.push(`ErrorRecoveryLevel ${erl} is not supported by this transport; offering 0`);
  const r2t = rec['node.session.iscsi.MaxOutstandingR2T'];
  return {
    headerDigest: digests(rec['node.conn[0].iscsi.HeaderDigest']),
    dataDigest: digests(rec['node.conn[0].iscsi.DataDigest']),
    maxRecvDataSegmentLength: clampLength(rec['node.conn[0].iscsi.MaxRecvDataSegmentLength'], 262144, true, 'MaxRecvDataSegmentLength', notes),
    maxBurstLength: maxBurst,
    firstBurstLength: firstBurst,
    initialR2T: rec['node.session.iscsi.InitialR2T'],
    immediateData: rec['node.session.iscsi.ImmediateData'],
    maxOutstandingR2T: r2t >= 1 && r2t <= 65535 ? r2t : 1,
    maxConnections: 1,
    defaultTime2Wait: clampSeconds(rec['node.session.iscsi.DefaultTime2Wait'], 2),
    defaultTime2Retain: clampSeconds(rec['node.session.iscsi.DefaultTime2Retain'], 0),
    errorRecoveryLevel: 0,
  };
}

function clampSeconds(v: number, fallback: number): number {
  return Number.isInteger(v) && v >= 0 && v <= 3600 ? v : fallback;
}

/**
 * Effective timeouts (reference §7.1): login timeout ≤ 0 → 30; logout 0 → 15; when only
 * one of the NOP pair is 0 it becomes 5, both 0 disable pings; negative error-handling
 * timeouts are "unset".
 */
export function timeoutsFromRecord(rec: Readonly<NodeRecord>): EffectiveTimeouts {
  let interval = Math.max(0, rec['node.conn[0].timeo.noop_out_interval']);
  let timeout = Math.max(0, rec['node.conn[0].timeo.noop_out_timeout']);
  if (interval === 0 && timeout !== 0) interval = 5;
  if (timeout === 0 && interval !== 0) timeout = 5;
  const orNull = (n: number): number | null => (n < 0 ? null : n);
  const login = rec['node.conn[0].timeo.login_timeout'];
  const logout = rec['node.conn[0].timeo.logout_timeout'];
  return {
    recovery: rec['node.session.timeo.replacement_timeout'],
    targetReset: orNull(rec['node.session.err_timeo.tgt_reset_timeout']),
    lunReset: orNull(rec['node.session.err_timeo.lu_reset_timeout']),
    abort: orNull(rec['node.session.err_timeo.abort_timeout']),
    login: login > 0 ? login : 30,
    logout: logout > 0 ? logout : 15,
    noopOutInterval: interval,
    noopOutTimeout: timeout,
  };
}

/** The recovery settings a node record gives (backoff and the first-login pause come from the daemon). */
export type RecordRecoveryConfig = Pick<RecoveryConfig, 'replacementTimeoutMs' | 'reopenMax' | 'loginTimeoutMs' | 'initialLoginRetryMax' | 'defaultTime2WaitMs'>;

/**
 * Recovery timers of a node record (reference §7.1, §7.3): replacement_timeout (0 fails
 * I/O at once, negative holds it until logout), reopen_max (0 = retry forever), the
 * effective login timeout, initial_login_retry_max (at least 1) and DefaultTime2Wait
 * (the wait before the first reopen until a login negotiated one).
 */
export function recoveryFromRecord(rec: Readonly<NodeRecord>, timeouts: EffectiveTimeouts): RecordRecoveryConfig {
  return {
    replacementTimeoutMs: rec['node.session.timeo.replacement_timeout'] * 1000,
    reopenMax: Math.max(0, rec['node.session.reopen_max']),
    loginTimeoutMs: timeouts.login * 1000,
    initialLoginRetryMax: Math.max(1, rec['node.session.initial_login_retry_max']),
    defaultTime2WaitMs: clampSeconds(rec['node.session.iscsi.DefaultTime2Wait'], 2) * 1000,
  };
}

/** open-iscsi's ISID for session `sid`: 00 02 3D + the sid as 24 bits. */
export function isidForSid(sid: number): Buffer {
  return isidFromQualifier(sid & 0xffffff);
}

/** Everything a session needs from its node record. */
export function sessionConfigFromRecord(rec: Readonly<NodeRecord>, sid: number, initiator: { name: string; alias?: string }): RecordSessionConfig {
  const notes: string[] = [];
  const chap = chapFromCredentials(nodeCredentials(rec), notes);
  const localAddress = rec['iface.ipaddress'];
  const name = rec['iface.initiatorname'] !== '' ? rec['iface.initiatorname'] : initiator.name;
  const timeouts = timeoutsFromRecord(rec);
  return {
    targetName: rec['node.name'],
    tpgt: rec['node.tpgt'],
    initiatorName: name,
    ...(initiator.alias ? { initiatorAlias: initiator.alias } : {}),
    isid: isidForSid(sid),
    ...(chap ? { chap } : {}),
    offer: offerFromRecord(rec, notes),
    timeouts,
    initialCmdSN: rec['node.session.initial_cmdsn'] >>> 0,
    ...(localAddress !== '' && localAddress !== 'default' ? { localAddress } : {}),
    loginRetryMax: Math.max(1, rec['node.session.initial_login_retry_max']),
    recovery: recoveryFromRecord(rec, timeouts),
    notes,
  };
}
