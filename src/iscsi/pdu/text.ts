/**
 * Text Request (§11.10) and Text Response (§11.11).
 *
 * Request                           Response
 *   0  .|I| 0x04 | F|C| reserved      0  .|.| 0x24 | F|C| reserved
 *   8  LUN or reserved                8  LUN or reserved
 *  16  ITT                           16  ITT
 *  20  TTT or 0xffffffff             20  TTT or 0xffffffff
 *  24  CmdSN                         24  StatSN
 *  28  ExpStatSN                     28  ExpCmdSN
 *  32-47 reserved                    32  MaxCmdSN, 36-47 reserved
 *
 * C=1 requires F=0 in both directions (§11.10.2, §11.11.2). A Text Response
 * with F=0 must carry a valid TTT (§11.11.1); with F=1 the initiator ignores
 * the TTT (§11.10.4), so it is not checked.
 */
import {
  FINAL_BIT, OFF_CMDSN, OFF_EXPCMDSN, OFF_EXPSTATSN, OFF_FLAGS, OFF_ITT, OFF_MAXCMDSN, OFF_STATSN,
  ahsField, checkParts, fail, newBhs, readFinal, readFlags, readImmediate, readItt, readLun, readU32, writeLun, writeU32,
} from './bhs.js';
import { Opcode, RESERVED_TAG, type TextRequest, type TextResponse } from './types.js';

const CONTINUE_BIT = 0x40;
const OFF_TTT = 20;

function flagsByte(final: boolean, cont: boolean): number {
  return (final ? FINAL_BIT : 0) | (cont ? CONTINUE_BIT : 0);
}

function readTextFlags(bhs: Buffer, name: string): { final: boolean; cont: boolean } {
  const final = readFinal(bhs);
  const cont = (readFlags(bhs) & CONTINUE_BIT) !== 0;
  if (final && cont) fail('BAD_TEXT_FLAGS', `${name}.cont`, 'F and C bits both set');
  return { final, cont };
}

/** Encodes the 48-byte BHS of a Text Request. */
export function encodeTextRequest(pdu: TextRequest): Buffer {
  const bhs = newBhs(Opcode.TextRequest, pdu.immediate, pdu, 'TextRequest');
  bhs[OFF_FLAGS] = flagsByte(pdu.final, pdu.cont);
  writeLun(bhs, pdu.lun, 'TextRequest.lun');
  writeU32(bhs, OFF_ITT, pdu.itt, 'TextRequest.itt');
  writeU32(bhs, OFF_TTT, pdu.ttt, 'TextRequest.ttt');
  writeU32(bhs, OFF_CMDSN, pdu.cmdSN, 'TextRequest.cmdSN');
  writeU32(bhs, OFF_EXPSTATSN, pdu.expStatSN, 'TextRequest.expStatSN');
  return bhs;
}

/** Decodes a Text Request (fake target side). */
export function decodeTextRequest(bhs: Buffer, ahs: Buffer, data: Buffer): TextRequest {
  checkParts(bhs, ahs, data, Opcode.TextRequest, 'TextRequest');
  return {
    kind: 'text-request',
    immediate: readImmediate(bhs),
    ...readTextFlags(bhs, 'TextRequest'),
    lun: readLun(bhs),
    itt: readItt(bhs),
    ttt: readU32(bhs, OFF_TTT),
    cmdSN: readU32(bhs, OFF_CMDSN),
    expStatSN: readU32(bhs, OFF_EXPSTATSN),
    ...ahsField(ahs),
    data,
  };
}

/** Encodes the 48-byte BHS of a Text Response (fake target side). */
export function encodeTextResponse(pdu: TextResponse): Buffer {
  const bhs = newBhs(Opcode.TextResponse, false, pdu, 'TextResponse');
  bhs[OFF_FLAGS] = flagsByte(pdu.final, pdu.cont);
  writeLun(bhs, pdu.lun, 'TextResponse.lun');
  writeU32(bhs, OFF_ITT, pdu.itt, 'TextResponse.itt');
  writeU32(bhs, OFF_TTT, pdu.ttt, 'TextResponse.ttt');
  writeU32(bhs, OFF_STATSN, pdu.statSN, 'TextResponse.statSN');
  writeU32(bhs, OFF_EXPCMDSN, pdu.expCmdSN, 'TextResponse.expCmdSN');
  writeU32(bhs, OFF_MAXCMDSN, pdu.maxCmdSN, 'TextResponse.maxCmdSN');
  return bhs;
}

/** Decodes a Text Response: F+C → BAD_TEXT_FLAGS, F=0 with TTT 0xffffffff → BAD_TAG. */
export function decodeTextResponse(bhs: Buffer, ahs: Buffer, data: Buffer): TextResponse {
  checkParts(bhs, ahs, data, Opcode.TextResponse, 'TextResponse');
  const pdu: TextResponse = {
    kind: 'text-response',
    ...readTextFlags(bhs, 'TextResponse'),
    lun: readLun(bhs),
    itt: readItt(bhs),
    ttt: readU32(bhs, OFF_TTT),
    statSN: readU32(bhs, OFF_STATSN),
    expCmdSN: readU32(bhs, OFF_EXPCMDSN),
    maxCmdSN: readU32(bhs, OFF_MAXCMDSN),
    ...ahsField(ahs),
    data,
  };
  if (!pdu.final && pdu.ttt === RESERVED_TAG) {
    fail('BAD_TAG', 'TextResponse.ttt', 'F=0 requires a Target Transfer Tag other than 0xffffffff');
  }
  return pdu;
}
