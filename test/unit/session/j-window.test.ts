/**
 * Command numbering and the command window end to end against the fake target
 * (RFC 7143 §4.2.2.1; checklist J-01..J-05, J-12, C-03). CmdSNs are read from the raw
 * wire bytes the target recorded.
 */
import { describe, expect, it } from 'vitest';
import { RESERVED_TAG, type InitiatorPdu, type TargetPdu } from '../../../src/iscsi/pdu/types.js';
import { Numbering } from '../../../src/session/numbering.js';
import { asyncMessage, nopIn, rejectOf, scsiResponse, type ConnContext, type Received } from '../../support/fake-target/index.js';
import {
  cmdSNOf, ffp, immediateOf, loggedIn, ofKind, quiet, settle, tur, until, LUN0,
} from './helpers-jnr.js';

describe('J: CmdSN and the command window', () => {
  it('C-03 login requests carry CmdSN N=0xfffffffe and so does the first non-immediate FFP PDU, then it wraps', async () => {
    const { target, session } = await loggedIn({ t0OnFirstOperational: true }, { initialCmdSN: 0xfffffffe });
    await session.ping(Buffer.from('before'));
    for (let i = 0; i < 3; i++) await tur(session);
    const logins = ofKind(target, 'login-request');
    expect(logins.length).toBeGreaterThanOrEqual(2);
    expect(logins.map((r) => cmdSNOf(r.raw))).toEqual(logins.map(() => 0xfffffffe));
    const nop = ofKind(target, 'nop-out')[0]!;
    expect(immediateOf(nop.raw)).toBe(true);
    expect(cmdSNOf(nop.raw)).toBe(0xfffffffe);
    expect(ofKind(target, 'scsi-command').map((r) => cmdSNOf(r.raw))).toEqual([0xfffffffe, 0xffffffff, 0]);
    expect(target.violations()).toEqual([]);
  });

  it('J-01 CmdSN and the window wrap at 2^32 with serial arithmetic', async () => {
    const { target, session } = await loggedIn({ window: 3 }, { initialCmdSN: 0xfffffffd });
    const results = await Promise.all(Array.from({ length: 8 }, () => tur(session)));
    expect(results.every((r) => r.status === 0)).toBe(true);
    expect(ofKind(target, 'scsi-command').map((r) => cmdSNOf(r.raw))).toEqual([0xfffffffd, 0xfffffffe, 0xffffffff, 0, 1, 2, 3, 4]);
    expect(target.violations()).toEqual([]);
    // The window arithmetic itself across the wrap: [0xffffffff, 1] admits 0xffffffff, 0, 1.
    const n = new Numbering({ cmdSN: 0xffffffff, expCmdSN: 0xffffffff, maxCmdSN: 1, expStatSN: 0 });
    expect([n.take(false), n.take(false), n.take(false)]).toEqual([0xffffffff, 0, 1]);
    expect(n.windowOpen).toBe(false);
  });

  it('J-02 immediate PDUs carry the current CmdSN without advancing it; each non-immediate one advances it by 1', async () => {
    const { target, session } = await loggedIn({}, { initialCmdSN: 100 });
    await session.ping();
    await tur(session);
    await session.ping();
    await session.ping();
    await tur(session);
    const wire = ffp(target).map((r) => [r.pdu.kind, immediateOf(r.raw), cmdSNOf(r.raw)]);
    expect(wire).toEqual([
      ['nop-out', true, 100], ['scsi-command', false, 100], ['nop-out', true, 101], ['nop-out', true, 101], ['scsi-command', false, 101],
    ]);
  });

  it('J-03 queues commands while the window is closed, sends exactly one at window 1, and immediate PDUs still go', async () => {
    const { target, session } = await loggedIn({ window: 0, delayMs: (p) => (p.kind === 'scsi-response' ? 400 : 0) });
    const cmds = [quiet(tur(session)), quiet(tur(session)), quiet(tur(session))];
    await session.ping(Buffer.from('closed window'));
    await settle();
    expect(ofKind(target, 'scsi-command')).toHaveLength(0);
    expect(session.outstanding).toBe(3);
    const ctx = target.ctx(0);
    ctx.sn.window = 1;
    ctx.send(nopIn(ctx)); // informational NOP-In: MaxCmdSN = ExpCmdSN
    await until(() => ofKind(target, 'scsi-command').length === 1);
    await settle(60); // the response is delayed 400 ms: nothing more may go meanwhile
    expect(ofKind(target, 'scsi-command')).toHaveLength(1);
    const results = await Promise.all(cmds);
    expect(results.map((r) => r.status)).toEqual([0, 0, 0]);
    expect(ofKind(target, 'scsi-command').map((r) => cmdSNOf(r.raw))).toEqual([1, 2, 3]);
    expect(target.violations()).toEqual([]);
  });

  it('J-04 ignores MaxCmdSN < ExpCmdSN - 1 and never moves ExpCmdSN/MaxCmdSN backwards', async () => {
    const { target, session } = await loggedIn({ window: 0 });
    const cmd = quiet(tur(session));
    const ctx = target.ctx(0);
    const e = ctx.sn.expCmdSN;
    // Invalid pair: applying either value would open the window for CmdSN e.
    ctx.send(nopIn(ctx, { expCmdSN: (e + 10) >>> 0, maxCmdSN: (e + 5) >>> 0 }));
    await settle();
    expect(ofKind(target, 'scsi-command')).toHaveLength(0);
    ctx.sn.window = 1;
    ctx.send(nopIn(ctx));
    expect((await cmd).status).toBe(0);
    // Stale values arriving late are not applied (unit level: the wire cannot show a shrink).
    const n = new Numbering({ cmdSN: 10, expCmdSN: 10, maxCmdSN: 20, expStatSN: 0 });
    n.updateWindow(8, 15);
    expect([n.expCmdSN, n.maxCmdSN]).toEqual([10, 20]);
    n.updateWindow(12, 30);
    expect([n.expCmdSN, n.maxCmdSN]).toEqual([12, 30]);
    n.updateWindow(40, 30); // MaxCmdSN < ExpCmdSN - 1: both ignored
    expect([n.expCmdSN, n.maxCmdSN]).toEqual([12, 30]);
  });

  /**
   * J-05: the target grants a window of 1 at login, the session sends task T1 and queues
   * T2; then one PDU of the kind under test (and nothing else) raises MaxCmdSN, which must
   * release T2. The target handles T1 by hand so no other PDU carries the new window.
   */
  type Reply = (ctx: ConnContext, t1: Received) => TargetPdu;
  const replies: Array<[string, 'tur' | 'read' | 'write' | 'text', Reply]> = [
    ['NOP-In', 'tur', (ctx) => nopIn(ctx)],
    ['Async Message', 'tur', (ctx) => asyncMessage(ctx, { event: 0 })],
    ['Reject', 'tur', (ctx, t1) => rejectOf(ctx, t1.raw, 0x09)],
    ['SCSI Response', 'tur', (ctx, t1) => scsiResponse(ctx, { itt: t1.pdu.itt, status: 0 })],
    ['Data-In', 'read', (ctx, t1) => ({
      kind: 'data-in', final: false, acknowledge: false, overflow: false, underflow: false, hasStatus: false, status: 0, lun: LUN0,
      itt: t1.pdu.itt, ttt: RESERVED_TAG, ...ctx.sn.peek(), dataSN: 0, bufferOffset: 0, residualCount: 0, data: Buffer.alloc(512, 7),
    })],
    ['R2T', 'write', (ctx, t1) => ({
      kind: 'r2t', lun: LUN0, itt: t1.pdu.itt, ttt: 0x5151, ...ctx.sn.peek(), r2tSN: 0, bufferOffset: 0, desiredDataTransferLength: 512, data: Buffer.alloc(0),
    })],
    ['Text Response', 'text', (ctx, t1) => ({
      kind: 'text-response', final: true, cont: false, lun: LUN0, itt: t1.pdu.itt, ttt: RESERVED_TAG, ...ctx.sn.next(), data: Buffer.alloc(0),
    })],
  ];

  it.each(replies)('J-05 applies ExpCmdSN/MaxCmdSN carried by a %s', async (_name, t1Kind, reply) => {
    let limit = 1; // MaxCmdSN: CmdSN 1 only
    let t1: Received | undefined;
    const handled = (pdu: InitiatorPdu): boolean => pdu.kind === 'data-out' || (t1 === undefined && (pdu.kind === 'scsi-command' || pdu.kind === 'text-request'));
    const { target, session } = await loggedIn({
      maxCmdSN: () => limit,
      onPdu: (ctx, pdu, rec) => {
        if (!handled(pdu)) return false;
        if (pdu.kind === 'scsi-command' || pdu.kind === 'text-request') {
          t1 = rec;
          ctx.sn.command(pdu.cmdSN, pdu.immediate);
        }
        return true;
      },
    }, { offer: { immediateData: false, initialR2T: true } });
    const first: Promise<unknown> =
      t1Kind === 'tur' ? tur(session)
        : t1Kind === 'read' ? session.execute({ lun: 0, cdb: Buffer.from([0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0]), dataInLength: 512 })
          : t1Kind === 'write' ? session.execute({ lun: 0, cdb: Buffer.from([0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0]), dataOut: Buffer.alloc(512, 1) })
            : session.text([['X-test.jnr', 'v']]);
    quiet(first);
    await until(() => t1 !== undefined);
    const second = quiet(tur(session));
    await settle();
    expect(ofKind(target, 'scsi-command').filter((r) => r !== t1)).toHaveLength(0);
    limit = 2;
    const ctx = target.ctx(0);
    ctx.send(reply(ctx, t1!));
    expect((await second).status).toBe(0);
    const t2 = ofKind(target, 'scsi-command').filter((r) => r !== t1);
    expect(t2.map((r) => cmdSNOf(r.raw))).toEqual([2]);
    expect(target.violations()).toEqual([]);
    expect(session.state).toBe('logged-in');
  });

  it('J-05 applies the window of the final Login Response', async () => {
    const { target, session } = await loggedIn({ window: 2, delayMs: (p) => (p.kind === 'scsi-response' ? 400 : 0) });
    const all = Promise.all([tur(session), tur(session), tur(session)]);
    await until(() => ofKind(target, 'scsi-command').length === 2);
    await settle(40);
    expect(ofKind(target, 'scsi-command')).toHaveLength(2);
    await all;
    expect(target.violations()).toEqual([]);
  });

  it('J-12 sends non-immediate PDUs in increasing CmdSN order', async () => {
    const { target, session } = await loggedIn({ window: 4 });
    const work = Array.from({ length: 24 }, (_, i) =>
      i % 3 === 0 ? session.execute({ lun: 0, cdb: Buffer.from([0x28, 0, 0, 0, 0, i, 0, 0, 1, 0]), dataInLength: 512 }) : tur(session));
    await Promise.all(work);
    const sns = target.received.filter((r) => 'cmdSN' in r.pdu && !immediateOf(r.raw) && r.pdu.kind !== 'login-request').map((r) => cmdSNOf(r.raw));
    expect(sns).toHaveLength(24);
    expect(sns).toEqual(Array.from({ length: 24 }, (_, i) => 1 + i));
    expect(target.violations()).toEqual([]);
  });
});
