/**
 * Events of kernel-path sessions (docs/control-api.md §7) and iscsid's post-recovery
 * device handling, against the fake kernel, the fake target (first login on our socket)
 * and a fake sysfs tree:
 *
 * - login: `session.state` IN_LOGIN (trigger start) then LOGGED_IN (login-ok);
 * - CONN_ERROR: REOPEN (connection-lost, cause KERNEL_CONN_ERROR, I/O held), a failed
 *   re-login is a `login.failed` (not final), then LOGGED_IN and `session.recovered`;
 *   the session's offline SCSI device is set to `running` through
 *   /sys/class/scsi_device/H:C:T:L/device/state and the host is scanned (`- - -`);
 * - a first login that cannot connect: `login.failed` per attempt, the last one final;
 * - logout: IN_LOGOUT then FREE;
 * - onlineOfflineDevices: only offline devices are written; a write failure is logged.
 */
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { sessionStateEvent } from '../../../src/control/methods/events.js';
import { onlineOfflineDevices } from '../../../src/daemon/kernel-events.js';
import type { KernelPathOptions } from '../../../src/daemon/kernel-path.js';
import { SysfsReader } from '../../../src/transport/kernel/sysfs.js';
import type { FakeChannel, FakeKernel } from '../../support/fake-kernel/index.js';
import { T } from '../../support/fake-kernel/types.js';
import { FakeTarget, standardTarget } from '../../support/fake-target/index.js';
import { captureLogger, invalidEvents, startDaemon, TEST_CONF, type LogLine, type TestDaemon } from './helpers.js';
import { channelKernelOpts, loginNode, playTarget, readTree, TCP_ANSWERS, tcpKernelEnv, tearDown, until, writeTree } from './kernel-fixture.js';

const TARGET = 'iqn.2026-11.test.tsiscsi:kevents';

let root: string;
let k: FakeKernel;
let ch: FakeChannel;
let d: TestDaemon | undefined;
let target: FakeTarget | undefined;

const tree = (files: Record<string, string>): void => writeTree(root, files);
const read = (p: string): string => readTree(root, p);
const kernelOpts = (): KernelPathOptions => channelKernelOpts(root, ch);

beforeEach(() => {
  ({ root, k, ch } = tcpKernelEnv('/tmp/tsi-kev-', { 'sys/class/scsi_host/host2/scan': '' }));
});

afterEach(async () => {
  const [dd, tt] = [d, target];
  d = undefined;
  target = undefined;
  await tearDown(dd, tt, root);
});

type StateEvent = z.infer<typeof sessionStateEvent>;
const states = (from = 0): Array<Pick<StateEvent, 'from' | 'to' | 'trigger' | 'io' | 'cause' | 'connection'>> =>
  (d?.events.slice(from) ?? []).filter((e) => e.type === 'session.state').map((e) => e as unknown as StateEvent)
    .map((e) => ({ from: e.from, to: e.to, trigger: e.trigger, io: e.io, connection: e.connection, ...(e.cause === undefined ? {} : { cause: e.cause }) }));

async function loginOne(conf = ''): Promise<number> {
  target = await FakeTarget.start(standardTarget({ targets: [{ name: TARGET, luns: [{ lun: 1 }] }] }));
  d = await startDaemon({ conf: `${TEST_CONF}\n${conf}`, deps: { kernel: kernelOpts() } });
  return loginNode(d, TARGET, target.port);
}

