/**
 * Reject handling end to end (RFC 7143 §7.3, §11.17, §11.5.1; checklist N-01..N-07).
 *
 * The standard fake target rejects through its `reject` hook *before* it accounts for
 * the PDU's CmdSN, so a rejected non-immediate command leaves its CmdSN as a hole in the
 * target's sequence (its ExpCmdSN stays put), like a real target that discarded it.
 * `plugOnAbort` gives the fake target the §11.5.1 case b behaviour: an ABORT TASK whose
 * RefCmdSN is the hole makes the target count that CmdSN as received.
 */
import { describe, expect, it } from 'vitest';
import { RESERVED_TAG, type InitiatorPdu } from '../../../src/iscsi/pdu/types.js';
import { MAX_REJECT_RETRIES } from '../../../src/session/reject.js';
import { rejectOf, scsiResponse, senseData, type ConnContext } from '../../support/fake-target/index.js';
import {
  bufferOffsetOf, cdb16, cmdSNOf, expStatSNOf, flagsOf, ittOf, loggedIn, newSession, ofKind, opcodeOf, pattern, rejectionOf, settle, startTarget,
  tttOf, tur,
} from './helpers-jnr.js';

/** §11.5.1 b: ABORT TASK for an unknown task whose RefCmdSN is the next expected CmdSN plugs the hole. */
function plugOnAbort(ctx: ConnContext, pdu: InitiatorPdu): false {
  if (pdu.kind === 'task-mgmt-request' && pdu.function === 1 && pdu.refCmdSN === ctx.sn.expCmdSN) {
    ctx.sn.expCmdSN = (ctx.sn.expCmdSN + 1) >>> 0;
  }
  return false;
}

/** Reject the first `n` PDUs matching `pred` with `reason`. */
function rejectFirst(n: number, reason: number, pred: (p: InitiatorPdu) => boolean) {
  let left = n;
  return (_ctx: ConnContext, pdu: InitiatorPdu): number | undefined => (pred(pdu) && left-- > 0 ? reason : undefined);
}

/** Same wire bytes apart from ExpStatSN (bytes 28-31), which must be current on a retry. */
function sameExceptExpStatSN(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && a.subarray(0, 28).equals(b.subarray(0, 28)) && a.subarray(32).equals(b.subarray(32));
}

const isCmd = (p: InitiatorPdu): boolean => p.kind === 'scsi-command';

