/**
 * Checklist section L (RFC 7143 §11.14, §11.15, §4.2.6, §8.1.2): Logout. Wire format
 * of the request, nothing sent after it, closing TCP, the response codes and their
 * Time2Wait/Time2Retain semantics, the logout timeout (FakeClock), and outstanding
 * commands at logout.
 */
import { describe, expect, it } from 'vitest';
import { ISCSI_ERR } from '../../../src/shared/errors.js';
import type { LogoutRequest } from '../../../src/iscsi/pdu/types.js';
import { asyncMessage } from '../../support/fake-target/index.js';
import { logoutRequest } from '../../support/pdu-builder.js';
import {
  bhs, nth, RESERVED, sent, sleep, stateReached, useHarness, violationCodes, type Fixture,
} from './helpers-ikl.js';

const h = useHarness();
const TUR = { lun: 0, cdb: Buffer.alloc(6) };

/** Time the target's log saw the initiator's FIN on connection `conn`. */
function finAt(fx: Fixture, conn = 0): number | undefined {
  return fx.target.log.find((e) => e.conn === conn && e.code === 'PEER_FIN')?.at;
}

async function settledWithin<T>(p: Promise<T>, ms: number): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true), () => (done = true));
  await sleep(ms);
  return done;
}

describe('L: Logout', () => {
  it('L-01 the Logout Request: opcode 0x06, F=1, reason 0, our CID, no AHS or data, current ExpStatSN, fresh ITT', async () => {
    const fx = await h.target();
    const { s } = await h.open(fx, { cid: 3 });
    await s.ping();
    expect(await s.logout()).toEqual({ response: 0 });
    const rec = await nth(fx.target, 'logout-request');
    const at = fx.arrival(rec);
    const itt = rec.pdu.itt;
    expect(bhs(rec)).toEqual(logoutRequest({ immediate: true, reasonCode: 0, itt, cid: 3, cmdSN: at.expCmdSN, expStatSN: at.statSN }).bhs);
    expect(rec.raw.length).toBe(48);
    expect(itt).not.toBe(RESERVED);
    expect(itt).not.toBe(sent(fx.target, 'nop-out')[0]!.pdu.itt);
    expect(violationCodes(fx.target)).toEqual([]);
  });

  it('L-02 after the Logout Request nothing new is sent: commands, pings, text and keepalives are refused', async () => {
    const fx = await h.target({ delayMs: (pdu) => (pdu.kind === 'logout-response' ? 50 : 0) });
    const { s, clock } = await h.open(fx, { noopOutIntervalMs: 1_000, noopOutTimeoutMs: 1_000 });
    const out = s.logout();
    expect(s.state).toBe('logging-out');
    await expect(s.execute(TUR)).rejects.toMatchObject({ code: 'SESSION_NOT_LOGGED_IN' });
    await expect(s.ping()).rejects.toMatchObject({ code: 'SESSION_NOT_LOGGED_IN' });
    await expect(s.sendTargets('')).rejects.toMatchObject({ code: 'SESSION_NOT_LOGGED_IN' });
    expect(() => s.confirmExpStatSN()).toThrow(expect.objectContaining({ code: 'SESSION_NOT_LOGGED_IN' }));
    clock.advance(10_000);
    await out;
    expect(fx.target.received.map((r) => r.pdu.kind)).toEqual(['login-request', 'logout-request']);
    expect(violationCodes(fx.target)).toEqual([]);
  });

  it('L-03 Logout Response 0: the connection is closed completely, with or without the target FIN first', async () => {
    for (const close of [true, false]) {
      const fx = await h.target({ logout: { response: 0, close } });
      const { s } = await h.open(fx);
      await s.logout();
      expect(s.state).toBe('closed');
      await fx.target.waitForClosed(0);
      expect(finAt(fx)).toBeDefined();
      expect(fx.target.openConnections()).toBe(0);
    }
  });

  it('L-04 Logout Response 1 (CID not found): the connection is treated as gone, its times are not reported', async () => {
    const fx = await h.target({ logout: { response: 1, time2Wait: 9, time2Retain: 9, close: false } });
    const { s } = await h.open(fx);
    expect(await s.logout()).toEqual({ response: 1 });
    expect(s.state).toBe('closed');
    await fx.target.waitForClosed(0);
    // Time2Wait=9 is invalid with response 1: a new login starts at once.
    await s.login();
    expect(fx.target.connections()).toBe(2);
  });

  it('L-05 Logout Response 2/3 with Time2Wait=a, Time2Retain=b>0: the next login waits a seconds', async () => {
    for (const response of [2, 3]) {
      const fx = await h.target({ logout: { response, time2Wait: 2, time2Retain: 20 } });
      const { s, clock } = await h.open(fx);
      expect(await s.logout()).toEqual({ response, time2Wait: 2, time2Retain: 20 });
      const again = s.login();
      clock.advance(1_999);
      expect(await settledWithin(again, 50)).toBe(false);
      expect(fx.target.connections()).toBe(1);
      clock.advance(1);
      await again;
      expect(fx.target.connections()).toBe(2);
      expect(s.state).toBe('logged-in');
    }
  });

  it('L-05 Time2Retain=0 means the target state is gone: nothing to wait for', async () => {
    const fx = await h.target({ logout: { response: 3, time2Wait: 2, time2Retain: 0 } });
    const { s } = await h.open(fx);
    expect(await s.logout()).toEqual({ response: 3, time2Wait: 2, time2Retain: 0 });
    await s.login();
    expect(fx.target.connections()).toBe(2);
  });

  it('L-06 Logout Response 0 at ERL 0: Time2Wait/Time2Retain are ignored', async () => {
    const fx = await h.target({ logout: { response: 0, time2Wait: 7, time2Retain: 30 } });
    const { s } = await h.open(fx);
    expect(s.params?.errorRecoveryLevel).toBe(0);
    expect(await s.logout()).toEqual({ response: 0 });
    await s.login();
    expect(fx.target.connections()).toBe(2);
  });

  it('L-07 we never send reason 2 (remove for recovery): our own and target-requested logouts use reason 0', async () => {
    const fx = await h.target({ onFullFeature: (ctx) => ctx.send(asyncMessage(ctx, { event: 1, parameter3: 5 }), { delayMs: 10 }) });
    const { s } = await h.open(fx);
    expect(s.params?.errorRecoveryLevel).toBe(0);
    const rec = await nth(fx.target, 'logout-request');
    expect(rec.raw[1]).toBe(0x80);
    expect((rec.pdu as LogoutRequest).reasonCode).toBe(0);
    await stateReached(s, 'closed');
    expect(violationCodes(fx.target)).toEqual([]);
  });

  it('L-08 no Logout Response: after logout_timeout (15 s) the logout fails and the connection is closed', async () => {
    const fx = await h.target({ blackHole: (pdu) => pdu.kind === 'logout-request' });
    const { s, clock } = await h.open(fx);
    const out = s.logout();
    out.catch(() => undefined);
    await nth(fx.target, 'logout-request');
    clock.advance(14_999);
    expect(await settledWithin(out, 30)).toBe(false);
    expect(s.state).toBe('logging-out');
    clock.advance(1);
    await expect(out).rejects.toMatchObject({ code: 'LOGOUT_TIMEOUT', errno: ISCSI_ERR.LOGOUT });
    expect(s.state).toBe('closed');
    await fx.target.waitForClosed(0);
  });

  it('L-09 a session-close logout with commands outstanding completes them with an error', async () => {
    const fx = await h.target({ window: 1, blackHole: (pdu) => pdu.kind === 'scsi-command' });
    const { s } = await h.open(fx);
    const inFlight = s.execute(TUR);
    const queued = s.execute(TUR); // held back by the one-command window
    inFlight.catch(() => undefined);
    queued.catch(() => undefined);
    await nth(fx.target, 'scsi-command');
    expect(await s.logout()).toEqual({ response: 0 });
    await expect(inFlight).rejects.toMatchObject({ code: 'SESSION_LOGGED_OUT', errno: ISCSI_ERR.LOGOUT });
    await expect(queued).rejects.toMatchObject({ code: 'SESSION_LOGGED_OUT', errno: ISCSI_ERR.LOGOUT });
    expect(s.outstanding).toBe(0);
    expect(sent(fx.target, 'scsi-command')).toHaveLength(1);
    expect(violationCodes(fx.target)).toEqual([]);
  });

  it('L-10 orderly shutdown: the Logout Request reaches the target before our FIN', async () => {
    const fx = await h.target();
    const { s } = await h.open(fx);
    await s.logout();
    await fx.target.waitForClosed(0);
    const logout = sent(fx.target, 'logout-request')[0]!;
    const fin = finAt(fx);
    expect(fin).toBeDefined();
    expect(fin!).toBeGreaterThan(logout.at);
    expect(fx.target.received.at(-1)).toBe(logout);
  });
});
