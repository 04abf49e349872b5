/**
 * Golden round trips: builder bytes (from the RFC figures, independent of the
 * codec) == encodePdu output, and decoding the builder bytes gives the object.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/shared/errors.js';
import {
  decodeInitiatorPdu, decodePdu, decodeTargetPdu, encodeBhs, encodePdu, type Pdu, type PduKind,
} from '../../../src/iscsi/pdu/index.js';
import * as b from '../../support/pdu-builder.js';
import { allCases, caseOf, initiatorCases, targetCases } from './cases.js';

const ALL_KINDS: PduKind[] = [
  'nop-out', 'scsi-command', 'task-mgmt-request', 'login-request', 'text-request', 'data-out', 'logout-request', 'snack',
  'nop-in', 'scsi-response', 'task-mgmt-response', 'login-response', 'text-response', 'data-in', 'logout-response',
  'r2t', 'async-message', 'reject',
];

function hex(buf: Buffer): string {
  return buf.toString('hex');
}

describe('pdu builder (sanity against hand-written RFC bytes)', () => {
  it('C-01 builds a Login Request header byte for byte', () => {
    const built = b.loginRequest({
      transit: true, cont: false, csg: 1, nsg: 3, versionMax: 0, versionMin: 0,
      isid: Buffer.from([0x80, 0x12, 0x34, 0x56, 0x00, 0x01]), tsih: 0x0102, itt: 0x0a0b0c0d, cid: 0x0e0f,
      cmdSN: 0x11223344, expStatSN: 0x55667788, data: Buffer.alloc(0x0105),
    });
    expect(hex(built.bhs)).toBe(
      '43870000' + '00000105' + '801234560001' + '0102' + '0a0b0c0d' + '0e0f0000' + '11223344' + '55667788' + '00'.repeat(16),
    );
  });

  it('builds a Data-In with S/U bits at the RFC bit positions', () => {
    const built = b.dataIn({
      final: true, acknowledge: false, overflow: false, underflow: true, hasStatus: true, status: 0x02, lun: b.lunBytes(),
      itt: 1, ttt: 0xffffffff, statSN: 2, expCmdSN: 3, maxCmdSN: 4, dataSN: 5, bufferOffset: 6, residualCount: 7,
    });
    expect(hex(built.bhs.subarray(0, 4))).toBe('25830002');
    expect(built.bhs.readUInt32BE(44)).toBe(7);
  });

  it('textData ends every pair with one NUL', () => {
    expect(b.textData({ A: '1', B: 'x' }).toString('latin1')).toBe('A=1\0B=x\0');
  });

  it('rejects overlapping placements', () => {
    expect(() => b.bhs(b.u32(16, 1), b.u8(18, 0))).toThrow(/placed twice/);
  });
});

describe('golden round trips', () => {
  it('covers every PDU kind', () => {
    const kinds = new Set(allCases.map((c) => c.pdu.kind));
    expect([...kinds].sort()).toEqual([...ALL_KINDS].sort());
  });

  it.each(allCases)('encodePdu($name) equals the builder bytes', ({ pdu, built }) => {
    const raw = encodePdu(pdu);
    expect(hex(raw.bhs)).toBe(hex(built.bhs));
    expect(hex(raw.ahs)).toBe(hex(built.ahs));
    expect(hex(raw.data)).toBe(hex(built.data));
    expect(hex(encodeBhs(pdu))).toBe(hex(built.bhs));
  });

  it.each(allCases)('decodePdu(builder $name) gives the object', ({ pdu, built }) => {
    expect(decodePdu(built)).toEqual(pdu);
  });

  it.each(targetCases)('decodeTargetPdu accepts $name', ({ pdu, built }) => {
    expect(decodeTargetPdu(built)).toEqual(pdu);
  });

  it.each(initiatorCases)('decodeInitiatorPdu accepts $name', ({ pdu, built }) => {
    expect(decodeInitiatorPdu(built)).toEqual(pdu);
  });

  it('decoded LUN and ISID are copies, not views of the received header', () => {
    const { built } = caseOf('login-response');
    const bhs = Buffer.from(built.bhs);
    const pdu = decodePdu({ ...built, bhs });
    bhs.fill(0);
    expect(pdu.kind === 'login-response' && hex(pdu.isid)).toBe('801234560001');
  });
});

describe('length fields', () => {
  it('writes the maximal 24-bit DataSegmentLength and reads it back', () => {
    const pdu: Pdu = { kind: 'data-out', final: true, lun: b.lunBytes(), itt: 1, ttt: 2, expStatSN: 3, dataSN: 4, bufferOffset: 5, data: Buffer.alloc(0xffffff) };
    const built = b.dataOut(pdu);
    const raw = encodePdu(pdu);
    expect(hex(raw.bhs.subarray(4, 8))).toBe('00ffffff');
    expect(hex(raw.bhs)).toBe(hex(built.bhs));
    // Deep equality over 16 MiB is too slow: check the passed-through data by identity.
    const decoded = decodePdu(built);
    expect(decoded.data).toBe(built.data);
    expect({ ...decoded, data: null }).toEqual({ ...pdu, data: null });
  });

  it('refuses a data segment of 2^24 bytes (DATA_TOO_LONG)', () => {
    const pdu: Pdu = { kind: 'data-out', final: true, lun: b.lunBytes(), itt: 1, ttt: 2, expStatSN: 3, dataSN: 4, bufferOffset: 5, data: Buffer.alloc(0x1000000) };
    let error: unknown;
    try { encodePdu(pdu); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('DATA_TOO_LONG');
  });

  it.each([3, 5, 1022, 1024 + 4])('refuses an AHS of %i bytes (BAD_AHS_LENGTH)', (len) => {
    const { pdu } = caseOf('scsi-command');
    let error: unknown;
    try { encodePdu({ ...pdu, ahs: Buffer.alloc(len) }); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('BAD_AHS_LENGTH');
  });

  it('writes TotalAHSLength in 4-byte words (1020-byte AHS = 255 words)', () => {
    const { pdu } = caseOf('scsi-command');
    expect(encodePdu({ ...pdu, ahs: Buffer.alloc(1020) }).bhs[4]).toBe(255);
  });
});

describe('encoder argument checks (ConfigError, never a RangeError)', () => {
  const cases: Array<[string, Pdu, string]> = [
    ['ITT above 32 bits', { ...caseOf('nop-out').pdu, itt: 2 ** 32 } as Pdu, 'FIELD_OUT_OF_RANGE'],
    ['negative CmdSN', { ...caseOf('scsi-command').pdu, cmdSN: -1 } as Pdu, 'FIELD_OUT_OF_RANGE'],
    ['fractional StatSN', { ...caseOf('nop-in').pdu, statSN: 1.5 } as Pdu, 'FIELD_OUT_OF_RANGE'],
    ['ATTR above 7', { ...caseOf('scsi-command').pdu, attr: 8 } as Pdu, 'FIELD_OUT_OF_RANGE'],
    ['TMF function above 0x7f', { ...caseOf('task-mgmt-request').pdu, function: 0x80 } as Pdu, 'FIELD_OUT_OF_RANGE'],
    ['CSG above 3', { ...caseOf('login-request').pdu, csg: 4 } as Pdu, 'FIELD_OUT_OF_RANGE'],
    ['SNACK type above 15', { ...caseOf('snack').pdu, type: 16 } as Pdu, 'FIELD_OUT_OF_RANGE'],
    ['Time2Wait above 16 bits', { ...caseOf('logout-response').pdu, time2Wait: 0x10000 } as Pdu, 'FIELD_OUT_OF_RANGE'],
    ['7-byte LUN', { ...caseOf('r2t').pdu, lun: Buffer.alloc(7) } as Pdu, 'BAD_FIELD_LENGTH'],
    ['5-byte ISID', { ...caseOf('login-request').pdu, isid: Buffer.alloc(5) } as Pdu, 'BAD_FIELD_LENGTH'],
    ['17-byte CDB', { ...caseOf('scsi-command').pdu, cdb: Buffer.alloc(17) } as Pdu, 'BAD_FIELD_LENGTH'],
  ];
  it.each(cases)('%s', (_name, pdu, code) => {
    let error: unknown;
    try { encodePdu(pdu); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe(code);
  });

  it('zero-pads a 6-byte CDB to 16 bytes', () => {
    const pdu = { ...caseOf('scsi-command').pdu, cdb: Buffer.from([0x00, 1, 2, 3, 4, 5]) } as Pdu;
    expect(hex(encodePdu(pdu).bhs.subarray(32))).toBe('000102030405' + '00'.repeat(10));
  });
});
