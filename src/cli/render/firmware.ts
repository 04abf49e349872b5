/**
 * `iscsiadm -m fw`: one record per firmware target, as open-iscsi 2.1.8's fw_print_entry
 * prints it (usr/fwparam_ibft/fw_entry.c; reference open-iscsi.md §6.8, checked byte for
 * byte against Debian's iscsiadm in test/golden/fw-golden.test.ts):
 *
 * ```
 * # BEGIN RECORD 2.1.8
 * iface.initiatorname = …        (if set)      iface.isid = …       (if set)
 * iface.transport_name = tcp     (always)      iface.hwaddress = …  (if set)
 * iface.bootproto = DHCP|STATIC  (always: DHCP when origin is 3 or dhcp is a non-0.0.0.0 address)
 * iface.ipaddress, iface.prefix_len (if ≠ 0), iface.subnet_mask, iface.gateway,
 * iface.primary_dns, iface.secondary_dns, iface.vlan_id, iface.net_ifacename (each if set)
 * node.name (if set), node.conn[0].address (if set), node.conn[0].port (always),
 * node.session.auth.username / password / username_in / password_in (if set, in clear),
 * node.boot_lun (if set)
 * # END RECORD
 * ```
 *
 * The CHAP secrets are printed in clear because iscsiadm prints them (dracut parses
 * them); `--json` carries the same fields with the passwords masked (docs/cli-json.md rule).
 */
import { jsonDocument } from './json.js';
import { MASKED } from './text.js';
import type { Rendered } from './types.js';

/** What the firmware record shows (a boot context; field names follow open-iscsi's). */
export interface FirmwareRecordView {
  readonly initiatorName: string;
  readonly isid: string;
  readonly transport: string;
  readonly mac: string;
  readonly origin: number;
  readonly dhcp: string;
  readonly ipaddr: string;
  readonly prefix: number;
  readonly mask: string;
  readonly gateway: string;
  readonly primaryDns: string;
  readonly secondaryDns: string;
  readonly vlan: string;
  readonly iface: string;
  readonly targetName: string;
  readonly targetAddress: string;
  readonly targetPort: number;
  readonly chapName: string;
  readonly chapPassword: string;
  readonly chapNameIn: string;
  readonly chapPasswordIn: string;
  readonly lun: string;
}

/** IBFT_IP_PREFIX_ORIGIN_DHCP. */
const ORIGIN_DHCP = 3;

/** Whether the NIC was configured by DHCP (fw_entry.c dump_network). */
export function firmwareUsesDhcp(r: Pick<FirmwareRecordView, 'origin' | 'dhcp'>): boolean {
  return r.origin === ORIGIN_DHCP || (r.dhcp !== '' && r.dhcp !== '0.0.0.0');
}

function record(r: FirmwareRecordView, version: string): string[] {
  const out = [`# BEGIN RECORD ${version}`];
  const opt = (key: string, v: string): void => {
    if (v !== '') out.push(`${key} = ${v}`);
  };
  opt('iface.initiatorname', r.initiatorName);
  opt('iface.isid', r.isid);
  out.push(`iface.transport_name = ${r.transport}`);
  opt('iface.hwaddress', r.mac);
  out.push(`iface.bootproto = ${firmwareUsesDhcp(r) ? 'DHCP' : 'STATIC'}`);
  opt('iface.ipaddress', r.ipaddr);
  if (r.prefix !== 0) out.push(`iface.prefix_len = ${r.prefix}`);
  opt('iface.subnet_mask', r.mask);
  opt('iface.gateway', r.gateway);
  opt('iface.primary_dns', r.primaryDns);
  opt('iface.secondary_dns', r.secondaryDns);
  opt('iface.vlan_id', r.vlan);
  opt('iface.net_ifacename', r.iface);
  opt('node.name', r.targetName);
  opt('node.conn[0].address', r.targetAddress);
  out.push(`node.conn[0].port = ${r.targetPort}`);
  opt('node.session.auth.username', r.chapName);
  opt('node.session.auth.password', r.chapPassword);
  opt('node.session.auth.username_in', r.chapNameIn);
  opt('node.session.auth.password_in', r.chapPasswordIn);
  opt('node.boot_lun', r.lun);
  out.push('# END RECORD');
  return out;
}

/** `iscsiadm -m fw` text for these targets (in firmware order). */
export function renderFirmwareRecords(records: readonly FirmwareRecordView[], version = '2.1.8'): Rendered {
  return { stdout: records.flatMap((r) => record(r, version)), stderr: [] };
}

const masked = (p: string): string => (p === '' ? '' : MASKED);

/** The `--json` document of `-m fw` (kind `firmware.targets`; CHAP passwords masked as in every JSON document). */
export function firmwareJson(records: readonly FirmwareRecordView[]): Rendered {
  return jsonDocument('firmware.targets', {
    targets: records.map((r) => ({
      initiatorName: r.initiatorName, isid: r.isid, transport: r.transport, hwaddress: r.mac, bootproto: firmwareUsesDhcp(r) ? 'DHCP' : 'STATIC',
      ipaddress: r.ipaddr, prefixLength: r.prefix, subnetMask: r.mask, gateway: r.gateway, primaryDns: r.primaryDns, secondaryDns: r.secondaryDns,
      vlan: r.vlan, netIfaceName: r.iface, target: r.targetName, address: r.targetAddress, port: r.targetPort,
      username: r.chapName, password: masked(r.chapPassword), usernameIn: r.chapNameIn, passwordIn: masked(r.chapPasswordIn), bootLun: r.lun,
    })),
  });
}
