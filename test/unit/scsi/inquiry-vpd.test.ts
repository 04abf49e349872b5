import { describe, expect, it } from 'vitest';
import {
  parseStandardInquiry,
  parseVpdDeviceIdentification,
  parseVpdSupportedPages,
  parseVpdUnitSerial,
  vpdRequiredLength,
} from '../../../src/iscsi/scsi/parse.js';
import { ProtocolError } from '../../../src/shared/errors.js';
import { ascii, hex, thrown } from './helpers.js';

function expectBadData(fn: () => unknown, where?: string): void {
  const err = thrown(fn);
  expect(err).toBeInstanceOf(ProtocolError);
  expect((err as ProtocolError).code).toBe('BAD_SCSI_DATA');
  if (where !== undefined) expect((err as ProtocolError).details.where).toBe(where);
}

/** 96 bytes as tgtd returns them for a disk LUN: SPC-3, HISUP, response format 2, CMDQUE. */
const TGTD_INQUIRY = Buffer.concat([
  hex('00 00 05 12 5b 00 00 02'),
  ascii('IET     '),
  ascii('VIRTUAL-DISK    '),
  ascii('0001'),
  Buffer.alloc(60),
]);

describe('parseStandardInquiry (SPC-4 §6.6.2)', () => {
  it('decodes a tgtd-like disk', () => {
    expect(parseStandardInquiry(TGTD_INQUIRY)).toEqual({
      peripheralQualifier: 0,
      peripheralDeviceType: 0,
      removable: false,
      version: 5,
      responseDataFormat: 2,
      hierarchicalSupport: true,
      availableLength: 96,
      vendor: 'IET',
      product: 'VIRTUAL-DISK',
      revision: '0001',
    });
  });

  it('decodes qualifier, device type and RMB from bytes 0-1', () => {
    const d = Buffer.from(TGTD_INQUIRY);
    d[0] = 0x7f; // qualifier 3 (no LU), type 1Fh
    d[1] = 0x80;
    const r = parseStandardInquiry(d);
    expect(r.peripheralQualifier).toBe(3);
    expect(r.peripheralDeviceType).toBe(0x1f);
    expect(r.removable).toBe(true);
  });

  it('accepts exactly 36 bytes (truncated by the allocation length)', () => {
    expect(parseStandardInquiry(TGTD_INQUIRY.subarray(0, 36)).revision).toBe('0001');
  });

  it('trims NUL padding and replaces unprintable bytes', () => {
    const d = Buffer.from(TGTD_INQUIRY);
    ascii('LIO-ORG\0').copy(d, 8);
    Buffer.from([0x41, 0x07, 0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).copy(d, 16);
    const r = parseStandardInquiry(d);
    expect(r.vendor).toBe('LIO-ORG');
    expect(r.product).toBe('A?B');
  });

  it('rejects fewer than 36 bytes', () => {
    expectBadData(() => parseStandardInquiry(TGTD_INQUIRY.subarray(0, 35)), 'INQUIRY.standard');
    expectBadData(() => parseStandardInquiry(Buffer.alloc(0)), 'INQUIRY.standard');
  });
});

describe('VPD pages (SPC-4 §7.8)', () => {
  it('Supported VPD Pages (00h) lists the page codes', () => {
    expect(parseVpdSupportedPages(hex('00 00 00 04 00 80 83 b0'))).toEqual([0x00, 0x80, 0x83, 0xb0]);
    expect(parseVpdSupportedPages(hex('00 00 00 00'))).toEqual([]);
  });

  it('Unit Serial Number (80h) is trimmed ASCII', () => {
    expect(parseVpdUnitSerial(Buffer.concat([hex('00 80 00 0a'), ascii('beaf11    ')]))).toBe('beaf11');
  });

  it('vpdRequiredLength is 4 + PAGE LENGTH', () => {
    expect(vpdRequiredLength(hex('00 83 01 00'))).toBe(260);
  });

  it('rejects a wrong page code, a short header and a truncated page', () => {
    expectBadData(() => parseVpdUnitSerial(hex('00 83 00 00')), 'VPD Unit Serial Number.PAGE CODE');
    expectBadData(() => parseVpdSupportedPages(hex('00 00 00')), 'VPD.header');
    expectBadData(() => parseVpdSupportedPages(hex('00 00 00 05 00 80 83')), 'VPD Supported Pages.PAGE LENGTH');
  });
});

describe('Device Identification VPD page (83h)', () => {
  const naa = hex('01 03 00 10  60 01 40 5a bc de f0 12 34 56 78 9a bc de f0 12');
  const t10 = Buffer.concat([hex('02 01 00 14'), ascii('IET     VIRTUAL-DISK')]);
  const nameStr = Buffer.concat([hex('53 98 00 1c'), ascii('iqn.2001-04.com.example:t1'), Buffer.alloc(2)]);
  const relPort = hex('61 94 00 04 00 00 00 01');
  const pivLu = hex('51 83 00 04 00 00 00 02'); // PIV set but LU association: protocol id not valid
  const body = Buffer.concat([naa, t10, nameStr, relPort, pivLu]);
  const page = Buffer.concat([hex('00 83'), Buffer.from([body.length >> 8, body.length & 0xff]), body]);

  it('decodes NAA, T10 vendor ID, SCSI name string and relative port designators in order', () => {
    expect(parseVpdDeviceIdentification(page)).toEqual([
      { codeSet: 1, protocolIdentifier: undefined, association: 0, associationName: 'logical-unit', type: 3, typeName: 'naa', value: '6001405abcdef0123456789abcdef012' },
      { codeSet: 2, protocolIdentifier: undefined, association: 0, associationName: 'logical-unit', type: 1, typeName: 't10-vendor-id', value: 'IET     VIRTUAL-DISK' },
      { codeSet: 3, protocolIdentifier: 5, association: 1, associationName: 'target-port', type: 8, typeName: 'scsi-name-string', value: 'iqn.2001-04.com.example:t1' },
      { codeSet: 1, protocolIdentifier: 6, association: 1, associationName: 'target-port', type: 4, typeName: 'relative-target-port', value: '00000001' },
      { codeSet: 1, protocolIdentifier: undefined, association: 0, associationName: 'logical-unit', type: 3, typeName: 'naa', value: '00000002' },
    ]);
  });

  it('an empty page has no designators', () => {
    expect(parseVpdDeviceIdentification(hex('00 83 00 00'))).toEqual([]);
  });

  it('rejects a designator that runs past the page or a partial descriptor header', () => {
    expectBadData(() => parseVpdDeviceIdentification(hex('00 83 00 06 01 03 00 08 60 01')));
    expectBadData(() => parseVpdDeviceIdentification(hex('00 83 00 02 01 03')));
  });
});
