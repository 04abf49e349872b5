/**
 * `session.logout` from any state (open-iscsi #228/#513): during the first login, while
 * reopening, after recovery gave up, and stuck in a logout the target never answers.
 * `force: true` tears down without a Logout PDU.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eventAfter, login, startRig, stateIs, TARGET, type Rig } from './recovery-helpers.js';

let r: Rig | undefined;

afterEach(async () => {
  await r?.stop();
  r = undefined;
});

interface LogoutResult {
  results: Array<{ sid: number; response?: number; error?: { errno: number; code: string; message: string } }>;
  firstErrno: number;
}

async function sessions(r: Rig): Promise<unknown[]> {
  return (await r.d.call<{ sessions: unknown[] }>('session.list')).sessions;
}

describe('logout from any state', () => {
  it('first login stuck IN LOGIN: 9 without force, torn down at once with force', async () => {
    r = await startRig({ 'node.conn[0].timeo.login_timeout': 30 }, { blackHole: (pdu) => pdu.kind === 'login-request' });
    const { d, target } = r;
    const pending = d.call<{ results: Array<{ sids: number[]; error?: { code: string } }> }>('node.login', { target: TARGET });
    await target.waitFor((x) => x.pdu.kind === 'login-request');
    const plain = await d.call<LogoutResult>('session.logout', { sid: 1 });
    expect(plain.results[0]!.error).toMatchObject({ errno: 9, code: 'LOGIN_IN_PROGRESS' });
    expect(plain.results[0]!.error!.message).toMatch(/force/);
    const t0 = performance.now();
    const forced = await d.call<LogoutResult>('session.logout', { sid: 1, force: true });
    expect(performance.now() - t0).toBeLessThan(500);
    expect(forced.firstErrno).toBe(0);
    expect(forced.results[0]!.response).toBeUndefined();
    const outcome = await pending;
    expect(outcome.results[0]!.sids).toEqual([]);
    expect(outcome.results[0]!.error).toMatchObject({ code: 'SESSION_TERMINATED' });
    expect(await sessions(r)).toEqual([]);
    await target.waitForClosed(0);
    expect(target.received.some((x) => x.pdu.kind === 'logout-request')).toBe(false);
  });

  it('REOPEN: a plain logout closes the reconnecting session without a Logout PDU', async () => {
    r = await startRig({ 'node.session.timeo.replacement_timeout': 30 });
    const { d, proxy } = r;
    const sid = await login(r);
    const mark = d.events.length;
    proxy.setMode({ kind: 'rst' });
    await eventAfter(d, mark, stateIs(sid, { to: 'REOPEN' }));
    const out = await d.call<LogoutResult>('session.logout', { sid });
    expect(out.firstErrno).toBe(0);
    expect(out.results[0]!.response).toBeUndefined();
    expect(await sessions(r)).toEqual([]);
    await eventAfter(d, mark, (e) => e.type === 'session.removed' && e.sid === sid && e.reason === 'logout');
    // Nothing of it is left running: no more connection attempts.
    const conns = proxy.stats().connections;
    await new Promise((res) => setTimeout(res, 600));
    expect(proxy.stats().connections).toBe(conns);
  });

  it('L-08 stuck in logout: a second logout answers 9 without force; force tears it down at once', async () => {
    r = await startRig({ 'node.conn[0].timeo.logout_timeout': 10 }, { blackHole: (pdu) => pdu.kind === 'logout-request' });
    const { d, target } = r;
    const sid = await login(r);
    const first = d.call<LogoutResult>('session.logout', { sid });
    await target.waitFor((x) => x.pdu.kind === 'logout-request');
    const list = await d.call<{ sessions: Array<{ states: { connection: string } }> }>('session.list');
    expect(list.sessions[0]!.states.connection).toBe('IN LOGOUT');
    const plain = await d.call<LogoutResult>('session.logout', { sid });
    expect(plain.results[0]!.error).toMatchObject({ errno: 9, code: 'LOGOUT_IN_PROGRESS' });
    const t0 = performance.now();
    const forced = await d.call<LogoutResult>('session.logout', { sid, force: true });
    expect(performance.now() - t0).toBeLessThan(500);
    expect(forced.firstErrno).toBe(0);
    const firstDone = await first;
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(firstDone.results[0]!.response).toBeUndefined();
    expect(await sessions(r)).toEqual([]);
  });

  it('L-08 force on a logged-in session whose Logout gets no answer ends within logout_timeout', async () => {
    r = await startRig({ 'node.conn[0].timeo.logout_timeout': 1 }, { blackHole: (pdu) => pdu.kind === 'logout-request' });
    const { d, target } = r;
    const sid = await login(r);
    const t0 = performance.now();
    const out = await d.call<LogoutResult>('node.logout', { target: TARGET, force: true });
    const took = performance.now() - t0;
    expect(out.firstErrno).toBe(0);
    expect(out.results[0]).toMatchObject({ sid });
    expect(out.results[0]!.response).toBeUndefined();
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(1800);
    expect(target.received.some((x) => x.pdu.kind === 'logout-request')).toBe(true);
    expect(await sessions(r)).toEqual([]);
  });

  it('force on a healthy session still sends the Logout and returns the response', async () => {
    r = await startRig();
    const { d, target } = r;
    const sid = await login(r);
    const out = await d.call<LogoutResult>('session.logout', { sid, force: true });
    expect(out.results[0]).toMatchObject({ sid, response: 0 });
    await target.waitFor((x) => x.pdu.kind === 'logout-request');
  });
});
