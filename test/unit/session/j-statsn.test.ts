/**
 * Status numbering end to end (RFC 7143 §4.2.2.2, §7.9, §11.9, §11.17.3, §11.19.2;
 * checklist J-06..J-10). ExpStatSN is read from the raw bytes of what the initiator sent.
 */
import { describe, expect, it } from 'vitest';
import type { IscsiError } from '../../../src/shared/errors.js';
import type { Session } from '../../../src/session/session.js';
import { asyncMessage, ffpState, nopIn, rejectOf, type FakeTarget } from '../../support/fake-target/index.js';
import { expStatSNOf, loggedIn, ofKind, quiet, rejectionOf, settle, tur, until } from './helpers-jnr.js';

function failure(session: Session): Promise<IscsiError> {
  return new Promise((resolve) => session.once('connection-error', resolve));
}

/** ExpStatSN of the last SCSI command the target received. */
function lastCmdExpStatSN(target: FakeTarget): number {
  return expStatSNOf(ofKind(target, 'scsi-command').at(-1)!.raw);
}

describe('J: StatSN and ExpStatSN', () => {
  it('J-06 every outgoing PDU carries ExpStatSN = last StatSN + 1, across the 2^32 wrap', async () => {
    // One Login Response with StatSN 0xfffffffe; then each TUR response takes the next StatSN.
    const { target, session } = await loggedIn({ initialStatSN: 0xfffffffe });
    for (let i = 0; i < 4; i++) await tur(session);
    await session.ping();
    expect(ofKind(target, 'scsi-command').map((r) => expStatSNOf(r.raw))).toEqual([0xffffffff, 0, 1, 2]);
    expect(expStatSNOf(ofKind(target, 'nop-out')[0]!.raw)).toBe(3);
    expect(target.violations()).toEqual([]);
  });

  it('J-07 a NOP-In ping with ITT 0xffffffff does not advance ExpStatSN; the next response with the same StatSN is accepted', async () => {
    const { target, session } = await loggedIn();
    await tur(session);
    const ctx = target.ctx(0);
    const e = ctx.sn.statSN; // next StatSN the target will use = our ExpStatSN
    ffpState(ctx)!.pings.sent.push(0x70000001);
    const ping = nopIn(ctx, { ttt: 0x70000001 }); // carries StatSN e, does not use it
    expect(ping.statSN).toBe(e);
    ctx.send(ping);
    await target.waitFor((r) => r.pdu.kind === 'nop-out'); // our answer to the ping
    await tur(session); // its response carries StatSN e again
    expect(lastCmdExpStatSN(target)).toBe(e);
    await tur(session);
    expect(lastCmdExpStatSN(target)).toBe((e + 1) >>> 0);
    expect(session.state).toBe('logged-in');
    expect(target.violations()).toEqual([]);
  });

  it('J-08 an Async Message and a Reject with StatSN S advance ExpStatSN to S+1', async () => {
    const { target, session } = await loggedIn();
    await tur(session);
    const ctx = target.ctx(0);
    const msg = asyncMessage(ctx, { event: 0 });
    ctx.send(msg);
    await new Promise<void>((resolve) => session.once('async', () => resolve()));
    await tur(session);
    expect(lastCmdExpStatSN(target)).toBe((msg.statSN + 1) >>> 0);
    // A Reject consumes a StatSN too (the rejected PDU here is an unknown ITT: nothing to fail).
    const fake = Buffer.alloc(48);
    fake[0] = 0x41;
    fake.writeUInt32BE(0x0badcafe, 16);
    const rej = rejectOf(ctx, fake, 0x09);
    ctx.send(rej);
    await settle(); // let the session read the Reject (it emits nothing for an unknown ITT)
    await tur(session);
    expect(lastCmdExpStatSN(target)).toBe((rej.statSN + 1) >>> 0);
    expect(session.state).toBe('logged-in');
  });

  it('J-09 a StatSN far from ExpStatSN (64 Ki behind, or the undefined 2^31 apart) fails the connection for session recovery', async () => {
    for (const distance of [-0x10000, 0x80000000]) {
      const { target, session } = await loggedIn();
      await tur(session);
      const failed = failure(session);
      const pending = quiet(tur(session).then(() => tur(session)));
      const ctx = target.ctx(0);
      const e = ctx.sn.statSN;
      ctx.send({ ...asyncMessage(ctx, { event: 0 }), statSN: (e + distance) >>> 0 });
      expect((await failed).code).toBe('STATSN_JUMP');
      expect(session.state).toBe('failed');
      const err = await rejectionOf(pending);
      expect(err.code === 'SESSION_FAILED' || err.code === 'SESSION_NOT_LOGGED_IN').toBe(true);
      await target.waitForClosed(0);
    }
  });

  it('J-10 decision: a StatSN ahead of ExpStatSN means lost status; ERL 0 has no status SNACK, so the session fails (STATSN_GAP)', async () => {
    const { target, session } = await loggedIn({ blackHole: (p) => p.kind === 'scsi-command' });
    const failed = failure(session);
    const pending = tur(session);
    await until(() => ofKind(target, 'scsi-command').length === 1);
    const ctx = target.ctx(0);
    // The next status PDU skips one StatSN: one response was lost.
    const e = ctx.sn.statSN;
    ctx.send({ ...asyncMessage(ctx, { event: 0 }), statSN: (e + 1) >>> 0 });
    expect((await failed).code).toBe('STATSN_GAP');
    const err = await rejectionOf(pending);
    expect(err.code).toBe('SESSION_FAILED');
    expect(err.details?.reason).toBe('STATSN_GAP');
    await target.waitForClosed(0);
  });
});
