/**
 * loginAll/logoutAll through the control API: the bounded login pool keeps a dead
 * (black-holed) portal from delaying the others (open-iscsi #299); startup modes select
 * records; onboot sessions survive logoutAll and shutdown (no Logout PDU).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LoginPool } from '../../../src/daemon/login-pool.js';
import { FakeTarget, standardTarget } from '../../support/fake-target/index.js';
import { invalidEvents, startDaemon, type Key, type TestDaemon } from './helpers.js';

interface Outcome {
  node: Key;
  sids: number[];
  completedAfterMs: number;
  error?: { errno: number; code: string; action?: string };
}

const LIVE = ['iqn.2024-01.test.fake:a', 'iqn.2024-01.test.fake:b', 'iqn.2024-01.test.fake:c'];
const DEAD = 'iqn.2024-01.test.fake:dead';
const DEAD_TIMEOUT_S = 4;

let d: TestDaemon | undefined;
const targets: FakeTarget[] = [];

afterEach(async () => {
  await d?.stop();
  d = undefined;
  for (const t of targets.splice(0)) await t.stop();
});

async function target(opts: Parameters<typeof standardTarget>[0]): Promise<FakeTarget> {
  const t = await FakeTarget.start(standardTarget(opts));
  targets.push(t);
  return t;
}

describe('node.loginAll with a dead portal', () => {
  it('S-03 a black-holed portal fails at its login_timeout while the live portals finish long before (open-iscsi #299)', async () => {
    const live = await target({ targets: LIVE.map((name) => ({ name })) });
    const dead = await target({ targets: [{ name: DEAD }], blackHole: true });
    d = await startDaemon();
    // The dead record sorts first, so a serial implementation would make every other login wait for it.
    await d.call('node.new', { target: DEAD, address: '127.0.0.1', port: dead.port, values: { 'node.startup': 'automatic', 'node.conn[0].timeo.login_timeout': DEAD_TIMEOUT_S } });
    for (const name of LIVE) await d.call('node.new', { target: name, address: '127.0.0.1', port: live.port, values: { 'node.startup': 'automatic' } });
    await d.call('node.new', { target: 'iqn.2024-01.test.fake:manual-only', address: '127.0.0.1', port: live.port });

    const started = Date.now();
    const r = await d.call<{ nodes: Key[]; results: Outcome[]; firstErrno: number }>('node.loginAll', { startup: 'automatic' });
    const elapsed = Date.now() - started;

    expect(r.nodes.map((n) => n.target).sort()).toEqual([...LIVE, DEAD].sort());
    const byTarget = new Map(r.results.map((o) => [o.node.target, o]));
    for (const name of LIVE) {
      const o = byTarget.get(name)!;
      expect(o.error, name).toBeUndefined();
      expect(o.sids).toHaveLength(1);
      expect(o.completedAfterMs, name).toBeLessThan(1500);
    }
    const deadOutcome = byTarget.get(DEAD)!;
    expect(deadOutcome.sids).toEqual([]);
    expect(deadOutcome.error).toMatchObject({ errno: 8, code: 'LOGIN_TIMEOUT' });
    expect(deadOutcome.error!.action).toMatch(/login_timeout/);
    expect(deadOutcome.completedAfterMs).toBeGreaterThanOrEqual(DEAD_TIMEOUT_S * 1000 - 100);
    expect(elapsed).toBeGreaterThanOrEqual(DEAD_TIMEOUT_S * 1000 - 100);
    expect(r.firstErrno).toBe(8);

    // The login events of the live records arrived before the dead one's.
    const order = d.events.filter((e) => e.type === 'login').map((e) => (e.node as Key).target);
    expect(order.indexOf(DEAD)).toBe(order.length - 1);
    // The failure was logged with a stable code, the cause and an action, bound to the session.
    const logged = d.logs.find((l) => l.level === 'error' && (l.obj as { code?: string }).code === 'LOGIN_TIMEOUT');
    expect(logged?.bindings).toMatchObject({ target: DEAD, portal: `127.0.0.1:${dead.port}` });
    expect(logged?.obj).toMatchObject({ action: expect.any(String), cause: expect.any(String), final: true });
    const sessions = (await d.call<{ sessions: Array<{ target: string }> }>('session.list')).sessions;
    expect(sessions.map((s) => s.target).sort()).toEqual([...LIVE].sort());
    expect(invalidEvents(d.events)).toEqual([]);
  }, 20_000);

  it('returns at once with wait: false (-W) and the logins complete in the background', async () => {
    const live = await target({ targets: [{ name: LIVE[0]! }] });
    const dead = await target({ targets: [{ name: DEAD }], blackHole: true });
    d = await startDaemon();
    await d.call('node.new', { target: DEAD, address: '127.0.0.1', port: dead.port, values: { 'node.startup': 'automatic', 'node.conn[0].timeo.login_timeout': 2 } });
    await d.call('node.new', { target: LIVE[0]!, address: '127.0.0.1', port: live.port, values: { 'node.startup': 'automatic' } });
    const started = Date.now();
    const r = await d.call<{ nodes: Key[]; results: Outcome[]; firstErrno: number }>('node.loginAll', { startup: 'automatic', wait: false });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(r.results).toEqual([]);
    expect(r.nodes).toHaveLength(2);
    await d.waitEvent((e) => e.type === 'login' && (e.node as Key).target === LIVE[0]);
    const failed = await d.waitEvent((e) => e.type === 'login.failed' && e.target === DEAD && e.final === true);
    expect(failed).toMatchObject({ code: 'LOGIN_TIMEOUT', errno: 8, attempt: 1 });
  }, 15_000);

  it('answers 21 when no record has the startup mode', async () => {
    d = await startDaemon();
    await d.call('node.new', { target: LIVE[0]!, address: '127.0.0.1', port: 3260 });
    const err = await d.fail('node.loginAll', { startup: 'automatic' });
    expect(err.errno).toBe(21);
  });

  it('S-04 retries a refused portal until initial_login_retry_max × login_timeout, then reports the connect failure', async () => {
    const gone = await target({});
    const port = gone.port;
    await gone.stop();
    targets.splice(0);
    d = await startDaemon({ deps: { loginRetryDelayMs: 200 } });
    await d.call('node.new', { target: DEAD, address: '127.0.0.1', port, values: { 'node.conn[0].timeo.login_timeout': 1, 'node.session.initial_login_retry_max': 2 } });
    const started = Date.now();
    const r = await d.call<{ results: Outcome[] }>('node.login', { target: DEAD });
    const elapsed = Date.now() - started;
    expect(r.results[0]!.error).toMatchObject({ errno: 4, code: 'CONNECT_FAILED' });
    const attempts = d.events.filter((e) => e.type === 'login.failed' && e.target === DEAD);
    expect(attempts.length).toBeGreaterThanOrEqual(5); // ~2 s of refused connects, 200 ms apart
    expect(attempts.at(-1)).toMatchObject({ final: true });
    expect(attempts.slice(0, -1).every((e) => e.final === false)).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(1700);
    expect(elapsed).toBeLessThan(4000);
  }, 15_000);
});

describe('stopping during logins', () => {
  it('abandons a login in progress at once instead of waiting for its timeout', async () => {
    const dead = await target({ targets: [{ name: DEAD }], blackHole: true });
    d = await startDaemon();
    await d.call('node.new', { target: DEAD, address: '127.0.0.1', port: dead.port, values: { 'node.conn[0].timeo.login_timeout': 30 } });
    const pending = d.call<{ results: Outcome[] }>('node.login', { target: DEAD });
    await dead.waitFor((r) => r.pdu.kind === 'login-request');
    const { sessions } = await d.call<{ sessions: Array<{ states: { connection: string; session: string } }> }>('session.list');
    expect(sessions[0]!.states).toMatchObject({ connection: 'IN LOGIN', session: 'FREE' });
    const early = await d.call<{ results: Array<{ error?: { errno: number; code: string } }>; firstErrno: number }>('session.logout', { sid: 1 });
    expect(early.results[0]!.error).toMatchObject({ errno: 9, code: 'LOGIN_IN_PROGRESS' });
    expect(early.firstErrno).toBe(9);
    const started = Date.now();
    await d.daemon.shutdown();
    const r = await pending;
    expect(Date.now() - started).toBeLessThan(2000);
    expect(r.results[0]!.error).toMatchObject({ code: 'LOGIN_CANCELLED' });
    expect((await d.call<{ sessions: unknown[] }>('session.list')).sessions).toEqual([]);
  }, 15_000);
});

describe('a login queued behind a full pool', () => {
  it('waits as TRANSPORT WAIT and is dropped cleanly when the daemon stops', async () => {
    const dead = await target({ targets: [{ name: DEAD }, { name: `${DEAD}2` }], blackHole: true });
    d = await startDaemon({ deps: { loginConcurrency: 1 } });
    for (const t of [DEAD, `${DEAD}2`]) {
      await d.call('node.new', { target: t, address: '127.0.0.1', port: dead.port, values: { 'node.conn[0].timeo.login_timeout': 30 } });
    }
    const pending = d.call<{ results: Outcome[] }>('node.login', {});
    await dead.waitFor((r) => r.pdu.kind === 'login-request');
    const status = await d.call<{ logins: { running: number; queued: number } }>('daemon.status');
    expect(status.logins).toMatchObject({ running: 1, queued: 1 });
    const { sessions } = await d.call<{ sessions: Array<{ states: { connection: string } }> }>('session.list');
    expect(sessions.map((x) => x.states.connection).sort()).toEqual(['IN LOGIN', 'TRANSPORT WAIT']);
    await d.daemon.shutdown();
    const r = await pending;
    expect(r.results.map((o) => o.error?.code).sort()).toEqual(['DAEMON_STOPPING', 'LOGIN_CANCELLED']);
    expect((await d.call<{ sessions: unknown[] }>('session.list')).sessions).toEqual([]);
  }, 15_000);
});

describe('onboot sessions', () => {
  it('are never logged out by logoutAll or shutdown; the others are', async () => {
    const boot = await target({ targets: [{ name: 'iqn.2024-01.test.fake:boot' }] });
    const auto = await target({ targets: [{ name: 'iqn.2024-01.test.fake:auto' }] });
    d = await startDaemon();
    await d.call('node.new', { target: 'iqn.2024-01.test.fake:boot', address: '127.0.0.1', port: boot.port, values: { 'node.startup': 'onboot' } });
    await d.call('node.new', { target: 'iqn.2024-01.test.fake:auto', address: '127.0.0.1', port: auto.port, values: { 'node.startup': 'automatic' } });
    const login = await d.call<{ results: Outcome[] }>('node.login', {});
    expect(login.results.every((o) => o.sids.length === 1)).toBe(true);

    const all = await d.call<{ results: Array<{ target: string }> }>('node.logoutAll', { startup: 'all' });
    expect(all.results.map((o) => o.target)).toEqual(['iqn.2024-01.test.fake:auto']);
    const left = (await d.call<{ sessions: Array<{ target: string; startup: string }> }>('session.list')).sessions;
    expect(left).toEqual([expect.objectContaining({ target: 'iqn.2024-01.test.fake:boot', startup: 'onboot' })]);
    expect((await d.fail('node.logoutAll', { startup: 'automatic' })).errno).toBe(21);

    await d.call('node.login', { target: 'iqn.2024-01.test.fake:auto' });
    await d.daemon.shutdown();
    await auto.waitFor((r) => r.pdu.kind === 'logout-request' && r.conn === 1);
    await boot.waitForClosed(0);
    expect(boot.received.some((r) => r.pdu.kind === 'logout-request')).toBe(false);
    expect(d.events.some((e) => e.type === 'session.removed' && e.target === 'iqn.2024-01.test.fake:boot' && e.reason === 'detached')).toBe(true);
  });
});

describe('LoginPool', () => {
  it('runs at most `concurrency` jobs and starts the next as soon as any finishes', async () => {
    const pool = new LoginPool(2);
    let running = 0;
    let peak = 0;
    const order: string[] = [];
    const job = (name: string, ms: number) => () => new Promise<string>((res) => {
      running++;
      peak = Math.max(peak, running);
      setTimeout(() => {
        running--;
        order.push(name);
        res(name);
      }, ms);
    });
    const all = Promise.all([pool.run(job('slow', 300)), pool.run(job('a', 20)), pool.run(job('b', 20)), pool.run(job('c', 20))]);
    expect(pool.running).toBe(2);
    expect(pool.queued).toBe(2);
    expect(await all).toEqual(['slow', 'a', 'b', 'c']);
    expect(peak).toBe(2);
    expect(order).toEqual(['a', 'b', 'c', 'slow']);
  });

  it('fails queued jobs on cancelQueued and refuses a bad concurrency', async () => {
    const pool = new LoginPool(1);
    const first = pool.run(() => new Promise((res) => setTimeout(res, 50)));
    const second = pool.run(() => Promise.resolve('never'));
    pool.cancelQueued(new Error('stopping'));
    await expect(second).rejects.toThrow('stopping');
    await first;
    expect(() => new LoginPool(0)).toThrow(RangeError);
  });
});
