/**
 * The sysfs reader over a temporary tree shaped like the kernel's (class links
 * into /sys/devices, reference §4): typed records, missing files undefined.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SysfsReader } from '../../../src/transport/kernel/sysfs.js';

let root: string;

/** Writes sysfs attributes (each value gets the trailing newline sysfs prints). */
function attrs(dir: string, values: Record<string, string>): void {
  mkdirSync(join(root, dir), { recursive: true });
  for (const [k, v] of Object.entries(values)) writeFileSync(join(root, dir, k), `${v}\n`);
}

function link(from: string, to: string): void {
  mkdirSync(dirname(join(root, from)), { recursive: true });
  symlinkSync(relative(dirname(join(root, from)), join(root, to)), join(root, from));
}

beforeAll(() => {
  root = mkdtempSync('/tmp/tsiscsi-sysfs-');
  attrs('sys/class/iscsi_transport/tcp', { handle: '18446744072637906944', caps: '0x39' });
  attrs('sys/class/iscsi_transport/qla4xxx', { handle: '18446744072637911040', caps: '0x48b8' });
  mkdirSync(join(root, 'sys/class/iscsi_transport/broken'), { recursive: true });

  // Session 1: the real layout, /sys/class links into /sys/devices/platform/host2/session1.
  const s1 = 'sys/devices/platform/host2/session1';
  attrs(`${s1}/iscsi_session/session1`, {
    targetname: 'iqn.2003-01.org.linux-iscsi.t:disk1', tpgt: '1', state: 'LOGGED_IN', target_state: 'SCANNED', creator: '4242',
    recovery_tmo: '120', abort_tmo: '15', lu_reset_tmo: '30', tgt_reset_tmo: '30', initiatorname: 'iqn.1993-08.org.debian:01:abc',
    ifacename: 'default', username: 'alice', initial_r2t: '0', immediate_data: '1', first_burst_len: '65536', max_burst_len: '262144',
    max_outstanding_r2t: '1', data_pdu_in_order: '1', data_seq_in_order: '1', erl: '0', isid: '00023d000001', target_id: '0',
    boot_root: '', uevent: '',
  });
  mkdirSync(join(root, `${s1}/iscsi_session/session1/password`)); // unreadable like EACCES: a directory
  link(`${s1}/iscsi_session/session1/device`, s1);
  link('sys/class/iscsi_session/session1', `${s1}/iscsi_session/session1`);
  attrs(`${s1}/connection1:0/iscsi_connection/connection1:0`, {
    persistent_address: '192.168.77.1', persistent_port: '3260', address: '192.168.77.1', port: '3260', state: 'up',
    header_digest: '1', data_digest: '0', max_recv_dlength: '262144', max_xmit_dlength: '8192', exp_statsn: '12', ping_tmo: '5', recv_tmo: '5',
  });
  link('sys/class/iscsi_connection/connection1:0', `${s1}/connection1:0/iscsi_connection/connection1:0`);
  attrs(`${s1}/target2:0:0/2:0:0:0`, { state: 'running', vendor: 'IET     ', model: 'VIRTUAL-DISK    ', rev: '0001', type: '0', queue_depth: '32' });
  mkdirSync(join(root, `${s1}/target2:0:0/2:0:0:0/block/sda`), { recursive: true });
  attrs(`${s1}/target2:0:0/2:0:0:1`, { state: 'transport-offline' });
  mkdirSync(join(root, `${s1}/target2:0:0/2:0:0:1/block:sdb`), { recursive: true });
  attrs('sys/class/iscsi_host/host2', { hwaddress: '', netdev: '', ipaddress: '', initiatorname: '' });
  attrs('sys/class/scsi_host/host2', { proc_name: 'iscsi_tcp', state: 'running' });

  // Session 2: flat directories, a firmware session without creator file, recovery off, failed conn, missing address.
  attrs('sys/class/iscsi_session/session2', { targetname: 'iqn.x:boot', state: 'FAILED', recovery_tmo: 'off', tpgt: '1' });
  mkdirSync(join(root, 'sys/class/iscsi_session/session2/device/target3:0:0'), { recursive: true });
  attrs('sys/class/iscsi_connection/connection2:0', { persistent_address: '10.0.0.1', persistent_port: '3260', state: 'failed' });
  attrs('sys/class/iscsi_session/session10', { state: 'FREE' });
  mkdirSync(join(root, 'sys/class/iscsi_session/not-a-session'), { recursive: true });

  // Offload host 5 with ifaces.
  attrs('sys/class/iscsi_host/host5', { hwaddress: '00:0e:1e:00:00:01', ipaddress: '10.0.0.5', netdev: 'eth3', port_state: 'LINK UP', port_speed: '10 Gbps' });
  attrs('sys/class/scsi_host/host5', { proc_name: 'qla4xxx', state: 'running' });
  attrs('sys/class/iscsi_iface/ipv4-iface-5-0', { ipaddress: '10.0.0.5', port: '3260', enabled: 'enabled', vlan_id: '100', uevent: 'x' });
  attrs('sys/class/iscsi_iface/ipv6-iface-5-0', { ipaddress: 'fe80::1', enabled: 'disabled' });
  attrs('sys/class/iscsi_iface/ipv4-iface-6-1', { ipaddress: '10.0.1.5' });
  attrs('sys/module/scsi_transport_iscsi', { version: '2.0-870' });
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('SysfsReader', () => {
  it('transports with handle (u64) and caps (hex); a directory without files still lists', async () => {
    const r = new SysfsReader(root);
    expect(await r.transports()).toEqual([
      { name: 'broken', handle: undefined, caps: undefined },
      { name: 'qla4xxx', handle: 18446744072637911040n, caps: 0x48b8 },
      { name: 'tcp', handle: 18446744072637906944n, caps: 0x39 },
    ]);
    expect(await r.transport('iser')).toBeUndefined();
    expect(await r.transport('tcp')).toMatchObject({ caps: 0x39 });
  });

  it('sessions: ids sorted numerically; typed attributes; host number from the device path', async () => {
    const r = new SysfsReader(root);
    expect(await r.sessionIds()).toEqual([1, 2, 10]);
    expect(await r.session(1)).toMatchObject({
      sid: 1, hostNo: 2, targetName: 'iqn.2003-01.org.linux-iscsi.t:disk1', tpgt: 1, state: 'LOGGED_IN', targetState: 'SCANNED',
      creator: 4242, recoveryTmo: 120, abortTmo: 15, luResetTmo: 30, tgtResetTmo: 30, ifaceName: 'default', username: 'alice',
      password: undefined, initialR2T: false, immediateData: true, firstBurstLen: 65536, maxBurstLen: 262144, maxOutstandingR2T: 1,
      dataPduInOrder: true, dataSeqInOrder: true, erl: 0, isid: '00023d000001', targetId: 0, bootRoot: '', usernameIn: undefined,
    });
  });

  it('a session with missing files: undefined fields, recovery_tmo "off" as -1, host from a target<H>: child', async () => {
    const s = await new SysfsReader(root).session(2);
    expect(s).toMatchObject({ sid: 2, hostNo: 3, state: 'FAILED', recoveryTmo: -1, creator: undefined, abortTmo: undefined });
    expect(await new SysfsReader(root).session(99)).toBeUndefined();
    expect((await new SysfsReader(root).sessions()).map((x) => x.sid)).toEqual([1, 2, 10]);
  });

  it('connections: addresses, state, digests from 0/1, kernel NOP support from ping_tmo', async () => {
    const r = new SysfsReader(root);
    expect(await r.connectionIds(1)).toEqual([0]);
    expect(await r.connection(1)).toMatchObject({
      sid: 1, cid: 0, persistentAddress: '192.168.77.1', persistentPort: 3260, address: '192.168.77.1', port: 3260, state: 'up',
      headerDigest: 'CRC32C', dataDigest: 'None', maxRecvDlength: 262144, maxXmitDlength: 8192, expStatSN: 12, pingTmo: 5, kernelNops: true,
    });
    expect(await r.connection(2)).toMatchObject({ state: 'failed', address: undefined, port: undefined, kernelNops: false });
    expect(await r.connection(1, 1)).toBeUndefined();
  });

  it('hosts: iscsi_host and scsi_host attributes, transport from proc_name', async () => {
    const r = new SysfsReader(root);
    expect(await r.hostNumbers()).toEqual([2, 5]);
    expect(await r.host(2)).toMatchObject({ hostNo: 2, procName: 'iscsi_tcp', transportName: 'tcp', scsiState: 'running', netdev: '' });
    expect(await r.host(5)).toMatchObject({ transportName: 'qla4xxx', hwaddress: '00:0e:1e:00:00:01', portState: 'LINK UP', portSpeed: '10 Gbps' });
    expect(await r.host(42)).toBeUndefined();
  });

  it('ifaces: parsed names, typed fields, every attribute but uevent', async () => {
    const r = new SysfsReader(root);
    const all = await r.ifaces();
    expect(all.map((i) => i.name)).toEqual(['ipv4-iface-5-0', 'ipv6-iface-5-0', 'ipv4-iface-6-1']);
    expect(all[0]).toMatchObject({ hostNo: 5, ifaceNum: 0, family: 'ipv4', ipaddress: '10.0.0.5', port: 3260, vlanId: 100, enabled: 'enabled' });
    expect(Object.keys(all[0]!.attributes)).toEqual(['enabled', 'ipaddress', 'port', 'vlan_id']);
    expect((await r.ifaces(6)).map((i) => i.name)).toEqual(['ipv4-iface-6-1']);
  });

  it('attached SCSI devices: H:B:T:L, state, trimmed inquiry strings, block devices (new and legacy layout)', async () => {
    const r = new SysfsReader(root);
    expect(await r.devices(1)).toEqual([
      { hostNo: 2, channel: 0, target: 0, lun: 0, hctl: '2:0:0:0', state: 'running', vendor: 'IET', model: 'VIRTUAL-DISK', rev: '0001', type: 0, queueDepth: 32, blockDevices: ['sda'] },
      { hostNo: 2, channel: 0, target: 0, lun: 1, hctl: '2:0:0:1', state: 'transport-offline', vendor: undefined, model: undefined, rev: undefined, type: undefined, queueDepth: undefined, blockDevices: ['sdb'] },
    ]);
    expect(await r.devices(2)).toEqual([]);
    expect(await r.devices(77)).toEqual([]);
  });

  it('an empty root gives empty lists and undefined, never an exception', async () => {
    const r = new SysfsReader(join(root, 'nothing-here'));
    expect(await r.transports()).toEqual([]);
    expect(await r.sessions()).toEqual([]);
    expect(await r.ifaces()).toEqual([]);
    expect(await r.transportClassVersion()).toBeUndefined();
    expect(await new SysfsReader(root).transportClassVersion()).toBe('2.0-870');
  });
});
