/**
 * Golden cases: for each PDU kind, the expected typed object and the bytes the
 * independent builder (test/support/pdu-builder.ts) makes from the RFC figures.
 * At least one case per kind uses edge values (0xffffffff tags, CmdSN
 * 0xfffffffe, maximal 16-bit fields).
 */
import type { Pdu } from '../../../src/iscsi/pdu/index.js';
import * as b from '../../support/pdu-builder.js';

export interface GoldenCase { name: string; pdu: Pdu; built: b.Built }

const MAX32 = 0xffffffff;
const LUN1 = b.lunBytes(0x00, 0x01);
const LUN_FF = b.lunBytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
const NO_LUN = b.lunBytes();
const ISID = Buffer.from([0x80, 0x12, 0x34, 0x56, 0x00, 0x01]);
const EMPTY = Buffer.alloc(0);
const CDB_READ10 = Buffer.from([0x28, 0, 0, 0, 0x10, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0]);

function golden<P extends Pdu>(name: string, pdu: P, build: (p: P) => b.Built): GoldenCase {
  return { name, pdu, built: build(pdu) };
}

/** Initiator -> target PDUs. */
export const initiatorCases: GoldenCase[] = [
  golden('nop-out ping', { kind: 'nop-out', immediate: true, lun: NO_LUN, itt: 7, ttt: MAX32, cmdSN: 0xfffffffe, expStatSN: 3, data: Buffer.from('ping') }, b.nopOut),
  golden('nop-out answer to target ping', { kind: 'nop-out', immediate: true, lun: LUN_FF, itt: MAX32, ttt: 0x12345678, cmdSN: MAX32, expStatSN: MAX32, data: EMPTY }, b.nopOut),
  golden('scsi-command READ(10)', {
    kind: 'scsi-command', immediate: false, final: true, read: true, write: false, attr: 1, lun: LUN1, itt: 0x10,
    expectedDataTransferLength: 4096, cmdSN: 0xfffffffe, expStatSN: 9, cdb: CDB_READ10, data: EMPTY,
  }, b.scsiCommand),
  golden('scsi-command bidi with AHS and immediate data', {
    kind: 'scsi-command', immediate: true, final: false, read: true, write: true, attr: 7, lun: LUN_FF, itt: MAX32,
    expectedDataTransferLength: MAX32, cmdSN: MAX32, expStatSN: MAX32, cdb: Buffer.alloc(16, 0xee),
    ahs: Buffer.from([0x00, 0x05, 0x01, 0x00, 0xa1, 0xa2, 0xa3, 0xa4]), data: Buffer.from([1, 2, 3, 4, 5]),
  }, b.scsiCommand),
  golden('task-mgmt-request ABORT TASK', {
    kind: 'task-mgmt-request', immediate: true, function: 1, lun: LUN1, itt: 0x20, referencedTaskTag: 0x10,
    cmdSN: 5, expStatSN: 6, refCmdSN: 4, expDataSN: 2, data: EMPTY,
  }, b.taskMgmtRequest),
  golden('task-mgmt-request edge', {
    kind: 'task-mgmt-request', immediate: false, function: 0x7f, lun: LUN_FF, itt: MAX32, referencedTaskTag: MAX32,
    cmdSN: 0xfffffffe, expStatSN: MAX32, refCmdSN: MAX32, expDataSN: MAX32, data: EMPTY,
  }, b.taskMgmtRequest),
  golden('login-request security -> operational', {
    kind: 'login-request', transit: true, cont: false, csg: 0, nsg: 1, versionMax: 0, versionMin: 0, isid: ISID,
    tsih: 0, itt: 0, cid: 0, cmdSN: 1, expStatSN: 0,
    data: b.textData({ InitiatorName: 'iqn.2024-01.org.example:host', SessionType: 'Normal', AuthMethod: 'None' }),
  }, b.loginRequest),
  golden('login-request continued, edge values', {
    kind: 'login-request', transit: false, cont: true, csg: 1, nsg: 0, versionMax: 0, versionMin: 0, isid: ISID,
    tsih: 0xffff, itt: 0xfffffffe, cid: 0xffff, cmdSN: 0xfffffffe, expStatSN: MAX32, data: EMPTY,
  }, b.loginRequest),
  golden('login-request operational -> full feature', {
    kind: 'login-request', transit: true, cont: false, csg: 1, nsg: 3, versionMax: 0, versionMin: 0, isid: ISID,
    tsih: 0x1234, itt: 1, cid: 2, cmdSN: 1, expStatSN: 1, data: b.textData([['HeaderDigest', 'None'], ['DataDigest', 'None']]),
  }, b.loginRequest),
  golden('text-request SendTargets', {
    kind: 'text-request', immediate: true, final: true, cont: false, lun: NO_LUN, itt: 3, ttt: MAX32, cmdSN: 1, expStatSN: 2,
    data: b.textData({ SendTargets: 'All' }),
  }, b.textRequest),
  golden('text-request continued', {
    kind: 'text-request', immediate: false, final: false, cont: true, lun: LUN_FF, itt: MAX32, ttt: 0xabcdef01, cmdSN: 0xfffffffe, expStatSN: MAX32, data: EMPTY,
  }, b.textRequest),
  golden('data-out solicited', {
    kind: 'data-out', final: true, lun: LUN1, itt: 0x10, ttt: 0x55, expStatSN: 8, dataSN: 0, bufferOffset: 8192, data: Buffer.alloc(512, 0x5a),
  }, b.dataOut),
  golden('data-out unsolicited edge', {
    kind: 'data-out', final: false, lun: LUN_FF, itt: MAX32, ttt: MAX32, expStatSN: MAX32, dataSN: MAX32, bufferOffset: MAX32, data: EMPTY,
  }, b.dataOut),
  golden('logout-request close session', {
    kind: 'logout-request', immediate: true, reasonCode: 0, itt: 0x40, cid: 0, cmdSN: 7, expStatSN: 9, data: EMPTY,
  }, b.logoutRequest),
  golden('logout-request remove connection edge', {
    kind: 'logout-request', immediate: false, reasonCode: 2, itt: MAX32, cid: 0xffff, cmdSN: 0xfffffffe, expStatSN: MAX32, data: EMPTY,
  }, b.logoutRequest),
  golden('snack status', {
    kind: 'snack', type: 1, lun: LUN1, itt: MAX32, ttt: MAX32, expStatSN: 10, begRun: 7, runLength: 0, data: EMPTY,
  }, b.snack),
  golden('snack R-Data edge', {
    kind: 'snack', type: 3, lun: LUN_FF, itt: 0x10, ttt: 0xfedcba98, expStatSN: MAX32, begRun: MAX32, runLength: MAX32, data: EMPTY,
  }, b.snack),
];

