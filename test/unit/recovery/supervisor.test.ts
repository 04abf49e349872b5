/**
 * Every timer path of SessionSupervisor on a FakeClock, against a scripted session
 * (stub-session.ts): initial login budget, reopen delays and backoff, replacement_timeout
 * (positive, 0, negative) with held and handed-back commands, reopen_max, give-up,
 * target-requested logout, logout/terminate from any state, O-11 retries.
 */
import { describe, expect, it } from 'vitest';
import { loginStatusError } from '../../../src/iscsi/login/status.js';
import { SessionSupervisor, type SupervisorOptions, type SupervisorTransition } from '../../../src/recovery/supervisor.js';
import type { ScsiResult } from '../../../src/session/scsi-task.js';
import { IscsiError, ISCSI_ERR, TransportError } from '../../../src/shared/errors.js';
import { FakeClock } from '../../support/fake-clock.js';
import { checkCondition, flush, GOOD, StubSession } from './stub-session.js';

const TUR = { lun: 0, cdb: Buffer.alloc(6) };
const READ = { lun: 1, cdb: Buffer.from([0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0]), dataInLength: 512 };

interface Rig {
  clock: FakeClock;
  session: StubSession;
  sup: SessionSupervisor;
  transitions: SupervisorTransition[];
}

function rig(opts: SupervisorOptions['config'] = {}, time2Wait = 2): Rig {
  const clock = new FakeClock(1000);
  const session = new StubSession(time2Wait);
  const sup = new SessionSupervisor(session as never, { clock, config: opts, random: () => 0 });
  const transitions: SupervisorTransition[] = [];
  sup.on('transition', (t: SupervisorTransition) => transitions.push(t));
  return { clock, session, sup, transitions };
}

async function loggedIn(opts: SupervisorOptions['config'] = {}, time2Wait = 2): Promise<Rig> {
  const r = rig(opts, time2Wait);
  const started = r.sup.start();
  await r.session.succeed();
  await started;
  return r;
}

/** Settle state of a promise without waiting for it. */
function track<T>(p: Promise<T>): { state: () => 'pending' | 'resolved' | 'rejected'; value: () => T | undefined; error: () => IscsiError | undefined } {
  let st: 'pending' | 'resolved' | 'rejected' = 'pending';
  let value: T | undefined;
  let error: IscsiError | undefined;
  p.then((v) => ((st = 'resolved'), (value = v)), (e: IscsiError) => ((st = 'rejected'), (error = e)));
  return { state: () => st, value: () => value, error: () => error };
}

describe('initial login', () => {
  it('logs in and publishes FREE → IN_LOGIN → LOGGED_IN', async () => {
    const { sup, transitions, session } = await loggedIn();
    expect(sup.state).toBe('LOGGED_IN');
    expect(transitions.map((t) => `${t.from}>${t.to}`)).toEqual(['FREE>IN_LOGIN', 'IN_LOGIN>LOGGED_IN']);
    expect(transitions[1]!.words).toEqual({ connection: 'LOGGED IN', session: 'LOGGED_IN', internal: 'NO CHANGE' });
    expect(session.hasHandler).toBe(true);
  });

  it('S-04 retries within initial_login_retry_max × login_timeout, then gives up with the last error', async () => {
    const { sup, session, clock } = rig({ initialLoginRetryMax: 2, loginTimeoutMs: 15_000 }); // budget 30 s from t=1000
    const started = track(sup.start());
    expect(session.logins).toHaveLength(1);
    await session.failLogin(new TransportError('LOGIN_TIMEOUT', 'silent portal', { errno: ISCSI_ERR.TRANS_TIMEOUT }));
    expect(sup.snapshot()).toMatchObject({ state: 'IN_LOGIN', step: 'delay', words: { connection: 'TRANSPORT WAIT' } });
    clock.advance(1999);
    expect(session.logins).toHaveLength(1);
    clock.advance(1); // DefaultTime2Wait default 2 s
    expect(session.logins).toHaveLength(2);
    clock.advance(15_000); // this attempt times out at t=18000
    await session.failLogin(loginStatusError(3, 0x00));
    clock.advance(2000);
    expect(session.logins).toHaveLength(3);
    clock.advance(12_000); // t=32000: past 1000 + 30000
    await session.failLogin(loginStatusError(3, 0x01));
    expect(started.state()).toBe('rejected');
    expect(started.error()).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(sup.state).toBe('FREE');
    expect(clock.pending()).toBe(0);
  });

  it('G-09 O-15 a class 2 status stops the initial login after one attempt', async () => {
    const { sup, session, clock } = rig();
    const started = track(sup.start());
    await session.failLogin(loginStatusError(2, 0x03));
    expect(started.state()).toBe('rejected');
    expect(started.error()).toMatchObject({ code: 'TARGET_NOT_FOUND', errno: ISCSI_ERR.FATAL_LOGIN });
    clock.advance(600_000);
    expect(session.logins).toHaveLength(1);
  });

  it('commands before the first login fail fast; start() twice is refused', async () => {
    const { sup } = rig();
    await expect(sup.execute(TUR)).rejects.toMatchObject({ code: 'SESSION_NOT_LOGGED_IN' });
    void sup.start().catch(() => undefined);
    await expect(sup.start()).rejects.toMatchObject({ code: 'SESSION_BUSY' });
    sup.terminate();
  });
});

