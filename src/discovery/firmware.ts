/**
 * Firmware (iBFT / iscsi_boot) targets as the daemon uses them: the node record identity
 * and values open-iscsi 2.1.8 gives a firmware target, and the overrides every boot login
 * uses (reference open-iscsi.md §1.5, §6.8; boot-and-isns.md §1.8).
 *
 * - Identity: `nodes/<target>/<address>,<port>,1/default` — firmware records always use
 *   TPGT 1 (idbm_create_rec_from_boot_context: "tpgt hard coded to 1") and the `default`
 *   iface (tcp; offload HBAs with their own iface are not handled here).
 * - Values (`-m discovery -t fw`, as Debian's iscsiadm writes them): `node.discovery_type
 *   = fw`, `node.startup = onboot` and `node.conn[0].startup = onboot` (2.1.10 behaviour,
 *   backported to Debian 2.1.8-1+deb12u1: "setting firmware node 'startup' to 'onboot'"),
 *   `iface.initiatorname` from the firmware, and the CHAP names/secrets from the table;
 *   `node.session.auth.authmethod` stays None (credentials alone select CHAP).
 * - Boot logins (`-m fw -l`, iscsistart): `node.session.initial_login_retry_max = 30`,
 *   `noop_out_interval = 0`, `noop_out_timeout = 0`, `node.session.scan = auto`.
 *
 * Sessions of such records are onboot sessions: never logged out by `--logoutall` or at
 * daemon stop (src/daemon/session-manager.ts isOnboot).
 */
import type { IbftNic, IbftTable } from '../iscsi/ibft.js';

/** One firmware target as the CLI reads it from sysfs (secrets included: they log in). */
export interface FirmwareTarget {
  readonly target: string;
  readonly address: string;
  readonly port: number;
  /** '' when the firmware names no initiator. */
  readonly initiatorName: string;
  readonly username: string;
  readonly password: string;
  readonly usernameIn: string;
  readonly passwordIn: string;
}

/** TPGT of every firmware node record. */
export const FIRMWARE_TPGT = 1;
/** iface of firmware node records. */
export const FIRMWARE_IFACE = 'default';

/** Node record values open-iscsi forces for boot logins (iscsistart and `-m fw -l`). */
export const BOOT_LOGIN_OVERRIDES = {
  'node.session.initial_login_retry_max': 30,
  'node.conn[0].timeo.noop_out_interval': 0,
  'node.conn[0].timeo.noop_out_timeout': 0,
  'node.session.scan': 'auto',
} as const;

/** The node record identity of a firmware target. */
export function firmwareNodeKey(t: FirmwareTarget): { target: string; address: string; port: number; tpgt: number; iface: string } {
  return { target: t.target, address: t.address, port: t.port, tpgt: FIRMWARE_TPGT, iface: FIRMWARE_IFACE };
}

/** The values a firmware target puts into its node record (see module comment). */
export function firmwareRecordValues(t: FirmwareTarget): Record<string, string> {
  const out: Record<string, string> = {
    'node.discovery_type': 'fw',
    'node.startup': 'onboot',
    'node.conn[0].startup': 'onboot',
    'node.session.auth.username': t.username,
    'node.session.auth.password': t.password,
    'node.session.auth.username_in': t.usernameIn,
    'node.session.auth.password_in': t.passwordIn,
  };
  if (t.initiatorName !== '') out['iface.initiatorname'] = t.initiatorName;
  return out;
}

/**
 * The targets open-iscsi's fw_get_targets would find in a raw iBFT table (for a boot path
 * that reads /sys/firmware/acpi/tables/iBFT directly, e.g. when iscsi_ibft is not loaded):
 * the sysfs rules applied to the parsed table — target `flags` ≠ 0 with a name, its NIC
 * (`index` = `nic-assoc`) with `flags` ≠ 0, port as stored, the initiator's name.
 * Directory order is kept (by structure index), duplicates of an index dropped as the
 * kernel drops them.
 */
export function firmwareTargetsFromIbft(table: IbftTable): FirmwareTarget[] {
  const nics = new Map<number, IbftNic>();
  for (const n of table.nics) if (!nics.has(n.index)) nics.set(n.index, n);
  const seen = new Set<number>();
  const out: FirmwareTarget[] = [];
  for (const t of [...table.targets].sort((a, b) => a.index - b.index)) {
    if (seen.has(t.index)) continue;
    seen.add(t.index);
    const nic = nics.get(t.nicAssoc);
    if (t.flags === 0 || t.name === '' || !nic || nic.flags === 0) continue;
    out.push({
      target: t.name, address: t.ip, port: t.port, initiatorName: table.initiator?.name ?? '',
      username: t.chapName ?? '', password: t.chapSecret ?? '', usernameIn: t.reverseChapName ?? '', passwordIn: t.reverseChapSecret ?? '',
    });
  }
  return out;
}
