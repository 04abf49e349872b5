/**
 * The daemon on the kernel iscsi_tcp data path (issue 6 §2–§4), against the fake kernel
 * (test/support/fake-kernel, checked with the bytes it parsed on its own), a fake sysfs
 * tree in a temp dir, and the fake target for the first login on our own socket:
 *
 * - login → hand-over; the daemon sid is the kernel's session number; session.list shows
 *   the kernel host and disk from sysfs; session.stats the kernel's GET_STATS counters;
 *   logout → UNBIND_SESSION, SEND_PDU(Logout), STOP_CONN(TERM), DESTROY_CONN, DESTROY_SESSION;
 * - CONN_ERROR → STOP_CONN(RECOVER), new socket, BIND_CONN on the same connection,
 *   RECOVERY_TMO = replacement_timeout, login through SEND_PDU/RECV_PDU, START_CONN;
 * - UNBIND_SESSION from the kernel → the session leaves the table; unknown events are
 *   counted, never fatal;
 * - adoption at start: a LOGGED_IN session is attached with no request and no login; a
 *   failed one is re-logged through the kernel.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KernelPathOptions } from '../../../src/daemon/kernel-path.js';
import type { FakeChannel, FakeKernel } from '../../support/fake-kernel/index.js';
import { T } from '../../support/fake-kernel/types.js';
import { FakeTarget, standardTarget } from '../../support/fake-target/index.js';
import { invalidEvents, startDaemon, TEST_CONF, type TestDaemon } from './helpers.js';
import { channelKernelOpts, loginNode, playTarget as answerAsTarget, TCP_ANSWERS, TCP_HANDLE, tcpKernelEnv, tearDown, until, writeTree } from './kernel-fixture.js';

const TARGET = 'iqn.2026-11.test.tsiscsi:kdisk';

interface Listed {
  sid: number; dataPath: string; tsih: number; tpgt: number;
  states: { connection: string; session: string; internal: string };
  scsi: { hostNumber: number | null; hostState: string; luns: Array<{ lun: number; blockDevice: string | null; state: string; vendor: string }> };
}

let root: string;
let k: FakeKernel;
let ch: FakeChannel;
let d: TestDaemon | undefined;
let target: FakeTarget | undefined;

const tree = (files: Record<string, string>): void => writeTree(root, files);
const kernelOpts = (): KernelPathOptions => channelKernelOpts(root, ch);
/** The fake kernel plays the target for PDUs sent through SEND_PDU (login and logout), answering with `kernelItt`. */
const playTarget = (opts: { kernelItt: number }): void => answerAsTarget(k, { ...TCP_ANSWERS, itt: opts.kernelItt });

beforeEach(() => {
  ({ root, k, ch } = tcpKernelEnv('/tmp/tsi-ksys-', { 'sys/class/scsi_host/host3/': '', 'sys/module/scsi_transport_iscsi/version': '2.0-870\n' }));
});

afterEach(async () => {
  const [dd, tt] = [d, target];
  d = undefined;
  target = undefined;
  await tearDown(dd, tt, root);
});

async function loginOne(): Promise<number> {
  target = await FakeTarget.start(standardTarget({ targets: [{ name: TARGET, luns: [{ lun: 1 }] }] }));
  d = await startDaemon({ conf: `${TEST_CONF}\nnode.session.timeo.replacement_timeout = 33`, deps: { kernel: kernelOpts() } });
  return loginNode(d, TARGET, target.port);
}

const types = (from = 0): number[] => k.received.slice(from).map((r) => r.type);

