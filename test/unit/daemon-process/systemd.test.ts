/**
 * sd_notify and socket-activation parsing. The notifier is checked with a recording
 * sender (order, no-op without NOTIFY_SOCKET, watchdog interval) and end to end through
 * the real `systemd-notify` binary into a NOTIFY_SOCKET bound by Python.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { socketActivation, SystemdNotifier, systemdNotifySender, type NotifyMessage } from '../../../src/daemon/systemd.js';
import { FakeClock } from '../../support/fake-clock.js';
import { NotifyListener, tempRoot } from './helpers.js';

function recorder(): { sent: NotifyMessage[]; sender: (m: NotifyMessage) => Promise<void> } {
  const sent: NotifyMessage[] = [];
  return { sent, sender: async (m) => void sent.push(m) };
}

describe('SystemdNotifier', () => {
  it('sends nothing without NOTIFY_SOCKET', async () => {
    const r = recorder();
    const n = new SystemdNotifier({ env: {}, sender: r.sender });
    await n.ready('x');
    await n.stopping();
    expect(n.enabled).toBe(false);
    expect(r.sent).toEqual([]);
  });

  it('sends READY/STATUS/RELOADING/STOPPING in call order, STATUS on one line', async () => {
    const r = recorder();
    const n = new SystemdNotifier({ env: { NOTIFY_SOCKET: '/x' }, sender: r.sender });
    void n.status('Starting');
    void n.ready('Ready to process requests');
    void n.reloading('Reloading\nconfiguration');
    void n.ready();
    void n.stopping();
    await n.flush();
    expect(r.sent).toEqual([
      ['STATUS=Starting'],
      ['READY=1', 'STATUS=Ready to process requests'],
      ['RELOADING=1', 'STATUS=Reloading configuration'],
      ['READY=1'],
      ['STOPPING=1'],
    ]);
  });

  it('a failing sender does not stop later messages', async () => {
    const sent: NotifyMessage[] = [];
    let first = true;
    const n = new SystemdNotifier({
      env: { NOTIFY_SOCKET: '/x' },
      sender: async (m) => {
        if (first) {
          first = false;
          throw new Error('no binary');
        }
        sent.push(m);
      },
    });
    await n.ready();
    await n.stopping();
    expect(sent).toEqual([['STOPPING=1']]);
  });

  it.each([
    [{ WATCHDOG_USEC: '30000000' }, 15_000],
    [{ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '4242' }, 15_000],
    [{ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '1' }, undefined],
    [{ WATCHDOG_USEC: '0' }, undefined],
    [{ WATCHDOG_USEC: 'x' }, undefined],
    [{}, undefined],
  ] as [NodeJS.ProcessEnv, number | undefined][])('watchdog interval for %j is %s ms', (env, ms) => {
    expect(new SystemdNotifier({ env: { NOTIFY_SOCKET: '/x', ...env }, pid: 4242 }).watchdogMs).toBe(ms);
  });

  it('pings WATCHDOG=1 every WATCHDOG_USEC/2 until stopped', async () => {
    const r = recorder();
    const clock = new FakeClock();
    const n = new SystemdNotifier({ env: { NOTIFY_SOCKET: '/x', WATCHDOG_USEC: '2000000' }, sender: r.sender, clock });
    n.startWatchdog();
    clock.advance(999);
    await n.flush();
    expect(r.sent).toEqual([]);
    clock.advance(1);
    clock.advance(1000);
    clock.advance(1000);
    await n.flush();
    expect(r.sent).toEqual([['WATCHDOG=1'], ['WATCHDOG=1'], ['WATCHDOG=1']]);
    n.stopWatchdog();
    clock.advance(5000);
    await n.flush();
    expect(r.sent).toHaveLength(3);
  });
});

describe('socketActivation', () => {
  it.each([
    [{}, { kind: 'none' }],
    [{ LISTEN_FDS: '1', LISTEN_PID: '77' }, { kind: 'fd', fd: 3 }],
    [{ LISTEN_FDS: '1', LISTEN_PID: '78' }, { kind: 'invalid' }],
    [{ LISTEN_FDS: '1' }, { kind: 'invalid' }],
    [{ LISTEN_FDS: '2', LISTEN_PID: '77' }, { kind: 'invalid' }],
    [{ LISTEN_FDS: '0', LISTEN_PID: '77' }, { kind: 'invalid' }],
    [{ LISTEN_FDS: 'x', LISTEN_PID: '77' }, { kind: 'invalid' }],
  ] as [NodeJS.ProcessEnv, Record<string, unknown>][])('%j → %j, variables removed', (env, want) => {
    const e: NodeJS.ProcessEnv = { ...env, LISTEN_FDNAMES: 'x', OTHER: '1' };
    expect(socketActivation(e, 77)).toMatchObject(want);
    expect(e).toEqual({ OTHER: '1' });
  });
});

const hasNotifyTools = (() => {
  try {
    execFileSync('systemd-notify', ['--version'], { stdio: 'ignore' });
    execFileSync('python3', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!hasNotifyTools)('systemdNotifySender (real systemd-notify binary)', () => {
  const root = tempRoot();
  afterAll(() => root.rm());

  it('delivers READY=1+STATUS (npm package) and RELOADING/STOPPING/WATCHDOG (binary) to NOTIFY_SOCKET', async () => {
    const path = join(root.dir, 'notify.sock');
    const listener = await NotifyListener.start(path);
    const saved = process.env.NOTIFY_SOCKET;
    process.env.NOTIFY_SOCKET = path; // the spawned systemd-notify inherits our environment
    try {
      await systemdNotifySender(['READY=1', 'STATUS=Ready to process requests']);
      await systemdNotifySender(['RELOADING=1']);
      await systemdNotifySender(['STOPPING=1']);
      await systemdNotifySender(['WATCHDOG=1']);
      await listener.waitFor((a) => a === 'WATCHDOG=1');
      const got = listener.assignments();
      expect(got).toEqual(['READY=1', 'STATUS=Ready to process requests', `MAINPID=${process.pid}`, 'RELOADING=1', 'STOPPING=1', 'WATCHDOG=1']);
    } finally {
      if (saved === undefined) delete process.env.NOTIFY_SOCKET;
      else process.env.NOTIFY_SOCKET = saved;
      listener.stop();
    }
  });
});
