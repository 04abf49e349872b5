/**
 * Firmware boot targets from sysfs, the way open-iscsi 2.1.8's fw_get_targets reads them
 * (usr/fwparam_ibft/fwparam_sysfs.c; reference boot-and-isns.md §2.3–§2.5):
 *
 * - Roots: `<sysfs>/firmware/ibft/` (subsystem `ibft`), then every
 *   `<sysfs>/firmware/iscsi_boot*` (offload HBAs: qla4xxx, be2iscsi, qedi). A root counts
 *   only if it has `initiator/`. Its directories whose names contain `target` / `ethernet`
 *   are the targets / NICs (open-iscsi walks them in readdir order; kernfs order is not
 *   alphabetical, we use natural name order, which is what the kernel showed in the VM).
 * - A target needs `flags` ≠ 0 (any bit: some firmware sets only "boot selected"), a
 *   `target-name` and an `ip-addr`; `port` defaults to 3260. Its NIC is the `ethernetN` whose
 *   `index` equals the target's `nic-assoc` (else stdout `Invalid nic-assoc of %d. Max id %d.`
 *   and the target is dropped); the NIC needs `flags` ≠ 0 and a `mac`.
 * - Netdev (ibft only): `ethernetN/device` absent → none; else a `net:<if>` entry, else the
 *   first entry of `device/net/`, else the interface whose MAC matches (`<sysfs>/class/net`);
 *   no match drops the target (as open-iscsi's net_get_netdev_from_hwaddress failure does).
 * - Values are read like open-iscsi's sysfs_get_str/int: trailing newlines removed, copied
 *   into open-iscsi's fixed buffers (so over-long values are cut as iscsiadm cuts them),
 *   numbers with C atoi. Files that cannot be read (sysfs needs CAP_SYS_ADMIN) are absent.
 *
 * No targets at all: error 21 (ISCSI_ERR_NO_OBJS_FOUND); no `<sysfs>/firmware` directory:
 * 22 (ISCSI_ERR_SYSFS_LOOKUP) — the numbers iscsiadm prints in "(err N)".
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** One firmware target with its NIC and initiator (open-iscsi's struct boot_context). */
export interface BootContext {
  /** `ibft` or `iscsi_boot<host>`. */
  readonly subsys: string;
  /** Directory names, e.g. `target0`, `ethernet0`. */
  readonly bootTarget: string;
  readonly bootNic: string;
  readonly targetFlags: number;
  readonly targetName: string;
  readonly targetAddress: string;
  readonly targetPort: number;
  readonly lun: string;
  readonly chapName: string;
  readonly chapPassword: string;
  readonly chapNameIn: string;
  readonly chapPasswordIn: string;
  readonly initiatorName: string;
  readonly isid: string;
  readonly nicFlags: number;
  readonly origin: number;
  readonly prefix: number;
  readonly dhcp: string;
  /** Network interface name ('' when unknown). */
  readonly iface: string;
  readonly mac: string;
  readonly ipaddr: string;
  readonly gateway: string;
  readonly primaryDns: string;
  readonly secondaryDns: string;
  readonly mask: string;
  readonly vlan: string;
  /** `iscsi_boot<N>` for offload HBAs, else ''. */
  readonly scsiHostName: string;
  /** iface.transport_name: `tcp`, or the HBA driver of an iscsi_boot host. */
  readonly transport: string;
}

/** What fw_get_targets found: the targets, or the error number, plus stdout notices it printed. */
export interface FirmwareScan {
  readonly targets: readonly BootContext[];
  /** 0 when targets were found, else 21 (none) or 22 (no firmware directory). */
  readonly errno: number;
  /** Lines open-iscsi prints on stdout while scanning (`Invalid nic-assoc ...`). */
  readonly notices: readonly string[];
}

/** open-iscsi's buffer sizes minus the NUL (strlcpy truncation). */
const MAX = { name: 223, host: 1024, auth: 255, isid: 9, mac: 17, lun: 16, vlan: 14, iface: 15 } as const;

/** C atoi: optional blanks and sign, then digits; 0 when none. */
export function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  if (!m) return 0;
  const n = Number.parseInt(m[1]!, 10);
  return Number.isFinite(n) ? n | 0 : 0;
}

class Dir {
  constructor(readonly path: string) {}

  /** sysfs_get_str: the value without trailing newlines, or undefined when unreadable. */
  str(name: string, max: number): string | undefined {
    try {
      return readFileSync(join(this.path, name), 'latin1').replace(/\n+$/, '').slice(0, max);
    } catch {
      return undefined;
    }
  }

