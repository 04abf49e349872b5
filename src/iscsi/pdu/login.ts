/**
 * Login Request (§11.12) and Login Response (§11.13).
 *
 * Request                                   Response
 *   0  .|1| 0x03 | T|C|.|.|CSG|NSG |          0  .|.| 0x23 | T|C|.|.|CSG|NSG |
 *      Version-max | Version-min                  Version-max | Version-active
 *   8  ISID (6 bytes) | TSIH (2)              8  ISID (6 bytes) | TSIH (2)
 *  16  ITT                                   16  ITT
 *  20  CID (2) | reserved                    20  reserved
 *  24  CmdSN                                 24  StatSN
 *  28  ExpStatSN or reserved                 28  ExpCmdSN
 *  32-47 reserved                            32  MaxCmdSN
 *                                            36  Status-Class | Status-Detail | reserved
 *
 * Byte 1: T=0x80, C=0x40, CSG bits 3-2, NSG bits 1-0. Stage code 2 is reserved
 * (BAD_STAGE, D-03). NSG is only meaningful with T=1; otherwise it is reserved:
 * written as 0 and decoded as 0 (§11.12.3, O-13). T and C together are a
 * protocol error (§11.12.2). A Login Request is always immediate: byte 0 is
 * 0x43 on the wire (C-01). Login-phase semantics (stage order, ITT reuse,
 * status codes) belong to the login machine, not here.
 */
import {
  OFF_CMDSN, OFF_EXPCMDSN, OFF_EXPSTATSN, OFF_FLAGS, OFF_ITT, OFF_MAXCMDSN, OFF_STATSN,
  ahsField, checkParts, fail, fieldValue, newBhs, readFlags, readImmediate, readItt, readRaw, readU16, readU32, readU8,
  writeRaw, writeU16, writeU32, writeU8,
} from './bhs.js';
import { Opcode, type LoginRequest, type LoginResponse } from './types.js';

const TRANSIT_BIT = 0x80;
const CONTINUE_BIT = 0x40;
const CSG_SHIFT = 2;
const STAGE_MASK = 0x03;
const RESERVED_STAGE = 2;
const OFF_VERSION_MAX = 2;
const OFF_VERSION_MIN = 3; // Version-active in the response
const OFF_ISID = 8;
const ISID_LENGTH = 6;
const OFF_TSIH = 14;
const OFF_CID = 20;
const OFF_STATUS_CLASS = 36;
const OFF_STATUS_DETAIL = 37;

interface StageFlags { transit: boolean; cont: boolean; csg: number; nsg: number }

function writeStageFlags(bhs: Buffer, f: StageFlags, name: string): void {
  const csg = fieldValue(f.csg, STAGE_MASK, `${name}.csg`);
  const nsg = fieldValue(f.nsg, STAGE_MASK, `${name}.nsg`);
  bhs[OFF_FLAGS] = (f.transit ? TRANSIT_BIT : 0) | (f.cont ? CONTINUE_BIT : 0)
    | (csg << CSG_SHIFT) | (f.transit ? nsg : 0);
}

function readStageFlags(bhs: Buffer, name: string): StageFlags {
  const flags = readFlags(bhs);
  const transit = (flags & TRANSIT_BIT) !== 0;
  const cont = (flags & CONTINUE_BIT) !== 0;
  const csg = (flags >> CSG_SHIFT) & STAGE_MASK;
  const nsg = transit ? flags & STAGE_MASK : 0;
  if (transit && cont) fail('BAD_LOGIN_FLAGS', `${name}.cont`, 'T and C bits both set', { flags });
  if (csg === RESERVED_STAGE) fail('BAD_STAGE', `${name}.csg`, 'stage code 2 is reserved', { flags });
  if (nsg === RESERVED_STAGE) fail('BAD_STAGE', `${name}.nsg`, 'stage code 2 is reserved', { flags });
  return { transit, cont, csg, nsg };
}

/** Encodes the 48-byte BHS of a Login Request; byte 0 is always 0x43 (C-01). */
export function encodeLoginRequest(pdu: LoginRequest): Buffer {
  const bhs = newBhs(Opcode.LoginRequest, true, pdu, 'LoginRequest');
  writeStageFlags(bhs, pdu, 'LoginRequest');
  writeU8(bhs, OFF_VERSION_MAX, pdu.versionMax, 'LoginRequest.versionMax');
  writeU8(bhs, OFF_VERSION_MIN, pdu.versionMin, 'LoginRequest.versionMin');
  writeRaw(bhs, OFF_ISID, pdu.isid, ISID_LENGTH, 'LoginRequest.isid');
  writeU16(bhs, OFF_TSIH, pdu.tsih, 'LoginRequest.tsih');
  writeU32(bhs, OFF_ITT, pdu.itt, 'LoginRequest.itt');
  writeU16(bhs, OFF_CID, pdu.cid, 'LoginRequest.cid');
  writeU32(bhs, OFF_CMDSN, pdu.cmdSN, 'LoginRequest.cmdSN');
  writeU32(bhs, OFF_EXPSTATSN, pdu.expStatSN, 'LoginRequest.expStatSN');
  return bhs;
}

