/**
 * `-m session` output (reference §6.5). Without a kernel no real iscsiadm can produce
 * it here, so this follows §6.5 and its worked example exactly:
 *
 *   -P 0   tcp: [1] 10.0.0.5:3260,1 iqn.2024-01.example:store1 (non-flash)
 *   -P 1   Target: <name> (<flash|non-flash>)       only when the target changes
 *          \tCurrent Portal: ... / \tPersistent Portal: ...
 *                                                   or one empty line when the current
 *                                                   address and port equal the previous
 *                                                   session's (under the same Target)
 *          Interface block, SID and the three state lines
 *   -P 2   + Timeouts, CHAP, Negotiated iSCSI params
 *   -P 3   + `iSCSI Transport Class version` / `version` first, Attached SCSI devices
 *
 * Sessions print in sysfs directory order: `session<sid>` names sorted as strings
 * (session10 before session2). The renderers sort a copy.
 *
 * A session without a kernel SCSI host (usertcp) prints `\t\tUnavailable` under
 * "Attached SCSI devices:", which is what iscsiadm prints when it cannot find the
 * host; its LUNs (REPORT LUNS/INQUIRY) are reported only by `--json`.
 */
import { addressOrEmpty, compareC, EMPTY, hostPort, MASKED, orEmpty } from './text.js';
import type { NegotiatedView, Rendered, ScsiTreeView, SessionView, VersionsView } from './types.js';

/** Which blocks a session tree prints (iscsiadm's SESSION_INFO_* flags). */
export interface SessionTreeBlocks {
  readonly iface: boolean;
  readonly state: boolean;
  readonly timeouts: boolean;
  readonly chap: boolean;
  readonly params: boolean;
  /** "Host Number: N\tState: S" line of the devices block. */
  readonly hostLine: boolean;
  /** One line per LUN (and its disk). */
  readonly devices: boolean;
}

/** Blocks of `-m session -P level` (1..3). */
export function sessionBlocks(level: 1 | 2 | 3): SessionTreeBlocks {
  return { iface: true, state: true, timeouts: level >= 2, chap: level >= 2, params: level >= 2, hostLine: level >= 3, devices: level >= 3 };
}

/** Options of the session tree. */
export interface SessionTreeOptions {
  readonly level: 1 | 2 | 3;
  /** `-S/--show`: CHAP passwords in clear. */
  readonly showSecrets?: boolean;
  /** Needed at level 3. */
  readonly versions?: VersionsView;
}

/** sysfs order: `session<sid>` compared as strings. */
export function compareSessions(a: { sid: number }, b: { sid: number }): number {
  return compareC(`session${a.sid}`, `session${b.sid}`);
}

/** A sorted copy in sysfs order. */
export function sortSessions<T extends { sid: number }>(sessions: readonly T[]): T[] {
  return [...sessions].sort(compareSessions);
}

function flash(s: SessionView): string {
  return s.flash ? 'flash' : 'non-flash';
}

/** `-m session` / `-P 0`: one line per session. */
export function renderSessionFlat(sessions: readonly SessionView[]): Rendered {
  return {
    stdout: sortSessions(sessions).map(
      (s) => `${orEmpty(s.transport)}: [${s.sid}] ${hostPort(s.persistentPortal.address, s.persistentPortal.port)},${s.tpgt} ${s.target} (${flash(s)})`,
    ),
    stderr: [],
  };
}

/** `iSCSI Transport Class version` / `version`, only when the class version is known. */
export function versionLines(v: VersionsView | undefined): string[] {
  return v?.transportClass ? [`iSCSI Transport Class version ${v.transportClass}`, `version ${v.version}`] : [];
}

function ifaceLines(s: SessionView, p: string): string[] {
  const i = s.iface;
  return [
    `${p}\t\t**********`, `${p}\t\tInterface:`, `${p}\t\t**********`,
    `${p}\t\tIface Name: ${orEmpty(i.name)}`,
    `${p}\t\tIface Transport: ${orEmpty(i.transport)}`,
    `${p}\t\tIface Initiatorname: ${orEmpty(i.initiatorName)}`,
    `${p}\t\tIface IPaddress: ${addressOrEmpty(i.ipAddress)}`,
    `${p}\t\tIface HWaddress: ${orEmpty(i.hwAddress)}`,
    `${p}\t\tIface Netdev: ${orEmpty(i.netdev)}`,
  ];
}

function stateLines(s: SessionView, p: string): string[] {
  return [
    `${p}\t\tSID: ${s.sid}`,
    `${p}\t\tiSCSI Connection State: ${s.states.connection}`,
    `${p}\t\tiSCSI Session State: ${s.states.session === '' ? 'Unknown' : s.states.session}`,
    `${p}\t\tInternal iscsid Session State: ${s.states.internal}`,
  ];
}

function tmo(v: number | null): string {
  return v === null || v < 0 ? EMPTY : String(v);
}

function timeoutLines(s: SessionView, p: string): string[] {
  const t = s.timeouts;
  return [
    `${p}\t\t*********`, `${p}\t\tTimeouts:`, `${p}\t\t*********`,
    `${p}\t\tRecovery Timeout: ${t.recovery}`,
    `${p}\t\tTarget Reset Timeout: ${tmo(t.targetReset)}`,
    `${p}\t\tLUN Reset Timeout: ${tmo(t.lunReset)}`,
    `${p}\t\tAbort Timeout: ${tmo(t.abort)}`,
  ];
}

