/**
 * Connection recovery through the daemon API: a session logged in to the fake target
 * through a TCP fault proxy loses its path (blackhole, RST) and the daemon detects it,
 * reports REOPEN with open-iscsi's words, holds LUN scans, fails them when
 * replacement_timeout fires, gives up after reopen_max, and comes back when the path does.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { invalidEvents } from './helpers.js';
import { eventAfter, extendedOf, login, sessionOf, startRig, stateIs, type Rig } from './recovery-helpers.js';
import { KEEPALIVE_TICK_MS } from '../../../src/session/keepalive.js';

let r: Rig | undefined;

afterEach(async () => {
  await r?.stop();
  r = undefined;
});

interface Rescan {
  results: Array<{ sid: number; luns: unknown[]; error?: { code: string; errno: number } }>;
  firstErrno: number;
}

describe('daemon connection recovery', () => {
  it('K-04 S-02 O-02 blackhole with noop 1/1: REOPEN within interval + timeout, LOGGED IN again once the path is back', async () => {
    r = await startRig({ 'node.conn[0].timeo.noop_out_interval': 1, 'node.conn[0].timeo.noop_out_timeout': 1, 'node.session.timeo.replacement_timeout': 20 });
    const { d, proxy } = r;
    const sid = await login(r);
    const before = await sessionOf(d, sid);
    // Effective timeouts of the live session (-P 2 block and recovery timers).
    expect(before.timeouts).toMatchObject({ recovery: 20, noopOutInterval: 1, noopOutTimeout: 1, login: 2, logout: 2 });
    expect(before.recovery).toMatchObject({ state: 'LOGGED_IN', io: 'pass', replacementTimeoutMs: 20_000, reopenMax: 0, loginTimeoutMs: 2000, defaultTime2WaitMs: 0 });

    const mark = d.events.length;
    const t0 = performance.now();
    proxy.setMode({ kind: 'blackhole' });
    const failed = await eventAfter(d, mark, stateIs(sid, { from: 'LOGGED_IN', to: 'REOPEN' }));
    // One shared keepalive tick may delay the ping and one its timeout (src/session/keepalive.ts);
    // 300 ms of slack for a loaded host (a miss would be a whole interval late).
    expect(performance.now() - t0).toBeLessThanOrEqual(1000 + 1000 + 2 * KEEPALIVE_TICK_MS + 300);
    expect(failed).toMatchObject({ cause: 'NOP_OUT_TIMEOUT', session: 'FAILED', internal: 'REOPEN', io: 'hold', trigger: 'connection-lost' });
    expect(d.events.some((e) => d.events.indexOf(e) >= mark && e.type === 'connection.error' && e.code === 'NOP_OUT_TIMEOUT')).toBe(true);
    const during = await sessionOf(d, sid);
    expect(during.states.session).toBe('FAILED');
    expect(during.states.internal).toBe('REOPEN');
    expect(['TRANSPORT WAIT', 'IN LOGIN']).toContain(during.states.connection);

    // The reopen login is blackholed too and times out (login_timeout 2 s), then retried.
    await eventAfter(d, mark, (e) => e.type === 'login.failed' && e.sid === sid && e.code === 'LOGIN_TIMEOUT');
    proxy.setMode({ kind: 'pass' });
    const back = await eventAfter(d, mark, (e) => e.type === 'session.recovered' && e.sid === sid);
    expect(back.attempts).toBeGreaterThanOrEqual(2);
    const after = await sessionOf(d, sid);
    expect(after.states).toEqual({ connection: 'LOGGED IN', session: 'LOGGED_IN', internal: 'NO CHANGE' });
    expect(after.recovery).toMatchObject({ state: 'LOGGED_IN', connectionErrors: 1, recoveries: 1 });
    expect(after.recovery.lastRecoveredAt).not.toBeNull();
    const x = await extendedOf(d, sid);
    expect(x).toMatchObject({ conn_errors: 1, session_recoveries: 1, replacement_timeouts: 0, recovery_giveups: 0 });
    expect(x.reopen_failures).toBeGreaterThanOrEqual(1);
    const rescan = await d.call<Rescan>('session.rescan', { sid });
    expect(rescan.firstErrno).toBe(0);
    expect(invalidEvents(d.events)).toEqual([]);
  }, 20_000);

  it('S-01 replacement_timeout: a scan held during REOPEN fails at once when it fires, later ones immediately', async () => {
    r = await startRig({ 'node.session.timeo.replacement_timeout': 2 });
    const { d, proxy } = r;
    const sid = await login(r);
    const mark = d.events.length;
    proxy.setMode({ kind: 'rst' });
    const lost = await eventAfter(d, mark, stateIs(sid, { to: 'REOPEN', trigger: 'connection-lost' }));
    const lostAt = performance.now();
    expect(lost).toMatchObject({ session: 'FAILED', io: 'hold' });
    const held = d.call<Rescan>('session.rescan', { sid });
    await new Promise((res) => setTimeout(res, 300));
    expect((await sessionOf(d, sid)).recovery.held).toBe(1);
    const failed = await held;
    const firedAfter = performance.now() - lostAt;
    expect(failed.results[0]!.error).toMatchObject({ code: 'REPLACEMENT_TIMEOUT' });
    expect(firedAfter).toBeGreaterThanOrEqual(2000 - 350);
    expect(firedAfter).toBeLessThanOrEqual(2000 + 250);
    await eventAfter(d, mark, (e) => e.type === 'session.replacement-timeout' && e.sid === sid && e.replacementTimeoutMs === 2000);
    // Now new commands fail at once; the session keeps reconnecting (kernel word FREE, still REOPEN).
    const t1 = performance.now();
    const again = await d.call<Rescan>('session.rescan', { sid });
    expect(performance.now() - t1).toBeLessThan(200);
    expect(again.results[0]!.error).toMatchObject({ code: 'REPLACEMENT_TIMEOUT' });
    const s = await sessionOf(d, sid);
    expect(s.states).toMatchObject({ session: 'FREE', internal: 'REOPEN' });
    expect(s.recovery).toMatchObject({ io: 'fail', replacementExpired: true });
    proxy.setMode({ kind: 'pass' });
    await eventAfter(d, mark, (e) => e.type === 'session.recovered' && e.sid === sid, 10_000);
    expect((await d.call<Rescan>('session.rescan', { sid })).firstErrno).toBe(0);
    expect((await extendedOf(d, sid)).replacement_timeouts).toBe(1);
  }, 20_000);

  it('S-01 commands held during a short outage complete after the recovery', async () => {
    r = await startRig({ 'node.session.timeo.replacement_timeout': 20 });
    const { d, proxy } = r;
    const sid = await login(r);
    const mark = d.events.length;
    proxy.setMode({ kind: 'rst' });
    await eventAfter(d, mark, stateIs(sid, { to: 'REOPEN' }));
    const held = d.call<Rescan>('session.rescan', { sid });
    await new Promise((res) => setTimeout(res, 300));
    proxy.setMode({ kind: 'pass' });
    const done = await held;
    expect(done.firstErrno).toBe(0);
    expect(done.results[0]!.luns).toHaveLength(1);
  }, 20_000);

  it('reopen_max 2: gives up after two attempts, logged with its cause; FAILED until an operator logs it out', async () => {
    r = await startRig({ 'node.session.reopen_max': 2, 'node.session.timeo.replacement_timeout': 30 });
    const { d, proxy } = r;
    const sid = await login(r);
    const mark = d.events.length;
    proxy.setMode({ kind: 'rst' });
    const gaveUp = await eventAfter(d, mark, (e) => e.type === 'session.gave-up' && e.sid === sid, 15_000);
    expect(gaveUp.why).toMatch(/reopen_max/);
    expect(gaveUp.code).toMatch(/^[A-Z_]+$/);
    expect(gaveUp.action).toContain(`-r ${sid} -u`);
    const attempts = d.events.filter((e) => d.events.indexOf(e) >= mark && e.type === 'login.failed' && e.sid === sid);
    expect(attempts).toHaveLength(2);
    expect(attempts.at(-1)).toMatchObject({ final: true });
    const logged = d.logs.find((l) => l.level === 'error' && /gave up/.test(l.msg ?? ''));
    expect(logged?.bindings).toMatchObject({ sid });
    expect(logged?.obj).toMatchObject({ err: { code: gaveUp.code } });
    const s = await sessionOf(d, sid);
    expect(s.states).toEqual({ connection: 'CLEANUP WAIT', session: 'FREE', internal: 'NO CHANGE' });
    expect(s.recovery).toMatchObject({ state: 'FAILED', io: 'fail', cause: { code: gaveUp.code } });
    const refused = await d.call<Rescan>('session.rescan', { sid });
    expect(refused.results[0]!.error).toMatchObject({ code: 'SESSION_NOT_CONNECTED' });
    expect(await extendedOf(d, sid)).toMatchObject({ recovery_giveups: 1, reopen_failures: 2, conn_errors: 1 });
    expect((await d.call<{ sessions: { failed: number } }>('daemon.status')).sessions.failed).toBe(1);
    const out = await d.call<{ results: Array<{ sid: number; response?: number; error?: unknown }>; firstErrno: number }>('session.logout', { sid });
    expect(out.firstErrno).toBe(0);
    expect(out.results[0]!.response).toBeUndefined();
    expect((await d.call<{ sessions: unknown[] }>('session.list')).sessions).toEqual([]);
    expect(invalidEvents(d.events)).toEqual([]);
  }, 20_000);

  it('publishes every transition of the episode with its trigger and cause', async () => {
    r = await startRig({ 'node.session.timeo.replacement_timeout': 20 });
    const { d, proxy } = r;
    const sid = await login(r);
    const mark = d.events.length;
    proxy.resetAll();
    await eventAfter(d, mark, (e) => e.type === 'session.recovered' && e.sid === sid);
    const steps = d.events.slice(mark).filter((e) => e.type === 'session.state' && e.sid === sid).map((e) => `${String(e.to)}/${String(e.step)}/${String(e.trigger)}`);
    expect(steps).toEqual(['REOPEN/delay/connection-lost', 'REOPEN/login/delay-elapsed', 'LOGGED_IN/none/login-ok']);
    const first = d.events.slice(mark).find(stateIs(sid, { to: 'REOPEN' }));
    expect(first).toMatchObject({ connection: 'TRANSPORT WAIT', session: 'FAILED', internal: 'REOPEN' });
    expect(first?.cause).toMatch(/^CONNECTION_/); // the RST, as the transport reports it
  }, 20_000);
});
