/**
 * A target that misbehaves while a session reopens cannot wedge the daemon: a redirect
 * loop ends in a logged give-up, login rejects and slow or cut login responses are
 * retried, the API answers at once meanwhile, and the session can always be logged out.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { TestDaemon } from './helpers.js';
import { eventAfter, login, sessionOf, startRig, stateIs, type Rig } from './recovery-helpers.js';

let r: Rig | undefined;

afterEach(async () => {
  await r?.stop();
  r = undefined;
});

/** The API answers quickly (the event loop is not blocked, no call waits on the session). */
async function expectResponsive(d: TestDaemon, sid: number): Promise<void> {
  const t0 = performance.now();
  await d.call('daemon.status');
  await d.call('session.list');
  await d.call('session.stats', { sid });
  expect(performance.now() - t0).toBeLessThan(250);
}

/** Count login.failed events of `sid` after `mark`. */
function failures(d: TestDaemon, mark: number, sid: number): Array<Record<string, unknown>> {
  return d.events.slice(mark).filter((e) => e.type === 'login.failed' && e.sid === sid);
}

async function waitFailures(d: TestDaemon, mark: number, sid: number, n: number): Promise<void> {
  const deadline = performance.now() + 15_000;
  while (failures(d, mark, sid).length < n) {
    if (performance.now() > deadline) throw new Error(`only ${failures(d, mark, sid).length} failed attempts`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

describe('misbehaving target during recovery', () => {
  it('G-07 a redirect loop on reopen gives up with TOO_MANY_REDIRECTS, logged; the session logs out', async () => {
    r = await startRig({ 'node.session.timeo.replacement_timeout': 30 });
    const { d, proxy, targetOpts } = r;
    const sid = await login(r);
    const mark = d.events.length;
    targetOpts.status = { statusClass: 1, statusDetail: 0x01, addresses: [`127.0.0.1:${proxy.portal.port},1`] };
    proxy.resetAll();
    const gaveUp = await eventAfter(d, mark, (e) => e.type === 'session.gave-up' && e.sid === sid);
    expect(gaveUp).toMatchObject({ code: 'TOO_MANY_REDIRECTS' });
    expect(d.logs.some((l) => l.level === 'error' && l.bindings.sid === sid && (l.obj as { code?: string }).code === 'TOO_MANY_REDIRECTS')).toBe(true);
    expect((await sessionOf(d, sid)).states.connection).toBe('CLEANUP WAIT');
    await expectResponsive(d, sid);
    const out = await d.call<{ firstErrno: number }>('session.logout', { sid });
    expect(out.firstErrno).toBe(0);
  });

  it('G-10 O-15 login rejects (0x0301) are retried with backoff; the API stays responsive; it comes back', async () => {
    r = await startRig({ 'node.session.timeo.replacement_timeout': 30 });
    const { d, proxy, targetOpts } = r;
    const sid = await login(r);
    const mark = d.events.length;
    targetOpts.status = { statusClass: 3, statusDetail: 0x01 };
    proxy.resetAll();
    await waitFailures(d, mark, sid, 3);
    expect(failures(d, mark, sid).every((e) => e.final === false && e.errno === 5)).toBe(true);
    const s = await sessionOf(d, sid);
    expect(s.states.internal).toBe('REOPEN');
    expect(s.recovery.attempts).toBeGreaterThanOrEqual(3);
    await expectResponsive(d, sid);
    delete targetOpts.status;
    await eventAfter(d, mark, (e) => e.type === 'session.recovered' && e.sid === sid, 10_000);
  }, 20_000);

  it('slow login responses (throttled to 40 B/s) time out per login_timeout and are retried; the session comes back', async () => {
    r = await startRig({ 'node.session.timeo.replacement_timeout': 30 });
    const { d, proxy } = r;
    const sid = await login(r);
    const mark = d.events.length;
    proxy.setMode({ kind: 'throttle', bytesPerSecond: 40, direction: 'down' });
    proxy.resetAll();
    await waitFailures(d, mark, sid, 1);
    expect(failures(d, mark, sid)[0]).toMatchObject({ code: 'LOGIN_TIMEOUT', final: false });
    await expectResponsive(d, sid);
    proxy.setMode({ kind: 'pass' });
    await eventAfter(d, mark, (e) => e.type === 'session.recovered' && e.sid === sid, 10_000);
  }, 20_000);

  it('partial responses (cut after 60 bytes) fail the attempt, which is retried', async () => {
    r = await startRig({ 'node.session.timeo.replacement_timeout': 30 });
    const { d, proxy } = r;
    const sid = await login(r);
    const mark = d.events.length;
    proxy.setMode({ kind: 'cut', afterBytes: 60, direction: 'down' });
    proxy.resetAll();
    await waitFailures(d, mark, sid, 2);
    await expectResponsive(d, sid);
    proxy.setMode({ kind: 'pass' });
    await eventAfter(d, mark, (e) => e.type === 'session.recovered' && e.sid === sid, 10_000);
  }, 20_000);

  it('a session stuck in a throttled reopen login can be forced out while its login hangs', async () => {
    r = await startRig({ 'node.conn[0].timeo.login_timeout': 30, 'node.session.timeo.replacement_timeout': 60 });
    const { d, proxy } = r;
    const sid = await login(r);
    const mark = d.events.length;
    proxy.setMode({ kind: 'throttle', bytesPerSecond: 5, direction: 'down' });
    proxy.resetAll();
    await eventAfter(d, mark, stateIs(sid, { to: 'REOPEN', step: 'login' }));
    expect((await sessionOf(d, sid)).states.connection).toBe('IN LOGIN');
    const t0 = performance.now();
    const out = await d.call<{ firstErrno: number }>('session.logout', { sid });
    expect(out.firstErrno).toBe(0);
    expect(performance.now() - t0).toBeLessThan(500);
    expect((await d.call<{ sessions: unknown[] }>('session.list')).sessions).toEqual([]);
  });
});