/** Without -S both passwords print `********` even when unset; with -S the inbound one is labelled `password:` (upstream bug kept). */
function chapLines(s: SessionView, p: string, show: boolean): string[] {
  const c = s.chap;
  return [
    `${p}\t\t*****`, `${p}\t\tCHAP:`, `${p}\t\t*****`,
    `${p}\t\tusername: ${orEmpty(c.username)}`,
    `${p}\t\tpassword: ${show ? orEmpty(c.password) : MASKED}`,
    `${p}\t\tusername_in: ${orEmpty(c.usernameIn)}`,
    show ? `${p}\t\tpassword: ${orEmpty(c.passwordIn)}` : `${p}\t\tpassword_in: ${MASKED}`,
  ];
}

const yesNo = (b: boolean): string => (b ? 'Yes' : 'No');

function paramLines(n: NegotiatedView | null, p: string): string[] {
  const out = [`${p}\t\t************************`, `${p}\t\tNegotiated iSCSI params:`, `${p}\t\t************************`];
  if (!n) return out;
  const rows: Array<[string, string | number | boolean | undefined]> = [
    ['HeaderDigest', n.headerDigest], ['DataDigest', n.dataDigest],
    ['MaxRecvDataSegmentLength', n.maxRecvDataSegmentLength], ['MaxXmitDataSegmentLength', n.maxXmitDataSegmentLength],
    ['FirstBurstLength', n.firstBurstLength], ['MaxBurstLength', n.maxBurstLength],
    ['ImmediateData', n.immediateData], ['InitialR2T', n.initialR2T], ['MaxOutstandingR2T', n.maxOutstandingR2T],
  ];
  for (const [name, v] of rows) {
    if (v !== undefined) out.push(`${p}\t\t${name}: ${typeof v === 'boolean' ? yesNo(v) : v}`);
  }
  return out;
}

/** The Attached SCSI devices block. */
export function scsiLines(scsi: ScsiTreeView, p: string, blocks: Pick<SessionTreeBlocks, 'hostLine' | 'devices'>): string[] {
  const out = [`${p}\t\t************************`, `${p}\t\tAttached SCSI devices:`, `${p}\t\t************************`];
  const h = scsi.hostNumber;
  if (h === null) return [...out, `${p}\t\tUnavailable`];
  if (blocks.hostLine) out.push(`${p}\t\tHost Number: ${h}\tState: ${scsi.hostState || 'Unknown'}`);
  if (!blocks.devices) return out;
  for (const lun of scsi.luns) {
    out.push(`${p}\t\tscsi${h} Channel 00 Id ${lun.targetId} Lun: ${lun.lun}`);
    if (lun.blockDevice) out.push(`${p}\t\t\tAttached scsi disk ${lun.blockDevice}\t\tState: ${lun.state || 'Unknown'}`);
  }
  return out;
}

/** Whether `cur` repeats `prev`'s current address and port (libopeniscsiusr: both ports non-zero). */
function samePortal(prev: SessionView | undefined, cur: SessionView): boolean {
  if (!prev) return false;
  const a = prev.currentPortal;
  const b = cur.currentPortal;
  return a.port !== 0 && b.port !== 0 && a.port === b.port && a.address === b.address;
}

/**
 * Tree lines for sessions in the given order, with `prefix` before every line but the
 * same-portal empty line (`\t` in host mode, `''` in session mode).
 */
export function sessionTreeLines(sessions: readonly SessionView[], prefix: string, blocks: SessionTreeBlocks, showSecrets = false): string[] {
  const out: string[] = [];
  let prev: SessionView | undefined;
  for (const s of sessions) {
    if (!prev || prev.target !== s.target) {
      out.push(`${prefix}Target: ${s.target} (${flash(s)})`);
      prev = undefined;
    }
    if (samePortal(prev, s)) out.push('');
    else {
      out.push(`${prefix}\tCurrent Portal: ${hostPort(s.currentPortal.address, s.currentPortal.port)},${s.tpgt}`);
      out.push(`${prefix}\tPersistent Portal: ${hostPort(s.persistentPortal.address, s.persistentPortal.port)},${s.tpgt}`);
    }
    if (blocks.iface) out.push(...ifaceLines(s, prefix));
    if (blocks.state) out.push(...stateLines(s, prefix));
    if (blocks.timeouts) out.push(...timeoutLines(s, prefix));
    if (blocks.chap) out.push(...chapLines(s, prefix, showSecrets));
    if (blocks.params) out.push(...paramLines(s.negotiated, prefix));
    if (blocks.hostLine || blocks.devices) out.push(...scsiLines(s.scsi, prefix, blocks));
    prev = s;
  }
  return out;
}

/** `-m session -P 1..3` (all sessions, or the one of `-r`). */
export function renderSessionTree(sessions: readonly SessionView[], opts: SessionTreeOptions): Rendered {
  const head = opts.level === 3 ? versionLines(opts.versions) : [];
  const body = sessionTreeLines(sortSessions(sessions), '', sessionBlocks(opts.level), opts.showSecrets ?? false);
  return { stdout: [...head, ...body], stderr: [] };
}