describe('daemon login on the kernel iscsi_tcp data path', () => {
  it('hands the logged-in socket to the kernel; the sid is the kernel session number; session.list shows the kernel host and disk', async () => {
    const sid = await loginOne();
    expect(sid).toBe(5);
    expect(types()).toEqual(expect.arrayContaining([T.CREATE_SESSION, T.CREATE_CONN, T.BIND_CONN, T.SET_PARAM, T.START_CONN]));
    expect(k.violations).toEqual([]);
    expect(k.received.every((r) => r.pid === 4711 && r.handle === TCP_HANDLE)).toBe(true);
    expect(k.mustSession(5).conns.get(0)?.state).toBe('up');
    expect(k.mustSession(5).recoveryTmo).toBe(33);
    tree({
      'sys/class/iscsi_session/session5/device/target2:0:0/2:0:0:1/state': 'running\n',
      'sys/class/iscsi_session/session5/device/target2:0:0/2:0:0:1/type': '0\n',
      'sys/class/iscsi_session/session5/device/target2:0:0/2:0:0:1/vendor': 'IET     \n',
      'sys/class/iscsi_session/session5/device/target2:0:0/2:0:0:1/block/sdb/': '',
    });
    const list = await d!.call<{ sessions: Listed[]; versions: { transportClass: string | null } }>('session.list', {});
    expect(list.versions.transportClass).toBe('2.0-870');
    expect(list.sessions).toHaveLength(1);
    expect(list.sessions[0]).toMatchObject({
      sid: 5, dataPath: 'kernel:iscsi_tcp', tpgt: 1, states: { connection: 'LOGGED IN', session: 'LOGGED_IN', internal: 'NO CHANGE' },
      scsi: { hostNumber: 2, hostState: 'running', luns: [{ lun: 1, blockDevice: 'sdb', state: 'running', vendor: 'IET' }] },
    });
    expect((await d!.call<{ sessions: Array<{ sid: number }> }>('session.list', { detail: 'flat' })).sessions[0]).toMatchObject({ sid: 5, tpgt: 1 });
  });

  it('session.stats answers with the kernel GET_STATS counters (bytes from the fake)', async () => {
    const sid = await loginOne();
    const raw = Buffer.alloc(96);
    raw.writeBigUInt64LE(1048576n, 0); // txdata_octets
    raw.writeBigUInt64LE(2097152n, 8); // rxdata_octets
    raw.writeUInt32LE(17, 20); // scsicmd_pdus
    raw.writeUInt32LE(3, 88); // timeout_err
    k.setStats(sid, 0, raw);
    const r = await d!.call<{ stats: Array<{ sid: number; counters: Array<[string, number]> }> }>('session.stats', { sid });
    const c = Object.fromEntries(r.stats[0]!.counters);
    expect(r.stats[0]!.counters).toHaveLength(21);
    expect(c).toMatchObject({ txdata_octets: 1048576, rxdata_octets: 2097152, scsicmd_pdus: 17, timeout_err: 3 });
  });

  it('logout: UNBIND_SESSION, Logout Request through SEND_PDU, STOP_CONN(TERM), DESTROY_CONN, DESTROY_SESSION; the session is gone', async () => {
    const sid = await loginOne();
    playTarget({ kernelItt: 0x1234 });
    const from = k.received.length;
    const out = await d!.call<{ results: Array<{ response?: number; error?: unknown }> }>('session.logout', { sid });
    expect(out.results[0]).toMatchObject({ response: 0 });
    expect(types(from)).toEqual([T.UNBIND_SESSION, T.SEND_PDU, T.STOP_CONN, T.DESTROY_CONN, T.DESTROY_SESSION]);
    expect(k.received.find((r, i) => i >= from && r.type === T.STOP_CONN)!.u.readUInt32LE(16)).toBe(1); // STOP_CONN_TERM
    expect(k.sessions.has(sid)).toBe(false);
    expect((await d!.call<{ sessions: unknown[] }>('session.list', {})).sessions).toEqual([]);
  });
});

