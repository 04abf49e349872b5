/**
 * iscsiadm's messages (reference §6.4 and the per-mode sections), each on the stream
 * iscsiadm uses: info messages on stdout as bare text, warnings/errors on stderr with
 * the `iscsiadm: ` prefix. The ones a daemon-less iscsiadm can produce were checked
 * against Debian's 2.1.8 (test/golden); the login/logout success lines follow §6.4.
 *
 * Portals in these messages are `address,port` with no brackets, IPv6 included
 * (`portal: fd00::1,3262`).
 */
import { ISCSI_ERR_TEXT } from '../../shared/errors.js';
import { errorLine, toStdout } from './text.js';
import type { NodeView, Rendered } from './types.js';

/** What login/logout messages name. */
export interface LoginTarget {
  readonly iface: string;
  readonly target: string;
  readonly address: string;
  readonly port: number;
}

/** What session messages name (persistent address, current port). */
export interface SessionRef {
  readonly sid: number;
  readonly target: string;
  readonly address: string;
  readonly port: number;
}

const rec = (t: LoginTarget): string => `[iface: ${t.iface}, target: ${t.target}, portal: ${t.address},${t.port}]`;
const sess = (s: SessionRef): string => `[sid: ${s.sid}, target: ${s.target}, portal: ${s.address},${s.port}]`;

/** The text of an ISCSI_ERR_* number (`unknown error` for numbers outside the table). */
export function errText(errno: number): string {
  return ISCSI_ERR_TEXT[errno] ?? ISCSI_ERR_TEXT[1] ?? 'unknown error';
}

/** `iscsiadm: initiator reported error (%d - %s)`. */
export function initiatorError(errno: number): Rendered {
  return errorLine(`initiator reported error (${errno} - ${errText(errno)})`);
}

/** Any other error line: `iscsiadm: <text>`. */
export function error(text: string): Rendered {
  return errorLine(text);
}

// --- login / logout / rescan ---------------------------------------------------------

/** `Logging in to [iface: i, target: t, portal: a,p]` (+ ` (multiple)` when nr_sessions > 1 or `-r N -o new`). */
export function loggingIn(t: LoginTarget, multiple = false): Rendered {
  return toStdout([`Logging in to ${rec(t)}${multiple ? ' (multiple)' : ''}`]);
}

/** `Login to [...] successful.` */
export function loginSucceeded(t: LoginTarget): Rendered {
  return toStdout([`Login to ${rec(t)} successful.`]);
}

/** `iscsiadm: Could not login to [...].` + `iscsiadm: initiator reported error (n - text)`. */
export function loginFailed(t: LoginTarget, errno: number): Rendered {
  return { stdout: [], stderr: [...errorLine(`Could not login to ${rec(t)}.`).stderr, ...initiatorError(errno).stderr] };
}

/** Summary after any failed login: `iscsiadm: Could not log into all portals`. */
export function loginSomeFailed(): Rendered {
  return errorLine('Could not log into all portals');
}

/** `Logging out of session [sid: s, target: t, portal: a,p]`. */
export function loggingOut(s: SessionRef): Rendered {
  return toStdout([`Logging out of session ${sess(s)}`]);
}

/** `Logout of [sid: s, target: t, portal: a,p] successful.` */
export function logoutSucceeded(s: SessionRef): Rendered {
  return toStdout([`Logout of ${sess(s)} successful.`]);
}

/** `iscsiadm: Could not logout of [...].` + the error line. */
export function logoutFailed(s: SessionRef, errno: number): Rendered {
  return { stdout: [], stderr: [...errorLine(`Could not logout of ${sess(s)}.`).stderr, ...initiatorError(errno).stderr] };
}

/** Summary after any failed logout. */
export function logoutSomeFailed(): Rendered {
  return errorLine('Could not logout of all requested sessions');
}

/** `Rescanning session [sid: s, target: t, portal: a,p]`. */
export function rescanning(s: SessionRef): Rendered {
  return toStdout([`Rescanning session ${sess(s)}`]);
}

// --- nothing found (exit 21 unless noted) ------------------------------------------

/** `-m session` / `-P n` with no session. */
export const noActiveSessions = (): Rendered => errorLine('No active sessions.');
/** `-m session -s` with no session (checked: 2.1.8 says this, not "No active sessions."). */
export const noSessionFound = (): Rendered => errorLine('No session found.');
/** Logout / rescan matching nothing. */
export const noMatchingSessions = (): Rendered => errorLine('No matching sessions found');
/** Node mode matching no record. */
export const noRecordsFound = (): Rendered => errorLine('No records found');
/** Host mode without hosts. */
export const noIscsiHosts = (): Rendered => errorLine('No iSCSI hosts.');
/** Discovery that returned nothing. */
export const noPortalsFound = (): Rendered => errorLine('No portals found');

