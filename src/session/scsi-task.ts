/**
 * Data movement of one SCSI command on a single connection at ERL 0 (RFC 7143 §11.3,
 * §11.7, §11.8, §13.10-13.14): immediate data, unsolicited Data-Out, solicited
 * Data-Out per R2T, Data-In assembly and the final status.
 */
import { ProtocolError } from '../shared/errors.js';
import type { DataIn, DataOut, R2T, ScsiCommand, ScsiResponse } from '../iscsi/pdu/types.js';
import { RESERVED_TAG } from '../iscsi/pdu/types.js';
import type { NegotiatedParams } from '../iscsi/text/negotiate.js';

export interface ScsiRequest {
  /** LUN number, or the raw 8-byte LUN field. */
  lun: number | Buffer;
  /** The CDB (up to 16 bytes). */
  cdb: Buffer;
  /** Bytes expected from the target (READ direction). */
  dataInLength?: number;
  /**
   * Where Data-In goes (READ direction), at least `dataInLength` bytes; the result's `data`
   * is then a view of it. Without it (or when it is too small) a buffer is allocated.
   */
  dataInBuffer?: Buffer;
  /** Bytes for the target (WRITE direction). */
  dataOut?: Buffer;
  /** Task attribute, default 1 (SIMPLE). */
  attr?: number;
}

export interface ScsiResult {
  /** SCSI status byte (0 GOOD, 2 CHECK CONDITION, ...). */
  status: number;
  /** iSCSI response code (0 = command completed at target). */
  response: number;
  /** Data-In bytes actually transferred. */
  data: Buffer;
  sense?: Buffer;
  residual: number;
  underflow: boolean;
  overflow: boolean;
}

type Sizes = Pick<NegotiatedParams, 'immediateData' | 'initialR2T' | 'firstBurstLength' | 'maxBurstLength' | 'maxXmitDataSegmentLength'>;

const EMPTY = Buffer.alloc(0);

export class ScsiTask {
  /** Data-In bytes the command asked for. */
  private readonly expected: number;
  /** Where Data-In is copied: the caller's dataInBuffer, or allocated at the first Data-In. */
  private dataIn: Buffer | undefined;
  private received = 0;
  private nextDataSN = 0;
  /** Bytes of dataOut sent as immediate data in the command PDU. */
  private immediateLength = 0;
  private unsolicitedEnd = 0;
  /** Times this command was re-sent after a resendable Reject (N-02, N-07). */
  rejectRetries = 0;

  constructor(
    readonly itt: number,
    readonly lun: Buffer,
    readonly request: ScsiRequest,
    private readonly sizes: Sizes,
  ) {
    this.expected = request.dataInLength ?? 0;
  }

  /** The SCSI Command PDU with its immediate data, and any unsolicited Data-Out after it. */
  command(cmdSN: number, expStatSN: number): { cmd: ScsiCommand; unsolicited: DataOut[] } {
    const out = this.request.dataOut;
    const total = out?.length ?? 0;
    const s = this.sizes;
    // immediate + unsolicited never exceed FirstBurstLength (13.14); InitialR2T=Yes
    // forbids unsolicited Data-Out; ImmediateData=No forbids immediate data.
    const unsolicitedMax = total > 0 && (s.immediateData || !s.initialR2T) ? Math.min(total, s.firstBurstLength) : 0;
    this.immediateLength = s.immediateData ? Math.min(unsolicitedMax, s.maxXmitDataSegmentLength) : 0;
    this.unsolicitedEnd = s.initialR2T ? this.immediateLength : unsolicitedMax;
    const unsolicited = this.dataOuts(RESERVED_TAG, this.immediateLength, this.unsolicitedEnd - this.immediateLength, expStatSN);
    // The BHS CDB field is 16 bytes; a shorter CDB is zero-padded when encoded (§11.3.5).
    const cdb = this.request.cdb.length <= 16 ? this.request.cdb : this.request.cdb.subarray(0, 16);
    const cmd: ScsiCommand = {
      kind: 'scsi-command',
      immediate: false,
      final: unsolicited.length === 0, // F=1 when no unsolicited Data-Out follows
      read: (this.request.dataInLength ?? 0) > 0,
      write: total > 0,
      attr: this.request.attr ?? 1,
      lun: this.lun,
      itt: this.itt,
      expectedDataTransferLength: total > 0 ? total : (this.request.dataInLength ?? 0),
      cmdSN,
      expStatSN,
      cdb,
      data: out ? out.subarray(0, this.immediateLength) : EMPTY,
    };
    return { cmd, unsolicited };
  }

  /** Data-Out PDUs answering an R2T. */
  onR2T(r2t: R2T, expStatSN: number): DataOut[] {
    const total = this.request.dataOut?.length ?? 0;
    const end = r2t.bufferOffset + r2t.desiredDataTransferLength;
    // An R2T always carries a TTT, so its LUN must be the command's (§11.8.2, J-13).
    this.checkLun(r2t.lun, 'R2T.LUN');
    if (total === 0 || end > total || r2t.desiredDataTransferLength === 0) {
      throw new ProtocolError('BAD_R2T', `R2T asks for bytes ${r2t.bufferOffset}..${end} of a ${total}-byte write`, { where: 'R2T.BufferOffset' });
    }
    if (r2t.desiredDataTransferLength > this.sizes.maxBurstLength) {
      throw new ProtocolError('BAD_R2T', `R2T desired length ${r2t.desiredDataTransferLength} exceeds MaxBurstLength ${this.sizes.maxBurstLength}`, { where: 'R2T.DesiredDataTransferLength' });
    }
    return this.dataOuts(r2t.ttt, r2t.bufferOffset, r2t.desiredDataTransferLength, expStatSN);
  }

