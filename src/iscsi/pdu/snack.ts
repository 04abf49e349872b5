/**
 * SNACK Request (§11.16).
 *
 *   0  .|.| 0x10 | 1|.|.|.| Type | reserved
 *   8  LUN or reserved
 *  16  ITT or 0xffffffff
 *  20  TTT or SNACK Tag or 0xffffffff
 *  24  reserved
 *  28  ExpStatSN
 *  32-39 reserved
 *  40  BegRun
 *  44  RunLength
 *
 * Type (low 4 bits of byte 1): 0 Data/R2T, 1 Status, 2 DataACK, 3 R-Data.
 */
import {
  FINAL_BIT, OFF_EXPSTATSN, OFF_FLAGS, OFF_ITT,
  ahsField, checkParts, fieldValue, newBhs, readFlags, readItt, readLun, readU32, writeLun, writeU32,
} from './bhs.js';
import { Opcode, type Snack } from './types.js';

const TYPE_MASK = 0x0f;
const OFF_TTT = 20;
const OFF_BEGRUN = 40;
const OFF_RUNLENGTH = 44;

/** Encodes the 48-byte BHS of a SNACK Request (byte 1 = 0x80 | type). */
export function encodeSnack(pdu: Snack): Buffer {
  const bhs = newBhs(Opcode.Snack, false, pdu, 'Snack');
  bhs[OFF_FLAGS] = FINAL_BIT | fieldValue(pdu.type, TYPE_MASK, 'Snack.type');
  writeLun(bhs, pdu.lun, 'Snack.lun');
  writeU32(bhs, OFF_ITT, pdu.itt, 'Snack.itt');
  writeU32(bhs, OFF_TTT, pdu.ttt, 'Snack.ttt');
  writeU32(bhs, OFF_EXPSTATSN, pdu.expStatSN, 'Snack.expStatSN');
  writeU32(bhs, OFF_BEGRUN, pdu.begRun, 'Snack.begRun');
  writeU32(bhs, OFF_RUNLENGTH, pdu.runLength, 'Snack.runLength');
  return bhs;
}

/** Decodes a SNACK Request (fake target side). */
export function decodeSnack(bhs: Buffer, ahs: Buffer, data: Buffer): Snack {
  checkParts(bhs, ahs, data, Opcode.Snack, 'Snack');
  return {
    kind: 'snack',
    type: readFlags(bhs) & TYPE_MASK,
    lun: readLun(bhs),
    itt: readItt(bhs),
    ttt: readU32(bhs, OFF_TTT),
    expStatSN: readU32(bhs, OFF_EXPSTATSN),
    begRun: readU32(bhs, OFF_BEGRUN),
    runLength: readU32(bhs, OFF_RUNLENGTH),
    ...ahsField(ahs),
    data,
  };
}
