/**
 * Logout Request (§11.14) and Logout Response (§11.15).
 *
 * Request                                  Response
 *   0  .|I| 0x06 | 1|Reason Code | rsvd      0  .|.| 0x26 | 1 | Response | rsvd
 *   8  reserved                              8  reserved
 *  16  ITT                                  16  ITT
 *  20  CID or reserved (2) | reserved       20  reserved
 *  24  CmdSN                                24  StatSN
 *  28  ExpStatSN                            28  ExpCmdSN
 *  32-47 reserved                           32  MaxCmdSN
 *                                           36  reserved
 *                                           40  Time2Wait (2) | Time2Retain (2)
 *                                           44  reserved
 */
import {
  FINAL_BIT, OFF_CMDSN, OFF_EXPCMDSN, OFF_EXPSTATSN, OFF_FLAGS, OFF_ITT, OFF_MAXCMDSN, OFF_STATSN,
  ahsField, checkParts, fieldValue, newBhs, readFlags, readImmediate, readItt, readU16, readU32, readU8,
  writeU16, writeU32, writeU8,
} from './bhs.js';
import { Opcode, type LogoutRequest, type LogoutResponse } from './types.js';

const REASON_MASK = 0x7f;
const OFF_CID = 20;
const OFF_RESPONSE = 2;
const OFF_TIME2WAIT = 40;
const OFF_TIME2RETAIN = 42;

/** Encodes the 48-byte BHS of a Logout Request (byte 1 = 0x80 | reasonCode). */
export function encodeLogoutRequest(pdu: LogoutRequest): Buffer {
  const bhs = newBhs(Opcode.LogoutRequest, pdu.immediate, pdu, 'LogoutRequest');
  bhs[OFF_FLAGS] = FINAL_BIT | fieldValue(pdu.reasonCode, REASON_MASK, 'LogoutRequest.reasonCode');
  writeU32(bhs, OFF_ITT, pdu.itt, 'LogoutRequest.itt');
  writeU16(bhs, OFF_CID, pdu.cid, 'LogoutRequest.cid');
  writeU32(bhs, OFF_CMDSN, pdu.cmdSN, 'LogoutRequest.cmdSN');
  writeU32(bhs, OFF_EXPSTATSN, pdu.expStatSN, 'LogoutRequest.expStatSN');
  return bhs;
}

/** Decodes a Logout Request (fake target side). */
export function decodeLogoutRequest(bhs: Buffer, ahs: Buffer, data: Buffer): LogoutRequest {
  checkParts(bhs, ahs, data, Opcode.LogoutRequest, 'LogoutRequest');
  return {
    kind: 'logout-request',
    immediate: readImmediate(bhs),
    reasonCode: readFlags(bhs) & REASON_MASK,
    itt: readItt(bhs),
    cid: readU16(bhs, OFF_CID),
    cmdSN: readU32(bhs, OFF_CMDSN),
    expStatSN: readU32(bhs, OFF_EXPSTATSN),
    ...ahsField(ahs),
    data,
  };
}

/** Encodes the 48-byte BHS of a Logout Response (fake target side). */
export function encodeLogoutResponse(pdu: LogoutResponse): Buffer {
  const bhs = newBhs(Opcode.LogoutResponse, false, pdu, 'LogoutResponse');
  bhs[OFF_FLAGS] = FINAL_BIT;
  writeU8(bhs, OFF_RESPONSE, pdu.response, 'LogoutResponse.response');
  writeU32(bhs, OFF_ITT, pdu.itt, 'LogoutResponse.itt');
  writeU32(bhs, OFF_STATSN, pdu.statSN, 'LogoutResponse.statSN');
  writeU32(bhs, OFF_EXPCMDSN, pdu.expCmdSN, 'LogoutResponse.expCmdSN');
  writeU32(bhs, OFF_MAXCMDSN, pdu.maxCmdSN, 'LogoutResponse.maxCmdSN');
  writeU16(bhs, OFF_TIME2WAIT, pdu.time2Wait, 'LogoutResponse.time2Wait');
  writeU16(bhs, OFF_TIME2RETAIN, pdu.time2Retain, 'LogoutResponse.time2Retain');
  return bhs;
}

/** Decodes a Logout Response. */
export function decodeLogoutResponse(bhs: Buffer, ahs: Buffer, data: Buffer): LogoutResponse {
  checkParts(bhs, ahs, data, Opcode.LogoutResponse, 'LogoutResponse');
  return {
    kind: 'logout-response',
    response: readU8(bhs, OFF_RESPONSE),
    itt: readItt(bhs),
    statSN: readU32(bhs, OFF_STATSN),
    expCmdSN: readU32(bhs, OFF_EXPCMDSN),
    maxCmdSN: readU32(bhs, OFF_MAXCMDSN),
    time2Wait: readU16(bhs, OFF_TIME2WAIT),
    time2Retain: readU16(bhs, OFF_TIME2RETAIN),
    ...ahsField(ahs),
    data,
  };
}
