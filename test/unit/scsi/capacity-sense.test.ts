import { describe, expect, it } from 'vitest';
import {
  ascDescription,
  deviceTypeName,
  parseReadCapacity16,
  parseScsiResponseData,
  parseSense,
  scsiStatusName,
  senseKeyName,
} from '../../../src/iscsi/scsi/parse.js';
import { ProtocolError } from '../../../src/shared/errors.js';
import { hex, thrown } from './helpers.js';

function expectBadData(fn: () => unknown, where: string): void {
  const err = thrown(fn);
  expect(err).toBeInstanceOf(ProtocolError);
  expect((err as ProtocolError).code).toBe('BAD_SCSI_DATA');
  expect((err as ProtocolError).details.where).toBe(where);
}

describe('parseReadCapacity16 (SBC-3 parameter data)', () => {
  it('decodes a 1 GiB disk with 512-byte blocks, 4K physical, PI type 3, thin provisioning', () => {
    const data = Buffer.concat([hex('00 00 00 00 00 1f ff ff  00 00 02 00  05 03 c0 07'), Buffer.alloc(16)]);
    expect(parseReadCapacity16(data)).toEqual({
      lastLba: 0x1fffffn,
      blockLength: 512,
      blocks: 0x200000n,
      sizeBytes: 1073741824n,
      logicalPerPhysicalExp: 3,
      lowestAlignedLba: 7,
      protectionEnabled: true,
      protectionType: 2,
      thinProvisioning: true,
      unmappedReadsZero: true,
    });
  });

  it('keeps LBAs beyond 2^53 exact (bigint)', () => {
    const r = parseReadCapacity16(hex('00 40 00 00 00 00 00 00  00 00 10 00  00 00 3f ff'));
    expect(r.lastLba).toBe(1n << 54n);
    expect(r.blocks).toBe((1n << 54n) + 1n);
    expect(r.sizeBytes).toBe(((1n << 54n) + 1n) * 4096n);
    expect(r.lowestAlignedLba).toBe(0x3fff);
  });

  it('rejects fewer than 16 bytes and a zero block length', () => {
    expectBadData(() => parseReadCapacity16(Buffer.alloc(15)), 'READ CAPACITY(16)');
    expectBadData(() => parseReadCapacity16(Buffer.alloc(32)), 'READ CAPACITY(16).LOGICAL BLOCK LENGTH');
  });
});

describe('parseSense (SPC-4 §4.5)', () => {
  it('fixed format: ILLEGAL REQUEST / INVALID FIELD IN CDB', () => {
    const s = parseSense(hex('70 00 05 00 00 00 00 0a 00 00 00 00 24 00 00 00 00 00'));
    expect(s).toEqual({ responseCode: 0x70, format: 'fixed', deferred: false, key: 5, asc: 0x24, ascq: 0, description: 'INVALID FIELD IN CDB' });
  });

  it('fixed format with VALID: INFORMATION holds the failing LBA; 71h is deferred', () => {
    const s = parseSense(hex('f1 00 03 00 00 12 34 0a 00 00 00 00 11 00 00 00 00 00'));
    expect(s).toMatchObject({ responseCode: 0x71, deferred: true, key: 3, asc: 0x11, ascq: 0, description: 'UNRECOVERED READ ERROR', information: 0x1234n });
  });

  it('fixed format: ASC/ASCQ beyond the data or the ADDITIONAL SENSE LENGTH read as 0', () => {
    expect(parseSense(hex('70 00 02 00 00 00 00 00'))).toMatchObject({ key: 2, asc: 0, ascq: 0 });
    expect(parseSense(hex('70 00 02 00 00 00 00 04 00 00 00 00 24 01'))).toMatchObject({ key: 2, asc: 0, ascq: 0 });
    expect(parseSense(hex('70 00 06'))).toMatchObject({ key: 6, asc: 0 });
  });

  it('descriptor format: UNIT ATTENTION / power on or reset', () => {
    const s = parseSense(hex('72 06 29 00 00 00 00 00'));
    expect(s).toEqual({ responseCode: 0x72, format: 'descriptor', deferred: false, key: 6, asc: 0x29, ascq: 0, description: 'POWER ON, RESET, OR BUS DEVICE RESET OCCURRED' });
  });

  it('descriptor format: information descriptor (type 00h, VALID) gives the 64-bit INFORMATION', () => {
    const s = parseSense(hex('73 03 11 00 00 00 00 0c  00 0a 80 00 00 00 00 01 00 00 10 00'));
    expect(s).toMatchObject({ deferred: true, key: 3, asc: 0x11, information: 0x100001000n });
  });

  it('descriptor format: a truncated descriptor list is ignored, not fatal', () => {
    expect(parseSense(hex('72 04 44 00 00 00 00 0c 00 0a 80 00')).information).toBeUndefined();
  });

  it('rejects empty data, unknown response codes and headers too short for the key', () => {
    expectBadData(() => parseSense(Buffer.alloc(0)), 'sense');
    expectBadData(() => parseSense(hex('00 00 05 00')), 'sense.RESPONSE CODE');
    expectBadData(() => parseSense(hex('7f 00 05 00')), 'sense.RESPONSE CODE');
    expectBadData(() => parseSense(hex('70 00')), 'sense(fixed)');
    expectBadData(() => parseSense(hex('72 05 24')), 'sense(descriptor)');
  });

  it('unknown ASC/ASCQ pairs are shown as numbers', () => {
    expect(ascDescription(0x99, 0x01)).toBe('ASC 0x99 ASCQ 0x01');
    expect(ascDescription(0x3f, 0x0e)).toBe('REPORTED LUNS DATA HAS CHANGED');
  });

  it('senseKeyName covers all sixteen keys', () => {
    const expected = ['NO SENSE', 'RECOVERED ERROR', 'NOT READY', 'MEDIUM ERROR', 'HARDWARE ERROR', 'ILLEGAL REQUEST', 'UNIT ATTENTION', 'DATA PROTECT', 'BLANK CHECK', 'VENDOR SPECIFIC', 'COPY ABORTED', 'ABORTED COMMAND'];
    expected.forEach((name, key) => expect(senseKeyName(key)).toBe(name));
    expect(senseKeyName(0x0d)).toBe('VOLUME OVERFLOW');
    expect(senseKeyName(0x0e)).toBe('MISCOMPARE');
    expect(senseKeyName(16)).toMatch(/UNKNOWN/);
  });
});

