/**
 * Offload transports in the daemon (docs/kernel-offload.md §5) against the fake kernel
 * (requests parsed with its own offsets, reference §3.3) and a fake sysfs/proc tree:
 *
 * - a login on a bnx2i iface bound by hwaddress: the channel joins groups 1+2,
 *   EP_CONNECT_THROUGH_HOST on the HBA host, CREATE_BOUND_SESSION, BIND_CONN(ep),
 *   SET_HOST_PARAM IPADDRESS, login through SEND_PDU, START_CONN; session.list / -s show
 *   it like a kernel tcp session; logout through SEND_PDU and the teardown;
 * - PATH_REQ on group 2 is answered with PATH_UPDATE while iscsiuio is not running;
 * - qla4xxx: the firmware login (CONN_LOGIN_STATE);
 * - SendTargets through a CAP_TEXT_NEGO offload iface: a kernel discovery session on the
 *   iface's host, Text PDUs through SEND_PDU, the records created for that iface;
 * - errors: transport absent (12, no request sent), no host with the iface's hwaddress (23).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IfaceBinding, OffloadPaths } from '../../../src/daemon/kernel-offload-path.js';
import { KernelPath, type KernelPathOptions } from '../../../src/daemon/kernel-path.js';
import { systemClock } from '../../../src/shared/clock.js';
import { nullLogger } from '../../../src/shared/logger.js';
import { TRANSPORTS } from '../../../src/transport/kernel/transports.js';
import { FakeKernel } from '../../support/fake-kernel/index.js';
import { raw, rd16, rd32, rd64, sockaddrIn, struct, u16, u32, u64 } from '../../support/fake-kernel/dsl.js';
import { T } from '../../support/fake-kernel/types.js';
import { loginResponse, logoutResponse, textData } from '../../support/pdu-builder.js';
import { textResponse } from '../../support/pdu-builder-target.js';
import { FakeTarget, standardTarget } from '../../support/fake-target/index.js';
import { invalidEvents, startDaemon, TEST_CONF, type TestDaemon } from './helpers.js';
import { offloadKernelOpts, playTarget as answerAsTarget, readTree, until, writeTree } from './kernel-fixture.js';

const TARGET = 'iqn.2026-11.test.tsiscsi:offload';
const IFACE = 'bnx2i.00:10:18:aa:bb:cc';
const ARP = 'IP address       HW type     Flags       HW address            Mask     Device\n'
  + '10.0.0.5         0x1         0x2         00:11:22:33:44:55     *        eth1\n';

let root: string;
let k: FakeKernel;
let d: TestDaemon | undefined;
const opened: number[][] = [];

const tree = (files: Record<string, string>): void => writeTree(root, files);
const read = (p: string): string => readTree(root, p);

const kernelOpts = (): KernelPathOptions => offloadKernelOpts(root, k, opened);

/** The fake kernel plays the target for PDUs sent through SEND_PDU, answering with the kernel's ITT. */
function playTarget(): void {
  k.rewriteSendPduItt = true;
  answerAsTarget(k, { tsih: 0x31, maxCmdSN: 32, login: { statSN: 700, expCmdSN: 1 }, logout: { statSN: 701, expCmdSN: 2 } });
}

beforeEach(() => {
  root = mkdtempSync('/tmp/tsi-koff-');
  opened.length = 0;
  k = new FakeKernel({ firstSid: 9, hosts: [{ hostNo: 6, transport: 'bnx2i' }, { hostNo: 7, transport: 'qla4xxx' }] });
  tree({
    'sys/class/iscsi_transport/tcp/handle': `${k.transport('tcp').handle}\n`, 'sys/class/iscsi_transport/tcp/caps': '0x39\n',
    'sys/class/iscsi_transport/bnx2i/handle': `${k.transport('bnx2i').handle}\n`, 'sys/class/iscsi_transport/bnx2i/caps': '0x8b9\n',
    'sys/class/iscsi_host/host6/hwaddress': '00:10:18:AA:BB:CC\n', 'sys/class/scsi_host/host6/proc_name': 'bnx2i\n', 'sys/class/scsi_host/host6/state': 'running\n',
    'sys/class/scsi_host/host6/scan': '',
    'sys/class/iscsi_host/host7/hwaddress': '00:c0:dd:08:63:e8\n', 'sys/class/scsi_host/host7/proc_name': 'qla4xxx\n',
    'sys/module/scsi_transport_iscsi/version': '2.0-870\n',
    'proc/net/arp': ARP, 'proc/net/unix': 'Num       RefCount Protocol Flags    Type St Inode Path\n',
  });
});

