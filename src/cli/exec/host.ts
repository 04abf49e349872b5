/**
 * `-m host` (reference §6.7). iSCSI hosts are kernel SCSI hosts made by a kernel
 * transport (iscsi_tcp, offload drivers); usertcp sessions have none, so on a
 * usertcp-only machine this is iscsiadm's "No iSCSI hosts." (exit 21). When kernel
 * transports did make hosts, they are listed from sysfs like iscsiadm does (their
 * sessions belong to the kernel path). The offload submodes (-C chap|flashnode|stats)
 * go to the daemon's host.* methods (host-offload.ts) once the host exists in sysfs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HostCommand } from '../argv/types.js';
import { hostsJson } from '../render/json.js';
import * as msg from '../render/messages.js';
import { renderHostFlat, renderHostTree } from '../render/host.js';
import type { HostView } from '../render/types.js';
import type { ExecContext } from './context.js';
import { execHostOffload } from './host-offload.js';
import { fail, failWith } from './report.js';

function attr(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

/** The iSCSI hosts in `<sysfs>/class/iscsi_host`, by host number. */
export function readHosts(sysfs: string): HostView[] {
  let names: string[];
  try {
    names = readdirSync(join(sysfs, 'class/iscsi_host'));
  } catch {
    return [];
  }
  const hosts = names.flatMap((name): HostView[] => {
    const m = /^host(\d+)$/.exec(name);
    if (!m) return [];
    const dir = join(sysfs, 'class/iscsi_host', name);
    const scsi = join(sysfs, 'class/scsi_host', name);
    const state = attr(join(scsi, 'state'));
    return [{
      hostNumber: Number(m[1]), transport: attr(join(scsi, 'proc_name')),
      initiatorName: attr(join(dir, 'initiatorname')), ipAddress: attr(join(dir, 'ipaddress')),
      hwAddress: attr(join(dir, 'hwaddress')), netdev: attr(join(dir, 'netdev')),
      ...(state === '' ? {} : { state }), ifaces: [], sessions: [],
    }];
  });
  return hosts.sort((a, b) => a.hostNumber - b.hostNumber);
}

function selected(hosts: HostView[], ref: HostCommand['host']): HostView[] | undefined {
  if (ref === undefined) return hosts;
  if (ref.kind === 'number') return hosts.filter((h) => h.hostNumber === ref.hostNo);
  const mac = ref.mac.toLowerCase();
  const found = hosts.filter((h) => h.hwAddress.toLowerCase() === mac);
  return found.length === 0 ? undefined : found;
}

/** Run a `-m host` command; returns the exit status. */
export function execHost(cmd: HostCommand, ctx: ExecContext): number | Promise<number> {
  const hosts = readHosts(ctx.sysfs);
  const chosen = selected(hosts, cmd.host);
  if (chosen === undefined) return failWith(ctx, 7, 'Could not match MAC to host.');
  if (cmd.action === 'list') {
    ctx.io.doc(() => hostsJson(chosen));
    if (chosen.length === 0) return fail(ctx, 21, msg.noIscsiHosts());
    const level = cmd.printLevel;
    ctx.io.text(level >= 1 && level <= 4 ? renderHostTree(chosen, level as 1 | 2 | 3 | 4) : renderHostFlat(chosen));
    return 0;
  }
  const hostNo = cmd.host === undefined ? 0 : cmd.host.kind === 'number' ? cmd.host.hostNo : chosen[0]?.hostNumber ?? 0;
  // iscsi_sysfs_get_transport_by_hba: an unreadable scsi_host proc_name is reported here;
  // a readable one without an iSCSI transport is the daemon's "Could not match hostno".
  if (attr(join(ctx.sysfs, 'class/scsi_host', `host${hostNo}`, 'proc_name')) === '') {
    return failWith(ctx, 12, `Could not read proc_name for host${hostNo} rc 5.`, `Could not match hostno ${hostNo} to transport.`);
  }
  return execHostOffload(cmd, ctx, hostNo);
}
