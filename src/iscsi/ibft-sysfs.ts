/**
 * The /sys/firmware/ibft tree Linux builds from an iBFT table (drivers/firmware/iscsi_ibft.c
 * + iscsi_boot_sysfs.c; reference boot-and-isns.md §2.3, verified in a VM): directory and
 * file names, the kernel's visibility rules (a file exists only when its field is set) and
 * its exact formats — `\n` after every value except `subnet-mask`, IPv4-mapped addresses as
 * dotted quads and the rest as eight uncompressed groups, the LUN as unpadded `%x` bytes,
 * the MAC in lower case. Pure: returns relative paths and contents, writes nothing.
 *
 * Uses: the fallback when only the raw table is readable (iscsi_ibft not loaded), and
 * building fake trees in tests. Directory names come from each structure's `index`;
 * a second structure with an index already used is dropped (the kernel's kobject_add fails).
 */
import { formatIbftLun, ibftSubnetMask, type IbftAddress, type IbftTable } from './ibft.js';

/** Relative path (`target0/port`) → file content. Insertion order: acpi_header, initiator, NICs, targets. */
export type IbftSysfsFiles = Map<string, string>;

function put(out: IbftSysfsFiles, path: string, value: string | number, newline = true): void {
  out.set(path, `${value}${newline ? '\n' : ''}`);
}

function putAddress(out: IbftSysfsFiles, path: string, a: IbftAddress): void {
  if (a !== undefined) put(out, path, a);
}

/** The files of /sys/firmware/ibft for `t` (see module comment). */
export function ibftSysfsFiles(t: IbftTable): IbftSysfsFiles {
  const out: IbftSysfsFiles = new Map();
  put(out, 'acpi_header/signature', t.header.signature);
  put(out, 'acpi_header/oem_id', t.header.oemId);
  put(out, 'acpi_header/oem_table_id', t.header.oemTableId);
  const i = t.initiator;
  if (i) {
    put(out, 'initiator/index', i.index);
    put(out, 'initiator/flags', i.flags);
    putAddress(out, 'initiator/isns-server', i.isnsServer);
    putAddress(out, 'initiator/slp-server', i.slpServer);
    putAddress(out, 'initiator/pri-radius-server', i.primaryRadius);
    putAddress(out, 'initiator/sec-radius-server', i.secondaryRadius);
    if (i.name !== '') put(out, 'initiator/initiator-name', i.name);
  }
  const used = new Set<string>();
  for (const n of t.nics) {
    const d = `ethernet${n.index}`;
    if (used.has(d)) continue;
    used.add(d);
    put(out, `${d}/index`, n.index);
    put(out, `${d}/flags`, n.flags);
    putAddress(out, `${d}/ip-addr`, n.ip);
    if (n.prefixLength !== 0) {
      put(out, `${d}/prefix-len`, n.prefixLength);
      put(out, `${d}/subnet-mask`, ibftSubnetMask(n.prefixLength), false);
    }
    put(out, `${d}/origin`, n.origin);
    putAddress(out, `${d}/gateway`, n.gateway);
    putAddress(out, `${d}/primary-dns`, n.primaryDns);
    putAddress(out, `${d}/secondary-dns`, n.secondaryDns);
    putAddress(out, `${d}/dhcp`, n.dhcp);
    put(out, `${d}/vlan`, n.vlan);
    put(out, `${d}/mac`, n.mac);
    if (n.hostname !== undefined) put(out, `${d}/hostname`, n.hostname);
  }
  for (const g of t.targets) {
    const d = `target${g.index}`;
    if (used.has(d)) continue;
    used.add(d);
    put(out, `${d}/index`, g.index);
    put(out, `${d}/flags`, g.flags);
    put(out, `${d}/ip-addr`, g.ip);
    put(out, `${d}/port`, g.port);
    put(out, `${d}/lun`, formatIbftLun(g.lun));
    put(out, `${d}/nic-assoc`, g.nicAssoc);
    put(out, `${d}/chap-type`, g.chapType);
    if (g.name !== '') put(out, `${d}/target-name`, g.name);
    if (g.chapName !== undefined) {
      put(out, `${d}/chap-name`, g.chapName);
      put(out, `${d}/chap-secret`, g.chapSecret ?? '');
    }
    if (g.reverseChapName !== undefined) {
      put(out, `${d}/rev-chap-name`, g.reverseChapName);
      put(out, `${d}/rev-chap-name-secret`, g.reverseChapSecret ?? '');
    }
  }
  return out;
}
