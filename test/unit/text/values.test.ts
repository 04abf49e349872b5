import { describe, expect, it } from 'vitest';
import { lookupKey } from '../../../src/iscsi/text/keys.js';
import { TEXT_ERR } from '../../../src/iscsi/text/text-errors.js';
import {
  formatBinary, formatBoolean, isAnswerConstant, parseBinary, parseBinaryNumber, parseBoolean,
  parseKeyValue, parseList, parseNumber, parseNumeric,
} from '../../../src/iscsi/text/values.js';
import { thrownCode } from './helpers.js';

const ANY = { min: 0, max: Number.MAX_SAFE_INTEGER };

describe('values (RFC 7143 6.1)', () => {
  it('E-01 booleans are exactly "Yes" / "No" (case-sensitive)', () => {
    expect(parseBoolean('Yes', 'w')).toBe(true);
    expect(parseBoolean('No', 'w')).toBe(false);
    for (const bad of ['yes', 'YES', 'no', 'True', '1', '']) {
      expect(thrownCode(() => parseBoolean(bad, 'w'))).toBe(TEXT_ERR.VALUE_SYNTAX);
    }
    expect([formatBoolean(true), formatBoolean(false)]).toEqual(['Yes', 'No']);
  });

  it('E-02 numbers may be decimal or 0x / 0X hex constants', () => {
    expect(parseNumber('0x40000', ANY, 'w')).toBe(262144);
    expect(parseNumber('0X2', ANY, 'w')).toBe(2);
    expect(parseNumber('0xFfFf', ANY, 'w')).toBe(65535);
    expect(parseNumber('8192', ANY, 'w')).toBe(8192);
    expect(parseNumber('0', ANY, 'w')).toBe(0);
    expect(parseNumeric('0xffffffffffffffff', 'w')).toBe(2n ** 64n - 1n);
    for (const bad of ['', '012', '1e3', '0x', '-1', ' 1', '1 ', '+1', '0b10', '1.0', '0xg']) {
      expect(thrownCode(() => parseNumber(bad, ANY, 'w'))).toBe(TEXT_ERR.VALUE_SYNTAX);
    }
    expect(thrownCode(() => parseNumeric('18446744073709551616', 'w'))).toBe(TEXT_ERR.VALUE_OUT_OF_RANGE);
    expect(thrownCode(() => parseNumber('511', { min: 512, max: 1000 }, 'w'))).toBe(TEXT_ERR.VALUE_OUT_OF_RANGE);
    expect(thrownCode(() => parseNumber('0x3E9', { min: 512, max: 1000 }, 'w'))).toBe(TEXT_ERR.VALUE_OUT_OF_RANGE);
  });

  it('E-03 binary values are accepted as hex (0x/0X) and base64 (0b/0B)', () => {
    expect(parseBinary('0x0a0B', 16, 'w')).toEqual(Buffer.from([0x0a, 0x0b]));
    expect(parseBinary('0X0a0b', 16, 'w')).toEqual(Buffer.from([0x0a, 0x0b]));
    // n hex digits have byte-length floor((n+1)/2): an odd count gets a leading zero nibble.
    expect(parseBinary('0x123', 16, 'w')).toEqual(Buffer.from([0x01, 0x23]));
    // "AAECAw==" is RFC 4648 base64 of 00 01 02 03.
    expect(parseBinary('0bAAECAw==', 16, 'w')).toEqual(Buffer.from([0, 1, 2, 3]));
    expect(parseBinary('0BAAECAw==', 16, 'w')).toEqual(Buffer.from([0, 1, 2, 3]));
    expect(parseBinary('0bAAECAw', 16, 'w')).toEqual(Buffer.from([0, 1, 2, 3]));
    expect(parseBinary('0b+/8=', 16, 'w')).toEqual(Buffer.from([0xfb, 0xff]));
    for (const bad of ['0x', '0b', '0b!!!!', '0bA', '0bA=', '0bAA=', '0bA===' , 'AAECAw==', '12', '0xZZ']) {
      expect(thrownCode(() => parseBinary(bad, 16, 'w'))).toBe(TEXT_ERR.VALUE_SYNTAX);
    }
    expect(formatBinary(Buffer.from([0, 1, 0xab]))).toBe('0x0001ab');
    expect(formatBinary(Buffer.from([0, 1, 2, 3]), 'base64')).toBe('0bAAECAw==');
  });

  it('E-03 a 16-bit binary value (TargetPortalGroupTag) may come as decimal, hex or base64', () => {
    expect(parseBinaryNumber('1', 16, 'w')).toBe(1);
    expect(parseBinaryNumber('0x0001', 16, 'w')).toBe(1);
    expect(parseBinaryNumber('0bAAE=', 16, 'w')).toBe(1);
    expect(parseBinaryNumber('0b//8=', 16, 'w')).toBe(65535);
    expect(thrownCode(() => parseBinaryNumber('0x10000', 16, 'w'))).toBe(TEXT_ERR.VALUE_OUT_OF_RANGE);
    expect(thrownCode(() => parseBinaryNumber('0bAAEC', 16, 'w'))).toBe(TEXT_ERR.VALUE_TOO_LONG);
    expect(parseKeyValue(lookupKey('TargetPortalGroupTag')!, '0bAAE=', 'w')).toBe(1);
  });

  it('E-04 a simple-value over 255 bytes is flagged unless the key allows more (CHAP_C: 1024)', () => {
    const alias = lookupKey('TargetAlias')!;
    expect(parseKeyValue(alias, 'a'.repeat(255), 'w')).toBe('a'.repeat(255));
    expect(thrownCode(() => parseKeyValue(alias, 'a'.repeat(300), 'w'))).toBe(TEXT_ERR.VALUE_TOO_LONG);
    // Length counts UTF-8 bytes: 128 x "ë" is 256 bytes.
    expect(thrownCode(() => parseKeyValue(alias, '\u00eb'.repeat(128), 'w'))).toBe(TEXT_ERR.VALUE_TOO_LONG);
    const chapC = lookupKey('CHAP_C')!;
    expect(chapC.maxLength).toBe(1024);
    const c1024 = `0x${'ab'.repeat(1024)}`;
    expect((parseKeyValue(chapC, c1024, 'w') as Buffer).length).toBe(1024);
    expect(thrownCode(() => parseKeyValue(chapC, `0x${'ab'.repeat(1025)}`, 'w'))).toBe(TEXT_ERR.VALUE_TOO_LONG);
    expect(thrownCode(() => parseKeyValue(lookupKey('InitiatorName')!, `iqn.${'a'.repeat(220)}`, 'w'))).toBe(
      TEXT_ERR.VALUE_TOO_LONG,
    );
  });

  it('E-09 Reject, Irrelevant and NotUnderstood are the answer-only constants; None is not', () => {
    expect(['Reject', 'Irrelevant', 'NotUnderstood'].every(isAnswerConstant)).toBe(true);
    expect(['None', 'reject', 'Rejected', ''].some(isAnswerConstant)).toBe(false);
  });

  it('parses lists and refuses empty items', () => {
    expect(parseList('CRC32C,None', 'w')).toEqual(['CRC32C', 'None']);
    expect(thrownCode(() => parseList('CRC32C,,None', 'w'))).toBe(TEXT_ERR.VALUE_SYNTAX);
    expect(thrownCode(() => parseList('', 'w'))).toBe(TEXT_ERR.VALUE_SYNTAX);
    expect(thrownCode(() => parseKeyValue(lookupKey('X#NodeArchitecture')!, `${'a'.repeat(200)},${'b'.repeat(60)}`, 'w'))).toBe(
      TEXT_ERR.VALUE_TOO_LONG,
    );
    expect(parseKeyValue(lookupKey('CHAP_A')!, '0x7,5', 'w')).toEqual(['7', '5']);
  });
});
