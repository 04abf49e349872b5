/**
 * One test per spec rule the codec enforces (RFC 7143 §11, checklist IDs in titles).
 * Malformed inputs are builder bytes patched at the offending offset.
 */
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/shared/errors.js';
import {
  Opcode, decodeInitiatorPdu, decodeLoginRequest, decodeNopIn, decodePdu, decodeTargetPdu, encodePdu,
  peekAhsByteLength, peekDataSegmentLength, peekOpcode, peekTotalAhsLength, type Pdu, type PduKind, type RawPdu,
} from '../../../src/iscsi/pdu/index.js';
import * as b from '../../support/pdu-builder.js';
import { caseOf } from './cases.js';

function thrown(fn: () => unknown): unknown {
  try { fn(); } catch (e) { return e; }
  throw new Error('expected a throw');
}

/** Asserts a ProtocolError with `code` (and `where` when given). */
function expectProtocolError(fn: () => unknown, code: string, where?: string): ProtocolError {
  const error = thrown(fn);
  expect(error).toBeInstanceOf(ProtocolError);
  const pe = error as ProtocolError;
  expect(pe.code).toBe(code);
  if (where !== undefined) expect(pe.details['where']).toBe(where);
  return pe;
}

/** Builder bytes with the bits of `mask` ORed into byte `at`. */
function orByte(built: b.Built, at: number, mask: number): b.Built {
  return b.patch(built, b.u8(at, built.bhs[at]! | mask));
}

describe('C-01 Login Request byte 0 and version fields', () => {
  it('C-01 encodes byte 0 as 0x43 and Version-max/min at bytes 2-3', () => {
    const raw = encodePdu({ ...caseOf('login-request').pdu, versionMax: 0, versionMin: 0 } as Pdu);
    expect(raw.bhs[0]).toBe(0x43);
    expect([raw.bhs[2], raw.bhs[3]]).toEqual([0, 0]);
  });

  it('C-01 puts non-zero versions at bytes 2 (max) and 3 (min)', () => {
    const raw = encodePdu({ ...caseOf('login-request').pdu, versionMax: 2, versionMin: 1 } as Pdu);
    expect([raw.bhs[2], raw.bhs[3]]).toEqual([2, 1]);
  });

  it('C-01 a received Login Request without the I bit is LOGIN_NOT_IMMEDIATE', () => {
    const bad = b.patch(caseOf('login-request').built, b.u8(0, 0x03));
    expectProtocolError(() => decodeInitiatorPdu(bad), 'LOGIN_NOT_IMMEDIATE', 'LoginRequest.immediate');
  });

  it('C-01 Version-min above Version-max is BAD_VERSION_RANGE', () => {
    const bad = b.patch(caseOf('login-request').built, b.u8(2, 0), b.u8(3, 1));
    expectProtocolError(() => decodeLoginRequest(bad.bhs, bad.ahs, bad.data), 'BAD_VERSION_RANGE', 'LoginRequest.versionMin');
  });
});

describe('D-03 login stages', () => {
  const response = caseOf('login-response').built; // T=1 CSG=1 NSG=3
  it('D-03 CSG 2 in a Login Response is BAD_STAGE', () => {
    expectProtocolError(() => decodeTargetPdu(b.patch(response, b.u8(1, 0x80 | (2 << 2) | 3))), 'BAD_STAGE', 'LoginResponse.csg');
  });
  it('D-03 NSG 2 with T=1 in a Login Response is BAD_STAGE', () => {
    expectProtocolError(() => decodeTargetPdu(b.patch(response, b.u8(1, 0x80 | (1 << 2) | 2))), 'BAD_STAGE', 'LoginResponse.nsg');
  });
  it('D-03 CSG 2 in a Login Request is BAD_STAGE', () => {
    expectProtocolError(() => decodeInitiatorPdu(b.patch(caseOf('login-request').built, b.u8(1, 0x80 | (2 << 2) | 3))), 'BAD_STAGE', 'LoginRequest.csg');
  });
  it('D-03 NSG is reserved with T=0: ignored on decode (even 2) and sent as zero', () => {
    const pdu = decodeTargetPdu(b.patch(response, b.u8(1, (1 << 2) | 2)));
    expect(pdu).toMatchObject({ kind: 'login-response', transit: false, csg: 1, nsg: 0 });
    const raw = encodePdu({ ...caseOf('login-request').pdu, transit: false, cont: false, csg: 1, nsg: 3 } as Pdu);
    expect(raw.bhs[1]).toBe(1 << 2);
  });
  it('D-04 T and C both set is BAD_LOGIN_FLAGS', () => {
    expectProtocolError(() => decodeTargetPdu(orByte(response, 1, 0x40)), 'BAD_LOGIN_FLAGS', 'LoginResponse.cont');
    expectProtocolError(() => decodeInitiatorPdu(orByte(caseOf('login-request').built, 1, 0x40)), 'BAD_LOGIN_FLAGS', 'LoginRequest.cont');
  });
});

