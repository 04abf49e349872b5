/**
 * Asynchronous Message (§11.9).
 *
 *   0  .|.| 0x32 | 1 | reserved
 *   8  LUN or reserved (valid when AsyncEvent = 0)
 *  16  0xffffffff
 *  20  reserved
 *  24  StatSN
 *  28  ExpCmdSN
 *  32  MaxCmdSN
 *  36  AsyncEvent | AsyncVCode | Parameter1 (2)
 *  40  Parameter2 (2) | Parameter3 (2)
 *  44  reserved
 *
 * The ITT must be 0xffffffff (M-01); anything else is BAD_TAG. The data
 * segment (SenseLength, sense data, event data) is left to the session.
 */
import {
  FINAL_BIT, OFF_EXPCMDSN, OFF_FLAGS, OFF_ITT, OFF_MAXCMDSN, OFF_STATSN,
  ahsField, checkParts, newBhs, readItt, readLun, readU16, readU32, readU8, requireReservedTag,
  writeLun, writeU16, writeU32, writeU8,
} from './bhs.js';
import { Opcode, RESERVED_TAG, type AsyncMessage } from './types.js';

const OFF_ASYNC_EVENT = 36;
const OFF_ASYNC_VCODE = 37;
const OFF_PARAMETER1 = 38;
const OFF_PARAMETER2 = 40;
const OFF_PARAMETER3 = 42;

/** Encodes the 48-byte BHS of an Asynchronous Message (fake target side); ITT is 0xffffffff. */
export function encodeAsyncMessage(pdu: AsyncMessage): Buffer {
  const bhs = newBhs(Opcode.AsyncMessage, false, pdu, 'AsyncMessage');
  bhs[OFF_FLAGS] = FINAL_BIT;
  writeLun(bhs, pdu.lun, 'AsyncMessage.lun');
  writeU32(bhs, OFF_ITT, RESERVED_TAG, 'AsyncMessage.itt');
  writeU32(bhs, OFF_STATSN, pdu.statSN, 'AsyncMessage.statSN');
  writeU32(bhs, OFF_EXPCMDSN, pdu.expCmdSN, 'AsyncMessage.expCmdSN');
  writeU32(bhs, OFF_MAXCMDSN, pdu.maxCmdSN, 'AsyncMessage.maxCmdSN');
  writeU8(bhs, OFF_ASYNC_EVENT, pdu.asyncEvent, 'AsyncMessage.asyncEvent');
  writeU8(bhs, OFF_ASYNC_VCODE, pdu.asyncVCode, 'AsyncMessage.asyncVCode');
  writeU16(bhs, OFF_PARAMETER1, pdu.parameter1, 'AsyncMessage.parameter1');
  writeU16(bhs, OFF_PARAMETER2, pdu.parameter2, 'AsyncMessage.parameter2');
  writeU16(bhs, OFF_PARAMETER3, pdu.parameter3, 'AsyncMessage.parameter3');
  return bhs;
}

/** Decodes an Asynchronous Message; ITT other than 0xffffffff → BAD_TAG (M-01). */
export function decodeAsyncMessage(bhs: Buffer, ahs: Buffer, data: Buffer): AsyncMessage {
  checkParts(bhs, ahs, data, Opcode.AsyncMessage, 'AsyncMessage');
  requireReservedTag(readItt(bhs), 'AsyncMessage.itt');
  return {
    kind: 'async-message',
    lun: readLun(bhs),
    statSN: readU32(bhs, OFF_STATSN),
    expCmdSN: readU32(bhs, OFF_EXPCMDSN),
    maxCmdSN: readU32(bhs, OFF_MAXCMDSN),
    asyncEvent: readU8(bhs, OFF_ASYNC_EVENT),
    asyncVCode: readU8(bhs, OFF_ASYNC_VCODE),
    parameter1: readU16(bhs, OFF_PARAMETER1),
    parameter2: readU16(bhs, OFF_PARAMETER2),
    parameter3: readU16(bhs, OFF_PARAMETER3),
    ...ahsField(ahs),
    data,
  };
}