/** `-m session -r N` for a session that does not exist (2.1.8 prints both lines; exit 22). */
export function sessionInfoNotFound(sid: number): Rendered {
  return { stdout: [], stderr: ['iscsiadm: could not read session targetname: 5', `iscsiadm: Could not get session info for sid ${sid}`] };
}

/** `-m fw` without firmware targets (exit = err, 21). */
export function fwNoTargets(errno: number): Rendered {
  return errorLine(`Could not get list of targets from firmware. (err ${errno})`);
}

// --- records -------------------------------------------------------------------------

/** Fields of the `-o new` node message. */
export interface NewNodeInfo extends NodeView {
  readonly transport: string;
  readonly hwAddress: string;
  readonly ipAddress: string;
  readonly netIfacename: string;
}

/** `New iSCSI node [tcp:[hw=,ip=,net_if=,iscsi_if=default] 192.168.20.10,3260,-1 iqn...] added`. */
export function newNode(n: NewNodeInfo): Rendered {
  const iface = `${n.transport}:[hw=${n.hwAddress},ip=${n.ipAddress},net_if=${n.netIfacename},iscsi_if=${n.iface}]`;
  return toStdout([`New iSCSI node [${iface} ${n.address},${n.port},${n.tpgt} ${n.target}] added`]);
}

/** `New discovery record for [a,p] added.` */
export function newDiscoveryRecord(address: string, port: number): Rendered {
  return toStdout([`New discovery record for [${address},${port}] added.`]);
}

/** `iscsiadm: Discovery record [a,p] not found.` (exit 6). */
export function discoveryRecordNotFound(address: string, port: number): Rendered {
  return errorLine(`Discovery record [${address},${port}] not found.`);
}

/** Discovery without any initiator name (no iface.initiatorname, none from the daemon). */
export function initiatorNameRequired(): Rendered {
  return errorLine('Cannot perform discovery. Initiatorname required.');
}

/** `iscsiadm: Could not perform SendTargets discovery: <error text>`. */
export function sendTargetsFailed(errno: number): Rendered {
  return errorLine(`Could not perform SendTargets discovery: ${errText(errno)}`);
}

/** Plain `discovery` mode with new/update on an existing record. */
export function discoveryOpsNeedDiscoverydb(): Rendered {
  return errorLine('Operations new and update for discovery mode is not supported. Use discoverydb mode.');
}

/** Deleting a record a session uses (exit 15). */
export function recordInUse(t: LoginTarget): Rendered {
  return errorLine(
    `This command will remove the record [iface: ${t.iface}, target: ${t.target}, portal: ${t.address},${t.port}], but a session is using it. Logout session then rerun command to remove record.`,
  );
}

/** `%s: %d session%s requested, but %d already present.` (warning, exit 15). */
export function sessionsAlreadyPresent(target: string, requested: number, present: number): Rendered {
  return errorLine(`${target}: ${requested} session${requested > 1 ? 's' : ''} requested, but ${present} already present.`);
}

/**
 * `-m iface -I x -o new`: 2.1.8 prints `x updated.` before `New interface x added`
 * (observed; the record is created through the update path).
 */
export function ifaceCreated(name: string): Rendered {
  return toStdout([`${name} updated.`, `New interface ${name} added`]);
}

/** `-m iface -I x -o update`. */
export const ifaceUpdated = (name: string): Rendered => toStdout([`${name} updated.`]);
/** `-m iface -I x -o delete`. */
export const ifaceDeleted = (name: string): Rendered => toStdout([`${name} unbound and deleted.`]);
/** `-m iface -I x -o apply`. */
export const ifaceApplied = (name: string): Rendered => toStdout([`${name} applied.`]);

// --- usage ---------------------------------------------------------------------------

/** `Invalid info level %d. Try ...` (exit 7): node/discovery `0 or 1`, session `0 - 3`, host `0 - 4`. */
export function invalidInfoLevel(level: number, allowed: 'node' | 'session' | 'host'): Rendered {
  const range = allowed === 'node' ? '0 or 1' : allowed === 'session' ? '0 - 3' : '0 - 4';
  return errorLine(`Invalid info level ${level}. Try ${range}.`);
}

/** `<mode> mode: option '-<c>' is not allowed/supported` (exit 7). */
export function optionNotAllowed(mode: string, letter: string): Rendered {
  return errorLine(`${mode} mode: option '-${letter}' is not allowed/supported`);
}

/** `-V`: `iscsiadm version <v>`. */
export function versionBanner(version: string, program = 'iscsiadm'): Rendered {
  return toStdout([`${program} version ${version}`]);
}
