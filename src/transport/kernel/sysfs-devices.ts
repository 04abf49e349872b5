/**
 * Offload ifaces and the SCSI devices attached to a session, read from sysfs
 * (reference §4.1). Missing directories give empty lists, missing files undefined.
 *
 *   /sys/class/iscsi_iface/<ipv4|ipv6>-iface-<host>-<num>/<attr>
 *   /sys/class/iscsi_session/session<N>/device/target<H>:<B>:<T>/<H>:<B>:<T>:<L>/
 *       state, vendor, model, rev, type, queue_depth, block/<sdX> (older kernels: block:<sdX>)
 */
import { join } from 'node:path';
import { listDir, listFiles, readAttr, toInt } from './sysfs-files.js';
import type { SysfsReader } from './sysfs.js';

export interface SysfsIface {
  /** Directory name, e.g. ipv4-iface-3-0. */
  name: string;
  hostNo: number;
  ifaceNum: number;
  family: 'ipv4' | 'ipv6';
  ipaddress?: string;
  port?: number;
  enabled?: string;
  vlanId?: number;
  /** Every attribute file of the iface (raw text), for `-m iface` and record creation. */
  attributes: Readonly<Record<string, string>>;
}

export interface SysfsScsiDevice {
  hostNo: number;
  channel: number;
  target: number;
  lun: number;
  /** "H:B:T:L" */
  hctl: string;
  /** running, offline, transport-offline, blocked, ... */
  state?: string;
  vendor?: string;
  model?: string;
  rev?: string;
  /** SCSI peripheral device type (0 = disk). */
  type?: number;
  queueDepth?: number;
  /** Block device names (sda, ...). */
  blockDevices: string[];
}

const IFACE_RE = /^(ipv4|ipv6)-iface-(\d+)-(\d+)$/;

/** Offload ifaces, optionally only those of one host, sorted by host then number then family. */
export async function readIfaces(sysfs: SysfsReader, hostNo?: number): Promise<SysfsIface[]> {
  const names = await listDir(sysfs.classDir('iscsi_iface'));
  const out: SysfsIface[] = [];
  for (const name of names) {
    const m = IFACE_RE.exec(name);
    if (m === null || (hostNo !== undefined && Number(m[2]) !== hostNo)) continue;
    const dir = sysfs.classDir('iscsi_iface', name);
    const files = (await listFiles(dir)).filter((f) => f !== 'uevent').sort();
    const attributes: Record<string, string> = {};
    for (const f of files) {
      const v = await readAttr(join(dir, f));
      if (v !== undefined) attributes[f] = v;
    }
    out.push({
      name, family: m[1] as 'ipv4' | 'ipv6', hostNo: Number(m[2]), ifaceNum: Number(m[3]),
      ipaddress: attributes.ipaddress, port: toInt(attributes.port), enabled: attributes.enabled, vlanId: toInt(attributes.vlan_id), attributes,
    });
  }
  return out.sort((a, b) => a.hostNo - b.hostNo || a.ifaceNum - b.ifaceNum || a.family.localeCompare(b.family));
}

const TARGET_RE = /^target(\d+):(\d+):(\d+)$/;
const HCTL_RE = /^(\d+):(\d+):(\d+):(\d+)$/;

async function readDevice(dir: string, m: RegExpExecArray): Promise<SysfsScsiDevice> {
  const a = (n: string): Promise<string | undefined> => readAttr(join(dir, n));
  const [state, vendor, model, rev, type, queueDepth] = await Promise.all(['state', 'vendor', 'model', 'rev', 'type', 'queue_depth'].map(a));
  const entries = await listDir(dir);
  const legacy = entries.filter((e) => e.startsWith('block:')).map((e) => e.slice('block:'.length));
  const blockDevices = [...(await listDir(join(dir, 'block'))), ...legacy].sort();
  return {
    hostNo: Number(m[1]), channel: Number(m[2]), target: Number(m[3]), lun: Number(m[4]), hctl: m[0],
    state, vendor: vendor?.trim(), model: model?.trim(), rev: rev?.trim(), type: toInt(type), queueDepth: toInt(queueDepth), blockDevices,
  };
}

/** SCSI devices (LUNs) attached to a session, sorted by target then LUN. */
export async function readSessionDevices(sysfs: SysfsReader, sid: number): Promise<SysfsScsiDevice[]> {
  const deviceDir = join(sysfs.classDir('iscsi_session', `session${sid}`), 'device');
  const out: SysfsScsiDevice[] = [];
  for (const t of await listDir(deviceDir)) {
    if (!TARGET_RE.test(t)) continue;
    for (const l of await listDir(join(deviceDir, t))) {
      const m = HCTL_RE.exec(l);
      if (m !== null) out.push(await readDevice(join(deviceDir, t, l), m));
    }
  }
  return out.sort((a, b) => a.target - b.target || a.lun - b.lun || a.channel - b.channel);
}
