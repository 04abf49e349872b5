import { describe, expect, it } from 'vitest';
import { crc32c, crc32cFinal, crc32cInit, crc32cUpdate, readDigest, writeDigest } from '../../../src/iscsi/crc32c.js';
import { prng, randBytes, randInt, referenceCrc32c } from './wire-builder.js';

/** Wire bytes (LSB first) of the digest of `data`. */
function wire(data: Uint8Array): string {
  const b = Buffer.alloc(4);
  writeDigest(crc32c(data), b, 0);
  return b.toString('hex');
}

const ascending = Uint8Array.from({ length: 32 }, (_, i) => i);
const descending = Uint8Array.from({ length: 32 }, (_, i) => 31 - i);

/** RFC 7143 Appendix A.4: "An iSCSI - SCSI Read (10) Command PDU" (48-byte BHS). */
const READ10_BHS = Buffer.from(
  '01c00000' + '00000000' + '00000000' + '00000000' +
  '14000000' + '00000400' + '00000014' + '00000018' +
  '28000000' + '00000000' + '02000000' + '00000000',
  'hex',
);

describe('crc32c', () => {
  it.each([
    ['32 zero bytes', new Uint8Array(32), 'aa36918a'],
    ['32 x 0xff', new Uint8Array(32).fill(0xff), '43aba862'],
    ['bytes 00..1f ascending', ascending, '4e79dd46'],
    ['bytes 1f..00 descending', descending, '5cdb3f11'],
    ['iSCSI SCSI Read (10) command PDU', READ10_BHS, '563a96d9'],
  ])('P-01 RFC 7143 A.4 known answer: %s', (_name, data, wireHex) => {
    expect(wire(data)).toBe(wireHex);
  });

  it('P-01 check value of "123456789" is 0xE3069283', () => {
    expect(crc32c(Buffer.from('123456789', 'ascii'))).toBe(0xe3069283);
  });

  it('P-01 digest goes on the wire least-significant byte first', () => {
    const b = Buffer.alloc(6, 0xee);
    expect(writeDigest(0x8a9136aa, b, 1)).toBe(5);
    expect([...b]).toEqual([0xee, 0xaa, 0x36, 0x91, 0x8a, 0xee]);
    expect(readDigest(b, 1)).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
  });

  it('empty input gives 0 and values are unsigned', () => {
    expect(crc32c(new Uint8Array(0))).toBe(0);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBeGreaterThan(0);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
  });

  it('P-01 slicing-by-8 agrees with the bit-at-a-time definition for lengths 0..200', () => {
    const rand = prng(7);
    for (let n = 0; n <= 200; n++) {
      const data = randBytes(rand, n);
      expect(crc32c(data), `length ${n}`).toBe(referenceCrc32c(data));
    }
  });

  it('agrees with the definition on unaligned views', () => {
    const rand = prng(8);
    const big = randBytes(rand, 300);
    for (let start = 0; start < 9; start++) {
      const view = big.subarray(start, start + 257);
      expect(crc32c(view)).toBe(referenceCrc32c(view));
    }
  });

  it('streaming equals one-shot for random splits', () => {
    const rand = prng(99);
    for (let round = 0; round < 300; round++) {
      const data = randBytes(rand, randInt(rand, 600));
      let state = crc32cInit();
      let at = 0;
      while (at < data.length) {
        const n = randInt(rand, 40);
        state = crc32cUpdate(state, data.subarray(at, at + n));
        at += n;
      }
      expect(crc32cFinal(state)).toBe(crc32c(data));
    }
  });

  it('seed continues from a previous final value', () => {
    const rand = prng(5);
    for (let round = 0; round < 50; round++) {
      const a = randBytes(rand, randInt(rand, 50));
      const b = randBytes(rand, randInt(rand, 50));
      expect(crc32c(b, crc32c(a))).toBe(crc32c(Buffer.concat([a, b])));
    }
  });

  it('detects a single flipped bit', () => {
    const data = Buffer.from(READ10_BHS);
    const good = crc32c(data);
    for (let bit = 0; bit < data.length * 8; bit += 13) {
      data[bit >> 3]! ^= 1 << (bit & 7);
      expect(crc32c(data)).not.toBe(good);
      data[bit >> 3]! ^= 1 << (bit & 7);
    }
  });
});
