/**
 * The real daemon under systemd's protocols, without systemd: sd_notify messages seen
 * on a NOTIFY_SOCKET bound by Python (READY=1 + STATUS after the socket listens,
 * RELOADING=1 … READY=1 around SIGHUP, STOPPING=1 on SIGTERM, WATCHDOG=1 pings), and
 * socket activation with a listening socket passed as fd 3 (LISTEN_FDS=1, LISTEN_PID
 * set to the daemon's own pid by `sh -c 'LISTEN_PID=$$ exec node …'`).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../../src/control/client.js';
import { ensureBuilt, NotifyListener, pathsIn, spawnDaemon, tempRoot, type DaemonProcess } from './helpers.js';

const haveTools = (() => {
  try {
    execFileSync('systemd-notify', ['--version'], { stdio: 'ignore' });
    execFileSync('python3', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
// Under CI a missing tool is a failure, not a skip.
const skipNotify = !haveTools && process.env.CI === undefined;

const roots: Array<{ dir: string; rm: () => void }> = [];
const running: DaemonProcess[] = [];
const listeners: NotifyListener[] = [];

function newRoot(): string {
  const r = tempRoot();
  roots.push(r);
  return r.dir;
}

beforeAll(() => ensureBuilt(), 120_000);
afterEach(() => {
  for (const d of running.splice(0)) d.kill();
  for (const l of listeners.splice(0)) l.stop();
});
afterAll(() => {
  for (const r of roots.splice(0)) r.rm();
});

describe.skipIf(skipNotify)('sd_notify (systemd-notify binary → Python NOTIFY_SOCKET)', () => {
  it('READY=1 after the socket listens, RELOADING=1/READY=1 on SIGHUP, STOPPING=1 on SIGTERM', async () => {
    const root = newRoot();
    const p = pathsIn(root);
    const listener = await NotifyListener.start(join(root, 'notify.sock'));
    listeners.push(listener);
    const d = spawnDaemon(root, ['-f'], { env: { NOTIFY_SOCKET: listener.path } });
    running.push(d);
    await listener.waitFor((a) => a === 'READY=1');
    // READY means the control socket answers.
    const c = await ControlClient.connect(p.socket, { timeoutMs: 5000 });
    await c.close();
    const readyAt = listener.assignments().indexOf('READY=1');
    expect(listener.assignments()).toContain('STATUS=Ready to process requests');
    expect(listener.assignments()).toContain(`MAINPID=${d.child.pid}`);
    expect(listener.assignments().slice(0, readyAt).some((a) => a.startsWith('STATUS=Starting'))).toBe(true);

    const before = listener.assignments().length;
    d.child.kill('SIGHUP');
    await listener.waitFor((a) => a === 'RELOADING=1', 15_000, before);
    const reloadAt = listener.assignments().indexOf('RELOADING=1', before);
    await listener.waitFor((a) => a === 'READY=1', 15_000, reloadAt);

    const beforeStop = listener.assignments().length;
    d.child.kill('SIGTERM');
    expect(await d.exited).toEqual({ code: 0, signal: null });
    await listener.waitFor((a) => a === 'STOPPING=1', 5000, beforeStop);
    expect(listener.assignments().slice(beforeStop)).not.toContain('READY=1');
  });

  it('sends WATCHDOG=1 at half of WATCHDOG_USEC', async () => {
    const root = newRoot();
    const listener = await NotifyListener.start(join(root, 'notify.sock'));
    listeners.push(listener);
    const d = spawnDaemon(root, ['-f'], { env: { NOTIFY_SOCKET: listener.path, WATCHDOG_USEC: '600000' } });
    running.push(d);
    await listener.waitFor((a) => a === 'READY=1');
    const t0 = Date.now();
    await listener.waitFor((a) => a === 'WATCHDOG=1', 5000);
    await listener.waitFor((a) => a === 'WATCHDOG=1', 5000, listener.assignments().indexOf('WATCHDOG=1') + 1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    d.child.kill('SIGTERM');
    expect((await d.exited).code).toBe(0);
  });

  it('without NOTIFY_SOCKET nothing is sent and start-up is unaffected', async () => {
    const root = newRoot();
    const listener = await NotifyListener.start(join(root, 'notify.sock'));
    listeners.push(listener);
    const d = spawnDaemon(root, ['-f']);
    running.push(d);
    await d.ready();
    d.child.kill('SIGTERM');
    expect((await d.exited).code).toBe(0);
    expect(listener.assignments()).toEqual([]);
  });
});

/** Bind a listening unix socket in this process; returns its fd and a function that hands it over. */
async function boundSocket(dir: string, finalPath: string): Promise<{ fd: number; handOver: () => Promise<void> }> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, 'bind.sock');
  const server = createServer(() => {
    throw new Error('the test process must not accept control connections');
  });
  await new Promise<void>((res) => server.listen(tmp, res));
  const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
  return {
    fd,
    handOver: async () => {
      // Move the name away before closing our copy: libuv unlinks the path it bound.
      renameSync(tmp, finalPath);
      await new Promise<void>((res) => server.close(() => res()));
    },
  };
}

describe('socket activation (LISTEN_FDS/LISTEN_PID, fd 3)', () => {
  it('serves on the passed socket and binds none of its own', async () => {
    const root = newRoot();
    const p = pathsIn(root);
    const path = join(root, 'activated', 'tsiscsid.sock');
    const s = await boundSocket(join(root, 'activated'), path);
    const d = spawnDaemon(root, ['-f'], { extraFds: [s.fd], shellPrefix: 'LISTEN_PID=$$ LISTEN_FDS=1 LISTEN_FDNAMES=tsiscsid.socket' });
    running.push(d);
    await s.handOver();
    await d.ready();
    expect(d.logs().some((r) => r.msg === 'control socket passed by systemd' && r.fd === 3)).toBe(true);
    const c = await ControlClient.connect(path, { timeoutMs: 5000 });
    expect(c.server.server).toBe('tsiscsid');
    await c.close();
    expect(existsSync(p.socket)).toBe(false);
    d.child.kill('SIGTERM');
    expect((await d.exited).code).toBe(0);
    // The socket belongs to systemd (the .socket unit): we leave the file alone.
    expect(existsSync(path)).toBe(true);
  });

  it('LISTEN_PID of another process: logs an error and binds its own socket', async () => {
    const root = newRoot();
    const p = pathsIn(root);
    const path = join(root, 'activated', 'tsiscsid.sock');
    const s = await boundSocket(join(root, 'activated'), path);
    const d = spawnDaemon(root, ['-f'], { extraFds: [s.fd], shellPrefix: 'LISTEN_PID=1 LISTEN_FDS=1' });
    running.push(d);
    await s.handOver();
    await d.ready();
    const err = d.logs().find((r) => r.level === 50 && typeof r.reason === 'string');
    expect(err?.reason).toMatch(/LISTEN_PID \(1\) is not our pid/);
    const c = await ControlClient.connect(p.socket, { timeoutMs: 5000 });
    await c.close();
    d.child.kill('SIGTERM');
    expect((await d.exited).code).toBe(0);
  });
});
