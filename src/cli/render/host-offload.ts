/**
 * `-m host -H N -C chap|flashnode|stats` text (reference §6.7), as iscsiadm 2.1.8
 * prints it (format strings of the 2.1.8 binary; docs/kernel-offload.md):
 *
 *   -C chap:       one `# BEGIN RECORD 2.1.8` … `# END RECORD` per entry with
 *                  host.auth.tbl_idx and host.auth.username/password (outbound) or
 *                  host.auth.username_in/password_in (inbound); passwords in clear
 *                  (idbm_print with show = 1).
 *   -C flashnode:  list `<transport>: [<idx>] <ip>:<port>,<tpgt> <targetname>`
 *                  (IPv6 bracketed); with -x the flashnode.session.* / .conn[0].* record.
 *   -C stats:      `Host Statistics:` + 82 `\t<counter>: <%lld>` lines (stats.ts).
 *   Kernel refusals: netlink.c's `Received iferror %d: %s.` (not for -ENOSYS, which
 *   iscsiadm logs at debug level only) before the operation's own message.
 */
import { ERR_PREFIX } from './text.js';
import type { RecordView, Rendered } from './types.js';

/** iscsiadm's version in `# BEGIN RECORD`. */
export const HOST_RECORD_VERSION = '2.1.8';

/** One entry as the daemon returns it. */
export interface HostRecordEntry { readonly key: string; readonly value: string; readonly secret: boolean }

/** CHAP entries / a flashnode as RecordViews (printed with secrets shown, like iscsiadm). */
export function hostRecords(kind: 'chap' | 'flashnode', records: readonly (readonly HostRecordEntry[])[]): RecordView[] {
  return records.map((entries) => ({ kind, version: HOST_RECORD_VERSION, entries: entries.map((e) => ({ key: e.key, value: e.value, secret: e.secret })) }));
}

/** A flashnode listing line. */
export function flashnodeLine(transport: string, index: number, entries: readonly HostRecordEntry[]): string {
  const v = (key: string): string => entries.find((e) => e.key === key)?.value ?? '';
  const ip = v('flashnode.conn[0].ipaddress');
  const addr = v('flashnode.session.portal_type') === 'ipv6' ? `[${ip}]` : ip;
  return `${transport}: [${index}] ${addr}:${v('flashnode.conn[0].port') || '0'},${v('flashnode.session.tpgt') || '0'} ${v('flashnode.session.targetname')}`;
}

/** glibc strerror text of the errnos the iSCSI netlink code returns. */
const STRERROR: Readonly<Record<number, string>> = {
  1: 'Operation not permitted', 2: 'No such file or directory', 5: 'Input/output error', 6: 'No such device or address',
  11: 'Resource temporarily unavailable', 12: 'Cannot allocate memory', 13: 'Permission denied', 14: 'Bad address',
  16: 'Device or resource busy', 17: 'File exists', 19: 'No such device', 22: 'Invalid argument', 28: 'No space left on device',
  38: 'Function not implemented', 95: 'Operation not supported', 107: 'Transport endpoint is not connected', 110: 'Connection timed out',
};

export function strerror(errno: number): string {
  return STRERROR[Math.abs(errno)] ?? `Unknown error ${Math.abs(errno)}`;
}

/** netlink.c's line for an IF_ERROR (`errno` negative, e.g. -22); none for -ENOSYS. */
export function iferrorLines(errno: number | undefined): string[] {
  if (errno === undefined || errno === -38) return [];
  return errno < 0 ? [`${ERR_PREFIX}Received iferror ${errno}: ${strerror(errno)}.`] : [`${ERR_PREFIX}Received iferror ${errno}.`];
}

/** stderr lines of a failed kernel operation: the iferror line, then iscsiadm's messages. */
export function kernelFailure(errno: number | undefined, ...texts: string[]): Rendered {
  return { stdout: [], stderr: [...iferrorLines(errno), ...texts.map((t) => `${ERR_PREFIX}${t}`)] };
}