afterEach(async () => {
  await d?.stop();
  d = undefined;
  rmSync(root, { recursive: true, force: true });
});

async function daemonWith(iface: string, values: Record<string, string>, conf = ''): Promise<TestDaemon> {
  d = await startDaemon({ conf: `${TEST_CONF}\n${conf}`, deps: { kernel: kernelOpts() } });
  await d.call('iface.new', { name: iface, values });
  await d.call('node.new', { target: TARGET, address: '10.0.0.5', port: 3260, tpgt: 1, ifaces: [iface] });
  return d;
}

const BNX2I = { 'iface.transport_name': 'bnx2i', 'iface.hwaddress': '00:10:18:aa:bb:cc', 'iface.ipaddress': '10.0.0.9', 'iface.subnet_mask': '255.255.255.0' };
const types = (from = 0): number[] => k.received.slice(from).map((r) => r.type);

interface LoginOut { firstErrno: number; results: Array<{ sids: number[]; error?: { code: string; errno: number; message: string } }> }

describe('daemon login on an offload transport (bnx2i bound by hwaddress)', () => {
  it('EP_CONNECT_THROUGH_HOST on the iface\'s host, CREATE_BOUND_SESSION, BIND_CONN(ep), login via SEND_PDU; listed like a kernel session; logout tears down', async () => {
    playTarget();
    await daemonWith(IFACE, BNX2I);
    const login = await d!.call<LoginOut>('node.login', { target: TARGET });
    expect(login.firstErrno, JSON.stringify(login.results)).toBe(0);
    expect(login.results[0]!.sids).toEqual([9]);
    expect(k.violations).toEqual([]);
    expect(opened).toEqual([[1, 2]]); // bnx2i uses iscsiuio: group 2 joined for PATH_REQ
    const seq = types();
    expect(seq.slice(0, 6)).toEqual([T.EP_CONNECT_THROUGH_HOST, T.EP_POLL, T.CREATE_BOUND_SESSION, T.CREATE_CONN, T.BIND_CONN, T.SET_PARAM]);
    expect(seq.at(-1)).toBe(T.START_CONN);
    const bnx = k.transport('bnx2i').handle;
    expect(k.received.every((r) => r.handle === bnx)).toBe(true);
    const ep = k.received[0]!;
    expect([rd32(ep.u, 0), rd32(ep.u, 4)]).toEqual([6, 1]); // host_no @16 = the host whose hwaddress matches (case-insensitive), non_blocking @20
    expect(ep.payload).toEqual(sockaddrIn([10, 0, 0, 5], 3260));
    const cbs = k.received.find((r) => r.type === T.CREATE_BOUND_SESSION)!;
    const epHandle = rd64(cbs.u, 0);
    expect(rd64(k.received.find((r) => r.type === T.BIND_CONN)!.u, 8)).toBe(epHandle);
    expect([rd16(cbs.u, 12), rd16(cbs.u, 14)]).toEqual([128, 32]); // cmds_max, queue_depth from the record
    const ip = k.received.find((r) => r.type === T.SET_HOST_PARAM && rd32(r.u, 4) === 3)!;
    expect([rd32(ip.u, 0), ip.payload.toString('latin1')]).toEqual([6, '10.0.0.9\0']);
    expect(seq.indexOf(T.SET_HOST_PARAM)).toBeLessThan(seq.indexOf(T.SEND_PDU));
    expect(k.mustSession(9).conns.get(0)?.state).toBe('up');

    tree({
      'sys/class/iscsi_session/session9/device/target6:0:0/6:0:0:0/state': 'running\n',
      'sys/class/iscsi_session/session9/device/target6:0:0/6:0:0:0/type': '0\n',
      'sys/class/iscsi_session/session9/device/target6:0:0/6:0:0:0/block/sdd/': '',
    });
    const list = await d!.call<{ sessions: Array<Record<string, unknown>>; versions: { transportClass: string | null } }>('session.list', {});
    expect(list.versions.transportClass).toBe('2.0-870');
    expect(list.sessions[0]).toMatchObject({
      sid: 9, dataPath: 'kernel:bnx2i', tsih: 0x31, tpgt: 1, states: { connection: 'LOGGED IN', session: 'LOGGED_IN' },
      scsi: { hostNumber: 6, hostState: 'running', luns: [{ lun: 0, blockDevice: 'sdd', state: 'running' }] },
    });
    const stats = await d!.call<{ stats: Array<{ counters: Array<[string, number]> }> }>('session.stats', { sid: 9 });
    expect(stats.stats[0]!.counters).toHaveLength(21);
    expect(types().at(-1)).toBe(T.GET_STATS);

    const from = k.received.length;
    const out = await d!.call<{ results: Array<{ sid: number; error?: unknown }> }>('session.logout', { sid: 9 });
    expect(out.results[0]!.error).toBeUndefined();
    expect(types(from)).toEqual([T.SEND_PDU, T.STOP_CONN, T.EP_DISCONNECT, T.DESTROY_CONN, T.DESTROY_SESSION]);
    expect((k.sentPdus.at(-1)!.header[0] ?? 0) & 0x3f).toBe(0x06);
    expect(rd64(k.received.find((r) => r.type === T.EP_DISCONNECT)!.u, 0)).toBe(epHandle);
    expect(k.sessions.size).toBe(0);
    expect(k.endpoints.size).toBe(0);
    expect((await d!.call<{ sessions: unknown[] }>('session.list', {})).sessions).toEqual([]);
    expect(invalidEvents(d!.events)).toEqual([]);
  });

  it('answers PATH_REQ on group 2 with PATH_UPDATE from the iface and /proc/net/arp while iscsiuio is not running', async () => {
    playTarget();
    await daemonWith(IFACE, { ...BNX2I, 'iface.vlan_id': '12', 'iface.mtu': '9000' });
    expect((await d!.call<LoginOut>('node.login', { target: TARGET })).firstErrno).toBe(0);
    k.pathReq(6, struct(64, u64(0, 0x77), u32(20, 4), raw(40, [10, 0, 0, 5])));
    await until(() => k.hosts.get(6)!.paths.length > 0, 5000);
    expect(k.hosts.get(6)!.paths).toEqual([
      struct(64, u64(0, 0x77), raw(8, [0x00, 0x11, 0x22, 0x33, 0x44, 0x55]), u32(20, 4), raw(24, [10, 0, 0, 9]), raw(40, [10, 0, 0, 5]), u16(56, 12), u16(58, 9000)),
    ]);
    expect(rd32(k.received.find((r) => r.type === T.PATH_UPDATE)!.u, 0)).toBe(6);
  });

  it('does not answer PATH_REQ when iscsiuio runs (its abstract socket is in /proc/net/unix)', async () => {
    tree({ 'proc/net/unix': 'Num       RefCount Protocol Flags    Type St Inode Path\n0000: 00000002 00000000 00010000 0001 01 3345 @ISCSID_UIP_ABSTRACT_NAMESPACE\n' });
    playTarget();
    await daemonWith(IFACE, BNX2I);
    expect((await d!.call<LoginOut>('node.login', { target: TARGET })).firstErrno).toBe(0);
    k.pathReq(6, struct(64, u64(0, 0x78), u32(20, 4), raw(40, [10, 0, 0, 5])));
    await new Promise((r) => setTimeout(r, 100));
    expect(types()).not.toContain(T.PATH_UPDATE);
  });
});

