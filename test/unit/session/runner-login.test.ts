/**
 * The login runner over real loopback sockets: login timeout, one login phase per TCP
 * connection, re-login after a failure, ISID handling (checklist C-14, C-15, B-03,
 * B-04, B-05).
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../support/fake-clock.js';
import type { FakeTarget } from '../../support/fake-target/index.js';
import { ISID, loggedIn, newSession, ofKind, rejectionOf, startTarget, tur, until } from './helpers-jnr.js';

/** ISID (bytes 8-13) and TSIH (bytes 14-15) of every Login Request on connection `conn`. */
function loginIds(target: FakeTarget, conn: number): Array<{ isid: string; tsih: number }> {
  return ofKind(target, 'login-request', conn).map((r) => ({ isid: r.raw.subarray(8, 14).toString('hex'), tsih: r.raw.readUInt16BE(14) }));
}

describe('login runner', () => {
  it('C-15 a target that accepts TCP but never answers times the login out and the connection is closed', async () => {
    const clock = new FakeClock();
    const { target } = await startTarget({ blackHole: true });
    const session = newSession(target.portal, { clock, loginTimeoutMs: 15_000 });
    const login = rejectionOf(session.login());
    await target.waitFor((r) => r.pdu.kind === 'login-request');
    clock.advance(14_999);
    await new Promise((r) => setTimeout(r, 20));
    expect(target.openConnections()).toBe(1);
    clock.advance(1);
    const err = await login;
    expect(err.code).toBe('LOGIN_TIMEOUT');
    expect(session.state).toBe('failed');
    await target.waitForClosed(0);
    expect(ofKind(target, 'login-request')).toHaveLength(1); // C-11: one request, never a second
  });

  it('C-14 every new login (after a timeout, a login reject, a logout) uses a new TCP connection', async () => {
    // After a timeout.
    const clock = new FakeClock();
    const hole = await startTarget({ blackHole: true });
    const s1 = newSession(hole.target.portal, { clock, loginTimeoutMs: 1000 });
    for (let i = 0; i < 2; i++) {
      const p = rejectionOf(s1.login());
      await hole.target.waitForConnections(i + 1);
      await hole.target.waitFor((r) => r.conn === i && r.pdu.kind === 'login-request');
      clock.advance(1000);
      expect((await p).code).toBe('LOGIN_TIMEOUT');
    }
    expect([0, 1].map((c) => ofKind(hole.target, 'login-request', c).length)).toEqual([1, 1]);

    // After a status-class-3 reject (the target leaves the connection open: C-13, the initiator closes).
    const busy = await startTarget({ status: { statusClass: 3, statusDetail: 1 } });
    const s2 = newSession(busy.target.portal);
    expect((await rejectionOf(s2.login())).code).toBe('SERVICE_UNAVAILABLE');
    expect((await rejectionOf(s2.login())).code).toBe('SERVICE_UNAVAILABLE');
    await busy.target.waitForClosed(0);
    await busy.target.waitForClosed(1);
    expect(busy.target.connections()).toBe(2);
    expect(busy.target.violations()).toEqual([]); // PDU_OUTSIDE_LOGIN would flag a second phase

    // After a logout.
    const { target, session } = await loggedIn();
    await session.logout();
    await session.login();
    expect(await tur(session)).toMatchObject({ status: 0 });
    expect(target.connections()).toBe(2);
    await target.waitForClosed(0);
    expect(target.violations()).toEqual([]);
  });

  it('B-05 re-login after a connection failure uses the same ISID and TSIH 0 (session reinstatement)', async () => {
    const { target, session } = await loggedIn();
    const firstTsih = session.tsih;
    expect(firstTsih).not.toBe(0);
    const failed = new Promise((resolve) => session.once('connection-error', resolve));
    target.ctx(0).reset();
    await failed;
    expect(session.state).toBe('failed');
    await session.login();
    expect(session.state).toBe('logged-in');
    expect(session.loginCount).toBe(2);
    const ids = [...loginIds(target, 0), ...loginIds(target, 1)];
    expect(ids.every((x) => x.isid === ISID.toString('hex') && x.tsih === 0)).toBe(true);
    expect(loginIds(target, 1).length).toBeGreaterThan(0);
    expect((await tur(session)).status).toBe(0);
  });

  it('B-09 reinstatement only from FAILED: login() on a live session is refused without a connection; after a failure it reinstates (TSIH 0, same ISID)', async () => {
    const { target, session } = await loggedIn();
    const err = await rejectionOf(session.login());
    expect(err).toMatchObject({ code: 'SESSION_BUSY', errno: 15 });
    expect(session.state).toBe('logged-in');
    expect(target.connections()).toBe(1); // no second login, which would have reinstated (killed) the live session
    expect((await tur(session)).status).toBe(0);
    const failed = new Promise((resolve) => session.once('connection-error', resolve));
    target.ctx(0).reset();
    await failed;
    expect(session.state).toBe('failed');
    await session.login();
    expect(loginIds(target, 1)[0]).toEqual({ isid: ISID.toString('hex'), tsih: 0 });
    expect(target.connections()).toBe(2);
  });

  it('B-03 concurrent sessions to one target carry the distinct ISIDs they were given, unchanged', async () => {
    const { target } = await startTarget();
    const other = Buffer.from([0x80, 0x12, 0x34, 0x56, 0x00, 0x02]);
    const a = newSession(target.portal);
    const b = newSession(target.portal, { isid: other });
    await Promise.all([a.login(), b.login()]);
    await Promise.all([tur(a), tur(b)]);
    const seen = new Set([0, 1].flatMap((c) => loginIds(target, c).map((x) => x.isid)));
    expect(seen).toEqual(new Set([ISID.toString('hex'), other.toString('hex')]));
    expect(a.tsih).not.toBe(b.tsih);
  });

  it('B-04 the same configured ISID is used towards different targets and portal groups', async () => {
    const one = await startTarget({ tpgt: 1 });
    const two = await startTarget({ tpgt: 2 }, { host: '127.0.0.2' });
    const a = newSession(one.target.portal);
    const b = newSession(two.target.portal);
    await a.login();
    await b.login();
    await until(() => loginIds(two.target, 0).length > 0);
    expect(loginIds(one.target, 0)[0]!.isid).toBe(ISID.toString('hex'));
    expect(loginIds(two.target, 0)[0]!.isid).toBe(ISID.toString('hex'));
  });
});