/** Target -> initiator PDUs. */
export const targetCases: GoldenCase[] = [
  golden('nop-in answer', { kind: 'nop-in', lun: NO_LUN, itt: 7, ttt: MAX32, statSN: 4, expCmdSN: 5, maxCmdSN: 36, data: Buffer.from('ping') }, b.nopIn),
  golden('nop-in target ping edge', { kind: 'nop-in', lun: LUN_FF, itt: MAX32, ttt: 0x99, statSN: MAX32, expCmdSN: 0xfffffffe, maxCmdSN: MAX32, data: EMPTY }, b.nopIn),
  golden('scsi-response CHECK CONDITION with sense', {
    kind: 'scsi-response', bidiOverflow: false, bidiUnderflow: false, overflow: false, underflow: true, response: 0, status: 0x02,
    itt: 0x10, snackTag: 0, statSN: 11, expCmdSN: 12, maxCmdSN: 44, expDataSN: 1, bidiResidualCount: 0, residualCount: 512,
    data: Buffer.from([0x00, 0x12, 0x70, 0x00, 0x06]),
  }, b.scsiResponse),
  golden('scsi-response edge flags', {
    kind: 'scsi-response', bidiOverflow: true, bidiUnderflow: false, overflow: true, underflow: false, response: 0xff, status: 0xff,
    itt: MAX32, snackTag: MAX32, statSN: MAX32, expCmdSN: 0xfffffffe, maxCmdSN: MAX32, expDataSN: MAX32, bidiResidualCount: MAX32, residualCount: MAX32,
    data: EMPTY,
  }, b.scsiResponse),
  golden('scsi-response bidi underflow', {
    kind: 'scsi-response', bidiOverflow: false, bidiUnderflow: true, overflow: false, underflow: false, response: 1, status: 0,
    itt: 1, snackTag: 2, statSN: 3, expCmdSN: 4, maxCmdSN: 5, expDataSN: 6, bidiResidualCount: 7, residualCount: 0, data: EMPTY,
  }, b.scsiResponse),
  golden('task-mgmt-response', { kind: 'task-mgmt-response', response: 5, itt: 0x20, statSN: 3, expCmdSN: 6, maxCmdSN: 70, data: EMPTY }, b.taskMgmtResponse),
  golden('task-mgmt-response edge', { kind: 'task-mgmt-response', response: 255, itt: MAX32, statSN: MAX32, expCmdSN: 0xfffffffe, maxCmdSN: MAX32, data: EMPTY }, b.taskMgmtResponse),
  golden('login-response final', {
    kind: 'login-response', transit: true, cont: false, csg: 1, nsg: 3, versionMax: 0, versionActive: 0, isid: ISID, tsih: 0x0101,
    itt: 1, statSN: 0x5000, expCmdSN: 1, maxCmdSN: 1, statusClass: 0, statusDetail: 0, data: b.textData({ MaxRecvDataSegmentLength: '262144' }),
  }, b.loginResponse),
  golden('login-response redirect edge', {
    kind: 'login-response', transit: false, cont: true, csg: 0, nsg: 0, versionMax: 0xff, versionActive: 0xff, isid: ISID, tsih: 0xffff,
    itt: MAX32, statSN: MAX32, expCmdSN: 0xfffffffe, maxCmdSN: MAX32, statusClass: 1, statusDetail: 2, data: EMPTY,
  }, b.loginResponse),
  golden('text-response final', {
    kind: 'text-response', final: true, cont: false, lun: NO_LUN, itt: 3, ttt: MAX32, statSN: 2, expCmdSN: 2, maxCmdSN: 33,
    data: b.textData([['TargetName', 'iqn.2024-01.org.example:disk1'], ['TargetAddress', '10.0.0.5:3260,1']]),
  }, b.textResponse),
  golden('text-response continued edge', {
    kind: 'text-response', final: false, cont: true, lun: LUN_FF, itt: MAX32, ttt: 0xfffffffe, statSN: MAX32, expCmdSN: MAX32, maxCmdSN: MAX32, data: EMPTY,
  }, b.textResponse),
  golden('data-in with status', {
    kind: 'data-in', final: true, acknowledge: false, overflow: false, underflow: true, hasStatus: true, status: 0, lun: LUN1,
    itt: 0x10, ttt: MAX32, statSN: 12, expCmdSN: 13, maxCmdSN: 45, dataSN: 3, bufferOffset: 3072, residualCount: 512, data: Buffer.alloc(1024, 0xc3),
  }, b.dataIn),
  golden('data-in without status (reserved fields zero)', {
    kind: 'data-in', final: false, acknowledge: true, overflow: false, underflow: false, hasStatus: false, status: 0, lun: LUN_FF,
    itt: MAX32, ttt: 0x77, statSN: 0, expCmdSN: 0xfffffffe, maxCmdSN: MAX32, dataSN: MAX32, bufferOffset: MAX32, residualCount: 0, data: EMPTY,
  }, b.dataIn),
  golden('data-in overflow edge', {
    kind: 'data-in', final: true, acknowledge: true, overflow: true, underflow: false, hasStatus: true, status: 0xff, lun: LUN1,
    itt: 1, ttt: 2, statSN: MAX32, expCmdSN: MAX32, maxCmdSN: MAX32, dataSN: 0, bufferOffset: 0, residualCount: MAX32, data: EMPTY,
  }, b.dataIn),
  golden('logout-response', { kind: 'logout-response', response: 0, itt: 0x40, statSN: 10, expCmdSN: 8, maxCmdSN: 40, time2Wait: 2, time2Retain: 20, data: EMPTY }, b.logoutResponse),
  golden('logout-response edge', { kind: 'logout-response', response: 3, itt: MAX32, statSN: MAX32, expCmdSN: 0xfffffffe, maxCmdSN: MAX32, time2Wait: 0xffff, time2Retain: 0xffff, data: EMPTY }, b.logoutResponse),
  golden('r2t', { kind: 'r2t', lun: LUN1, itt: 0x10, ttt: 0x55, statSN: 9, expCmdSN: 10, maxCmdSN: 42, r2tSN: 0, bufferOffset: 65536, desiredDataTransferLength: 262144, data: EMPTY }, b.r2t),
  golden('r2t edge', { kind: 'r2t', lun: LUN_FF, itt: MAX32, ttt: 0xfffffffe, statSN: MAX32, expCmdSN: MAX32, maxCmdSN: MAX32, r2tSN: MAX32, bufferOffset: MAX32, desiredDataTransferLength: MAX32, data: EMPTY }, b.r2t),
  golden('async-message connection drop', {
    kind: 'async-message', lun: NO_LUN, statSN: 20, expCmdSN: 21, maxCmdSN: 52, asyncEvent: 2, asyncVCode: 0, parameter1: 1, parameter2: 5, parameter3: 20,
    data: Buffer.from([0x00, 0x00]),
  }, b.asyncMessage),
  golden('async-message vendor edge', {
    kind: 'async-message', lun: LUN_FF, statSN: MAX32, expCmdSN: 0xfffffffe, maxCmdSN: MAX32, asyncEvent: 255, asyncVCode: 255,
    parameter1: 0xffff, parameter2: 0xffff, parameter3: 0xffff, data: EMPTY,
  }, b.asyncMessage),
  golden('reject protocol error', {
    kind: 'reject', reason: 0x04, statSN: 30, expCmdSN: 31, maxCmdSN: 62, dataSN: 0,
    data: b.scsiCommand({
      immediate: false, final: true, read: true, write: false, attr: 1, lun: LUN1, itt: 0x10,
      expectedDataTransferLength: 4096, cmdSN: 5, expStatSN: 9, cdb: CDB_READ10,
    }).bhs,
  }, b.reject),
  golden('reject edge', { kind: 'reject', reason: 0xff, statSN: MAX32, expCmdSN: 0xfffffffe, maxCmdSN: MAX32, dataSN: MAX32, data: Buffer.alloc(52, 0xab) }, b.reject),
];

/** Every golden case. */
export const allCases: GoldenCase[] = [...initiatorCases, ...targetCases];

/** First case of a kind (helper for rule tests). */
export function caseOf(kind: Pdu['kind']): GoldenCase {
  const found = allCases.find((c) => c.pdu.kind === kind);
  if (found === undefined) throw new Error(`no golden case for ${kind}`);
  return found;
}
