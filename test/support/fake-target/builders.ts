/**
 * Target PDUs filled from a connection's numbering, for scripts and tests that
 * inject PDUs by hand (`ctx.send(nopIn(ctx, {...}))`). Each builder says whether
 * it consumes a StatSN (RFC 7143 §4.2.2.2): responses and Async/Reject do
 * (J-08); target pings and informational NOP-Ins (ITT 0xffffffff) do not (J-07).
 */
import { RESERVED_TAG, type AsyncMessage, type NopIn, type Reject, type ScsiResponse } from '../../../src/iscsi/pdu/types.js';
import type { ConnContext } from './types.js';

const NO_LUN = Buffer.alloc(8);
const EMPTY = Buffer.alloc(0);

/**
 * NOP-In. Default: an informational one (ITT = TTT = 0xffffffff, K-02) that does not
 * advance StatSN. With `itt` set (an answer to a ping) StatSN advances unless
 * `advance: false`. Any tag combination can be given (K-05, K-06).
 */
export function nopIn(ctx: ConnContext, f: Partial<Omit<NopIn, 'kind'>> & { advance?: boolean } = {}): NopIn {
  const itt = f.itt ?? RESERVED_TAG;
  const advance = f.advance ?? itt !== RESERVED_TAG;
  const sn = advance ? ctx.sn.next() : ctx.sn.peek();
  return {
    kind: 'nop-in',
    lun: f.lun ?? NO_LUN,
    itt,
    ttt: f.ttt ?? RESERVED_TAG,
    statSN: f.statSN ?? sn.statSN,
    expCmdSN: f.expCmdSN ?? sn.expCmdSN,
    maxCmdSN: f.maxCmdSN ?? sn.maxCmdSN,
    data: f.data ?? EMPTY,
  };
}

/** Fields of {@link asyncMessage}. */
export interface AsyncFields {
  /** AsyncEvent: 0 SCSI event, 1 logout request, 2 drop connection, 3 drop session, 4 negotiation, 5 task termination, 248-255 vendor. */
  event: number;
  vcode?: number;
  parameter1?: number;
  parameter2?: number;
  parameter3?: number;
  lun?: Buffer;
  /** Sense data; when sense or eventData is given the data segment is SenseLength(2) + sense + eventData (§11.9.4). */
  sense?: Buffer;
  eventData?: Buffer;
}

/** Asynchronous Message (§11.9); consumes a StatSN. */
export function asyncMessage(ctx: ConnContext, f: AsyncFields): AsyncMessage {
  const sn = ctx.sn.next();
  let data = EMPTY;
  if (f.sense !== undefined || f.eventData !== undefined) {
    const sense = f.sense ?? EMPTY;
    const len = Buffer.alloc(2);
    len.writeUInt16BE(sense.length, 0);
    data = Buffer.concat([len, sense, f.eventData ?? EMPTY]);
  }
  return {
    kind: 'async-message',
    lun: f.lun ?? NO_LUN,
    ...sn,
    asyncEvent: f.event,
    asyncVCode: f.vcode ?? 0,
    parameter1: f.parameter1 ?? 0,
    parameter2: f.parameter2 ?? 0,
    parameter3: f.parameter3 ?? 0,
    data,
  };
}

/**
 * Reject (§11.17) of a received PDU; `rejectedWire` is the PDU's wire bytes (a
 * `Received.raw`): its BHS and AHS become the data segment. Consumes a StatSN.
 */
export function rejectOf(ctx: ConnContext, rejectedWire: Buffer, reason: number, dataSN = 0): Reject {
  const headerLength = 48 + (rejectedWire[4] ?? 0) * 4;
  return { kind: 'reject', reason, ...ctx.sn.next(), dataSN, data: Buffer.from(rejectedWire.subarray(0, headerLength)) };
}

/** SCSI Response (§11.4) with optional sense (data segment = SenseLength + sense) and residuals. */
export function scsiResponse(
  ctx: ConnContext,
  f: { itt: number; status: number; response?: number; sense?: Buffer; underflow?: number; overflow?: number; expDataSN?: number },
): ScsiResponse {
  let data = EMPTY;
  if (f.sense !== undefined && f.sense.length > 0) {
    data = Buffer.alloc(2 + f.sense.length);
    data.writeUInt16BE(f.sense.length, 0);
    f.sense.copy(data, 2);
  }
  return {
    kind: 'scsi-response',
    bidiOverflow: false,
    bidiUnderflow: false,
    overflow: (f.overflow ?? 0) > 0,
    underflow: (f.underflow ?? 0) > 0,
    response: f.response ?? 0,
    status: f.status,
    itt: f.itt,
    snackTag: 0,
    ...ctx.sn.next(),
    expDataSN: f.expDataSN ?? 0,
    bidiResidualCount: 0,
    residualCount: f.underflow ?? f.overflow ?? 0,
    data,
  };
}
