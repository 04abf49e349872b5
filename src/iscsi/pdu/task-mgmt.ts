/**
 * Task Management Function Request (§11.5) and Response (§11.6).
 *
 * Request                                  Response
 *   0  .|I| 0x02 | 1|Function | rsvd         0  .|.| 0x22 | 1 | Response | rsvd
 *   8  LUN or reserved                       8  reserved
 *  16  ITT                                  16  ITT
 *  20  Referenced Task Tag or 0xffffffff    20  reserved
 *  24  CmdSN                                24  StatSN
 *  28  ExpStatSN                            28  ExpCmdSN
 *  32  RefCmdSN or reserved                 32  MaxCmdSN
 *  36  ExpDataSN or reserved                36-47 reserved
 *  40-47 reserved
 */
import {
  FINAL_BIT, OFF_CMDSN, OFF_EXPCMDSN, OFF_EXPSTATSN, OFF_FLAGS, OFF_ITT, OFF_MAXCMDSN, OFF_STATSN,
  ahsField, checkParts, fieldValue, newBhs, readFlags, readImmediate, readItt, readLun, readU32, readU8, writeLun, writeU32, writeU8,
} from './bhs.js';
import { Opcode, type TaskMgmtRequest, type TaskMgmtResponse } from './types.js';

const FUNCTION_MASK = 0x7f;
const OFF_REF_TASK_TAG = 20;
const OFF_REF_CMDSN = 32;
const OFF_EXPDATASN = 36;
const OFF_RESPONSE = 2;

/** Encodes the 48-byte BHS of a Task Management Function Request (byte 1 = 0x80 | function). */
export function encodeTaskMgmtRequest(pdu: TaskMgmtRequest): Buffer {
  const bhs = newBhs(Opcode.TaskMgmtRequest, pdu.immediate, pdu, 'TaskMgmtRequest');
  bhs[OFF_FLAGS] = FINAL_BIT | fieldValue(pdu.function, FUNCTION_MASK, 'TaskMgmtRequest.function');
  writeLun(bhs, pdu.lun, 'TaskMgmtRequest.lun');
  writeU32(bhs, OFF_ITT, pdu.itt, 'TaskMgmtRequest.itt');
  writeU32(bhs, OFF_REF_TASK_TAG, pdu.referencedTaskTag, 'TaskMgmtRequest.referencedTaskTag');
  writeU32(bhs, OFF_CMDSN, pdu.cmdSN, 'TaskMgmtRequest.cmdSN');
  writeU32(bhs, OFF_EXPSTATSN, pdu.expStatSN, 'TaskMgmtRequest.expStatSN');
  writeU32(bhs, OFF_REF_CMDSN, pdu.refCmdSN, 'TaskMgmtRequest.refCmdSN');
  writeU32(bhs, OFF_EXPDATASN, pdu.expDataSN, 'TaskMgmtRequest.expDataSN');
  return bhs;
}

/** Decodes a Task Management Function Request (fake target side). */
export function decodeTaskMgmtRequest(bhs: Buffer, ahs: Buffer, data: Buffer): TaskMgmtRequest {
  checkParts(bhs, ahs, data, Opcode.TaskMgmtRequest, 'TaskMgmtRequest');
  return {
    kind: 'task-mgmt-request',
    immediate: readImmediate(bhs),
    function: readFlags(bhs) & FUNCTION_MASK,
    lun: readLun(bhs),
    itt: readItt(bhs),
    referencedTaskTag: readU32(bhs, OFF_REF_TASK_TAG),
    cmdSN: readU32(bhs, OFF_CMDSN),
    expStatSN: readU32(bhs, OFF_EXPSTATSN),
    refCmdSN: readU32(bhs, OFF_REF_CMDSN),
    expDataSN: readU32(bhs, OFF_EXPDATASN),
    ...ahsField(ahs),
    data,
  };
}

/** Encodes the 48-byte BHS of a Task Management Function Response. */
export function encodeTaskMgmtResponse(pdu: TaskMgmtResponse): Buffer {
  const bhs = newBhs(Opcode.TaskMgmtResponse, false, pdu, 'TaskMgmtResponse');
  bhs[OFF_FLAGS] = FINAL_BIT;
  writeU8(bhs, OFF_RESPONSE, pdu.response, 'TaskMgmtResponse.response');
  writeU32(bhs, OFF_ITT, pdu.itt, 'TaskMgmtResponse.itt');
  writeU32(bhs, OFF_STATSN, pdu.statSN, 'TaskMgmtResponse.statSN');
  writeU32(bhs, OFF_EXPCMDSN, pdu.expCmdSN, 'TaskMgmtResponse.expCmdSN');
  writeU32(bhs, OFF_MAXCMDSN, pdu.maxCmdSN, 'TaskMgmtResponse.maxCmdSN');
  return bhs;
}

/** Decodes a Task Management Function Response. */
export function decodeTaskMgmtResponse(bhs: Buffer, ahs: Buffer, data: Buffer): TaskMgmtResponse {
  checkParts(bhs, ahs, data, Opcode.TaskMgmtResponse, 'TaskMgmtResponse');
  return {
    kind: 'task-mgmt-response',
    response: readU8(bhs, OFF_RESPONSE),
    itt: readItt(bhs),
    statSN: readU32(bhs, OFF_STATSN),
    expCmdSN: readU32(bhs, OFF_EXPCMDSN),
    maxCmdSN: readU32(bhs, OFF_MAXCMDSN),
    ...ahsField(ahs),
    data,
  };
}