describe('parseScsiResponseData (RFC 7143 §11.4.7)', () => {
  const sense = '70 00 05 00 00 00 00 0a 00 00 00 00 20 00 00 00 00 00';

  it('splits SenseLength, sense data and response data', () => {
    const r = parseScsiResponseData(hex(`00 12 ${sense} aa bb`));
    expect(r.senseBytes.toString('hex')).toBe(hex(sense).toString('hex'));
    expect(r.sense).toMatchObject({ key: 5, asc: 0x20, description: 'INVALID COMMAND OPERATION CODE' });
    expect(r.responseData.toString('hex')).toBe('aabb');
  });

  it('an empty segment or SenseLength 0 means no sense', () => {
    expect(parseScsiResponseData(Buffer.alloc(0))).toMatchObject({ sense: undefined });
    const r = parseScsiResponseData(hex('00 00 01 02'));
    expect(r.sense).toBeUndefined();
    expect(r.senseBytes.length).toBe(0);
    expect(r.responseData.toString('hex')).toBe('0102');
  });

  it('rejects a 1-byte segment and a SenseLength past the segment', () => {
    expectBadData(() => parseScsiResponseData(hex('00')), 'SCSI Response.SenseLength');
    expectBadData(() => parseScsiResponseData(hex('00 20 70 00 05 00')), 'SCSI Response.SenseLength');
  });
});

describe('status and device type names', () => {
  it('scsiStatusName', () => {
    const table: Array<[number, string]> = [
      [0x00, 'GOOD'], [0x02, 'CHECK CONDITION'], [0x08, 'BUSY'], [0x18, 'RESERVATION CONFLICT'],
      [0x28, 'TASK SET FULL'], [0x30, 'ACA ACTIVE'], [0x40, 'TASK ABORTED'],
    ];
    for (const [status, name] of table) expect(scsiStatusName(status)).toBe(name);
    expect(scsiStatusName(0x22)).toBe('UNKNOWN STATUS (0x22)');
  });

  it('deviceTypeName', () => {
    expect(deviceTypeName(0x00)).toBe('Direct-Access');
    expect(deviceTypeName(0x01)).toBe('Sequential-Access');
    expect(deviceTypeName(0x05)).toBe('CD/DVD');
    expect(deviceTypeName(0x0c)).toBe('Storage Array Controller');
    expect(deviceTypeName(0x0d)).toBe('Enclosure Services');
    expect(deviceTypeName(0x1f)).toBe('Unknown');
    expect(deviceTypeName(0x0b)).toBe('Reserved (0x0b)');
  });
});
