import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/shared/errors.js';
import {
  generateInitiatorName,
  isValidTargetNameFromPeer,
  normalizeName,
  parseName,
  validateName,
} from '../../../src/iscsi/names.js';
import { counterRandom } from './helpers.js';

function reasonOf(name: string): unknown {
  try {
    validateName(name, 'test');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('INVALID_ISCSI_NAME');
    expect((err as ConfigError).errno).toBe(7);
    return (err as ConfigError).details.reason;
  }
  return 'valid';
}

/** An iqn name whose UTF-8 encoding is exactly `bytes` long. */
function iqnOfBytes(bytes: number, filler = 'a'): string {
  const base = 'iqn.2001-04.com.example:';
  const each = Buffer.byteLength(filler, 'utf8');
  const n = Math.floor((bytes - base.length) / each);
  const name = base + filler.repeat(n) + 'b'.repeat(bytes - base.length - n * each);
  expect(Buffer.byteLength(name, 'utf8')).toBe(bytes);
  return name;
}

describe('iSCSI names (RFC 7143 §4.2.7, RFC 3722)', () => {
  it('A-01 maps uppercase to lowercase before use, and refuses un-normalized uppercase', () => {
    expect(normalizeName('IQN.2001-04.COM.Example:Storage.Disk1')).toBe('iqn.2001-04.com.example:storage.disk1');
    expect(normalizeName('eui.02004567A425678D')).toBe('eui.02004567a425678d');
    // Table B.1 characters (soft hyphen, zero-width space) map to nothing.
    expect(normalizeName('iqn.2001-04.com.exam\u00adple:a\u200bb')).toBe('iqn.2001-04.com.example:ab');
    // Non-ASCII uppercase is lowercased and NFKC-normalized.
    expect(normalizeName('iqn.2001-04.com.example:ÄÖ')).toBe('iqn.2001-04.com.example:äö');
    expect(reasonOf('iqn.2001-04.com.Example')).toBe('UPPERCASE');
    expect(reasonOf('iqn.2001-04.com.example:Ä')).toBe('UPPERCASE');
    expect(reasonOf(normalizeName('iqn.2001-04.com.Example'))).toBe('valid');
  });

  it('A-02 refuses names with prohibited ASCII characters', () => {
    for (const ch of [' ', '/', '_', '@', ',', ';', '\u0000', '\t', '\u007f', '[', '`', '{', '~', '+', '=']) {
      expect(reasonOf(`iqn.2001-04.com.example:a${ch}b`), JSON.stringify(ch)).toBe('PROHIBITED_CHAR');
    }
    expect(reasonOf('iqn.2001-04.com.example:a\u3002b')).toBe('PROHIBITED_CHAR'); // RFC 3722 §6.1
    expect(reasonOf('iqn.2001-04.com.example:a\u00a0b')).toBe('PROHIBITED_CHAR'); // non-ASCII space
    expect(reasonOf('iqn.2001-04.com.example:a\ue000b')).toBe('PROHIBITED_CHAR'); // private use
    // Allowed: a-z 0-9 - . : and lowercase non-ASCII letters.
    expect(reasonOf('iqn.2001-04.com.example:storage-1.disk:2')).toBe('valid');
    expect(reasonOf('iqn.2001-04.com.example:äöü-日本')).toBe('valid');
  });

  it('A-02 refuses names that are not in normalized form', () => {
    // U+FB01 (ligature fi) is NFKC-mapped to "fi".
    expect(reasonOf('iqn.2001-04.com.example:\ufb01le')).toBe('NOT_NORMALIZED');
    // Decomposed a + combining diaeresis is not NFC/NFKC.
    expect(reasonOf('iqn.2001-04.com.example:a\u0308')).toBe('NOT_NORMALIZED');
    expect(reasonOf(normalizeName('iqn.2001-04.com.example:a\u0308'))).toBe('valid');
  });

  it('A-03 refuses configured names over 223 UTF-8 bytes and accepts exactly 223', () => {
    expect(reasonOf(iqnOfBytes(223))).toBe('valid');
    expect(reasonOf(iqnOfBytes(224))).toBe('TOO_LONG');
    // Bytes, not characters: 2-byte characters count twice.
    expect(reasonOf(iqnOfBytes(223, 'ä'))).toBe('valid');
    expect(reasonOf(iqnOfBytes(224, 'ä'))).toBe('TOO_LONG');
    expect(reasonOf('')).toBe('EMPTY');
  });

  it('A-03 accepts a 223-byte target name from the peer unchanged and refuses 224', () => {
    expect(isValidTargetNameFromPeer(iqnOfBytes(223))).toBe(true);
    expect(isValidTargetNameFromPeer(iqnOfBytes(224))).toBe(false);
    expect(isValidTargetNameFromPeer('')).toBe(false);
  });

  it('A-04 rejects bad iqn dates, eui. without 16 hex digits, naa. without 16/32 hex digits, unknown types', () => {
    const table: [string, string][] = [
      ['iqn.24-1.com.x', 'IQN_DATE'],
      ['iqn.2024-1.com.x', 'IQN_DATE'],
      ['iqn.2024-13.com.x', 'IQN_DATE'],
      ['iqn.2024-00.com.x', 'IQN_DATE'],
      ['iqn.202a-01.com.x', 'IQN_DATE'],
      ['iqn.2024-01com.x', 'IQN_DATE'],
      ['iqn.2024-01.', 'IQN_AUTHORITY'],
      ['iqn.2024-01.:x', 'IQN_AUTHORITY'],
      ['iqn.2024-01.com..x', 'IQN_AUTHORITY'],
      ['eui.02004567a425678', 'EUI_HEX'],
      ['eui.02004567a425678d0', 'EUI_HEX'],
      ['eui.02004567a425678g', 'EUI_HEX'],
      ['naa.52004567ba64678', 'NAA_HEX'],
      ['naa.52004567ba64678d01', 'NAA_HEX'],
      ['naa.62004567ba64678d0123456789abcdeg', 'NAA_HEX'],
      ['iqx.2024-01.com.x', 'UNKNOWN_TYPE'],
      ['com.example', 'UNKNOWN_TYPE'],
      // RFC 7143 examples (lowercased) are valid.
      ['iqn.2001-04.com.example:storage:diskarrays-sn-a8675309', 'valid'],
      ['iqn.2001-04.com.example', 'valid'],
      ['eui.02004567a425678d', 'valid'],
      ['naa.52004567ba64678d', 'valid'],
      ['naa.62004567ba64678d0123456789abcdef', 'valid'],
    ];
    for (const [name, want] of table) expect(reasonOf(name), name).toBe(want);
  });

  it('A-04 parseName gives the structure of each type', () => {
    expect(parseName('iqn.2001-04.com.example:storage:disk')).toEqual({
      type: 'iqn',
      year: 2001,
      month: 4,
      authority: 'com.example',
      unique: 'storage:disk',
    });
    expect(parseName('iqn.2016-04.com.open-iscsi')).toEqual({ type: 'iqn', year: 2016, month: 4, authority: 'com.open-iscsi' });
    expect(parseName('eui.02004567A425678D')).toEqual({ type: 'eui', hex: '02004567A425678D' });
    expect(parseName('naa.62004567BA64678D0123456789ABCDEF')).toEqual({ type: 'naa', hex: '62004567BA64678D0123456789ABCDEF' });
    expect(() => parseName('iqn.24-1.com.x')).toThrow(ConfigError);
  });

  it('A-05 keeps an uppercase eui. target name from SendTargets byte for byte', () => {
    const fromTarget = 'eui.02004567A425678D';
    expect(isValidTargetNameFromPeer(fromTarget)).toBe(true);
    expect(parseName(fromTarget)).toEqual({ type: 'eui', hex: '02004567A425678D' });
    // The lenient check never rewrites the value it is given.
    expect(fromTarget).toBe('eui.02004567A425678D');
    // ...but still refuses what cannot be a name at all.
    for (const bad of ['iqn.2001-04.com.x:a b', 'iqn.2001-04.com.x:a/b', 'iqn.2001-04.com.x:a\u0000', 'iqn.x\n']) {
      expect(isValidTargetNameFromPeer(bad), JSON.stringify(bad)).toBe(false);
    }
  });

  it('generateInitiatorName makes <prefix>:<12 lowercase hex digits> like iscsi-iname', () => {
    const name = generateInitiatorName(undefined, counterRandom(0x0a));
    expect(name).toBe('iqn.2016-04.com.tsiscsi:0a0b0c0d0e0f');
    expect(reasonOf(name)).toBe('valid');
    // Zero bytes are padded: always 12 digits.
    expect(generateInitiatorName('iqn.1993-08.org.debian:01', () => Buffer.alloc(6))).toBe('iqn.1993-08.org.debian:01:000000000000');
    expect(() => generateInitiatorName('IQN.bad', counterRandom())).toThrow(ConfigError);
  });
});
