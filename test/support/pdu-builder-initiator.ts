/**
 * Golden bytes of initiator -> target PDUs, placement by placement from the
 * RFC 7143 §11 figures. Bit numbers are the RFC's (0 = most significant).
 */
import { bitIf, bits, frame, op, raw, u16, u32, u8, type Built, type Parts } from './pdu-builder-dsl.js';

/** §11.18 NOP-Out: byte 1 = 1 (bit 0). */
export function nopOut(f: Parts & { immediate: boolean; lun: Buffer; itt: number; ttt: number; cmdSN: number; expStatSN: number }): Built {
  return frame([
    op(0x00, f.immediate), u8(1, bits(0)),
    raw(8, f.lun),
    u32(16, f.itt), u32(20, f.ttt), u32(24, f.cmdSN), u32(28, f.expStatSN),
  ], f);
}

/** §11.3 SCSI Command: byte 1 = F(0) R(1) W(2) . . ATTR(5-7); CDB at 32-47. */
export function scsiCommand(f: Parts & {
  immediate: boolean; final: boolean; read: boolean; write: boolean; attr: number; lun: Buffer; itt: number;
  expectedDataTransferLength: number; cmdSN: number; expStatSN: number; cdb: Buffer;
}): Built {
  return frame([
    op(0x01, f.immediate), u8(1, bitIf(f.final, 0) | bitIf(f.read, 1) | bitIf(f.write, 2) | f.attr),
    raw(8, f.lun),
    u32(16, f.itt), u32(20, f.expectedDataTransferLength), u32(24, f.cmdSN), u32(28, f.expStatSN),
    raw(32, f.cdb),
  ], f);
}

/** §11.5 Task Management Function Request: byte 1 = 1 | Function(1-7). */
export function taskMgmtRequest(f: Parts & {
  immediate: boolean; function: number; lun: Buffer; itt: number; referencedTaskTag: number;
  cmdSN: number; expStatSN: number; refCmdSN: number; expDataSN: number;
}): Built {
  return frame([
    op(0x02, f.immediate), u8(1, bits(0) | f.function),
    raw(8, f.lun),
    u32(16, f.itt), u32(20, f.referencedTaskTag), u32(24, f.cmdSN), u32(28, f.expStatSN),
    u32(32, f.refCmdSN), u32(36, f.expDataSN),
  ], f);
}

/** §11.12 Login Request: byte 0 = .|1|0x03; byte 1 = T(0) C(1) . . CSG(4-5) NSG(6-7). */
export function loginRequest(f: Parts & {
  transit: boolean; cont: boolean; csg: number; nsg: number; versionMax: number; versionMin: number;
  isid: Buffer; tsih: number; itt: number; cid: number; cmdSN: number; expStatSN: number;
}): Built {
  return frame([
    op(0x03, true), u8(1, bitIf(f.transit, 0) | bitIf(f.cont, 1) | (f.csg * 4) | f.nsg),
    u8(2, f.versionMax), u8(3, f.versionMin),
    raw(8, f.isid), u16(14, f.tsih),
    u32(16, f.itt), u16(20, f.cid), u32(24, f.cmdSN), u32(28, f.expStatSN),
  ], f);
}

/** §11.10 Text Request: byte 1 = F(0) C(1). */
export function textRequest(f: Parts & {
  immediate: boolean; final: boolean; cont: boolean; lun: Buffer; itt: number; ttt: number; cmdSN: number; expStatSN: number;
}): Built {
  return frame([
    op(0x04, f.immediate), u8(1, bitIf(f.final, 0) | bitIf(f.cont, 1)),
    raw(8, f.lun),
    u32(16, f.itt), u32(20, f.ttt), u32(24, f.cmdSN), u32(28, f.expStatSN),
  ], f);
}

/** §11.7 SCSI Data-Out: byte 1 = F(0); DataSN 36, Buffer Offset 40. */
export function dataOut(f: Parts & {
  final: boolean; lun: Buffer; itt: number; ttt: number; expStatSN: number; dataSN: number; bufferOffset: number;
}): Built {
  return frame([
    op(0x05), u8(1, bitIf(f.final, 0)),
    raw(8, f.lun),
    u32(16, f.itt), u32(20, f.ttt), u32(28, f.expStatSN), u32(36, f.dataSN), u32(40, f.bufferOffset),
  ], f);
}

/** §11.14 Logout Request: byte 1 = 1 | Reason Code(1-7); CID at 20-21. */
export function logoutRequest(f: Parts & {
  immediate: boolean; reasonCode: number; itt: number; cid: number; cmdSN: number; expStatSN: number;
}): Built {
  return frame([
    op(0x06, f.immediate), u8(1, bits(0) | f.reasonCode),
    u32(16, f.itt), u16(20, f.cid), u32(24, f.cmdSN), u32(28, f.expStatSN),
  ], f);
}

/** §11.16 SNACK Request: byte 1 = 1 . . . Type(4-7); BegRun 40, RunLength 44. */
export function snack(f: Parts & {
  type: number; lun: Buffer; itt: number; ttt: number; expStatSN: number; begRun: number; runLength: number;
}): Built {
  return frame([
    op(0x10), u8(1, bits(0) | f.type),
    raw(8, f.lun),
    u32(16, f.itt), u32(20, f.ttt), u32(28, f.expStatSN), u32(40, f.begRun), u32(44, f.runLength),
  ], f);
}
