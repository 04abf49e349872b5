/**
 * NOP-Out (§11.18) and NOP-In (§11.19).
 *
 * NOP-Out                         NOP-In
 *   0  .|I| 0x00 | 1 | rsvd         0  .|.| 0x20 | 1 | rsvd
 *   8  LUN                          8  LUN
 *  16  ITT                         16  ITT
 *  20  TTT                         20  TTT
 *  24  CmdSN                       24  StatSN
 *  28  ExpStatSN                   28  ExpCmdSN
 *  32  reserved                    32  MaxCmdSN, 36-47 reserved
 *
 * A NOP carries either a valid ITT (initiator ping / target answer, TTT
 * 0xffffffff) or a valid TTT (target ping / initiator answer, ITT 0xffffffff),
 * never both (§11.18.1-2, §11.19.1-2).
 */
import {
  FINAL_BIT, OFF_CMDSN, OFF_EXPCMDSN, OFF_EXPSTATSN, OFF_FLAGS, OFF_ITT, OFF_MAXCMDSN, OFF_STATSN,
  ahsField, checkParts, fail, newBhs, readImmediate, readItt, readLun, readU32, writeLun, writeU32,
} from './bhs.js';
import { Opcode, RESERVED_TAG, type NopIn, type NopOut } from './types.js';

const OFF_TTT = 20;

function checkTags(itt: number, ttt: number, where: string): void {
  if (itt !== RESERVED_TAG && ttt !== RESERVED_TAG) {
    fail('BAD_TAG', where, 'ITT and TTT cannot both be valid tags', { itt, ttt });
  }
}

/** Encodes the 48-byte BHS of a NOP-Out. */
export function encodeNopOut(pdu: NopOut): Buffer {
  const bhs = newBhs(Opcode.NopOut, pdu.immediate, pdu, 'NopOut');
  bhs[OFF_FLAGS] = FINAL_BIT;
  writeLun(bhs, pdu.lun, 'NopOut.lun');
  writeU32(bhs, OFF_ITT, pdu.itt, 'NopOut.itt');
  writeU32(bhs, OFF_TTT, pdu.ttt, 'NopOut.ttt');
  writeU32(bhs, OFF_CMDSN, pdu.cmdSN, 'NopOut.cmdSN');
  writeU32(bhs, OFF_EXPSTATSN, pdu.expStatSN, 'NopOut.expStatSN');
  return bhs;
}

/** Decodes a NOP-Out (fake target side). */
export function decodeNopOut(bhs: Buffer, ahs: Buffer, data: Buffer): NopOut {
  checkParts(bhs, ahs, data, Opcode.NopOut, 'NopOut');
  const pdu: NopOut = {
    kind: 'nop-out',
    immediate: readImmediate(bhs),
    lun: readLun(bhs),
    itt: readItt(bhs),
    ttt: readU32(bhs, OFF_TTT),
    cmdSN: readU32(bhs, OFF_CMDSN),
    expStatSN: readU32(bhs, OFF_EXPSTATSN),
    ...ahsField(ahs),
    data,
  };
  checkTags(pdu.itt, pdu.ttt, 'NopOut.ttt');
  return pdu;
}

/** Encodes the 48-byte BHS of a NOP-In. */
export function encodeNopIn(pdu: NopIn): Buffer {
  const bhs = newBhs(Opcode.NopIn, false, pdu, 'NopIn');
  bhs[OFF_FLAGS] = FINAL_BIT;
  writeLun(bhs, pdu.lun, 'NopIn.lun');
  writeU32(bhs, OFF_ITT, pdu.itt, 'NopIn.itt');
  writeU32(bhs, OFF_TTT, pdu.ttt, 'NopIn.ttt');
  writeU32(bhs, OFF_STATSN, pdu.statSN, 'NopIn.statSN');
  writeU32(bhs, OFF_EXPCMDSN, pdu.expCmdSN, 'NopIn.expCmdSN');
  writeU32(bhs, OFF_MAXCMDSN, pdu.maxCmdSN, 'NopIn.maxCmdSN');
  return bhs;
}

/** Decodes a NOP-In. */
export function decodeNopIn(bhs: Buffer, ahs: Buffer, data: Buffer): NopIn {
  checkParts(bhs, ahs, data, Opcode.NopIn, 'NopIn');
  const pdu: NopIn = {
    kind: 'nop-in',
    lun: readLun(bhs),
    itt: readItt(bhs),
    ttt: readU32(bhs, OFF_TTT),
    statSN: readU32(bhs, OFF_STATSN),
    expCmdSN: readU32(bhs, OFF_EXPCMDSN),
    maxCmdSN: readU32(bhs, OFF_MAXCMDSN),
    ...ahsField(ahs),
    data,
  };
  checkTags(pdu.itt, pdu.ttt, 'NopIn.ttt');
  return pdu;
}