describe('kernel events', () => {
  it('CONN_ERROR: STOP_CONN(RECOVER), BIND_CONN of a new socket to the same connection, RECOVERY_TMO, login through the kernel, START_CONN', async () => {
    const sid = await loginOne();
    playTarget({ kernelItt: 0x4000_0007 });
    const from = k.received.length;
    k.connError(sid, 0, 1011);
    await until(() => k.mustSession(sid).conns.get(0)?.state === 'up' && types(from).includes(T.START_CONN));
    const seq = types(from);
    expect(seq[0]).toBe(T.STOP_CONN);
    expect(k.received[from]!.u.readUInt32LE(16)).toBe(3); // STOP_CONN_RECOVER
    expect(seq).not.toContain(T.CREATE_SESSION);
    const bind = seq.indexOf(T.BIND_CONN);
    const send = seq.indexOf(T.SEND_PDU);
    expect(bind).toBeGreaterThan(0);
    expect(send).toBeGreaterThan(bind);
    expect(seq.lastIndexOf(T.START_CONN)).toBeGreaterThan(send);
    const recoveryTmo = k.received.slice(from).find((r) => r.type === T.SET_PARAM && r.u.readUInt32LE(8) === 19);
    expect(recoveryTmo?.payload.toString('latin1')).toBe('33\0');
    expect(k.sentPdus.at(-1)!.header[0]! & 0x3f).toBe(0x03); // the Login Request went through SEND_PDU
    expect(k.violations).toEqual([]);
    await until(async () => (await d!.call<{ sessions: Listed[] }>('session.list', {})).sessions[0]?.states.connection === 'LOGGED IN');
    const s = (await d!.call<{ sessions: Listed[] }>('session.list', {})).sessions[0]!;
    expect(s).toMatchObject({ sid, tsih: 0x99 });
    expect(d!.logs.some((l) => /recovered on the same kernel session/.test(l.msg ?? ''))).toBe(true);
    await d!.waitEvent((e) => e.type === 'session.recovered');
    expect(d!.events.find((e) => e.type === 'connection.error')).toMatchObject({ sid, code: 'KERNEL_CONN_ERROR' });
    expect(invalidEvents(d!.events)).toEqual([]);
  });

  it('UNBIND_SESSION from the kernel takes the session out of the table; unknown events are counted, not fatal', async () => {
    const sid = await loginOne();
    const junk = Buffer.alloc(16 + 56);
    junk.writeUInt32LE(junk.length, 0);
    junk.writeUInt32LE(199, 16); // no such ISCSI_KEVENT
    k.emitRaw(junk);
    k.unbindSession(sid);
    await until(async () => (await d!.call<{ sessions: unknown[] }>('session.list', {})).sessions.length === 0);
    expect(types()).toContain(T.DESTROY_SESSION);
  });
});

