import { describe, expect, it } from 'vitest';
import { decodeLun, encodeLun, parseReportLuns, reportLunsRequiredLength } from '../../../src/iscsi/scsi/parse.js';
import { ConfigError, ProtocolError } from '../../../src/shared/errors.js';
import { hex, thrown } from './helpers.js';

function expectBadData(fn: () => unknown, where: string): void {
  const err = thrown(fn);
  expect(err).toBeInstanceOf(ProtocolError);
  expect((err as ProtocolError).code).toBe('BAD_SCSI_DATA');
  expect((err as ProtocolError).details.where).toBe(where);
}

describe('encodeLun (SAM-4 single-level LUN for the iSCSI LUN field)', () => {
  const table: Array<[number, string]> = [
    [0, '00 00 00 00 00 00 00 00'],
    [1, '00 01 00 00 00 00 00 00'],
    [255, '00 ff 00 00 00 00 00 00'],
    [256, '41 00 00 00 00 00 00 00'], // flat space: 01b | 14-bit LUN
    [300, '41 2c 00 00 00 00 00 00'],
    [16383, '7f ff 00 00 00 00 00 00'],
  ];
  for (const [n, bytes] of table) {
    it(`LUN ${n} → ${bytes}`, () => {
      expect(encodeLun(n).toString('hex')).toBe(hex(bytes).toString('hex'));
    });
  }

  it('refuses LUNs that need another addressing method', () => {
    for (const n of [16384, -1, 1.5, Number.NaN]) {
      const err = thrown(() => encodeLun(n));
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).code).toBe('BAD_LUN');
    }
  });

  it('decodeLun reads back every encodable LUN', () => {
    for (let n = 0; n < 16384; n += 7) expect(decodeLun(encodeLun(n)).lun).toBe(n);
  });
});

describe('decodeLun', () => {
  it('peripheral device addressing with a non-zero bus identifier has no plain LUN number', () => {
    const d = decodeLun(hex('01 05 00 00 00 00 00 00'));
    expect(d.addressMethod).toBe('peripheral');
    expect(d.lun).toBeNull();
  });

  it('logical unit and extended addressing keep only the raw bytes', () => {
    expect(decodeLun(hex('80 21 00 00 00 00 00 00'))).toMatchObject({ addressMethod: 'logical-unit', lun: null });
    expect(decodeLun(hex('c1 01 00 00 00 00 00 00'))).toMatchObject({ addressMethod: 'extended', lun: null });
  });

  it('marks hierarchical LUNs (levels 2-4 not zero)', () => {
    const d = decodeLun(hex('00 01 00 02 00 00 00 00'));
    expect(d.lun).toBe(1);
    expect(d.multiLevel).toBe(true);
    expect(decodeLun(hex('00 01 00 00 00 00 00 00')).multiLevel).toBe(false);
  });

  it('rejects fewer than 8 bytes', () => {
    expectBadData(() => decodeLun(hex('00 01 00 00')), 'LUN');
  });
});

describe('parseReportLuns (SPC-4 REPORT LUNS parameter data)', () => {
  // LUN LIST LENGTH 32 (4 entries), reserved, then LUN 0, LUN 5, flat LUN 300, logical-unit addressed.
  const data = hex(`
    00 00 00 20  00 00 00 00
    00 00 00 00 00 00 00 00
    00 05 00 00 00 00 00 00
    41 2c 00 00 00 00 00 00
    80 21 00 00 00 00 00 00`);

  it('decodes every entry in target order and keeps the raw bytes', () => {
    const luns = parseReportLuns(data);
    expect(luns.map((l) => l.lun)).toEqual([0, 5, 300, null]);
    expect(luns.map((l) => l.addressMethod)).toEqual(['peripheral', 'peripheral', 'flat', 'logical-unit']);
    expect(luns[2]!.raw.toString('hex')).toBe('412c000000000000');
    expect(luns[3]!.raw.toString('hex')).toBe('8021000000000000');
  });

  it('returns a copy of the LUN bytes, not a view on the input', () => {
    const input = Buffer.from(data);
    const luns = parseReportLuns(input);
    input[16] = 0xff;
    expect(luns[0]!.raw[0]).toBe(0);
  });

  it('an empty list (LUN LIST LENGTH 0) gives no LUNs', () => {
    expect(parseReportLuns(hex('00 00 00 00 00 00 00 00'))).toEqual([]);
  });

  it('ignores bytes past the announced list', () => {
    expect(parseReportLuns(Buffer.concat([hex('00 00 00 08 00 00 00 00 00 03 00 00 00 00 00 00'), Buffer.alloc(8, 0xee)])).map((l) => l.lun)).toEqual([3]);
  });

  it('reportLunsRequiredLength tells how much to allocate for the full list', () => {
    expect(reportLunsRequiredLength(hex('00 00 01 00 00 00 00 00'))).toBe(8 + 256);
    expect(reportLunsRequiredLength(data)).toBe(40);
  });

  it('rejects a short header, a list length that is not a multiple of 8, and a truncated list', () => {
    expectBadData(() => parseReportLuns(hex('00 00 00 08 00 00 00')), 'REPORT LUNS.header');
    expectBadData(() => parseReportLuns(hex('00 00 00 0c 00 00 00 00 00 01 00 00 00 00 00 00 00 00 00 00')), 'REPORT LUNS.LUN LIST LENGTH');
    expectBadData(() => parseReportLuns(hex('00 00 00 10 00 00 00 00 00 01 00 00 00 00 00 00')), 'REPORT LUNS.LUN list');
    expectBadData(() => reportLunsRequiredLength(hex('')), 'REPORT LUNS.header');
  });
});
