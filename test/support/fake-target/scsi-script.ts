/**
 * SCSI data movement of the standard script (RFC 7143 §11.3-11.8, §13.10-13.17):
 *
 * - reads: Data-In PDUs of at most the initiator's MaxRecvDataSegmentLength, F=1 at
 *   the end of every MaxBurstLength sequence, DataSN from 0, status with S=1 in the
 *   last one (or a separate SCSI Response), residuals for under/overflow;
 * - writes: immediate data (ImmediateData), unsolicited Data-Out up to
 *   FirstBurstLength (InitialR2T=No), then R2Ts of at most MaxBurstLength, up to
 *   MaxOutstandingR2T at a time; SCSI Response once all data is in.
 *
 * Every rule the initiator breaks on the way is logged as a violation (R-01..R-05).
 */
import { RESERVED_TAG, type DataIn, type DataOut, type ScsiCommand, type TargetPdu } from '../../../src/iscsi/pdu/types.js';
import { scsiResponse } from './builders.js';
import type { FfpState, ScsiOptions, WriteTask } from './ffp-state.js';
import { GOOD, type ScsiOutcome } from './scsi-disk.js';
import type { ConnContext } from './types.js';

/** Sends one answer (several PDUs; the response delay applies to the first). */
export type SendBatch = (ctx: ConnContext, pdus: TargetPdu[]) => void;

/** SCSI command and Data-Out handling for one standard target. */
export class ScsiEngine {
  constructor(private readonly o: ScsiOptions, private readonly sendBatch: SendBatch) {}

  command(ctx: ConnContext, st: FfpState, cmd: ScsiCommand): void {
    const v = (code: string, msg: string): void => ctx.log('violation', code, msg);
    if (!cmd.final && !cmd.write) v('SCSI_CMD_FLAGS', 'SCSI Command with F=0 and W=0 (R-01)');
    if (!cmd.write) {
      this.complete(ctx, st, cmd, undefined);
      return;
    }
    const n = st.negotiated;
    const edtl = cmd.expectedDataTransferLength;
    const imm = cmd.data.length;
    if (imm > 0 && !n.immediateData) v('IMMEDIATE_DATA_NOT_ALLOWED', `${imm} bytes of immediate data with ImmediateData=No (R-02)`);
    if (imm > n.firstBurstLength) v('FIRST_BURST_EXCEEDED', `${imm} bytes of immediate data above FirstBurstLength ${n.firstBurstLength} (R-02)`);
    if (imm > edtl) v('IMMEDIATE_DATA_TOO_LONG', `${imm} bytes of immediate data for an expected length of ${edtl}`);
    if (!cmd.final && n.initialR2T) v('UNSOLICITED_NOT_ALLOWED', 'F=0 (unsolicited Data-Out follows) with InitialR2T=Yes (R-02)');
    if (!cmd.final && imm === edtl) v('SCSI_CMD_FLAGS', 'F=0 although the immediate data is all the data (R-01)');
    const task: WriteTask = {
      cmd, buf: Buffer.alloc(edtl), received: 0, unsolicitedDone: cmd.final, unsolicitedDataSN: 0,
      nextOffset: 0, r2tSN: 0, outstanding: new Map(),
    };
    cmd.data.copy(task.buf, 0, 0, Math.min(imm, edtl));
    task.received = Math.min(imm, edtl);
    st.tasks.set(cmd.itt, task);
    if (task.unsolicitedDone) this.solicit(ctx, st, task);
  }

  dataOut(ctx: ConnContext, st: FfpState, d: DataOut): void {
    const v = (code: string, msg: string): void => ctx.log('violation', code, msg);
    const task = st.tasks.get(d.itt);
    if (task === undefined) return v('DATA_OUT_UNKNOWN_TASK', `Data-Out for unknown ITT 0x${d.itt.toString(16)}`);
    const end = d.bufferOffset + d.data.length;
    if (d.ttt === RESERVED_TAG) {
      if (task.unsolicitedDone) v('UNSOLICITED_AFTER_F', 'unsolicited Data-Out after the unsolicited burst ended (R-05)');
      if (d.dataSN !== task.unsolicitedDataSN) v('DATASN', `unsolicited DataSN ${d.dataSN}, expected ${task.unsolicitedDataSN} (R-05)`);
      task.unsolicitedDataSN++;
      const limit = Math.min(st.negotiated.firstBurstLength, task.buf.length);
      if (end > limit) v('FIRST_BURST_EXCEEDED', `unsolicited data up to ${end}, limit ${limit} (R-02)`);
      this.store(task, d);
      if (d.final) {
        task.unsolicitedDone = true;
        this.solicit(ctx, st, task);
      }
      return;
    }
    const r2t = task.outstanding.get(d.ttt);
    if (r2t === undefined) return v('DATA_OUT_BAD_TTT', `Data-Out TTT 0x${d.ttt.toString(16)} matches no R2T (R-04)`);
    if (!d.lun.equals(task.cmd.lun)) v('DATA_OUT_LUN', 'Data-Out LUN differs from the command (R-04)');
    if (d.dataSN !== r2t.dataSN) v('DATASN', `DataSN ${d.dataSN}, expected ${r2t.dataSN} (R-04)`);
    r2t.dataSN++;
    if (d.bufferOffset < r2t.offset || end > r2t.offset + r2t.length) {
      v('DATA_OUTSIDE_R2T', `Data-Out bytes ${d.bufferOffset}..${end} outside R2T ${r2t.offset}..${r2t.offset + r2t.length} (R-03)`);
    }
    r2t.got += d.data.length;
    this.store(task, d);
    if (d.final) {
      if (r2t.got !== r2t.length) v('R2T_SHORT', `R2T asked for ${r2t.length} bytes, got ${r2t.got} (R-03)`);
      task.outstanding.delete(d.ttt);
      this.solicit(ctx, st, task);
    }
  }