describe('reopen', () => {
  it('O-02 O-03 REOPEN waits the negotiated DefaultTime2Wait, then logs in again until it works', async () => {
    const { sup, session, clock, transitions } = await loggedIn({}, 3);
    session.breakConnection();
    expect(sup.state).toBe('REOPEN');
    expect(sup.snapshot().words).toEqual({ connection: 'TRANSPORT WAIT', session: 'FAILED', internal: 'REOPEN' });
    clock.advance(2999);
    expect(session.logins).toHaveLength(1);
    clock.advance(1);
    expect(session.logins).toHaveLength(2);
    expect(sup.snapshot().words.connection).toBe('IN LOGIN');
    await session.failLogin();
    clock.advance(3000);
    expect(session.logins).toHaveLength(3);
    const recovered: unknown[] = [];
    sup.on('recovered', (d) => recovered.push(d));
    await session.succeed();
    expect(sup.state).toBe('LOGGED_IN');
    expect(recovered).toEqual([{ attempts: 2 }]);
    expect(transitions.filter((t) => t.to === 'REOPEN' || t.from === 'REOPEN').map((t) => `${t.to}/${t.step}`)).toEqual([
      'REOPEN/delay', 'REOPEN/login', 'REOPEN/delay', 'REOPEN/login', 'LOGGED_IN/none',
    ]);
    expect(clock.pending()).toBe(0); // replacement timer cancelled
  });

  it('backoff: with DefaultTime2Wait 0 the delays grow 0, 500, 1000, 2000, 2000 ms', async () => {
    const { session, clock } = await loggedIn({ backoff: { initialMs: 500, factor: 2, maxMs: 2000 } }, 0);
    session.breakConnection();
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const start = clock.now();
      const before = session.logins.length;
      while (session.logins.length === before) clock.advance(1);
      delays.push(clock.now() - start - (i === 0 ? 0 : 0));
      await session.failLogin();
    }
    // The first attempt is armed with 0 ms and fires on the first advance (1 ms).
    expect(delays).toEqual([1, 500, 1000, 2000, 2000]);
  });

  it('M-05 M-07 S-06 AsyncEvent Parameter2 (5 s) delays the first reconnect instead of DefaultTime2Wait (2 s)', async () => {
    const { session, clock } = await loggedIn({}, 2);
    session.breakConnection(new TransportError('TARGET_DROPPED_CONNECTION', 'drop'), { time2WaitMs: 5000, time2RetainMs: 0, asyncEvent: 2 });
    clock.advance(4999);
    expect(session.logins).toHaveLength(1);
    clock.advance(1);
    expect(session.logins).toHaveLength(2);
    await session.failLogin();
    clock.advance(2000); // later attempts: DefaultTime2Wait again
    expect(session.logins).toHaveLength(3);
  });

  it('reopen_max 3: three attempts, then FAILED with the cause; held commands fail; logout still works', async () => {
    const { sup, session, clock } = await loggedIn({ reopenMax: 3 });
    const gaveUp: Array<Record<string, unknown>> = [];
    sup.on('gave-up', (d: Record<string, unknown>) => gaveUp.push(d));
    session.breakConnection();
    const held = track(sup.execute(TUR));
    for (let i = 0; i < 3; i++) {
      clock.advance(2000);
      await session.failLogin();
    }
    expect(session.logins).toHaveLength(4); // 1 initial + 3 reopens
    expect(sup.state).toBe('FAILED');
    expect(sup.snapshot().words).toEqual({ connection: 'CLEANUP WAIT', session: 'FREE', internal: 'NO CHANGE' });
    expect(gaveUp).toHaveLength(1);
    expect(String(gaveUp[0]!.why)).toContain('reopen_max');
    await flush();
    expect(held.error()).toMatchObject({ code: 'SESSION_RECOVERY_FAILED' });
    await expect(sup.execute(TUR)).rejects.toMatchObject({ code: 'SESSION_RECOVERY_FAILED' });
    clock.advance(600_000);
    expect(session.logins).toHaveLength(4);
    await sup.logout();
    expect(sup.state).toBe('FREE');
    expect(session.closes).toBe(1);
  });

  it('G-09 a non-retryable failure during reopen (authentication) gives up at once', async () => {
    const { sup, session, clock } = await loggedIn();
    session.breakConnection();
    clock.advance(2000);
    await session.failLogin(loginStatusError(2, 0x01));
    expect(sup.state).toBe('FAILED');
    expect(sup.snapshot().cause).toMatchObject({ code: 'AUTHENTICATION_FAILURE' });
    expect(clock.pending()).toBe(0);
  });
});

