/**
 * Golden bytes of target -> initiator PDUs, placement by placement from the
 * RFC 7143 §11 figures. Bit numbers are the RFC's (0 = most significant).
 * Every target PDU has StatSN @24, ExpCmdSN @28, MaxCmdSN @32.
 */
import { bitIf, bits, frame, op, raw, u16, u32, u8, type Built, type Parts, type Place } from './pdu-builder-dsl.js';

/** Window fields shared by responses. */
interface Window { statSN: number; expCmdSN: number; maxCmdSN: number }

function window(f: Window): Place[] {
  return [u32(24, f.statSN), u32(28, f.expCmdSN), u32(32, f.maxCmdSN)];
}

/** §11.19 NOP-In: byte 1 = 1 (bit 0). */
export function nopIn(f: Parts & Window & { lun: Buffer; itt: number; ttt: number }): Built {
  return frame([op(0x20), u8(1, bits(0)), raw(8, f.lun), u32(16, f.itt), u32(20, f.ttt), ...window(f)], f);
}

/** §11.4 SCSI Response: byte 1 = 1 . . o(3) u(4) O(5) U(6) .; Response 2, Status 3. */
export function scsiResponse(f: Parts & Window & {
  bidiOverflow: boolean; bidiUnderflow: boolean; overflow: boolean; underflow: boolean; response: number; status: number;
  itt: number; snackTag: number; expDataSN: number; bidiResidualCount: number; residualCount: number;
}): Built {
  const flags = bits(0) | bitIf(f.bidiOverflow, 3) | bitIf(f.bidiUnderflow, 4) | bitIf(f.overflow, 5) | bitIf(f.underflow, 6);
  return frame([
    op(0x21), u8(1, flags), u8(2, f.response), u8(3, f.status),
    u32(16, f.itt), u32(20, f.snackTag), ...window(f),
    u32(36, f.expDataSN), u32(40, f.bidiResidualCount), u32(44, f.residualCount),
  ], f);
}

/** §11.6 Task Management Function Response: byte 1 = 1; Response at 2. */
export function taskMgmtResponse(f: Parts & Window & { response: number; itt: number }): Built {
  return frame([op(0x22), u8(1, bits(0)), u8(2, f.response), u32(16, f.itt), ...window(f)], f);
}

/** §11.13 Login Response: byte 1 = T(0) C(1) . . CSG(4-5) NSG(6-7); Status-Class 36, Status-Detail 37. */
export function loginResponse(f: Parts & Window & {
  transit: boolean; cont: boolean; csg: number; nsg: number; versionMax: number; versionActive: number;
  isid: Buffer; tsih: number; itt: number; statusClass: number; statusDetail: number;
}): Built {
  return frame([
    op(0x23), u8(1, bitIf(f.transit, 0) | bitIf(f.cont, 1) | (f.csg * 4) | f.nsg),
    u8(2, f.versionMax), u8(3, f.versionActive),
    raw(8, f.isid), u16(14, f.tsih), u32(16, f.itt), ...window(f),
    u8(36, f.statusClass), u8(37, f.statusDetail),
  ], f);
}

/** §11.11 Text Response: byte 1 = F(0) C(1). */
export function textResponse(f: Parts & Window & { final: boolean; cont: boolean; lun: Buffer; itt: number; ttt: number }): Built {
  return frame([
    op(0x24), u8(1, bitIf(f.final, 0) | bitIf(f.cont, 1)),
    raw(8, f.lun), u32(16, f.itt), u32(20, f.ttt), ...window(f),
  ], f);
}

/** §11.7 SCSI Data-In: byte 1 = F(0) A(1) 0 0 0 O(5) U(6) S(7); Status 3; DataSN 36, Offset 40, Residual 44. */
export function dataIn(f: Parts & Window & {
  final: boolean; acknowledge: boolean; overflow: boolean; underflow: boolean; hasStatus: boolean; status: number;
  lun: Buffer; itt: number; ttt: number; dataSN: number; bufferOffset: number; residualCount: number;
}): Built {
  const flags = bitIf(f.final, 0) | bitIf(f.acknowledge, 1) | bitIf(f.overflow, 5) | bitIf(f.underflow, 6) | bitIf(f.hasStatus, 7);
  return frame([
    op(0x25), u8(1, flags), u8(3, f.status),
    raw(8, f.lun), u32(16, f.itt), u32(20, f.ttt), ...window(f),
    u32(36, f.dataSN), u32(40, f.bufferOffset), u32(44, f.residualCount),
  ], f);
}

/** §11.15 Logout Response: byte 1 = 1; Response 2; Time2Wait 40-41, Time2Retain 42-43. */
export function logoutResponse(f: Parts & Window & { response: number; itt: number; time2Wait: number; time2Retain: number }): Built {
  return frame([
    op(0x26), u8(1, bits(0)), u8(2, f.response), u32(16, f.itt), ...window(f),
    u16(40, f.time2Wait), u16(42, f.time2Retain),
  ], f);
}

/** §11.8 R2T: byte 1 = 1; R2TSN 36, Buffer Offset 40, Desired Data Transfer Length 44. */
export function r2t(f: Parts & Window & {
  lun: Buffer; itt: number; ttt: number; r2tSN: number; bufferOffset: number; desiredDataTransferLength: number;
}): Built {
  return frame([
    op(0x31), u8(1, bits(0)), raw(8, f.lun), u32(16, f.itt), u32(20, f.ttt), ...window(f),
    u32(36, f.r2tSN), u32(40, f.bufferOffset), u32(44, f.desiredDataTransferLength),
  ], f);
}

/**
 * §11.9 Asynchronous Message: byte 1 = 1; ITT 0xffffffff (override with `itt`
 * to build a bad one); AsyncEvent 36, AsyncVCode 37, Parameter1-3 at 38/40/42.
 */
export function asyncMessage(f: Parts & Window & {
  lun: Buffer; asyncEvent: number; asyncVCode: number; parameter1: number; parameter2: number; parameter3: number; itt?: number;
}): Built {
  return frame([
    op(0x32), u8(1, bits(0)), raw(8, f.lun), u32(16, f.itt ?? 0xffffffff), ...window(f),
    u8(36, f.asyncEvent), u8(37, f.asyncVCode), u16(38, f.parameter1), u16(40, f.parameter2), u16(42, f.parameter3),
  ], f);
}

/** §11.17 Reject: byte 1 = 1; Reason 2; ITT 0xffffffff; DataSN/R2TSN 36; data = rejected header. */
export function reject(f: Parts & Window & { reason: number; dataSN: number; itt?: number }): Built {
  return frame([
    op(0x3f), u8(1, bits(0)), u8(2, f.reason), u32(16, f.itt ?? 0xffffffff), ...window(f), u32(36, f.dataSN),
  ], f);
}