  private store(task: WriteTask, d: DataOut): void {
    if (d.bufferOffset < task.buf.length) d.data.copy(task.buf, d.bufferOffset, 0, Math.min(d.data.length, task.buf.length - d.bufferOffset));
    task.received += d.data.length;
  }

  /** Issue R2Ts up to MaxOutstandingR2T; finish the command when everything arrived. */
  private solicit(ctx: ConnContext, st: FfpState, task: WriteTask): void {
    const n = st.negotiated;
    if (task.nextOffset === 0) task.nextOffset = Math.min(task.received, task.buf.length);
    const r2ts: TargetPdu[] = [];
    while (task.outstanding.size < Math.max(1, n.maxOutstandingR2T) && task.nextOffset < task.buf.length) {
      const length = Math.min(n.maxBurstLength, task.buf.length - task.nextOffset);
      const ttt = st.nextTtt;
      st.nextTtt = (st.nextTtt + 1) >>> 0;
      task.outstanding.set(ttt, { offset: task.nextOffset, length, got: 0, dataSN: 0 });
      r2ts.push({
        kind: 'r2t', lun: task.cmd.lun, itt: task.cmd.itt, ttt, ...ctx.sn.peek(),
        r2tSN: task.r2tSN++, bufferOffset: task.nextOffset, desiredDataTransferLength: length, data: Buffer.alloc(0),
      });
      task.nextOffset += length;
    }
    if (r2ts.length > 0) this.sendBatch(ctx, r2ts);
    if (task.outstanding.size === 0 && task.nextOffset >= task.buf.length) {
      st.tasks.delete(task.cmd.itt);
      this.complete(ctx, st, task.cmd, task.buf);
    }
  }

  /** Execute on the disk (or the onCommand hook) and send data and status. */
  private complete(ctx: ConnContext, st: FfpState, cmd: ScsiCommand, dataOut: Buffer | undefined): void {
    const disk = st.disk;
    let outcome: ScsiOutcome | undefined = disk ? this.o.onCommand?.(ctx, cmd, disk) : undefined;
    outcome ??= disk ? disk.execute(cmd.lun, cmd.cdb, dataOut) : { status: 0x02 };
    const data = cmd.read ? outcome.data ?? Buffer.alloc(0) : Buffer.alloc(0);
    const edtl = cmd.expectedDataTransferLength;
    const sent = data.subarray(0, Math.min(edtl, data.length));
    const under = cmd.read && data.length < edtl ? edtl - data.length : 0;
    const over = cmd.read && data.length > edtl ? data.length - edtl : 0;
    if (outcome.status !== GOOD || sent.length === 0) {
      this.sendBatch(ctx, [scsiResponse(ctx, { itt: cmd.itt, status: outcome.status, sense: outcome.sense, underflow: under, overflow: over })]);
      return;
    }
    this.sendBatch(ctx, this.dataIns(ctx, st, cmd, sent, under, over));
  }

  private dataIns(ctx: ConnContext, st: FfpState, cmd: ScsiCommand, data: Buffer, under: number, over: number): TargetPdu[] {
    const seg = Math.max(1, this.o.dataInSegment ?? st.negotiated.initiatorMaxRecv);
    const burst = Math.max(1, st.negotiated.maxBurstLength);
    const withStatus = this.o.statusInDataIn ?? true;
    const pdus: TargetPdu[] = [];
    let dataSN = 0;
    for (let off = 0; off < data.length;) {
      const burstEnd = (Math.floor(off / burst) + 1) * burst;
      const end = Math.min(off + seg, data.length, burstEnd);
      const last = end === data.length;
      const s = last && withStatus;
      const sn = s ? ctx.sn.next() : ctx.sn.peek();
      const pdu: DataIn = {
        kind: 'data-in', final: last || end === burstEnd, acknowledge: false,
        overflow: s && over > 0, underflow: s && under > 0, hasStatus: s, status: GOOD,
        lun: cmd.lun, itt: cmd.itt, ttt: RESERVED_TAG, ...sn, dataSN: dataSN++,
        bufferOffset: off, residualCount: s ? under || over : 0, data: data.subarray(off, end),
      };
      pdus.push(pdu);
      off = end;
    }
    if (!withStatus) pdus.push(scsiResponse(ctx, { itt: cmd.itt, status: GOOD, underflow: under, overflow: over, expDataSN: dataSN }));
    return pdus;
  }
}
