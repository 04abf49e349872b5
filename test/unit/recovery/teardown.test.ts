/**
 * Forced teardown of a session stuck in any state (open-iscsi #228/#513), with a real
 * Session against the fake target: a login the target never answers is aborted by
 * `close()` / `logout()` / `supervisor.terminate()` at once, and its socket is closed.
 */
import { describe, expect, it } from 'vitest';
import { SessionSupervisor } from '../../../src/recovery/supervisor.js';
import { sleep, useHarness } from '../session/helpers-ikl.js';
import { reopening, supervised, TUR } from './session-rig.js';

const h = useHarness();

describe('forced teardown', () => {
  it('close() during a login the target never answers rejects SESSION_CLOSED and closes the socket', async () => {
    const fx = await h.target({ blackHole: (pdu) => pdu.kind === 'login-request' });
    const { s } = h.session(fx, { noopOutIntervalMs: 0 });
    const login = s.login();
    await fx.target.waitFor((r) => r.pdu.kind === 'login-request');
    s.close();
    await expect(login).rejects.toMatchObject({ code: 'SESSION_CLOSED' });
    expect(s.state).toBe('closed');
    await fx.target.waitForClosed(0);
  });

  it('logout() during a login aborts it instead of refusing', async () => {
    const fx = await h.target({ blackHole: (pdu) => pdu.kind === 'login-request' });
    const { s } = h.session(fx, { noopOutIntervalMs: 0 });
    const login = s.login();
    login.catch(() => undefined);
    await fx.target.waitFor((r) => r.pdu.kind === 'login-request');
    await expect(s.logout()).resolves.toBeUndefined();
    await expect(login).rejects.toMatchObject({ code: 'SESSION_CLOSED' });
    await fx.target.waitForClosed(0);
    // The session can log in again afterwards (same object).
    expect(s.state).toBe('closed');
  });

  it('supervisor.terminate() in REOPEN with a login stuck on the wire ends everything', async () => {
    const fx = await h.target({ blackHole: (pdu) => pdu.kind === 'login-request' && fx.target.connections() > 1 });
    const r = await supervised(h, fx);
    const held = r.sup.execute(TUR);
    held.catch(() => undefined);
    fx.target.ctx(0).reset();
    await reopening(r);
    r.clock.advance(2000);
    await fx.target.waitFor((x) => x.conn === 1 && x.pdu.kind === 'login-request');
    expect(r.sup.snapshot().words.connection).toBe('IN LOGIN');
    r.sup.terminate();
    expect(r.sup.state).toBe('FREE');
    await expect(held).rejects.toMatchObject({ code: 'SESSION_TERMINATED' });
    await fx.target.waitForClosed(1);
    await sleep(20);
    expect(r.s.state).toBe('closed');
    expect(r.clock.pending()).toBe(0);
  });

  it('a terminated supervisor can start again', async () => {
    const fx = await h.target();
    const { s, clock } = h.session(fx, { noopOutIntervalMs: 0 });
    const sup = new SessionSupervisor(s, { clock });
    await sup.start();
    sup.terminate();
    await sup.start();
    expect(sup.state).toBe('LOGGED_IN');
    expect((await sup.execute(TUR)).status).toBe(0);
    await sup.logout();
    expect(sup.state).toBe('FREE');
  });
});