describe('offload session recovery after CONN_ERROR', () => {
  it('STOP_CONN(RECOVER), EP_DISCONNECT of the old endpoint, a failed reconnect (login.failed), then a new endpoint bound to the same connection; devices back to running', async () => {
    playTarget();
    await daemonWith(IFACE, BNX2I);
    expect((await d!.call<LoginOut>('node.login', { target: TARGET })).firstErrno).toBe(0);
    const oldEp = rd64(k.received.find((r) => r.type === T.CREATE_BOUND_SESSION)!.u, 0);
    tree({
      'sys/class/iscsi_session/session9/device/target6:0:0/6:0:0:0/state': 'offline\n',
      'sys/class/scsi_device/6:0:0:0/device/state': 'offline\n', 'sys/class/scsi_host/host6/scan': '',
    });
    const from = k.received.length;
    const n = d!.events.length;
    k.failNext(T.EP_CONNECT_THROUGH_HOST, 12, 1); // the first reconnect fails (-ENOMEM)
    k.connError(9, 0, 1011);
    await d!.waitEvent((e) => e.type === 'session.recovered', 20_000);
    const seq = types(from);
    expect(seq.slice(0, 4)).toEqual([T.STOP_CONN, T.EP_DISCONNECT, T.EP_CONNECT_THROUGH_HOST, T.STOP_CONN]);
    expect(k.received[from]!.u.readUInt32LE(16)).toBe(3); // STOP_CONN_RECOVER
    expect(rd64(k.received[from + 1]!.u, 0)).toBe(oldEp);
    expect(seq).not.toContain(T.CREATE_BOUND_SESSION);
    const bind = k.received.slice(from).find((r) => r.type === T.BIND_CONN)!;
    const newEp = rd64(bind.u, 8);
    expect(newEp).not.toBe(oldEp);
    expect([rd32(bind.u, 0), rd32(bind.u, 4)]).toEqual([9, 0]); // same session and connection
    expect(seq.indexOf(T.SEND_PDU)).toBeGreaterThan(seq.indexOf(T.BIND_CONN));
    expect(seq.at(-1)).toBe(T.START_CONN);
    expect(k.sentPdus.at(-1)!.header.subarray(8, 14)).toEqual(k.sentPdus[0]!.header.subarray(8, 14)); // same ISID: reinstatement
    expect(k.mustSession(9).conns.get(0)?.state).toBe('up');
    expect(k.violations).toEqual([]);
    const ev = d!.events.slice(n);
    expect(ev.filter((e) => e.type === 'session.state').map((e) => [e.from, e.to, e.trigger])).toEqual([
      ['LOGGED_IN', 'REOPEN', 'connection-lost'], ['REOPEN', 'LOGGED_IN', 'login-ok'],
    ]);
    expect(ev.filter((e) => e.type === 'login.failed').map((e) => [e.attempt, e.final])).toEqual([[1, false]]);
    expect(ev.find((e) => e.type === 'connection.error')).toMatchObject({ sid: 9, code: 'KERNEL_CONN_ERROR' });
    await until(() => read('sys/class/scsi_host/host6/scan') !== '', 5000);
    expect(read('sys/class/scsi_device/6:0:0:0/device/state')).toBe('running\n');
    expect(read('sys/class/scsi_host/host6/scan')).toBe('- - -');
    const from2 = k.received.length;
    await d!.call('session.logout', { sid: 9 });
    expect(types(from2)).toEqual([T.SEND_PDU, T.STOP_CONN, T.EP_DISCONNECT, T.DESTROY_CONN, T.DESTROY_SESSION]);
    expect(rd64(k.received[from2 + 2]!.u, 0)).toBe(newEp);
    expect(invalidEvents(d!.events)).toEqual([]);
  }, 30_000);
});