describe('O-12 opcodes a receiver must not accept', () => {
  it('O-12 an initiator opcode (0x01) received by the initiator is UNEXPECTED_OPCODE', () => {
    const pe = expectProtocolError(() => decodeTargetPdu(caseOf('scsi-command').built), 'UNEXPECTED_OPCODE', 'BHS.opcode');
    expect(pe.details['opcode']).toBe(0x01);
  });

  it('O-12 an unassigned opcode (0x3b) is UNKNOWN_OPCODE for every decoder', () => {
    const bad = b.patch(caseOf('nop-in').built, b.u8(0, 0x3b));
    for (const decode of [decodePdu, decodeTargetPdu, decodeInitiatorPdu]) {
      const pe = expectProtocolError(() => decode(bad), 'UNKNOWN_OPCODE', 'BHS.opcode');
      expect(pe.details['opcode']).toBe(0x3b);
    }
  });

  it('O-12 every unassigned opcode 0x00-0x3f is UNKNOWN_OPCODE', () => {
    const assigned = new Set<number>(Object.values(Opcode));
    let unassigned = 0;
    for (let opcode = 0; opcode < 64; opcode++) {
      if (assigned.has(opcode)) continue;
      unassigned++;
      expectProtocolError(() => decodePdu(b.patch(caseOf('nop-in').built, b.u8(0, opcode))), 'UNKNOWN_OPCODE');
    }
    expect(unassigned).toBe(64 - 18);
  });

  it('O-12 a target opcode received by the fake target is UNEXPECTED_OPCODE', () => {
    expectProtocolError(() => decodeInitiatorPdu(caseOf('nop-in').built), 'UNEXPECTED_OPCODE', 'BHS.opcode');
  });

  it('a family decoder given another opcode is UNEXPECTED_OPCODE', () => {
    const { built } = caseOf('nop-out');
    expectProtocolError(() => decodeNopIn(built.bhs, built.ahs, built.data), 'UNEXPECTED_OPCODE', 'NopIn.opcode');
  });
});

describe('M-01 Asynchronous Message', () => {
  it('M-01 an Async Message with ITT != 0xffffffff is BAD_TAG', () => {
    const { pdu } = caseOf('async-message');
    const bad = b.asyncMessage({ ...(pdu as Extract<Pdu, { kind: 'async-message' }>), itt: 0 });
    expectProtocolError(() => decodeTargetPdu(bad), 'BAD_TAG', 'AsyncMessage.itt');
  });

  it('M-01 encodes ITT 0xffffffff at bytes 16-19', () => {
    expect(encodePdu(caseOf('async-message').pdu).bhs.readUInt32BE(16)).toBe(0xffffffff);
  });
});

