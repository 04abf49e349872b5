/**
 * SCSI Response (§11.4).
 *
 *   0  .|.| 0x21 | 1|.|.|o|u|O|U|. | Response | Status
 *   8  reserved
 *  16  ITT
 *  20  SNACK Tag or reserved
 *  24  StatSN
 *  28  ExpCmdSN
 *  32  MaxCmdSN
 *  36  ExpDataSN or reserved
 *  40  Bidirectional Read Residual Count or reserved
 *  44  Residual Count or reserved
 *
 * o/u (bidirectional read) and O/U are pairwise mutually exclusive: both set
 * is a protocol error (§11.4.1).
 */
import {
  FINAL_BIT, OFF_EXPCMDSN, OFF_FLAGS, OFF_ITT, OFF_MAXCMDSN, OFF_STATSN,
  ahsField, checkParts, fail, newBhs, readFlags, readItt, readU32, readU8, writeU32, writeU8,
} from './bhs.js';
import { Opcode, type ScsiResponse } from './types.js';

const OFF_RESPONSE = 2;
const OFF_STATUS = 3;
const OFF_SNACK_TAG = 20;
const OFF_EXPDATASN = 36;
const OFF_BIDI_RESIDUAL = 40;
const OFF_RESIDUAL = 44;
const BIDI_OVERFLOW = 0x10;
const BIDI_UNDERFLOW = 0x08;
const OVERFLOW = 0x04;
const UNDERFLOW = 0x02;

/** Encodes the 48-byte BHS of a SCSI Response (fake target side). */
export function encodeScsiResponse(pdu: ScsiResponse): Buffer {
  const bhs = newBhs(Opcode.ScsiResponse, false, pdu, 'ScsiResponse');
  bhs[OFF_FLAGS] = FINAL_BIT
    | (pdu.bidiOverflow ? BIDI_OVERFLOW : 0) | (pdu.bidiUnderflow ? BIDI_UNDERFLOW : 0)
    | (pdu.overflow ? OVERFLOW : 0) | (pdu.underflow ? UNDERFLOW : 0);
  writeU8(bhs, OFF_RESPONSE, pdu.response, 'ScsiResponse.response');
  writeU8(bhs, OFF_STATUS, pdu.status, 'ScsiResponse.status');
  writeU32(bhs, OFF_ITT, pdu.itt, 'ScsiResponse.itt');
  writeU32(bhs, OFF_SNACK_TAG, pdu.snackTag, 'ScsiResponse.snackTag');
  writeU32(bhs, OFF_STATSN, pdu.statSN, 'ScsiResponse.statSN');
  writeU32(bhs, OFF_EXPCMDSN, pdu.expCmdSN, 'ScsiResponse.expCmdSN');
  writeU32(bhs, OFF_MAXCMDSN, pdu.maxCmdSN, 'ScsiResponse.maxCmdSN');
  writeU32(bhs, OFF_EXPDATASN, pdu.expDataSN, 'ScsiResponse.expDataSN');
  writeU32(bhs, OFF_BIDI_RESIDUAL, pdu.bidiResidualCount, 'ScsiResponse.bidiResidualCount');
  writeU32(bhs, OFF_RESIDUAL, pdu.residualCount, 'ScsiResponse.residualCount');
  return bhs;
}

/** Decodes a SCSI Response; rejects o+u or O+U both set (BAD_RESIDUAL_FLAGS). */
export function decodeScsiResponse(bhs: Buffer, ahs: Buffer, data: Buffer): ScsiResponse {
  checkParts(bhs, ahs, data, Opcode.ScsiResponse, 'ScsiResponse');
  const flags = readFlags(bhs);
  const pdu: ScsiResponse = {
    kind: 'scsi-response',
    bidiOverflow: (flags & BIDI_OVERFLOW) !== 0,
    bidiUnderflow: (flags & BIDI_UNDERFLOW) !== 0,
    overflow: (flags & OVERFLOW) !== 0,
    underflow: (flags & UNDERFLOW) !== 0,
    response: readU8(bhs, OFF_RESPONSE),
    status: readU8(bhs, OFF_STATUS),
    itt: readItt(bhs),
    snackTag: readU32(bhs, OFF_SNACK_TAG),
    statSN: readU32(bhs, OFF_STATSN),
    expCmdSN: readU32(bhs, OFF_EXPCMDSN),
    maxCmdSN: readU32(bhs, OFF_MAXCMDSN),
    expDataSN: readU32(bhs, OFF_EXPDATASN),
    bidiResidualCount: readU32(bhs, OFF_BIDI_RESIDUAL),
    residualCount: readU32(bhs, OFF_RESIDUAL),
    ...ahsField(ahs),
    data,
  };
  if (pdu.bidiOverflow && pdu.bidiUnderflow) fail('BAD_RESIDUAL_FLAGS', 'ScsiResponse.bidiUnderflow', 'o and u both set', { flags });
  if (pdu.overflow && pdu.underflow) fail('BAD_RESIDUAL_FLAGS', 'ScsiResponse.underflow', 'O and U both set', { flags });
  return pdu;
}