describe('offload session: reopen_max reached', () => {
  it('each failed reconnect is a login.failed (the last final), then FAILED (login-failed) and session.gave-up; the session can still be logged out', async () => {
    playTarget();
    await daemonWith(IFACE, BNX2I, 'node.session.reopen_max = 2');
    expect((await d!.call<LoginOut>('node.login', { target: TARGET })).firstErrno).toBe(0);
    const n = d!.events.length;
    k.failNext(T.EP_CONNECT_THROUGH_HOST, 12, 100); // every reconnect fails (-ENOMEM)
    k.connError(9, 0, 1011);
    const gaveUp = await d!.waitEvent((e) => e.type === 'session.gave-up', 20_000);
    const ev = d!.events.slice(n);
    const failed = ev.filter((e) => e.type === 'login.failed');
    expect(failed.map((e) => [e.attempt, e.final])).toEqual([[1, false], [2, true]]);
    expect(gaveUp).toMatchObject({ sid: 9, why: 'reopen_max reached', code: failed[1]!.code, action: 'log the session out: tsiscsiadm -m session -r 9 -u' });
    expect(ev.filter((e) => e.type === 'session.state').map((e) => [e.from, e.to, e.trigger, e.cause])).toEqual([
      ['LOGGED_IN', 'REOPEN', 'connection-lost', 'KERNEL_CONN_ERROR'], ['REOPEN', 'FAILED', 'login-failed', failed[1]!.code],
    ]);
    const out = await d!.call<{ results: Array<{ error?: unknown }> }>('session.logout', { sid: 9 });
    expect(out.results[0]!.error).toBeUndefined();
    expect(invalidEvents(d!.events)).toEqual([]);
  }, 30_000);
});