describe('replacement_timeout', () => {
  it('S-01 new commands are held while it runs and issued after reinstatement, in order', async () => {
    const { sup, session, clock } = await loggedIn({ replacementTimeoutMs: 10_000 });
    session.breakConnection();
    const a = track(sup.execute(TUR));
    const b = track(sup.execute(READ));
    expect(session.issued).toHaveLength(0);
    expect(sup.snapshot().held).toBe(2);
    clock.advance(2000);
    await session.succeed();
    expect(session.issued.map((i) => i.request)).toEqual([TUR, READ]);
    for (const i of session.issued) session.complete(i);
    await flush();
    expect([a.state(), b.state()]).toEqual(['resolved', 'resolved']);
  });

  it('S-01 O-10 in-flight commands are handed back and issued again first after reinstatement', async () => {
    const { sup, session, clock } = await loggedIn({ replacementTimeoutMs: 10_000 });
    const inflight = track(sup.execute(READ));
    expect(session.issued).toHaveLength(1);
    session.breakConnection();
    const later = track(sup.execute(TUR));
    expect(sup.snapshot().held).toBe(2);
    clock.advance(2000);
    await session.succeed();
    expect(session.issued.map((i) => i.request)).toEqual([READ, READ, TUR]);
    const data = { ...GOOD, data: Buffer.from('sector') };
    session.complete(session.issued[1]!, data);
    session.complete(session.issued[2]!);
    await flush();
    expect(inflight.value()).toEqual(data);
    expect(later.state()).toBe('resolved');
  });

  it('S-01 when it fires every held command fails at once and new ones fail immediately until the session is back', async () => {
    const { sup, session, clock } = await loggedIn({ replacementTimeoutMs: 5000 });
    const inflight = track(sup.execute(READ));
    session.breakConnection();
    const held = [track(sup.execute(TUR)), track(sup.execute(TUR))];
    const fired: unknown[] = [];
    sup.on('replacement-timeout', (d) => fired.push(d));
    clock.advance(2000);
    await session.failLogin(); // attempt 1 fails at t+2000
    clock.advance(2999);
    await flush();
    expect([inflight, ...held].map((t) => t.state())).toEqual(['pending', 'pending', 'pending']);
    clock.advance(1); // t+5000
    await flush();
    expect([inflight, ...held].map((t) => t.error()?.code)).toEqual(['REPLACEMENT_TIMEOUT', 'REPLACEMENT_TIMEOUT', 'REPLACEMENT_TIMEOUT']);
    expect(inflight.error()?.errno).toBe(ISCSI_ERR.SESSION_NOT_CONNECTED);
    expect(fired).toEqual([{ replacementTimeoutMs: 5000 }]);
    expect(sup.snapshot()).toMatchObject({ state: 'REOPEN', replacementExpired: true, words: { session: 'FREE' } });
    await expect(sup.execute(TUR)).rejects.toMatchObject({ code: 'REPLACEMENT_TIMEOUT' });
    // Recovery goes on; once back, commands pass again.
    clock.advance(1000);
    expect(session.logins).toHaveLength(3);
    await session.succeed();
    const after = track(sup.execute(TUR));
    session.complete(session.issued.at(-1)!);
    await flush();
    expect(after.state()).toBe('resolved');
  });

  it('S-01 replacement_timeout 0 fails in-flight and new commands at once', async () => {
    const { sup, session, clock } = await loggedIn({ replacementTimeoutMs: 0 });
    const inflight = track(sup.execute(READ));
    session.breakConnection();
    await flush();
    expect(inflight.error()?.code).toBe('REPLACEMENT_TIMEOUT');
    await expect(sup.execute(TUR)).rejects.toMatchObject({ code: 'REPLACEMENT_TIMEOUT' });
    clock.advance(2000);
    expect(session.logins).toHaveLength(2); // still reconnecting
  });

  it('S-01 a negative replacement_timeout holds commands until logout', async () => {
    const { sup, session, clock } = await loggedIn({ replacementTimeoutMs: -1 });
    const inflight = track(sup.execute(READ));
    session.breakConnection();
    const held = track(sup.execute(TUR));
    for (let i = 0; i < 50; i++) {
      clock.advance(86_400_000 / 50);
      if (session.state === 'logging-in') await session.failLogin();
    }
    expect([inflight.state(), held.state()]).toEqual(['pending', 'pending']);
    await sup.logout();
    await flush();
    expect([inflight.error()?.code, held.error()?.code]).toEqual(['SESSION_LOGGED_OUT', 'SESSION_LOGGED_OUT']);
    expect(sup.state).toBe('FREE');
  });

  it('O-08 a held command whose caller aborted is not issued again', async () => {
    const { sup, session, clock } = await loggedIn();
    const ac = new AbortController();
    const t = track(sup.execute(TUR, { signal: ac.signal }));
    session.breakConnection();
    ac.abort();
    clock.advance(2000);
    await session.succeed();
    await flush();
    expect(t.error()?.code).toBe('TASK_ABORTED');
    expect(session.issued).toHaveLength(1);
  });
});