  /**
   * Direct data placement (receive-framer.ts Placer): the part of the command's buffer
   * where the data of the Data-In with `dataSN` at `bufferOffset` belongs, or undefined
   * when that PDU is not the next one expected or does not fit (onDataIn then refuses it).
   */
  placement(dataSN: number, bufferOffset: number, length: number): Buffer | undefined {
    if (dataSN !== this.nextDataSN || bufferOffset + length > this.expected) return undefined;
    this.dataIn ??= this.destination(bufferOffset === 0 && length === this.expected);
    return this.dataIn.subarray(bufferOffset, bufferOffset + length);
  }

  /** Copy one Data-In PDU into place. Returns true when it carried the status (S bit). */
  onDataIn(pdu: DataIn): boolean {
    // With a TTT (A bit) the LUN field is valid and must be the command's (§11.7.4, J-13).
    if (pdu.ttt !== RESERVED_TAG) this.checkLun(pdu.lun, 'DataIn.LUN');
    const end = pdu.bufferOffset + pdu.data.length;
    if (end > this.expected) {
      throw new ProtocolError('DATA_IN_OVERRUN', `Data-In bytes ${pdu.bufferOffset}..${end} exceed the expected ${this.expected}`, { where: 'DataIn.BufferOffset' });
    }
    if (pdu.dataSN !== this.nextDataSN) {
      // ERL 0 has no SNACK: a DataSN gap is a lost PDU (R-07, §7.9).
      throw new ProtocolError('DATASN_GAP', `Data-In DataSN ${pdu.dataSN}, expected ${this.nextDataSN}`, { where: 'DataIn.DataSN' });
    }
    this.nextDataSN++;
    // pdu.data is either already in place (read straight into this command's buffer, see
    // placement()) or a view into the connection's receive buffer (pdu-stream.ts), copied
    // here: the one copy of the data between the socket and the caller (bench/read-64k).
    this.dataIn ??= this.destination(pdu.bufferOffset === 0 && pdu.data.length === this.expected);
    const d = this.dataIn;
    if (pdu.data.buffer !== d.buffer || pdu.data.byteOffset !== d.byteOffset + pdu.bufferOffset) pdu.data.copy(d, pdu.bufferOffset);
    this.received = Math.max(this.received, end);
    return pdu.hasStatus;
  }

  /** Result from a Data-In that carried status. */
  resultFromDataIn(pdu: DataIn): ScsiResult {
    return this.result(pdu.status, 0, pdu.residualCount, pdu.underflow, pdu.overflow, undefined);
  }

  /** Result from a SCSI Response; its data segment is SenseLength(2) + sense + response data (§11.4.7). */
  resultFromResponse(pdu: ScsiResponse): ScsiResult {
    let sense: Buffer | undefined;
    if (pdu.data.length >= 2) {
      const len = pdu.data.readUInt16BE(0);
      if (2 + len > pdu.data.length) {
        throw new ProtocolError('BAD_SENSE_LENGTH', `SenseLength ${len} exceeds the ${pdu.data.length - 2} bytes present`, { where: 'ScsiResponse.data' });
      }
      if (len > 0) sense = Buffer.from(pdu.data.subarray(2, 2 + len));
    }
    return this.result(pdu.status, pdu.response, pdu.residualCount, pdu.underflow, pdu.overflow, sense);
  }

  private result(status: number, response: number, residual: number, underflow: boolean, overflow: boolean, sense: Buffer | undefined): ScsiResult {
    const expected = this.expected;
    const transferred = underflow && expected > 0 ? Math.max(0, Math.min(this.received, expected - residual)) : this.received;
    const data = this.dataIn ?? EMPTY;
    return { status, response, data: data.subarray(0, transferred), sense, residual, underflow, overflow };
  }

  /** The caller's buffer, or a new one; zero-filled unless the first Data-In covers all of it. */
  private destination(whole: boolean): Buffer {
    const given = this.request.dataInBuffer;
    if (given !== undefined && given.length >= this.expected) return given.subarray(0, this.expected);
    return whole ? Buffer.allocUnsafe(this.expected) : Buffer.alloc(this.expected);
  }

  private checkLun(lun: Buffer, where: string): void {
    if (!lun.equals(this.lun)) {
      throw new ProtocolError('LUN_MISMATCH', `${where} ${lun.toString('hex')} differs from the task's LUN ${this.lun.toString('hex')} (J-13)`, { where });
    }
  }

  /** Split [offset, offset+length) of the write buffer into Data-Out PDUs. */
  private dataOuts(ttt: number, offset: number, length: number, expStatSN: number): DataOut[] {
    const out = this.request.dataOut;
    if (!out || length <= 0) return [];
    const pdus: DataOut[] = [];
    const max = this.sizes.maxXmitDataSegmentLength;
    for (let pos = offset, dataSN = 0; pos < offset + length; pos += max, dataSN++) {
      const end = Math.min(pos + max, offset + length);
      pdus.push({
        kind: 'data-out',
        final: end === offset + length,
        lun: this.lun,
        itt: this.itt,
        ttt,
        expStatSN,
        dataSN,
        bufferOffset: pos,
        data: out.subarray(pos, end),
      });
    }
    return pdus;
  }
}
