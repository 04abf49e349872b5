/**
 * SCSI Data-Out and Data-In (§11.7).
 *
 * Data-Out                           Data-In
 *   0  .|.| 0x05 | F| reserved         0  .|.| 0x25 | F|A|0 0 0|O|U|S | rsvd | Status or rsvd
 *   8  LUN or reserved                 8  LUN or reserved
 *  16  ITT                            16  ITT
 *  20  TTT or 0xffffffff              20  TTT or 0xffffffff
 *  24  reserved                       24  StatSN or reserved
 *  28  ExpStatSN                      28  ExpCmdSN
 *  32  reserved                       32  MaxCmdSN
 *  36  DataSN                         36  DataSN
 *  40  Buffer Offset                  40  Buffer Offset
 *  44  reserved                       44  Residual Count
 *
 * Data-In: S=1 requires F=1 (§11.7.3). O, U, Status, StatSN and Residual Count
 * are only meaningful with S=1; otherwise they are reserved, so they are
 * written as 0 and decoded as false/0 (§11.7.3, O-13).
 */
import {
  FINAL_BIT, OFF_EXPCMDSN, OFF_EXPSTATSN, OFF_FLAGS, OFF_ITT, OFF_MAXCMDSN, OFF_STATSN,
  ahsField, checkParts, fail, newBhs, readFinal, readFlags, readItt, readLun, readU32, readU8, writeLun, writeU32, writeU8,
} from './bhs.js';
import { Opcode, type DataIn, type DataOut } from './types.js';

const OFF_TTT = 20;
const OFF_STATUS = 3;
const OFF_DATASN = 36;
const OFF_BUFFER_OFFSET = 40;
const OFF_RESIDUAL = 44;
const ACK_BIT = 0x40;
const OVERFLOW = 0x04;
const UNDERFLOW = 0x02;
const STATUS_BIT = 0x01;

/** Encodes the 48-byte BHS of a SCSI Data-Out. */
export function encodeDataOut(pdu: DataOut): Buffer {
  const bhs = newBhs(Opcode.DataOut, false, pdu, 'DataOut');
  bhs[OFF_FLAGS] = pdu.final ? FINAL_BIT : 0;
  writeLun(bhs, pdu.lun, 'DataOut.lun');
  writeU32(bhs, OFF_ITT, pdu.itt, 'DataOut.itt');
  writeU32(bhs, OFF_TTT, pdu.ttt, 'DataOut.ttt');
  writeU32(bhs, OFF_EXPSTATSN, pdu.expStatSN, 'DataOut.expStatSN');
  writeU32(bhs, OFF_DATASN, pdu.dataSN, 'DataOut.dataSN');
  writeU32(bhs, OFF_BUFFER_OFFSET, pdu.bufferOffset, 'DataOut.bufferOffset');
  return bhs;
}

/** Decodes a SCSI Data-Out (fake target side). */
export function decodeDataOut(bhs: Buffer, ahs: Buffer, data: Buffer): DataOut {
  checkParts(bhs, ahs, data, Opcode.DataOut, 'DataOut');
  return {
    kind: 'data-out',
    final: readFinal(bhs),
    lun: readLun(bhs),
    itt: readItt(bhs),
    ttt: readU32(bhs, OFF_TTT),
    expStatSN: readU32(bhs, OFF_EXPSTATSN),
    dataSN: readU32(bhs, OFF_DATASN),
    bufferOffset: readU32(bhs, OFF_BUFFER_OFFSET),
    ...ahsField(ahs),
    data,
  };
}

/** Encodes the 48-byte BHS of a SCSI Data-In (fake target side); status fields only with S=1. */
export function encodeDataIn(pdu: DataIn): Buffer {
  const bhs = newBhs(Opcode.DataIn, false, pdu, 'DataIn');
  const s = pdu.hasStatus;
  bhs[OFF_FLAGS] = (pdu.final ? FINAL_BIT : 0) | (pdu.acknowledge ? ACK_BIT : 0)
    | (s && pdu.overflow ? OVERFLOW : 0) | (s && pdu.underflow ? UNDERFLOW : 0) | (s ? STATUS_BIT : 0);
  writeU8(bhs, OFF_STATUS, s ? pdu.status : 0, 'DataIn.status');
  writeLun(bhs, pdu.lun, 'DataIn.lun');
  writeU32(bhs, OFF_ITT, pdu.itt, 'DataIn.itt');
  writeU32(bhs, OFF_TTT, pdu.ttt, 'DataIn.ttt');
  writeU32(bhs, OFF_STATSN, s ? pdu.statSN : 0, 'DataIn.statSN');
  writeU32(bhs, OFF_EXPCMDSN, pdu.expCmdSN, 'DataIn.expCmdSN');
  writeU32(bhs, OFF_MAXCMDSN, pdu.maxCmdSN, 'DataIn.maxCmdSN');
  writeU32(bhs, OFF_DATASN, pdu.dataSN, 'DataIn.dataSN');
  writeU32(bhs, OFF_BUFFER_OFFSET, pdu.bufferOffset, 'DataIn.bufferOffset');
  writeU32(bhs, OFF_RESIDUAL, s ? pdu.residualCount : 0, 'DataIn.residualCount');
  return bhs;
}

/** Where a Data-In's data goes, read from its BHS alone (direct data placement); undefined for any other opcode. */
export function peekDataIn(bhs: Buffer): { itt: number; dataSN: number; bufferOffset: number } | undefined {
  if ((bhs[0]! & 0x3f) !== Opcode.DataIn) return undefined;
  return { itt: bhs.readUInt32BE(OFF_ITT), dataSN: bhs.readUInt32BE(OFF_DATASN), bufferOffset: bhs.readUInt32BE(OFF_BUFFER_OFFSET) };
}

/** Decodes a SCSI Data-In: S without F → BAD_DATA_IN_FLAGS; O+U → BAD_RESIDUAL_FLAGS. */
export function decodeDataIn(bhs: Buffer, ahs: Buffer, data: Buffer): DataIn {
  checkParts(bhs, ahs, data, Opcode.DataIn, 'DataIn');
  const flags = readFlags(bhs);
  const final = readFinal(bhs);
  const s = (flags & STATUS_BIT) !== 0;
  if (s && !final) fail('BAD_DATA_IN_FLAGS', 'DataIn.hasStatus', 'S bit set without F bit', { flags });
  const overflow = s && (flags & OVERFLOW) !== 0;
  const underflow = s && (flags & UNDERFLOW) !== 0;
  if (overflow && underflow) fail('BAD_RESIDUAL_FLAGS', 'DataIn.underflow', 'O and U both set', { flags });
  return {
    kind: 'data-in',
    final,
    acknowledge: (flags & ACK_BIT) !== 0,
    overflow,
    underflow,
    hasStatus: s,
    status: s ? readU8(bhs, OFF_STATUS) : 0,
    lun: readLun(bhs),
    itt: readItt(bhs),
    ttt: readU32(bhs, OFF_TTT),
    statSN: s ? readU32(bhs, OFF_STATSN) : 0,
    expCmdSN: readU32(bhs, OFF_EXPCMDSN),
    maxCmdSN: readU32(bhs, OFF_MAXCMDSN),
    dataSN: readU32(bhs, OFF_DATASN),
    bufferOffset: readU32(bhs, OFF_BUFFER_OFFSET),
    residualCount: s ? readU32(bhs, OFF_RESIDUAL) : 0,
    ...ahsField(ahs),
    data,
  };
}
