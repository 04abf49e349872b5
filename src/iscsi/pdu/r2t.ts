/**
 * Ready To Transfer (§11.8).
 *
 *   0  .|.| 0x31 | 1 | reserved
 *   8  LUN
 *  16  ITT
 *  20  TTT
 *  24  StatSN
 *  28  ExpCmdSN
 *  32  MaxCmdSN
 *  36  R2TSN
 *  40  Buffer Offset
 *  44  Desired Data Transfer Length
 */
import {
  FINAL_BIT, OFF_EXPCMDSN, OFF_FLAGS, OFF_ITT, OFF_MAXCMDSN, OFF_STATSN,
  ahsField, checkParts, newBhs, readItt, readLun, readU32, writeLun, writeU32,
} from './bhs.js';
import { Opcode, type R2T } from './types.js';

const OFF_TTT = 20;
const OFF_R2TSN = 36;
const OFF_BUFFER_OFFSET = 40;
const OFF_DESIRED_LENGTH = 44;

/** Encodes the 48-byte BHS of an R2T (fake target side). */
export function encodeR2T(pdu: R2T): Buffer {
  const bhs = newBhs(Opcode.R2T, false, pdu, 'R2T');
  bhs[OFF_FLAGS] = FINAL_BIT;
  writeLun(bhs, pdu.lun, 'R2T.lun');
  writeU32(bhs, OFF_ITT, pdu.itt, 'R2T.itt');
  writeU32(bhs, OFF_TTT, pdu.ttt, 'R2T.ttt');
  writeU32(bhs, OFF_STATSN, pdu.statSN, 'R2T.statSN');
  writeU32(bhs, OFF_EXPCMDSN, pdu.expCmdSN, 'R2T.expCmdSN');
  writeU32(bhs, OFF_MAXCMDSN, pdu.maxCmdSN, 'R2T.maxCmdSN');
  writeU32(bhs, OFF_R2TSN, pdu.r2tSN, 'R2T.r2tSN');
  writeU32(bhs, OFF_BUFFER_OFFSET, pdu.bufferOffset, 'R2T.bufferOffset');
  writeU32(bhs, OFF_DESIRED_LENGTH, pdu.desiredDataTransferLength, 'R2T.desiredDataTransferLength');
  return bhs;
}

/** Decodes an R2T. */
export function decodeR2T(bhs: Buffer, ahs: Buffer, data: Buffer): R2T {
  checkParts(bhs, ahs, data, Opcode.R2T, 'R2T');
  return {
    kind: 'r2t',
    lun: readLun(bhs),
    itt: readItt(bhs),
    ttt: readU32(bhs, OFF_TTT),
    statSN: readU32(bhs, OFF_STATSN),
    expCmdSN: readU32(bhs, OFF_EXPCMDSN),
    maxCmdSN: readU32(bhs, OFF_MAXCMDSN),
    r2tSN: readU32(bhs, OFF_R2TSN),
    bufferOffset: readU32(bhs, OFF_BUFFER_OFFSET),
    desiredDataTransferLength: readU32(bhs, OFF_DESIRED_LENGTH),
    ...ahsField(ahs),
    data,
  };
}