describe('target-requested logout', () => {
  it('M-03 holds commands during the logout (LOGOUT REQUESTED), then logs in again after Time2Wait', async () => {
    const { sup, session, clock } = await loggedIn();
    const inflight = track(sup.execute(READ));
    session.requestLogout();
    expect(sup.snapshot()).toMatchObject({ state: 'REOPEN', step: 'logout-wait', words: { connection: 'LOGOUT REQUESTED' } });
    const held = track(sup.execute(TUR));
    clock.advance(60_000);
    expect(session.logins).toHaveLength(1); // nothing until the logout is over
    session.finishTargetLogout();
    clock.advance(2000);
    expect(session.logins).toHaveLength(2);
    await session.succeed();
    expect(session.issued.slice(1).map((i) => i.request)).toEqual([READ, TUR]);
    for (const i of session.issued.slice(1)) session.complete(i);
    await flush();
    expect([inflight.state(), held.state()]).toEqual(['resolved', 'resolved']);
  });
});

describe('operator controls', () => {
  it('logout from LOGGED_IN sends the session Logout and ends FREE', async () => {
    const { sup, session, transitions } = await loggedIn();
    const out = sup.logout();
    expect(sup.state).toBe('IN_LOGOUT');
    await expect(sup.execute(TUR)).rejects.toMatchObject({ code: 'SESSION_LOGGED_OUT' });
    session.logoutResult!.resolve({ response: 0 });
    await expect(out).resolves.toEqual({ response: 0 });
    expect(sup.state).toBe('FREE');
    expect(transitions.at(-1)).toMatchObject({ from: 'IN_LOGOUT', to: 'FREE', event: 'logout-done' });
  });

  it('terminate() during a reopen login closes the session and ignores the late result', async () => {
    const { sup, session, clock } = await loggedIn();
    session.breakConnection();
    const held = track(sup.execute(TUR));
    clock.advance(2000);
    expect(session.state).toBe('logging-in');
    sup.terminate();
    expect(sup.state).toBe('FREE');
    expect(session.closes).toBe(1);
    await session.succeed(); // the attempt "completes" after the teardown
    expect(sup.state).toBe('FREE');
    expect(held.error()?.code).toBe('SESSION_TERMINATED');
    expect(clock.pending()).toBe(0);
  });

  it('terminate() during the initial login rejects start()', async () => {
    const { sup } = rig();
    const started = sup.start();
    sup.terminate();
    await expect(started).rejects.toMatchObject({ code: 'SESSION_TERMINATED' });
  });

  it('dispose() detaches from the session', async () => {
    const { sup, session } = await loggedIn();
    sup.dispose();
    expect(session.hasHandler).toBe(false);
    expect(session.listenerCount('connection-error')).toBe(0);
  });
});

describe('unit attention after recovery', () => {
  it('O-11 a 47h/7Fh unit attention is retried (at most twice), the final result is returned', async () => {
    const { sup, session } = await loggedIn();
    const t = track(sup.execute(TUR));
    session.complete(session.issued[0]!, checkCondition(6, 0x47, 0x7f));
    await flush();
    expect(session.issued).toHaveLength(2);
    session.complete(session.issued[1]!);
    await flush();
    expect(t.value()).toEqual(GOOD);

    const u = track(sup.execute(TUR));
    const ua = checkCondition(6, 0x29, 0x00);
    for (let i = 0; i < 3; i++) {
      session.complete(session.issued.at(-1)!, ua);
      await flush();
    }
    expect(session.issued).toHaveLength(5);
    expect((u.value() as ScsiResult).status).toBe(2);
  });

  it('unexpected session errors reach the caller unchanged', async () => {
    const { sup, session } = await loggedIn();
    const t = track(sup.execute(TUR));
    session.issued[0]!.done.reject(new IscsiError('PDU_REJECTED', 'rejected'));
    await flush();
    expect(t.error()?.code).toBe('PDU_REJECTED');
  });
});