describe('other cheap protocol checks', () => {
  it('a Reject with ITT != 0xffffffff is BAD_TAG', () => {
    expectProtocolError(() => decodeTargetPdu(b.patch(caseOf('reject').built, b.u32(16, 5))), 'BAD_TAG', 'Reject.itt');
  });

  it('a Reject whose data cannot hold the rejected header is BAD_REJECT_DATA', () => {
    const bad = b.reject({ reason: 4, statSN: 1, expCmdSN: 1, maxCmdSN: 1, dataSN: 0, data: Buffer.alloc(47) });
    expectProtocolError(() => decodeTargetPdu(bad), 'BAD_REJECT_DATA', 'Reject.data');
  });

  it('a NOP-In with both ITT and TTT valid is BAD_TAG', () => {
    expectProtocolError(() => decodeTargetPdu(b.patch(caseOf('nop-in').built, b.u32(20, 1))), 'BAD_TAG', 'NopIn.ttt');
  });

  it('a NOP-Out with both ITT and TTT valid is BAD_TAG', () => {
    expectProtocolError(() => decodeInitiatorPdu(b.patch(caseOf('nop-out').built, b.u32(20, 1))), 'BAD_TAG', 'NopOut.ttt');
  });

  it('a Text Response with F and C both set is BAD_TEXT_FLAGS', () => {
    expectProtocolError(() => decodeTargetPdu(orByte(caseOf('text-response').built, 1, 0x40)), 'BAD_TEXT_FLAGS', 'TextResponse.cont');
  });

  it('a Text Request with F and C both set is BAD_TEXT_FLAGS', () => {
    expectProtocolError(() => decodeInitiatorPdu(orByte(caseOf('text-request').built, 1, 0x40)), 'BAD_TEXT_FLAGS', 'TextRequest.cont');
  });

  it('a Text Response with F=0 and TTT 0xffffffff is BAD_TAG', () => {
    const bad = b.patch(caseOf('text-response').built, b.u8(1, 0x00));
    expectProtocolError(() => decodeTargetPdu(bad), 'BAD_TAG', 'TextResponse.ttt');
  });

  it('a Data-In with S=1 and F=0 is BAD_DATA_IN_FLAGS', () => {
    expectProtocolError(() => decodeTargetPdu(b.patch(caseOf('data-in').built, b.u8(1, 0x01))), 'BAD_DATA_IN_FLAGS', 'DataIn.hasStatus');
  });

  it('a Data-In with S, O and U set is BAD_RESIDUAL_FLAGS', () => {
    expectProtocolError(() => decodeTargetPdu(b.patch(caseOf('data-in').built, b.u8(1, 0x87))), 'BAD_RESIDUAL_FLAGS', 'DataIn.underflow');
  });

  it('a SCSI Response with O and U (or o and u) both set is BAD_RESIDUAL_FLAGS', () => {
    const { built } = caseOf('scsi-response');
    expectProtocolError(() => decodeTargetPdu(b.patch(built, b.u8(1, 0x86))), 'BAD_RESIDUAL_FLAGS', 'ScsiResponse.underflow');
    expectProtocolError(() => decodeTargetPdu(b.patch(built, b.u8(1, 0x98))), 'BAD_RESIDUAL_FLAGS', 'ScsiResponse.bidiUnderflow');
  });
});

describe('framing consistency', () => {
  const { built } = caseOf('nop-in'); // 4 data bytes
  it('a BHS that is not 48 bytes is BAD_BHS_LENGTH', () => {
    expectProtocolError(() => decodePdu({ ...built, bhs: built.bhs.subarray(0, 47) }), 'BAD_BHS_LENGTH', 'BHS');
    expectProtocolError(() => peekOpcode(Buffer.alloc(0)), 'BAD_BHS_LENGTH');
  });
  it('data shorter than DataSegmentLength is DATA_LENGTH_MISMATCH', () => {
    expectProtocolError(() => decodePdu({ ...built, data: built.data.subarray(1) }), 'DATA_LENGTH_MISMATCH', 'NopIn.DataSegmentLength');
  });
  it('AHS bytes not matching TotalAHSLength is AHS_LENGTH_MISMATCH', () => {
    expectProtocolError(() => decodePdu({ ...built, ahs: Buffer.alloc(4) }), 'AHS_LENGTH_MISMATCH', 'NopIn.TotalAHSLength');
  });
  it('peek helpers read opcode, TotalAHSLength and the 24-bit DataSegmentLength', () => {
    const raw: RawPdu = b.nopIn({ lun: b.lunBytes(), itt: 1, ttt: 0xffffffff, statSN: 1, expCmdSN: 1, maxCmdSN: 1, ahs: Buffer.alloc(12), data: Buffer.alloc(0x010203) });
    expect(peekOpcode(raw.bhs)).toBe(0x20);
    expect(peekTotalAhsLength(raw.bhs)).toBe(3);
    expect(peekAhsByteLength(raw.bhs)).toBe(12);
    expect(peekDataSegmentLength(raw.bhs)).toBe(0x010203);
  });
});

/**
 * Reserved bits and bytes per PDU kind, from the RFC figures: [offset, mask].
 * Byte 0 bit 0 is reserved everywhere; the I bit is reserved on PDUs that
 * cannot be immediate (Data-Out, SNACK, all target PDUs).
 */