describe('qla4xxx: the firmware logs in (CAP_LOGIN_OFFLOAD)', () => {
  it('START_CONN then CONN_LOGIN_STATE LOGGED_IN; no login PDU; logout without SEND_PDU; the channel stays on group 1', async () => {
    tree({ 'sys/class/iscsi_transport/qla4xxx/handle': `${k.transport('qla4xxx').handle}\n`, 'sys/class/iscsi_transport/qla4xxx/caps': '0x48b8\n' });
    await daemonWith('qla4xxx.00:c0:dd:08:63:e8', { 'iface.transport_name': 'qla4xxx', 'iface.hwaddress': '00:c0:dd:08:63:e8' });
    const login = await d!.call<LoginOut>('node.login', { target: TARGET });
    expect(login.firstErrno, JSON.stringify(login.results)).toBe(0);
    expect(opened).toEqual([[1]]);
    expect(k.sentPdus).toEqual([]);
    expect(rd32(k.received[0]!.u, 0)).toBe(7); // host_no @16
    expect(types().at(-1)).toBe(T.START_CONN);
    const list = await d!.call<{ sessions: Array<Record<string, unknown>> }>('session.list', {});
    expect(list.sessions[0]).toMatchObject({ dataPath: 'kernel:qla4xxx', scsi: { hostNumber: 7 } });
    const from = k.received.length;
    await d!.call('session.logout', { sid: login.results[0]!.sids[0] });
    expect(types(from)).toEqual([T.STOP_CONN, T.EP_DISCONNECT, T.DESTROY_CONN, T.DESTROY_SESSION]);
  });

  it('a firmware login ending in FREE fails the login with OFFLOAD_LOGIN_FAILED and undoes the kernel objects', async () => {
    tree({ 'sys/class/iscsi_transport/qla4xxx/handle': `${k.transport('qla4xxx').handle}\n`, 'sys/class/iscsi_transport/qla4xxx/caps': '0x48b8\n' });
    k.offloadLoginState = 1; // FREE
    await daemonWith('qla4xxx.00:c0:dd:08:63:e8', { 'iface.transport_name': 'qla4xxx', 'iface.hwaddress': '00:c0:dd:08:63:e8' }, 'node.conn[0].timeo.login_timeout = 1');
    const login = await d!.call<LoginOut>('node.login', { target: TARGET });
    expect(login.results[0]!.error).toMatchObject({ code: 'OFFLOAD_LOGIN_FAILED', errno: 5 });
    expect(k.sessions.size).toBe(0);
    expect(k.endpoints.size).toBe(0);
    expect(d!.events.filter((e) => e.type === 'login.failed').at(-1)).toMatchObject({ final: true, code: 'OFFLOAD_LOGIN_FAILED' });
  });
});

