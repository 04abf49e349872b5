/**
 * SCSI data movement end to end (RFC 7143 §11.3, §11.7, §11.8, §13.10-13.14, §13.17;
 * checklist R-01..R-08, F-03). Flags, tags and offsets are read from raw wire bytes; the
 * fake target independently logs every data-rule violation it sees.
 */
import { describe, expect, it } from 'vitest';
import { RESERVED_TAG, type DataIn, type InitiatorPdu } from '../../../src/iscsi/pdu/types.js';
import { scsiResponse, type ConnContext, type Received } from '../../support/fake-target/index.js';
import {
  bufferOffsetOf, cdb16, dataSNOf, dslOf, flagsOf, ittOf, loggedIn, lunOf, newSession, ofKind, pattern, quiet, rejectionOf, startTarget, tttOf, tur, until,
} from './helpers-jnr.js';

const F = 0x80;
const R = 0x40;
const W = 0x20;

/** Data-Outs received for one TTT, in arrival order. */
function byTtt(outs: Received[], ttt: number): Received[] {
  return outs.filter((r) => tttOf(r.raw) === ttt);
}

describe('R: SCSI data path', () => {
  it('R-01 F, R and W bits by direction; F=1 when no unsolicited Data-Out follows', async () => {
    const { target, session } = await loggedIn({ keys: { InitialR2T: 'No' }, declare: { MaxRecvDataSegmentLength: 1024 } }, { offer: { firstBurstLength: 4096 } });
    await tur(session);
    await session.execute({ lun: 0, cdb: cdb16(0x88, 0, 1), dataInLength: 512 });
    await session.execute({ lun: 0, cdb: cdb16(0x8a, 0, 1), dataOut: pattern(512) }); // all immediate
    await session.execute({ lun: 0, cdb: cdb16(0x8a, 0, 16), dataOut: pattern(8192) }); // immediate + unsolicited Data-Out
    const flags = ofKind(target, 'scsi-command').map((r) => flagsOf(r.raw) & (F | R | W));
    expect(flags).toEqual([F, F | R, F | W, W]);
    expect(target.violations()).toEqual([]);
  });

  it.each([
    // [InitialR2T, ImmediateData, immediate bytes, unsolicited Data-Out bytes]
    [true, false, 0, 0],
    [true, true, 1024, 0],
    [false, false, 0, 2048],
    [false, true, 1024, 1024],
  ])('R-02 InitialR2T=%s ImmediateData=%s: %i immediate + %i unsolicited bytes, never above FirstBurstLength', async (ir2t, imm, immBytes, unsolBytes) => {
    const { target, script, session } = await loggedIn(
      { keys: { InitialR2T: 'No' }, declare: { MaxRecvDataSegmentLength: 1024 } },
      { offer: { initialR2T: ir2t, immediateData: imm, firstBurstLength: 2048 } },
    );
    expect(session.params).toMatchObject({ initialR2T: ir2t, immediateData: imm, firstBurstLength: 2048 });
    const data = pattern(8192, 3);
    expect((await session.execute({ lun: 0, cdb: cdb16(0x8a, 16, 16), dataOut: data })).status).toBe(0);
    const cmd = ofKind(target, 'scsi-command')[0]!;
    expect(dslOf(cmd.raw)).toBe(immBytes);
    const unsolicited = ofKind(target, 'data-out').filter((r) => tttOf(r.raw) === RESERVED_TAG);
    expect(unsolicited.reduce((n, r) => n + dslOf(r.raw), 0)).toBe(unsolBytes);
    expect(flagsOf(cmd.raw) & F).toBe(unsolBytes > 0 ? 0 : F);
    expect(script.disk().read(0, 16 * 512, 8192).equals(data)).toBe(true);
    expect(target.violations()).toEqual([]);
  });

  it('R-03 F-03 every data segment fits the target MaxRecvDataSegmentLength=512; solicited sequences fit the R2T and MaxBurstLength', async () => {
    const { target, script, session } = await loggedIn(
      { declare: { MaxRecvDataSegmentLength: 512 } },
      { offer: { maxBurstLength: 4096, firstBurstLength: 4096, immediateData: true, initialR2T: true } },
    );
    expect(session.params!.maxXmitDataSegmentLength).toBe(512);
    const data = pattern(16384, 5);
    await session.execute({ lun: 0, cdb: cdb16(0x8a, 0, 32), dataOut: data });
    await expect(session.ping(Buffer.alloc(513))).rejects.toMatchObject({ code: 'PING_DATA_TOO_LONG' });
    await session.ping(Buffer.alloc(512, 1));
    const long = 'v'.repeat(1500);
    await session.text([['X-test.jnr.long', long]]); // split with C=1 (§6.2)
    const segments = target.received.filter((r) => r.pdu.kind !== 'login-request').map((r) => dslOf(r.raw));
    expect(Math.max(...segments)).toBeLessThanOrEqual(512);
    expect(ofKind(target, 'text-request').length).toBeGreaterThanOrEqual(3);
    const outs = ofKind(target, 'data-out');
    for (const ttt of new Set(outs.map((r) => tttOf(r.raw)))) {
      expect(byTtt(outs, ttt).reduce((n, r) => n + dslOf(r.raw), 0)).toBeLessThanOrEqual(4096);
    }
    expect(script.disk().read(0, 0, 16384).equals(data)).toBe(true);
    expect(target.violations()).toEqual([]);
  });

  it('F-03 without a declared MaxRecvDataSegmentLength the initiator sends at most 8192 bytes per PDU', async () => {
    const { target, session } = await loggedIn({ declare: {} }, { offer: { firstBurstLength: 65536 } });
    expect(session.params!.maxXmitDataSegmentLength).toBe(8192);
    await session.execute({ lun: 0, cdb: cdb16(0x8a, 0, 128), dataOut: pattern(65536) });
    expect(dslOf(ofKind(target, 'scsi-command')[0]!.raw)).toBe(8192);
    expect(Math.max(...ofKind(target, 'data-out').map((r) => dslOf(r.raw)))).toBe(8192);
    expect(target.violations()).toEqual([]);
  });

  it('R-04 Data-Out for an R2T copies TTT and LUN, DataSN starts at 0, offsets follow the R2T, F=1 ends the sequence', async () => {
    const { target, session } = await loggedIn(
      { targets: [{ name: 'iqn.2024-01.test.fake:disk1', luns: [{ lun: 0 }, { lun: 3 }] }], declare: { MaxRecvDataSegmentLength: 512 } },
      { offer: { maxBurstLength: 2048, firstBurstLength: 2048, immediateData: false, initialR2T: true } },
    );
    await session.execute({ lun: 3, cdb: cdb16(0x8a, 0, 12), dataOut: pattern(6144) });
    const outs = ofKind(target, 'data-out');
    const ttts = [...new Set(outs.map((r) => tttOf(r.raw)))];
    expect(ttts).toHaveLength(3);
    ttts.forEach((ttt, i) => {
      const seq = byTtt(outs, ttt);
      expect(seq.map((r) => dataSNOf(r.raw))).toEqual([0, 1, 2, 3]);
      expect(seq.map((r) => bufferOffsetOf(r.raw))).toEqual([0, 512, 1024, 1536].map((o) => o + i * 2048));
      expect(seq.map((r) => flagsOf(r.raw) & F)).toEqual([0, 0, 0, F]);
      expect(seq.every((r) => lunOf(r.raw)[1] === 3)).toBe(true);
    });
    expect(target.violations()).toEqual([]);
  });

  it('R-05 unsolicited Data-Out carries TTT 0xffffffff and DataSN from 0', async () => {
    const { target, session } = await loggedIn(
      { keys: { InitialR2T: 'No' }, declare: { MaxRecvDataSegmentLength: 512 } },
      { offer: { immediateData: false, initialR2T: false, firstBurstLength: 2048 } },
    );
    await session.execute({ lun: 0, cdb: cdb16(0x8a, 0, 8), dataOut: pattern(4096) });
    const unsolicited = ofKind(target, 'data-out').filter((r) => tttOf(r.raw) === RESERVED_TAG);
    expect(unsolicited.map((r) => [dataSNOf(r.raw), bufferOffsetOf(r.raw), flagsOf(r.raw) & F])).toEqual([[0, 0, 0], [1, 512, 0], [2, 1024, 0], [3, 1536, F]]);
    expect(target.violations()).toEqual([]);
  });

  it('R-06 serves several outstanding R2Ts in any offset order (MaxOutstandingR2T=2, DataSequenceInOrder=No)', async () => {
    const stored = Buffer.alloc(8192);
    const finals = new Set<number>();
    const { target, session } = await loggedIn({
      keys: { MaxOutstandingR2T: '4', DataSequenceInOrder: 'No' },
      onPdu: (ctx: ConnContext, pdu: InitiatorPdu) => {
        if (pdu.kind === 'scsi-command') {
          ctx.sn.command(pdu.cmdSN, pdu.immediate);
          const r2t = (ttt: number, r2tSN: number, bufferOffset: number) =>
            ({ kind: 'r2t' as const, lun: pdu.lun, itt: pdu.itt, ttt, ...ctx.sn.peek(), r2tSN, bufferOffset, desiredDataTransferLength: 4096, data: Buffer.alloc(0) });
          ctx.sendMany([r2t(0xb2, 0, 4096), r2t(0xb1, 1, 0)]); // the higher offset first
          return true;
        }
        if (pdu.kind !== 'data-out') return false;
        pdu.data.copy(stored, pdu.bufferOffset);
        if (pdu.final) finals.add(pdu.ttt);
        if (finals.size === 2) ctx.send(scsiResponse(ctx, { itt: pdu.itt, status: 0 }));
        return true;
      },
    }, { offer: { maxOutstandingR2T: 2, dataSequenceInOrder: false, immediateData: false, initialR2T: true } });
    expect(session.params).toMatchObject({ maxOutstandingR2T: 2, dataSequenceInOrder: false });
    const data = pattern(8192, 9);
    expect((await session.execute({ lun: 0, cdb: cdb16(0x8a, 0, 16), dataOut: data })).status).toBe(0);
    const outs = ofKind(target, 'data-out');
    expect(byTtt(outs, 0xb2).map((r) => bufferOffsetOf(r.raw))[0]).toBe(4096);
    expect(byTtt(outs, 0xb1).map((r) => bufferOffsetOf(r.raw))[0]).toBe(0);
    expect(byTtt(outs, 0xb1).map((r) => dataSNOf(r.raw))[0]).toBe(0);
    expect(stored.equals(data)).toBe(true);
  });

  it('R-07 accepts a Data-In with no data and one with the S bit; a DataSN gap fails the connection at ERL 0', async () => {
    const data = pattern(1536, 11);
    const dataIn = (ctx: ConnContext, itt: number, dataSN: number, off: number, len: number, status: boolean): DataIn => ({
      kind: 'data-in', final: status, acknowledge: false, overflow: false, underflow: false, hasStatus: status, status: 0, lun: Buffer.alloc(8),
      itt, ttt: RESERVED_TAG, ...(status ? ctx.sn.next() : ctx.sn.peek()), dataSN, bufferOffset: off, residualCount: 0, data: data.subarray(off, off + len),
    });
    let gap = false;
    const { session } = await loggedIn({
      onPdu: (ctx, pdu) => {
        if (pdu.kind !== 'scsi-command') return false;
        ctx.sn.command(pdu.cmdSN, pdu.immediate);
        if (gap) ctx.sendMany([dataIn(ctx, pdu.itt, 0, 0, 512, false), dataIn(ctx, pdu.itt, 2, 512, 1024, true)]);
        else ctx.sendMany([dataIn(ctx, pdu.itt, 0, 0, 512, false), dataIn(ctx, pdu.itt, 1, 512, 0, false), dataIn(ctx, pdu.itt, 2, 512, 1024, true)]);
        return true;
      },
    });
    const read = () => session.execute({ lun: 0, cdb: cdb16(0x88, 0, 3), dataInLength: 1536 });
    const ok = await read();
    expect(ok.status).toBe(0);
    expect(ok.data.equals(data)).toBe(true);
    gap = true;
    const failed = new Promise<{ code: string }>((resolve) => session.once('connection-error', resolve));
    const err = await rejectionOf(read());
    expect(err.details?.reason).toBe('DATASN_GAP');
    expect((await failed).code).toBe('DATASN_GAP');
  });

  it('R-08 data, R2T and status of a command stay on its connection: nothing of it moves to a new one', async () => {
    const { target } = await startTarget({
      onPdu: (ctx, pdu) => {
        // First connection: accept the write, then drop the connection instead of sending an R2T.
        if (ctx.conn === 0 && pdu.kind === 'scsi-command') {
          ctx.reset({ delayMs: 20 });
          return true;
        }
        return false;
      },
    }, {});
    const session = newSession(target.portal, { offer: { immediateData: false, initialR2T: true } });
    await session.login();
    const write = quiet(session.execute({ lun: 0, cdb: cdb16(0x8a, 0, 2), dataOut: pattern(1024) }));
    expect((await rejectionOf(write)).code).toBe('SESSION_FAILED');
    const oldItt = ittOf(ofKind(target, 'scsi-command', 0)[0]!.raw);
    await session.login(); // reinstatement on a new connection
    expect((await tur(session)).status).toBe(0);
    await until(() => ofKind(target, 'scsi-command', 1).length === 1);
    expect(target.received.filter((r) => r.conn === 1 && r.pdu.kind === 'data-out')).toHaveLength(0);
    expect(target.received.filter((r) => r.conn === 1 && r.pdu.kind !== 'login-request').map((r) => ittOf(r.raw))).not.toContain(oldItt);
    expect(target.received.filter((r) => r.pdu.kind === 'data-out' && r.conn === 0)).toHaveLength(0);
  });
});