const ALL = 0xff;
const range = (from: number, to: number): Array<[number, number]> => Array.from({ length: to - from + 1 }, (_, i) => [from + i, ALL]);
const RESERVED: Record<PduKind, Array<[number, number]>> = {
  'nop-out': [[0, 0x80], [1, 0x7f], ...range(2, 3), ...range(32, 47)],
  'scsi-command': [[0, 0x80], [1, 0x18], ...range(2, 3)],
  'task-mgmt-request': [[0, 0x80], ...range(2, 3), ...range(40, 47)],
  'login-request': [[0, 0x80], [1, 0x30], ...range(22, 23), ...range(32, 47)],
  'text-request': [[0, 0x80], [1, 0x3f], ...range(2, 3), ...range(32, 47)],
  'data-out': [[0, 0xc0], [1, 0x7f], ...range(2, 3), ...range(24, 27), ...range(32, 35), ...range(44, 47)],
  'logout-request': [[0, 0x80], ...range(2, 3), ...range(8, 15), ...range(22, 23), ...range(32, 47)],
  'snack': [[0, 0xc0], [1, 0x70], ...range(2, 3), ...range(24, 27), ...range(32, 39)],
  'nop-in': [[0, 0xc0], [1, 0x7f], ...range(2, 3), ...range(36, 47)],
  'scsi-response': [[0, 0xc0], [1, 0x61], ...range(8, 15)],
  'task-mgmt-response': [[0, 0xc0], [1, 0x7f], [3, ALL], ...range(8, 15), ...range(20, 23), ...range(36, 47)],
  'login-response': [[0, 0xc0], [1, 0x30], ...range(20, 23), ...range(38, 47)],
  'text-response': [[0, 0xc0], [1, 0x3f], ...range(2, 3), ...range(36, 47)],
  'data-in': [[0, 0xc0], [1, 0x38], [2, ALL]],
  'logout-response': [[0, 0xc0], [1, 0x7f], [3, ALL], ...range(8, 15), ...range(20, 23), ...range(36, 39), ...range(44, 47)],
  'r2t': [[0, 0xc0], [1, 0x7f], ...range(2, 3)],
  'async-message': [[0, 0xc0], [1, 0x7f], ...range(2, 3), ...range(20, 23), ...range(44, 47)],
  'reject': [[0, 0xc0], [1, 0x7f], [3, ALL], ...range(8, 15), ...range(20, 23), ...range(40, 47)],
};

describe('O-13 reserved bits', () => {
  it.each(Object.keys(RESERVED) as PduKind[])('O-13 ignores reserved bits set in a received %s', (kind) => {
    const { pdu, built } = caseOf(kind);
    const noisy = RESERVED[kind].reduce((acc, [at, mask]) => orByte(acc, at, mask), built);
    expect(noisy.bhs.equals(built.bhs)).toBe(false);
    expect(decodePdu(noisy)).toEqual(pdu);
  });

  it.each(Object.keys(RESERVED) as PduKind[])('O-13 sends reserved bits of %s as zero', (kind) => {
    const bhs = encodePdu(caseOf(kind).pdu).bhs;
    for (const [at, mask] of RESERVED[kind]) expect(bhs[at]! & mask).toBe(0);
  });

  it('O-13 Data-In O/U/Status/StatSN/Residual are reserved without S: ignored and sent as zero', () => {
    const built = b.dataIn({
      final: true, acknowledge: false, overflow: false, underflow: true, hasStatus: false, status: 0x02, lun: b.lunBytes(),
      itt: 1, ttt: 0xffffffff, statSN: 9, expCmdSN: 3, maxCmdSN: 4, dataSN: 5, bufferOffset: 6, residualCount: 7,
    });
    const pdu = decodeTargetPdu(built);
    expect(pdu).toMatchObject({ kind: 'data-in', hasStatus: false, underflow: false, status: 0, statSN: 0, residualCount: 0, dataSN: 5 });
    const raw = encodePdu({ ...pdu, underflow: true, status: 2, statSN: 9, residualCount: 7 } as Pdu);
    expect([raw.bhs[1], raw.bhs[3], raw.bhs.readUInt32BE(24), raw.bhs.readUInt32BE(44)]).toEqual([0x80, 0, 0, 0]);
  });
});