describe('session.state / login.failed for kernel iscsi_tcp sessions', () => {
  it('login: IN_LOGIN (start) then LOGGED_IN (login-ok); logout: IN_LOGOUT then FREE', async () => {
    const sid = await loginOne();
    expect(states()).toEqual([
      { from: undefined, to: 'IN_LOGIN', trigger: 'start', io: 'hold', connection: 'IN LOGIN' },
      { from: 'IN_LOGIN', to: 'LOGGED_IN', trigger: 'login-ok', io: 'pass', connection: 'LOGGED IN' },
    ]);
    const n = d!.events.length;
    playTarget(k, TCP_ANSWERS);
    await d!.call('session.logout', { sid });
    await until(() => states(n).length >= 2, 15_000);
    expect(states(n)).toEqual([
      { from: 'LOGGED_IN', to: 'IN_LOGOUT', trigger: 'logout', io: 'fail', connection: 'IN LOGOUT' },
      { from: 'IN_LOGOUT', to: 'FREE', trigger: 'logout-done', io: 'fail', connection: 'FREE' },
    ]);
    // IN_LOGIN carries the daemon's provisional sid; from LOGGED_IN on the kernel's session number.
    const sids = d!.events.filter((e) => e.type === 'session.state').map((e) => (e as unknown as StateEvent).sid);
    expect(sids.slice(1).every((x) => x === sid)).toBe(true);
    expect(sids[0]).not.toBe(sid);
    expect(invalidEvents(d!.events)).toEqual([]);
  });

  it('CONN_ERROR: REOPEN, a failed re-login (login.failed, not final), LOGGED_IN, session.recovered; offline devices set running and the host rescanned', async () => {
    const sid = await loginOne();
    const dev = `sys/class/iscsi_session/session${sid}/device/target2:0:0/2:0:0:1/`;
    tree({
      [`${dev}state`]: 'offline\n', [`${dev}type`]: '0\n',
      'sys/class/iscsi_session/session5/device/target2:0:0/2:0:0:2/state': 'running\n',
      'sys/class/scsi_device/2:0:0:1/device/state': 'offline\n', 'sys/class/scsi_device/2:0:0:2/device/state': 'running\n',
      'sys/class/scsi_host/host2/scan': '',
    });
    playTarget(k, TCP_ANSWERS);
    k.failNext(T.BIND_CONN, 22, 1); // the first re-login fails in the kernel (-EINVAL)
    const n = d!.events.length;
    k.connError(sid, 0, 1011);
    await d!.waitEvent((e) => e.type === 'session.recovered', 20_000);
    await until(() => read('sys/class/scsi_host/host2/scan') !== '', 15_000);
    expect(states(n)).toEqual([
      { from: 'LOGGED_IN', to: 'REOPEN', trigger: 'connection-lost', io: 'hold', connection: 'TRANSPORT WAIT', cause: 'KERNEL_CONN_ERROR' },
      { from: 'REOPEN', to: 'LOGGED_IN', trigger: 'login-ok', io: 'pass', connection: 'LOGGED IN' },
    ]);
    const failed = d!.events.slice(n).filter((e) => e.type === 'login.failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ sid, attempt: 1, final: false });
    expect(read('sys/class/scsi_device/2:0:0:1/device/state')).toBe('running\n');
    expect(read('sys/class/scsi_device/2:0:0:2/device/state')).toBe('running\n'); // untouched (was running)
    expect(read('sys/class/scsi_host/host2/scan')).toBe('- - -');
    expect(d!.logs.some((l) => /2:0:0:1 was offline after the recovery: set to running/.test(l.msg ?? ''))).toBe(true);
    expect(invalidEvents(d!.events)).toEqual([]);
  }, 30_000);

  it('reopen_max reached: each failed re-login is a login.failed (the last final), then FAILED (login-failed) and session.gave-up naming the error', async () => {
    const sid = await loginOne('node.session.reopen_max = 2');
    playTarget(k, TCP_ANSWERS);
    k.failNext(T.BIND_CONN, 22, 100); // every re-login fails in the kernel (-EINVAL)
    const n = d!.events.length;
    k.connError(sid, 0, 1011);
    const gaveUp = await d!.waitEvent((e) => e.type === 'session.gave-up', 20_000);
    const failed = d!.events.slice(n).filter((e) => e.type === 'login.failed');
    expect(failed.map((e) => [e.attempt, e.final])).toEqual([[1, false], [2, true]]);
    expect(gaveUp).toMatchObject({ sid, why: 'reopen_max reached', code: failed[1]!.code, errno: failed[1]!.errno, action: `log the session out: tsiscsiadm -m session -r ${sid} -u` });
    expect(gaveUp.errno).not.toBe(0);
    expect(states(n)).toEqual([
      { from: 'LOGGED_IN', to: 'REOPEN', trigger: 'connection-lost', io: 'hold', connection: 'TRANSPORT WAIT', cause: 'KERNEL_CONN_ERROR' },
      { from: 'REOPEN', to: 'FAILED', trigger: 'login-failed', io: 'fail', connection: expect.any(String), cause: failed[1]!.code },
    ]);
    expect(d!.logs.some((l) => /giving up on session \d+ after reopen_max attempts/.test(l.msg ?? ''))).toBe(true);
    expect(invalidEvents(d!.events)).toEqual([]);
  }, 30_000);

  it('a first login that cannot connect: login.failed per attempt, the last final; the session leaves the table', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as { port: number }).port;
    await new Promise<void>((r) => srv.close(() => r())); // nothing listens there now: ECONNREFUSED
    d = await startDaemon({ conf: `${TEST_CONF}\nnode.conn[0].timeo.login_timeout = 1`, deps: { kernel: kernelOpts() } });
    await d.call('node.new', { target: TARGET, address: '127.0.0.1', port, tpgt: 1 });
    const login = await d.call<{ firstErrno: number }>('node.login', { target: TARGET });
    expect(login.firstErrno).not.toBe(0);
    const failed = d.events.filter((e) => e.type === 'login.failed').map((e) => ({ final: e.final as boolean, attempt: e.attempt as number }));
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(failed.map((f) => f.final)).toEqual([...failed.slice(1).map(() => false), true]);
    expect(failed.map((f) => f.attempt)).toEqual(failed.map((_, i) => i + 1));
    expect(states()[0]).toMatchObject({ to: 'IN_LOGIN', trigger: 'start' });
    expect(k.received).toEqual([]); // nothing reached the kernel
    expect(invalidEvents(d.events)).toEqual([]);
  });
});

describe('onlineOfflineDevices (iscsid session_online_devs)', () => {
  it('writes running only for offline devices; an unwritable state file is logged, not thrown', async () => {
    const s = 'sys/class/iscsi_session/session3/device/target4:0:0/';
    tree({
      [`${s}4:0:0:0/state`]: 'offline\n', [`${s}4:0:0:1/state`]: 'offline\n', [`${s}4:0:0:2/state`]: 'blocked\n',
      'sys/class/scsi_device/4:0:0:0/device/state': 'offline\n', 'sys/class/scsi_device/4:0:0:2/device/state': 'blocked\n',
      // 4:0:0:1 has no scsi_device entry: the write fails
    });
    const logs: LogLine[] = [];
    const done = await onlineOfflineDevices(new SysfsReader(root), join(root, 'sys'), 3, captureLogger(logs));
    expect(done).toEqual(['4:0:0:0']);
    expect(read('sys/class/scsi_device/4:0:0:0/device/state')).toBe('running\n');
    expect(read('sys/class/scsi_device/4:0:0:2/device/state')).toBe('blocked\n');
    expect(logs.find((l) => /could not set SCSI device 4:0:0:1 back to running/.test(l.msg ?? ''))).toMatchObject({ level: 'warn' });
  });
});
