import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/shared/errors.js';
import { isidFormat, isidFromQualifier, isidToHex, parseIsid, randomIsid, validateIsid } from '../../../src/iscsi/isid.js';
import { counterRandom } from './helpers.js';

function reasonOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('INVALID_ISID');
    return (err as ConfigError).details.reason;
  }
  return 'ok';
}

describe('ISID (RFC 7143 §11.12.5)', () => {
  it('B-01 OUI format from a qualifier: 00 02 3d then the 24-bit qualifier in network byte order', () => {
    // Expected bytes written out by hand: open-iscsi OUI prefix, then 0x123456 big-endian.
    expect([...isidFromQualifier(0x123456)]).toEqual([0x00, 0x02, 0x3d, 0x12, 0x34, 0x56]);
    expect([...isidFromQualifier(1)]).toEqual([0x00, 0x02, 0x3d, 0x00, 0x00, 0x01]);
    expect([...isidFromQualifier(0xffffff)]).toEqual([0x00, 0x02, 0x3d, 0xff, 0xff, 0xff]);
    expect(isidFormat(isidFromQualifier(7))).toBe('oui');
    expect(reasonOf(() => isidFromQualifier(0x1000000))).toBe('QUALIFIER_RANGE');
    expect(reasonOf(() => isidFromQualifier(-1))).toBe('QUALIFIER_RANGE');
  });

  it('B-01 Random format: T=10b, A=0, B+C the random 24 bits, D the qualifier; T is never 11b', () => {
    const isid = randomIsid(counterRandom(0xa1), 0x0102);
    expect([...isid]).toEqual([0x80, 0xa1, 0xa2, 0xa3, 0x01, 0x02]);
    expect(isidFormat(isid)).toBe('random');
    // Whatever the random bytes, byte 0 stays 0x80 (T=10b, A=0).
    const ff = randomIsid(() => Buffer.from([0xff, 0xff, 0xff]));
    expect([...ff]).toEqual([0x80, 0xff, 0xff, 0xff, 0x00, 0x00]);
    expect(ff[0]! >> 6).not.toBe(0b11);
    expect(reasonOf(() => randomIsid(counterRandom(), 0x10000))).toBe('QUALIFIER_RANGE');
  });

  it('B-01 refuses ISIDs with T=11b or non-zero reserved A bits', () => {
    expect(reasonOf(() => validateIsid(Buffer.from([0xc0, 0, 0, 0, 0, 1])))).toBe('RESERVED_FORMAT');
    expect(reasonOf(() => validateIsid(Buffer.from([0x81, 0, 0, 0, 0, 1])))).toBe('RESERVED_BITS');
    expect(reasonOf(() => validateIsid(Buffer.from([0x41, 0, 0, 0, 0, 1])))).toBe('RESERVED_BITS');
    expect(reasonOf(() => validateIsid(Buffer.from([0x00, 0x02, 0x3d, 0, 0])))).toBe('LENGTH');
    expect(reasonOf(() => validateIsid(Buffer.from([0x00, 0x02, 0x3d, 0, 0, 1])))).toBe('ok');
    expect(reasonOf(() => parseIsid('c00000000001'))).toBe('RESERVED_FORMAT');
  });

  it('isidToHex and parseIsid round-trip the 12-digit sysfs form', () => {
    expect(isidToHex(Buffer.from([0x00, 0x02, 0x3d, 0x00, 0x00, 0x01]))).toBe('00023d000001');
    expect([...parseIsid('00023d000001')]).toEqual([0x00, 0x02, 0x3d, 0x00, 0x00, 0x01]);
    expect([...parseIsid('0x80ABCDEF0001')]).toEqual([0x80, 0xab, 0xcd, 0xef, 0x00, 0x01]);
    expect(reasonOf(() => parseIsid('00023d00001'))).toBe('SYNTAX');
    expect(reasonOf(() => parseIsid('00023d00000g'))).toBe('SYNTAX');
  });
});
