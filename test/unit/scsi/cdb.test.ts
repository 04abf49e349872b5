import { describe, expect, it } from 'vitest';
import {
  CDB_FIELD_LENGTH,
  inquiryCdb,
  read16Cdb,
  readCapacity16Cdb,
  reportLunsCdb,
  testUnitReadyCdb,
  write16Cdb,
  type Cdb,
} from '../../../src/iscsi/scsi/cdb.js';
import { ConfigError } from '../../../src/shared/errors.js';
import { hex, thrown } from './helpers.js';

/** Expected 16-byte field: the real CDB written out by hand from the SPC-4/SBC-3 tables, then zeros. */
function padded(realCdb: string): Buffer {
  const b = Buffer.alloc(16);
  hex(realCdb).copy(b);
  return b;
}

function expectCdb(c: Cdb, realCdb: string, length: number, direction: Cdb['direction']): void {
  expect(c.cdb.length).toBe(CDB_FIELD_LENGTH);
  expect(c.cdb.toString('hex')).toBe(padded(realCdb).toString('hex'));
  expect(c.cdbLength).toBe(length);
  expect(c.direction).toBe(direction);
}

describe('CDB builders: golden bytes from the standard tables', () => {
  it('TEST UNIT READY is six zero bytes', () => {
    expectCdb(testUnitReadyCdb(), '00 00 00 00 00 00', 6, 'none');
  });

  it('INQUIRY standard: EVPD 0, page 0, allocation length in bytes 3-4', () => {
    expectCdb(inquiryCdb({ allocationLength: 96 }), '12 00 00 00 60 00', 6, 'read');
    expectCdb(inquiryCdb({ allocationLength: 0xffff }), '12 00 00 ff ff 00', 6, 'read');
  });

  it('INQUIRY EVPD: bit 0 of byte 1 set and page code in byte 2', () => {
    expectCdb(inquiryCdb({ allocationLength: 4096, pageCode: 0x83 }), '12 01 83 10 00 00', 6, 'read');
    expectCdb(inquiryCdb({ allocationLength: 255, pageCode: 0x00 }), '12 01 00 00 ff 00', 6, 'read');
    expectCdb(inquiryCdb({ allocationLength: 255, pageCode: 0x80 }), '12 01 80 00 ff 00', 6, 'read');
  });

  it('REPORT LUNS: select report in byte 2, 32-bit allocation length in bytes 6-9', () => {
    expectCdb(reportLunsCdb({ allocationLength: 4096 }), 'a0 00 00 00 00 00 00 00 10 00 00 00', 12, 'read');
    expectCdb(reportLunsCdb({ allocationLength: 0x01020304, selectReport: 2 }), 'a0 00 02 00 00 00 01 02 03 04 00 00', 12, 'read');
    expectCdb(reportLunsCdb({ allocationLength: 16 }), 'a0 00 00 00 00 00 00 00 00 10 00 00', 12, 'read');
  });

  it('READ CAPACITY(16): 9Eh with service action 10h, allocation length in bytes 10-13', () => {
    expectCdb(readCapacity16Cdb(), '9e 10 00 00 00 00 00 00 00 00 00 00 00 20 00 00', 16, 'read');
    expectCdb(readCapacity16Cdb(0x1000), '9e 10 00 00 00 00 00 00 00 00 00 00 10 00 00 00', 16, 'read');
  });

  it('READ(16): 64-bit LBA in bytes 2-9, 32-bit transfer length in bytes 10-13', () => {
    expectCdb(read16Cdb({ lba: 0x0102030405060708n, blocks: 0x11223344 }), '88 00 01 02 03 04 05 06 07 08 11 22 33 44 00 00', 16, 'read');
    expectCdb(read16Cdb({ lba: 0, blocks: 1 }), '88 00 00 00 00 00 00 00 00 00 00 00 00 01 00 00', 16, 'read');
    expectCdb(read16Cdb({ lba: 0xffffffffffffffffn, blocks: 0xffffffff }), '88 00 ff ff ff ff ff ff ff ff ff ff ff ff 00 00', 16, 'read');
  });

  it('WRITE(16): same layout with 8Ah; FUA is bit 3 and DPO bit 4 of byte 1', () => {
    expectCdb(write16Cdb({ lba: 2 ** 53 - 1, blocks: 8, fua: true }), '8a 08 00 1f ff ff ff ff ff ff 00 00 00 08 00 00', 16, 'write');
    expectCdb(write16Cdb({ lba: 0x100000000, blocks: 0, dpo: true, fua: true }), '8a 18 00 00 00 01 00 00 00 00 00 00 00 00 00 00', 16, 'write');
    expectCdb(read16Cdb({ lba: 7n, blocks: 2, dpo: true }), '88 10 00 00 00 00 00 00 00 07 00 00 00 02 00 00', 16, 'read');
  });

  it('each call returns a fresh buffer', () => {
    const a = testUnitReadyCdb();
    a.cdb[0] = 0xff;
    expect(testUnitReadyCdb().cdb[0]).toBe(0);
  });
});

describe('CDB builders: out-of-range fields', () => {
  const cases: Array<[string, () => unknown]> = [
    ['INQUIRY allocation length > 16 bits', () => inquiryCdb({ allocationLength: 0x10000 })],
    ['INQUIRY negative allocation length', () => inquiryCdb({ allocationLength: -1 })],
    ['INQUIRY page code > 255', () => inquiryCdb({ allocationLength: 255, pageCode: 256 })],
    ['REPORT LUNS allocation length < 16', () => reportLunsCdb({ allocationLength: 15 })],
    ['REPORT LUNS allocation length > 32 bits', () => reportLunsCdb({ allocationLength: 2 ** 32 })],
    ['REPORT LUNS select report > 255', () => reportLunsCdb({ allocationLength: 16, selectReport: 0x100 })],
    ['READ CAPACITY(16) fractional allocation length', () => readCapacity16Cdb(1.5)],
    ['READ(16) negative LBA', () => read16Cdb({ lba: -1, blocks: 1 })],
    ['READ(16) number LBA beyond 2^53', () => read16Cdb({ lba: 2 ** 53, blocks: 1 })],
    ['READ(16) bigint LBA beyond 2^64-1', () => read16Cdb({ lba: 1n << 64n, blocks: 1 })],
    ['READ(16) negative bigint LBA', () => read16Cdb({ lba: -1n, blocks: 1 })],
    ['WRITE(16) transfer length beyond 32 bits', () => write16Cdb({ lba: 0, blocks: 2 ** 32 })],
    ['WRITE(16) NaN transfer length', () => write16Cdb({ lba: 0, blocks: Number.NaN })],
  ];
  for (const [name, fn] of cases) {
    it(`rejects ${name} with BAD_CDB_FIELD (errno 7)`, () => {
      const err = thrown(fn);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).code).toBe('BAD_CDB_FIELD');
      expect((err as ConfigError).errno).toBe(7);
    });
  }
});
