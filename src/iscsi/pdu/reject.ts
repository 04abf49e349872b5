/**
 * Reject (§11.17).
 *
 *   0  .|.| 0x3f | 1 | Reason | reserved
 *   8  reserved
 *  16  0xffffffff
 *  20  reserved
 *  24  StatSN
 *  28  ExpCmdSN
 *  32  MaxCmdSN
 *  36  DataSN/R2TSN or reserved
 *  40-47 reserved
 *  data: the complete header (BHS and AHS) of the rejected PDU (§11.17.3)
 *
 * ITT other than 0xffffffff → BAD_TAG; a data segment shorter than one BHS →
 * BAD_REJECT_DATA (it cannot hold the rejected header).
 */
import {
  FINAL_BIT, OFF_EXPCMDSN, OFF_FLAGS, OFF_ITT, OFF_MAXCMDSN, OFF_STATSN,
  ahsField, checkParts, fail, newBhs, readItt, readU32, readU8, requireReservedTag, writeU32, writeU8,
} from './bhs.js';
import { BHS_LENGTH, Opcode, RESERVED_TAG, type Reject } from './types.js';

const OFF_REASON = 2;
const OFF_DATASN = 36;

/** Encodes the 48-byte BHS of a Reject (fake target side); ITT is 0xffffffff. */
export function encodeReject(pdu: Reject): Buffer {
  const bhs = newBhs(Opcode.Reject, false, pdu, 'Reject');
  bhs[OFF_FLAGS] = FINAL_BIT;
  writeU8(bhs, OFF_REASON, pdu.reason, 'Reject.reason');
  writeU32(bhs, OFF_ITT, RESERVED_TAG, 'Reject.itt');
  writeU32(bhs, OFF_STATSN, pdu.statSN, 'Reject.statSN');
  writeU32(bhs, OFF_EXPCMDSN, pdu.expCmdSN, 'Reject.expCmdSN');
  writeU32(bhs, OFF_MAXCMDSN, pdu.maxCmdSN, 'Reject.maxCmdSN');
  writeU32(bhs, OFF_DATASN, pdu.dataSN, 'Reject.dataSN');
  return bhs;
}

/** Decodes a Reject; `data` is the rejected PDU's header. */
export function decodeReject(bhs: Buffer, ahs: Buffer, data: Buffer): Reject {
  checkParts(bhs, ahs, data, Opcode.Reject, 'Reject');
  requireReservedTag(readItt(bhs), 'Reject.itt');
  if (data.length < BHS_LENGTH) {
    fail('BAD_REJECT_DATA', 'Reject.data', `${data.length} bytes cannot hold the rejected ${BHS_LENGTH}-byte header`, { length: data.length });
  }
  return {
    kind: 'reject',
    reason: readU8(bhs, OFF_REASON),
    statSN: readU32(bhs, OFF_STATSN),
    expCmdSN: readU32(bhs, OFF_EXPCMDSN),
    maxCmdSN: readU32(bhs, OFF_MAXCMDSN),
    dataSN: readU32(bhs, OFF_DATASN),
    ...ahsField(ahs),
    data,
  };
}