describe('offload login errors', () => {
  it('transport absent from /sys/class/iscsi_transport: TRANSPORT_NOT_FOUND, errno 12, nothing sent to the kernel, no usertcp fallback', async () => {
    await daemonWith('cxgb4i.00:07:43:05:97:07', { 'iface.transport_name': 'cxgb4i', 'iface.hwaddress': '00:07:43:05:97:07' });
    const login = await d!.call<LoginOut>('node.login', { target: TARGET });
    expect(login.firstErrno).toBe(12);
    expect(login.results[0]!.error).toMatchObject({
      code: 'TRANSPORT_NOT_FOUND', errno: 12,
      message: 'Could not find transport cxgb4i: /sys/class/iscsi_transport/cxgb4i is missing; load the driver with: modprobe cxgb4i (iface cxgb4i.00:07:43:05:97:07)',
    });
    expect(k.received).toEqual([]);
    expect(opened).toEqual([]);
  });

  it('no host of the transport has the iface\'s hwaddress: OFFLOAD_HOST_NOT_FOUND, errno 23, no EP_CONNECT', async () => {
    await daemonWith('bnx2i.00:10:18:00:00:01', { ...BNX2I, 'iface.hwaddress': '00:10:18:00:00:01' });
    const login = await d!.call<LoginOut>('node.login', { target: TARGET });
    expect(login.results[0]!.error).toMatchObject({ code: 'OFFLOAD_HOST_NOT_FOUND', errno: 23 });
    expect(types()).toEqual([]);
  });

  it('EP_CONNECT refused by the driver (-ENOMEM): retried within the initial-login budget, then a typed kernel error naming the request', async () => {
    await daemonWith(IFACE, BNX2I, 'node.conn[0].timeo.login_timeout = 1');
    k.failNext(T.EP_CONNECT_THROUGH_HOST, 12, 1000);
    const login = await d!.call<LoginOut>('node.login', { target: TARGET });
    expect(login.results[0]!.error?.message).toMatch(/EP_CONNECT_THROUGH_HOST/);
    expect(types().length).toBeGreaterThan(1);
    expect(types().every((t) => t === T.EP_CONNECT_THROUGH_HOST)).toBe(true);
    const failed = d!.events.filter((e) => e.type === 'login.failed');
    expect(failed.length).toBe(types().length);
    expect(failed.map((e) => e.final)).toEqual([...failed.slice(1).map(() => false), true]);
    expect(k.sessions.size).toBe(0);
    expect(invalidEvents(d!.events)).toEqual([]);
  });
});