/** Decodes a Login Request (fake target side): I bit required, stages checked. */
export function decodeLoginRequest(bhs: Buffer, ahs: Buffer, data: Buffer): LoginRequest {
  checkParts(bhs, ahs, data, Opcode.LoginRequest, 'LoginRequest');
  if (!readImmediate(bhs)) fail('LOGIN_NOT_IMMEDIATE', 'LoginRequest.immediate', 'I bit must be set (byte 0 = 0x43)');
  const versionMax = readU8(bhs, OFF_VERSION_MAX);
  const versionMin = readU8(bhs, OFF_VERSION_MIN);
  if (versionMin > versionMax) {
    fail('BAD_VERSION_RANGE', 'LoginRequest.versionMin', `Version-min ${versionMin} above Version-max ${versionMax}`, { versionMin, versionMax });
  }
  return {
    kind: 'login-request',
    ...readStageFlags(bhs, 'LoginRequest'),
    versionMax,
    versionMin,
    isid: readRaw(bhs, OFF_ISID, ISID_LENGTH),
    tsih: readU16(bhs, OFF_TSIH),
    itt: readItt(bhs),
    cid: readU16(bhs, OFF_CID),
    cmdSN: readU32(bhs, OFF_CMDSN),
    expStatSN: readU32(bhs, OFF_EXPSTATSN),
    ...ahsField(ahs),
    data,
  };
}

/** Encodes the 48-byte BHS of a Login Response (fake target side). */
export function encodeLoginResponse(pdu: LoginResponse): Buffer {
  const bhs = newBhs(Opcode.LoginResponse, false, pdu, 'LoginResponse');
  writeStageFlags(bhs, pdu, 'LoginResponse');
  writeU8(bhs, OFF_VERSION_MAX, pdu.versionMax, 'LoginResponse.versionMax');
  writeU8(bhs, OFF_VERSION_MIN, pdu.versionActive, 'LoginResponse.versionActive');
  writeRaw(bhs, OFF_ISID, pdu.isid, ISID_LENGTH, 'LoginResponse.isid');
  writeU16(bhs, OFF_TSIH, pdu.tsih, 'LoginResponse.tsih');
  writeU32(bhs, OFF_ITT, pdu.itt, 'LoginResponse.itt');
  writeU32(bhs, OFF_STATSN, pdu.statSN, 'LoginResponse.statSN');
  writeU32(bhs, OFF_EXPCMDSN, pdu.expCmdSN, 'LoginResponse.expCmdSN');
  writeU32(bhs, OFF_MAXCMDSN, pdu.maxCmdSN, 'LoginResponse.maxCmdSN');
  writeU8(bhs, OFF_STATUS_CLASS, pdu.statusClass, 'LoginResponse.statusClass');
  writeU8(bhs, OFF_STATUS_DETAIL, pdu.statusDetail, 'LoginResponse.statusDetail');
  return bhs;
}

/** Decodes a Login Response: CSG/NSG 2 → BAD_STAGE (D-03), T+C → BAD_LOGIN_FLAGS. */
export function decodeLoginResponse(bhs: Buffer, ahs: Buffer, data: Buffer): LoginResponse {
  checkParts(bhs, ahs, data, Opcode.LoginResponse, 'LoginResponse');
  return {
    kind: 'login-response',
    ...readStageFlags(bhs, 'LoginResponse'),
    versionMax: readU8(bhs, OFF_VERSION_MAX),
    versionActive: readU8(bhs, OFF_VERSION_MIN),
    isid: readRaw(bhs, OFF_ISID, ISID_LENGTH),
    tsih: readU16(bhs, OFF_TSIH),
    itt: readItt(bhs),
    statSN: readU32(bhs, OFF_STATSN),
    expCmdSN: readU32(bhs, OFF_EXPCMDSN),
    maxCmdSN: readU32(bhs, OFF_MAXCMDSN),
    statusClass: readU8(bhs, OFF_STATUS_CLASS),
    statusDetail: readU8(bhs, OFF_STATUS_DETAIL),
    ...ahsField(ahs),
    data,
  };
}
