/**
 * The keepalive's pre-encoded NOP-Out (src/session/ping-template.ts; RFC 7143 §11.18, K-03,
 * K-07): bytes equal the independent builder's after every patch, with and without
 * HeaderDigest, and a buffer the socket may still hold is never patched.
 */
import { describe, expect, it } from 'vitest';
import { PingTemplate } from '../../../src/session/ping-template.js';
import { nopOut } from '../../support/pdu-builder.js';
import { referenceCrc32c } from '../../support/crc32c-ref.js';

const expected = (itt: number, cmdSN: number, expStatSN: number): Buffer =>
  nopOut({ immediate: true, lun: Buffer.alloc(8), itt, ttt: 0xffffffff, cmdSN, expStatSN }).bhs;

const CASES: Array<[itt: number, cmdSN: number, expStatSN: number]> = [
  [1, 1, 1],
  [0x12345678, 0xfffffffe, 0x80000000],
  [0xfffffffe, 0, 0xffffffff],
  [2, 3, 4],
];

describe('K-03 K-07 keepalive NOP-Out template', () => {
  it('without HeaderDigest: 48 bytes equal to the builder after every patch', () => {
    const t = new PingTemplate(false);
    for (const [itt, cmdSN, expStatSN] of CASES) {
      const b = t.build(itt, cmdSN, expStatSN, false);
      expect(b).toEqual(expected(itt, cmdSN, expStatSN));
    }
  });

  it('with HeaderDigest=CRC32C: BHS plus a digest over the patched BHS (§11.2.3)', () => {
    const t = new PingTemplate(true);
    for (const [itt, cmdSN, expStatSN] of CASES) {
      const b = t.build(itt, cmdSN, expStatSN, false);
      const want = expected(itt, cmdSN, expStatSN);
      expect(b.length).toBe(52);
      expect(b.subarray(0, 48)).toEqual(want);
      expect(b.readUInt32LE(48)).toBe(referenceCrc32c(want));
    }
  });

  it('reuses one buffer while the socket holds none of it, and leaves a queued one alone', () => {
    const t = new PingTemplate(false);
    const first = t.build(1, 10, 20, false);
    const second = t.build(2, 11, 21, false);
    expect(second).toBe(first); // patched in place: no allocation per ping
    const queued = Buffer.from(second);
    const third = t.build(3, 12, 22, true);
    expect(third).not.toBe(second);
    expect(second).toEqual(queued); // the buffer still queued in the socket is unchanged
    expect(third).toEqual(expected(3, 12, 22));
  });
});