describe('SendTargets discovery through an offload iface (CAP_TEXT_NEGO: through the kernel)', () => {
  it('kernel discovery session on the iface host (DISCOVERY_SESS=1, cmds_max 32, queue_depth 1); SendTargets=All via SEND_PDU; records for the iface', async () => {
    const answer = `TargetName=${TARGET}\0TargetAddress=10.0.0.5:3260,1\0`;
    k.rewriteSendPduItt = true;
    k.onSendPdu = ({ sid, cid, header, data }) => {
      const op = (header[0] ?? 0) & 0x3f;
      const itt = header.readUInt32BE(16);
      const w = { statSN: 0, expCmdSN: 1, maxCmdSN: 1 };
      const reply = op === 0x03
        ? loginResponse({ ...w, transit: true, cont: false, csg: 1, nsg: 3, versionMax: 0, versionActive: 0, isid: header.subarray(8, 14), tsih: 9, itt, statusClass: 0, statusDetail: 0,
          data: textData([['HeaderDigest', 'None'], ['DataDigest', 'None'], ['DefaultTime2Wait', '2'], ['DefaultTime2Retain', '0'], ['ErrorRecoveryLevel', '0'], ['MaxRecvDataSegmentLength', '8192']]) })
        : op === 0x04
          ? textResponse({ ...w, statSN: 1, final: true, cont: false, lun: Buffer.alloc(8), itt, ttt: 0xffffffff, data: Buffer.from(data.toString('latin1') === 'SendTargets=All\0' ? answer : '', 'latin1') })
          : logoutResponse({ ...w, statSN: 2, response: 0, itt, time2Wait: 0, time2Retain: 0 });
      k.recvPdu(sid, cid, reply.bhs, reply.data);
    };
    d = await startDaemon({ conf: TEST_CONF, deps: { kernel: kernelOpts() } });
    await d.call('iface.new', { name: IFACE, values: BNX2I });
    const r = await d.call<{ portals: Array<{ target: string; iface: string }>; firstErrno: number }>('discovery.sendtargets', { address: '10.0.0.5', port: 3260, ifaces: [IFACE] });
    expect(r.firstErrno).toBe(0);
    expect(r.portals).toEqual([expect.objectContaining({ target: TARGET, address: '10.0.0.5', port: 3260, tpgt: 1, iface: IFACE })]);
    expect(k.violations).toEqual([]);
    const seq = types();
    expect(seq.slice(0, 3)).toEqual([T.EP_CONNECT_THROUGH_HOST, T.EP_POLL, T.CREATE_BOUND_SESSION]);
    expect(rd32(k.received[0]!.u, 0)).toBe(6);
    const cbs = k.received.find((x) => x.type === T.CREATE_BOUND_SESSION)!;
    expect([rd32(cbs.u, 8), rd16(cbs.u, 12), rd16(cbs.u, 14)]).toEqual([1, 32, 1]);
    expect(k.received.find((x) => x.type === T.SET_PARAM && rd32(x.u, 8) === 43)!.payload.toString('latin1')).toBe('1\0'); // DISCOVERY_SESS
    expect(k.sentPdus.map((p) => (p.header[0] ?? 0) & 0x3f)).toEqual([0x03, 0x04, 0x06]);
    expect(k.sentPdus[0]!.data.toString('latin1')).toContain('SessionType=Discovery\0');
    expect(seq.slice(-4)).toEqual([T.STOP_CONN, T.EP_DISCONNECT, T.DESTROY_CONN, T.DESTROY_SESSION]);
    expect(k.sessions.size).toBe(0);
  });

  it('an offload transport without CAP_TEXT_NEGO discovers in userspace (TCP, no kernel request)', async () => {
    const target = await FakeTarget.start(standardTarget({ targets: [{ name: TARGET, luns: [{ lun: 1 }] }] }));
    try {
      tree({ 'sys/class/iscsi_transport/cxgb4i/handle': '18446744072637915136\n', 'sys/class/iscsi_transport/cxgb4i/caps': '0x3039\n' });
      d = await startDaemon({ conf: TEST_CONF, deps: { kernel: kernelOpts() } });
      await d.call('iface.new', { name: 'cxgb4i.00:07:43:05:97:07', values: { 'iface.transport_name': 'cxgb4i', 'iface.hwaddress': '00:07:43:05:97:07' } });
      const r = await d.call<{ firstErrno: number; portals: Array<{ target: string; iface: string }> }>('discovery.sendtargets', { address: '127.0.0.1', port: target.port, ifaces: ['cxgb4i.00:07:43:05:97:07'] });
      expect(r.firstErrno).toBe(0);
      expect(r.portals.map((p) => [p.target, p.iface])).toEqual([[TARGET, 'cxgb4i.00:07:43:05:97:07']]);
      expect(k.received).toEqual([]);
      expect(opened).toEqual([]); // the caps came from sysfs; no channel was needed
      expect(d.logs.some((l) => /SendTargets discovery: cxgb4i lacks CAP_TEXT_NEGO/.test(l.msg ?? ''))).toBe(true);
    } finally {
      await target.stop();
    }
  });

  it('an absent offload transport fails discovery with TRANSPORT_NOT_FOUND (errno 12); nothing reaches the kernel', async () => {
    d = await startDaemon({ conf: TEST_CONF, deps: { kernel: kernelOpts() } });
    await d.call('iface.new', { name: 'cxgb4i.00:07:43:05:97:07', values: { 'iface.transport_name': 'cxgb4i', 'iface.hwaddress': '00:07:43:05:97:07' } });
    const err = await d.fail('discovery.sendtargets', { address: '10.0.0.5', port: 3260, ifaces: ['cxgb4i.00:07:43:05:97:07'] });
    expect([err.code, err.errno]).toEqual(['TRANSPORT_NOT_FOUND', 12]);
    expect(k.received).toEqual([]);
    expect(opened).toEqual([]);
  });

});