describe('N: Reject', () => {
  it('N-01 identifies the rejected PDU (opcode, ITT) from the copied header and advances ExpStatSN', async () => {
    const { target, session } = await loggedIn({ reject: rejectFirst(1, 0x09, (p) => p.kind === 'nop-out') });
    const err = await rejectionOf(session.ping(Buffer.from('x')));
    const nop = ofKind(target, 'nop-out')[0]!;
    expect(err.code).toBe('PDU_REJECTED');
    expect(err.details).toMatchObject({ reason: 0x09, opcode: 0x00, itt: ittOf(nop.raw) });
    const rejectStatSN = (target.ctx(0).sn.statSN - 1) >>> 0;
    await tur(session);
    expect(expStatSNOf(ofKind(target, 'scsi-command')[0]!.raw)).toBe((rejectStatSN + 1) >>> 0);
    expect(session.state).toBe('logged-in');
    expect(target.violations()).toEqual([]);
  });

  it('N-02 a rejected non-immediate command fails its task and the CmdSN hole is plugged with ABORT TASK (RefCmdSN); resendable reasons retry with the same ITT and CmdSN', async () => {
    // Not resendable (0x09): fail the task, plug the hole, later commands flow (window 2 would stall otherwise).
    const a = await loggedIn({ window: 2, reject: rejectFirst(1, 0x09, isCmd), onPdu: plugOnAbort });
    const err = await rejectionOf(tur(a.session));
    expect(err).toMatchObject({ code: 'PDU_REJECTED', retryable: false });
    const rejected = ofKind(a.target, 'scsi-command')[0]!;
    await a.target.waitFor((r) => r.pdu.kind === 'task-mgmt-request');
    const tmf = ofKind(a.target, 'task-mgmt-request')[0]!.raw;
    expect(tmf[0]).toBe(0x42); // I=1, opcode 0x02
    expect(tmf[1]).toBe(0x81); // F=1, function 1 ABORT TASK
    expect(tmf.readUInt32BE(20)).toBe(ittOf(rejected.raw)); // Referenced Task Tag
    expect(tmf.readUInt32BE(32)).toBe(cmdSNOf(rejected.raw)); // RefCmdSN = the hole
    expect(cmdSNOf(tmf)).toBe((cmdSNOf(rejected.raw) + 1) >>> 0); // current CmdSN, > RefCmdSN
    for (let i = 0; i < 5; i++) expect((await tur(a.session)).status).toBe(0);
    expect(a.target.violations()).toEqual([]);

    // Resendable (0x0a long operation reject): the same command PDU again, same ITT and CmdSN.
    const b = await loggedIn({ reject: rejectFirst(1, 0x0a, isCmd) });
    expect((await tur(b.session)).status).toBe(0);
    const sent = ofKind(b.target, 'scsi-command');
    expect(sent).toHaveLength(2);
    expect(sameExceptExpStatSN(sent[1]!.raw, sent[0]!.raw)).toBe(true);
    expect(expStatSNOf(sent[1]!.raw)).toBe((expStatSNOf(sent[0]!.raw) + 1) >>> 0); // the Reject took a StatSN
    expect(ofKind(b.target, 'task-mgmt-request')).toHaveLength(0);

    // Bounded: after MAX_REJECT_RETRIES retries the task fails and the hole is plugged.
    const c = await loggedIn({ reject: rejectFirst(99, 0x0a, isCmd), onPdu: plugOnAbort });
    expect((await rejectionOf(tur(c.session))).code).toBe('PDU_REJECTED');
    expect(ofKind(c.target, 'scsi-command')).toHaveLength(1 + MAX_REJECT_RETRIES);
    await c.target.waitFor((r) => r.pdu.kind === 'task-mgmt-request');
  });

  it('N-03 a Reject (reason 0x0b) during login ends the login and its TCP connection', async () => {
    const { target } = await startTarget({ reject: (_c, p) => (p.kind === 'login-request' ? 0x0b : undefined) });
    const session = newSession(target.portal);
    const error = await rejectionOf(session.login());
    expect(error.code).toBe('NEGOTIATION_RESET');
    expect(error.retryable).toBe(false); // a negotiation failure: retrying cannot help (G-12)
    expect(session.state).toBe('failed');
    await target.waitForClosed(0);
    expect(ofKind(target, 'login-request')).toHaveLength(1);
  });

  it('N-04 a rejected Text Request fails the negotiation and keeps the old values', async () => {
    const { target, session } = await loggedIn({ window: 1, reject: rejectFirst(1, 0x09, (p) => p.kind === 'text-request'), onPdu: plugOnAbort });
    const before = structuredClone(session.params);
    const err = await rejectionOf(session.text([['MaxBurstLength', '4096']]));
    expect(err.code).toBe('PDU_REJECTED');
    expect(err.details).toMatchObject({ opcode: 0x04 });
    expect(session.params).toEqual(before);
    expect((await tur(session)).status).toBe(0); // the hole was plugged: window 1 is not stuck
    expect(session.state).toBe('logged-in');
    expect(target.violations()).toEqual([]);
  });

  it('N-05 a rejected Data-Out leaves the task active; its response still completes it', async () => {
    let itt = 0;
    const { target, session } = await loggedIn({
      reject: (ctx, pdu) => {
        if (pdu.kind !== 'data-out') return undefined;
        itt = pdu.itt;
        // The target concludes the task itself (§7.3: a Reject never ends an active task).
        ctx.later(20, () => ctx.send(scsiResponse(ctx, { itt, status: 0x02, sense: senseData(0x0b, 0x47, 0x03) })));
        return 0x09;
      },
    }, { offer: { immediateData: false, initialR2T: true } });
    const result = await session.execute({ lun: 0, cdb: cdb16(0x8a, 0, 1), dataOut: pattern(512) });
    expect(result.status).toBe(0x02);
    expect(result.sense?.[12]).toBe(0x47);
    expect(ofKind(target, 'data-out').map((r) => ittOf(r.raw))).toEqual([itt]);
    expect(session.state).toBe('logged-in');
  });

  it('N-06 reason 0x06 (too many immediate commands) is retryable: the caller resends later; 0x05 is not', async () => {
    const { session } = await loggedIn({ reject: rejectFirst(1, 0x06, (p) => p.kind === 'nop-out') });
    const err = await rejectionOf(session.ping(Buffer.from('a')));
    expect(err).toMatchObject({ code: 'PDU_REJECTED', retryable: true, details: { reason: 0x06 } });
    expect((await session.ping(Buffer.from('again'))).toString()).toBe('again');
    const other = await loggedIn({ reject: rejectFirst(1, 0x05, (p) => p.kind === 'nop-out') });
    expect(await rejectionOf(other.session.ping())).toMatchObject({ code: 'PDU_REJECTED', retryable: false });
  });

  it('N-07 reason 0x02 on immediate data resends the whole command PDU; a rejected Data-Out is resent only on a recovery R2T', async () => {
    const data = pattern(1024, 7);
    const a = await loggedIn({ reject: rejectFirst(1, 0x02, isCmd) });
    expect((await a.session.execute({ lun: 0, cdb: cdb16(0x8a, 4, 2), dataOut: data })).status).toBe(0);
    const cmds = ofKind(a.target, 'scsi-command');
    expect(cmds).toHaveLength(2);
    expect(sameExceptExpStatSN(cmds[1]!.raw, cmds[0]!.raw)).toBe(true); // same header fields, same immediate data
    expect(cmds[1]!.raw.length).toBe(48 + 1024);
    expect(a.script.disk().read(0, 4 * 512, 1024).equals(data)).toBe(true);

    // Data-Out rejected for a digest error: nothing is resent until the target's recovery R2T.
    const stored = Buffer.alloc(1024);
    const b = await loggedIn({
      onPdu: (ctx, pdu, rec) => {
        if (pdu.kind === 'scsi-command') {
          ctx.sn.command(pdu.cmdSN, pdu.immediate);
          ctx.send({ kind: 'r2t', lun: pdu.lun, itt: pdu.itt, ttt: 0xa1, ...ctx.sn.peek(), r2tSN: 0, bufferOffset: 0, desiredDataTransferLength: 1024, data: Buffer.alloc(0) });
          return true;
        }
        if (pdu.kind !== 'data-out') return false;
        if (pdu.ttt === 0xa1) {
          ctx.send(rejectOf(ctx, rec.raw, 0x02));
          ctx.later(300, () => ctx.send({ kind: 'r2t', lun: pdu.lun, itt: pdu.itt, ttt: 0xa2, ...ctx.sn.peek(), r2tSN: 1, bufferOffset: 0, desiredDataTransferLength: 1024, data: Buffer.alloc(0) }));
        } else {
          pdu.data.copy(stored, pdu.bufferOffset);
          if (pdu.final) ctx.send(scsiResponse(ctx, { itt: pdu.itt, status: 0 }));
        }
        return true;
      },
    }, { offer: { immediateData: false, initialR2T: true } });
    const done = b.session.execute({ lun: 0, cdb: cdb16(0x8a, 0, 2), dataOut: data });
    await settle(30);
    expect(ofKind(b.target, 'data-out').map((r) => tttOf(r.raw))).toEqual([0xa1]);
    expect((await done).status).toBe(0);
    const outs = ofKind(b.target, 'data-out');
    expect(outs.map((r) => [tttOf(r.raw), bufferOffsetOf(r.raw), flagsOf(r.raw) & 0x80])).toEqual([[0xa1, 0, 0x80], [0xa2, 0, 0x80]]);
    expect(outs.every((r) => opcodeOf(r.raw) === 0x05 && r.pdu.kind === 'data-out' && r.pdu.ttt !== RESERVED_TAG)).toBe(true);
    expect(stored.equals(data)).toBe(true);
  });
});