describe('adoption at daemon start', () => {
  function existing(connState: 'up' | 'failed'): void {
    k.sessions.set(7, {
      sid: 7, hostNo: 3, transport: 'tcp', creator: 999, recoveryTmo: 120, state: connState === 'up' ? 'LOGGED_IN' : 'FAILED',
      conns: new Map([[0, { cid: 0, state: connState, params: new Map(), cleanup: false }]]),
    });
    const s = 'sys/class/iscsi_session/session7/';
    const c = 'sys/class/iscsi_connection/connection7:0/';
    tree({
      'sys/devices/platform/host3/session7/': '',
      [`${s}targetname`]: `${TARGET}\n`, [`${s}tpgt`]: '1\n', [`${s}state`]: connState === 'up' ? 'LOGGED_IN\n' : 'FAILED\n',
      [`${s}creator`]: '999\n', [`${s}ifacename`]: 'default\n', [`${s}isid`]: '00023d000007\n', [`${s}tsid`]: '77\n',
      // What Linux 6.1 shows for credentials that were never set (printf of a NULL string).
      [`${s}username`]: '(null)\n', [`${s}password`]: '(null)\n', [`${s}username_in`]: '(null)\n', [`${s}password_in`]: '(null)\n',
      [`${s}device/target3:0:0/3:0:0:1/state`]: 'running\n', [`${s}device/target3:0:0/3:0:0:1/block/sdc/`]: '',
      [`${c}persistent_address`]: '127.0.0.1\n', [`${c}persistent_port`]: `${target?.port ?? 3260}\n`, [`${c}state`]: `${connState}\n`,
      [`${c}address`]: '127.0.0.1\n', [`${c}port`]: `${target?.port ?? 3260}\n`,
      'sys/class/scsi_host/host3/proc_name': 'iscsi_tcp\n', 'sys/class/scsi_host/host3/state': 'running\n',
    });
  }

  it('a LOGGED_IN kernel session is attached with no kernel request and no login; it can be logged out', async () => {
    existing('up');
    d = await startDaemon({ deps: { kernel: kernelOpts() } });
    expect(k.received).toEqual([]);
    const list = await d.call<{ sessions: Listed[] }>('session.list', {});
    expect(list.sessions).toHaveLength(1);
    expect(list.sessions[0]).toMatchObject({ sid: 7, tsih: 77, states: { connection: 'LOGGED IN' }, scsi: { hostNumber: 3, luns: [{ blockDevice: 'sdc' }] } });
    expect(d.logs.some((l) => /adopted without a new login/.test(l.msg ?? ''))).toBe(true);
    playTarget({ kernelItt: 9 });
    const out = await d.call<{ results: Array<{ response?: number }> }>('session.logout', { sid: 7 });
    expect(out.results[0]).toMatchObject({ response: 0 });
    expect(k.sessions.has(7)).toBe(false);
  });

  it('a kernel session whose connection failed is re-logged through the kernel (STOP_CONN RECOVER, BIND_CONN, login, START_CONN)', async () => {
    target = await FakeTarget.start(standardTarget({ targets: [{ name: TARGET, luns: [{ lun: 1 }] }] }));
    existing('failed');
    playTarget({ kernelItt: 11 });
    d = await startDaemon({ deps: { kernel: kernelOpts() } });
    await until(() => k.mustSession(7).conns.get(0)?.state === 'up');
    expect(types()).toEqual(expect.arrayContaining([T.BIND_CONN, T.SEND_PDU, T.START_CONN]));
    expect(types()).not.toContain(T.CREATE_SESSION);
    const login = k.sentPdus.find((p) => (p.header[0]! & 0x3f) === 0x03)!;
    expect(login.header.subarray(8, 14).toString('hex')).toBe('00023d000007'); // the session's own ISID: reinstatement
  });
});

describe('data path selection', () => {
  it('without NETLINK_ISCSI the tcp iface logs in over usertcp; the reason is logged once; the fake kernel sees nothing', async () => {
    target = await FakeTarget.start(standardTarget({ targets: [{ name: TARGET, luns: [{ lun: 1 }] }, { name: `${TARGET}2`, luns: [{ lun: 1 }] }] }));
    const unavailable = { available: false as const, code: 'NO_KERNEL_ISCSI' as const, reason: 'kernel transport \'tcp\' is not registered' };
    d = await startDaemon({ deps: { kernel: { ...kernelOpts(), availability: () => unavailable } } });
    for (const t of [TARGET, `${TARGET}2`]) {
      await d.call('node.new', { target: t, address: '127.0.0.1', port: target.port, tpgt: 1 });
      expect((await d.call<{ firstErrno: number }>('node.login', { target: t })).firstErrno).toBe(0);
    }
    const list = await d.call<{ sessions: Listed[] }>('session.list', {});
    expect(list.sessions.map((s) => [s.sid, s.dataPath, s.scsi.hostNumber])).toEqual([[1, 'usertcp', null], [2, 'usertcp', null]]);
    expect(k.received).toEqual([]);
    const told = d.logs.filter((l) => /resolves to usertcp: NO_KERNEL_ISCSI/.test(l.msg ?? ''));
    expect(told).toHaveLength(1);
  });
});
