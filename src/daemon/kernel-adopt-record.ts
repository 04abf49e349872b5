/**
 * The node record of a kernel session adopted at daemon start, completed from sysfs as
 * iscsid's sync_session does (open-iscsi.md §1.5, §4.1; boot-and-isns.md §1.8): CHAP
 * credentials from the session's `username` / `password` / `username_in` / `password_in`
 * (iscsi_sysfs_get_auth_conf; readable only with CAP_SYS_ADMIN, empty values change
 * nothing), and for offload sessions the host's transport and iface binding
 * (iscsi_sysfs_read_iface). Secrets are copied, never logged.
 */
import type { NodeRecord } from '../db/index.js';
import type { SysfsHost, SysfsSession } from '../transport/kernel/sysfs.js';

const unset = (v: string | undefined): boolean => v === undefined || ['', 'default', '<empty>', '(null)'].includes(v.trim());

/** The record with the host's transport and, where the record leaves them unset, its binding fields. */
export function withHostIface(rec: Readonly<NodeRecord>, host: SysfsHost, transport: string, iface: string): Readonly<NodeRecord> {
  const out: NodeRecord = { ...rec, 'iface.transport_name': transport };
  if (rec['iface.iscsi_ifacename'] === 'default' && iface !== 'default') out['iface.iscsi_ifacename'] = iface;
  const fill: Array<['iface.hwaddress' | 'iface.net_ifacename' | 'iface.ipaddress', string | undefined]> = [
    ['iface.hwaddress', host.hwaddress], ['iface.net_ifacename', host.netdev], ['iface.ipaddress', host.ipaddress]];
  for (const [k, v] of fill) if (unset(rec[k]) && v !== undefined && !unset(v)) out[k] = v.trim();
  return out;
}

/** The iface name of an adopted offload session: sysfs `ifacename`, else iscsid's `<transport>.<hwaddress>`. */
export function ifaceNameOf(s: SysfsSession, host: SysfsHost, transport: string): string {
  const named = s.ifaceName?.trim();
  if (named) return named;
  const hw = host.hwaddress?.trim();
  return hw && !unset(hw) ? `${transport}.${hw.toLowerCase()}` : 'default';
}

/** The record with the CHAP credentials the kernel session shows in sysfs (non-empty ones only). */
export function withSysfsChap(rec: Readonly<NodeRecord>, s: SysfsSession): Readonly<NodeRecord> {
  const pairs: Array<['node.session.auth.username' | 'node.session.auth.password' | 'node.session.auth.username_in' | 'node.session.auth.password_in', string | undefined]> = [
    ['node.session.auth.username', s.username], ['node.session.auth.password', s.password],
    ['node.session.auth.username_in', s.usernameIn], ['node.session.auth.password_in', s.passwordIn],
  ];
  let out: NodeRecord | undefined;
  for (const [k, v] of pairs) {
    // The kernel prints an unset credential as "(null)" (printf of a NULL string).
    if (v === undefined || ['', '<empty>', '(null)'].includes(v.trim())) continue;
    out ??= { ...rec };
    out[k] = k.endsWith('password') || k.endsWith('password_in') ? v : v.trim();
  }
  return out ?? rec;
}