describe('iface → HBA host (iscsid iscsi_sysfs_get_host_no_from_hwinfo)', () => {
  const paths = (): OffloadPaths => new KernelPath({ root, availability: () => ({ available: true }) }, nullLogger, systemClock).offload;
  const bind = (over: Partial<IfaceBinding>): IfaceBinding => ({ name: 'i', hwaddress: '', netdev: '', ipaddress: '', ...over });

  it.each([
    ['hwaddress, any case', { hwaddress: '00:10:18:aa:BB:cc' }, 6],
    ['netdev when no hwaddress', { netdev: 'eth9' }, 6],
    ['ipaddress when neither', { ipaddress: '10.0.0.9' }, 6],
    ['hwaddress wins over a non-matching netdev', { hwaddress: '00:10:18:aa:bb:cc', netdev: 'nope' }, 6],
  ])('%s', async (_t, over, host) => {
    tree({ 'sys/class/iscsi_host/host6/netdev': 'eth9\n', 'sys/class/iscsi_host/host6/ipaddress': '10.0.0.9\n' });
    expect(await paths().hostFor(TRANSPORTS.bnx2i, bind(over))).toBe(host);
  });

  it('a host of another transport never matches; an unbound iser iface needs no host; an unbound bnx2i iface is error 23', async () => {
    const p = paths();
    await expect(p.hostFor(TRANSPORTS.bnx2i, bind({ hwaddress: '00:c0:dd:08:63:e8' }))).rejects.toMatchObject({ code: 'OFFLOAD_HOST_NOT_FOUND', errno: 23 });
    expect(await p.hostFor(TRANSPORTS.iser, bind({}))).toBeUndefined();
    expect(await p.hostFor(TRANSPORTS.iser, bind({ hwaddress: 'default' }))).toBeUndefined();
    await expect(p.hostFor(TRANSPORTS.bnx2i, bind({}))).rejects.toMatchObject({ code: 'OFFLOAD_IFACE_NOT_BOUND', errno: 23 });
  });
});

describe('daemon stop', () => {
  it('leaves a logged-in offload session running in the kernel (no logout, no teardown), as iscsid does', async () => {
    playTarget();
    await daemonWith(IFACE, BNX2I);
    expect((await d!.call<LoginOut>('node.login', { target: TARGET })).firstErrno).toBe(0);
    const from = k.received.length;
    await d!.stop();
    d = undefined;
    expect(types(from)).toEqual([]);
    expect(k.mustSession(9).conns.get(0)?.state).toBe('up');
  });
});