  int(name: string): number | undefined {
    const s = this.str(name, 4096);
    return s === undefined ? undefined : atoi(s);
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function list(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

const natural = (a: string, b: string): number => a.localeCompare(b, 'en', { numeric: true });

/** The netdev of an ibft NIC (see module comment); undefined means "lookup failed". */
function netdevOf(sysfs: string, nic: Dir, mac: string): string | undefined {
  const device = join(nic.path, 'device');
  if (!exists(device)) return '';
  const old = list(device).find((n) => n.startsWith('net:'));
  if (old !== undefined) return old.slice(4).slice(0, MAX.iface);
  const first = list(join(device, 'net')).sort(natural)[0];
  if (first !== undefined) return first.slice(0, MAX.iface);
  for (const ifname of list(join(sysfs, 'class/net')).sort(natural)) {
    const addr = new Dir(join(sysfs, 'class/net', ifname)).str('address', 64);
    if (addr !== undefined && addr.toLowerCase() === mac.toLowerCase()) return ifname;
  }
  return undefined;
}

/** iface.transport_name of an iscsi_boot<N> host: its SCSI host driver (proc_name), else tcp. */
function offloadTransport(sysfs: string, subsys: string): string {
  const host = /^iscsi_boot(\d+)$/.exec(subsys)?.[1];
  if (host === undefined) return 'tcp';
  const name = new Dir(join(sysfs, 'class/scsi_host', `host${host}`)).str('proc_name', 64);
  return name === undefined || name === '' ? 'tcp' : name;
}

type TargetPart = Omit<BootContext, 'subsys' | 'bootNic' | 'nicFlags' | 'origin' | 'prefix' | 'dhcp' | 'iface' | 'mac' | 'ipaddr' | 'gateway' | 'primaryDns' | 'secondaryDns' | 'mask' | 'vlan' | 'scsiHostName' | 'transport' | 'initiatorName' | 'isid'>;

function readTarget(d: Dir, id: string): TargetPart | undefined {
  const flags = d.int('flags');
  if (flags === undefined || flags === 0) return undefined;
  const targetName = d.str('target-name', MAX.name);
  const targetAddress = d.str('ip-addr', MAX.host);
  if (targetName === undefined || targetAddress === undefined) return undefined;
  return {
    bootTarget: id, targetFlags: flags, targetName, targetAddress, targetPort: d.int('port') ?? 3260,
    lun: d.str('lun', MAX.lun) ?? '', chapName: d.str('chap-name', MAX.auth) ?? '', chapPassword: d.str('chap-secret', MAX.auth) ?? '',
    chapNameIn: d.str('rev-chap-name', MAX.auth) ?? '', chapPasswordIn: d.str('rev-chap-name-secret', MAX.auth) ?? '',
  };
}

/** Targets of one root (`get_targets`). */
function rootTargets(sysfs: string, root: string, subsys: string, notices: string[]): BootContext[] {
  if (!exists(join(root, 'initiator'))) return [];
  const dirs = list(root).filter((n) => exists(join(root, n)) && statSync(join(root, n)).isDirectory()).sort(natural);
  const targets = dirs.filter((n) => n.includes('target'));
  const nics = dirs.filter((n) => n.includes('ethernet'));
  const init = new Dir(join(root, 'initiator'));
  const out: BootContext[] = [];
  for (const id of targets) {
    const d = new Dir(join(root, id));
    const t = readTarget(d, id);
    if (!t) continue;
    const assoc = d.int('nic-assoc');
    if (assoc === undefined) continue;
    const nicId = nics.find((n) => new Dir(join(root, n)).int('index') === assoc);
    if (nicId === undefined) {
      notices.push(`Invalid nic-assoc of ${assoc}. Max id ${nics.length}.`);
      continue;
    }
    const nic = new Dir(join(root, nicId));
    const nicFlags = nic.int('flags');
    const mac = nic.str('mac', MAX.mac);
    if (nicFlags === undefined || nicFlags === 0 || mac === undefined) continue;
    const iface = subsys === 'ibft' ? netdevOf(sysfs, nic, mac) : '';
    if (iface === undefined) continue;
    out.push({
      ...t, subsys, bootNic: nicId, nicFlags, mac, iface,
      ipaddr: nic.str('ip-addr', MAX.host) ?? '', vlan: nic.str('vlan', MAX.vlan) ?? '', mask: nic.str('subnet-mask', MAX.host) ?? '',
      prefix: nic.int('prefix-len') ?? 0, gateway: nic.str('gateway', MAX.host) ?? '', primaryDns: nic.str('primary-dns', MAX.host) ?? '',
      secondaryDns: nic.str('secondary-dns', MAX.host) ?? '', dhcp: nic.str('dhcp', MAX.host) ?? '', origin: nic.int('origin') ?? 0,
      initiatorName: init.str('initiator-name', MAX.name) ?? '', isid: init.str('isid', MAX.isid) ?? '',
      scsiHostName: subsys === 'ibft' ? '' : subsys, transport: subsys === 'ibft' ? 'tcp' : offloadTransport(sysfs, subsys),
    });
  }
  return out;
}

/** fw_get_targets over `<sysfs>/firmware` (see module comment). */
export function readFirmwareTargets(sysfs: string): FirmwareScan {
  const fw = join(sysfs, 'firmware');
  const notices: string[] = [];
  const targets = rootTargets(sysfs, join(fw, 'ibft'), 'ibft', notices);
  let names: string[];
  try {
    names = readdirSync(fw);
  } catch {
    return targets.length > 0 ? { targets, errno: 0, notices } : { targets: [], errno: 22, notices };
  }
  for (const name of names.filter((n) => n.startsWith('iscsi_boot')).sort(natural)) targets.push(...rootTargets(sysfs, join(fw, name), name, notices));
  return { targets, errno: targets.length > 0 ? 0 : 21, notices };
}
