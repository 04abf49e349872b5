import { describe, expect, it } from 'vitest';
import { PduFramer } from '../../../src/iscsi/framer.js';
import { ProtocolError } from '../../../src/shared/errors.js';
import { buildStream, prng, randBytes, randInt, randomChunks, type WireSpec } from './wire-builder.js';

/** A structurally valid stream of a few PDUs, for mutation. */
function validStream(rand: () => number, hd: boolean, dd: boolean): Buffer {
  const specs: WireSpec[] = [];
  const count = 1 + randInt(rand, 4);
  for (let i = 0; i < count; i++) {
    specs.push({
      opcode: randInt(rand, 64),
      itt: randInt(rand, 0x100000000),
      ahs: randBytes(rand, 4 * randInt(rand, 3)),
      data: randBytes(rand, randInt(rand, 40)),
    });
  }
  return buildStream(specs, { hd, dd }).wire;
}

describe('PduFramer fuzz', () => {
  it('P-04 5000 random byte streams: only ProtocolError escapes, and a failed framer stays poisoned', () => {
    const rand = prng(0x15c51);
    let errors = 0;
    let pdus = 0;
    for (let round = 0; round < 5000; round++) {
      const hd = rand() < 0.5;
      const dd = rand() < 0.5;
      let stream: Buffer;
      if (round % 2 === 0) {
        stream = randBytes(rand, randInt(rand, 400));
      } else {
        // Mutate a valid stream: flip a few bytes so some PDUs frame and some fail.
        stream = validStream(rand, hd, dd);
        for (let k = randInt(rand, 4); k > 0; k--) stream[randInt(rand, stream.length)] = randInt(rand, 256);
      }
      const framer = new PduFramer({ headerDigest: hd, dataDigest: dd, maxDataSegmentLength: [0, 64, 8192, 0xffffff][randInt(rand, 4)]! });
      let failed = false;
      for (const chunk of randomChunks(rand, stream, 1 + randInt(rand, 100))) {
        try {
          framer.push(chunk, (p) => {
            pdus++;
            expect(p.bhs.length).toBe(48);
            expect(p.ahs.length).toBe(p.bhs[4]! * 4);
            expect(p.data.length).toBe(p.bhs.readUIntBE(5, 3));
          });
        } catch (err) {
          expect(err).toBeInstanceOf(ProtocolError);
          const code = (err as ProtocolError).code;
          if (failed) expect(code).toBe('FRAMER_POISONED');
          else expect(['DATA_SEGMENT_TOO_LONG', 'HEADER_DIGEST_ERROR', 'DATA_DIGEST_ERROR']).toContain(code);
          failed = true;
          errors++;
        }
      }
      expect(framer.buffered).toBeLessThanOrEqual(stream.length);
    }
    // The corpus must exercise both outcomes or the test proves little.
    expect(errors).toBeGreaterThan(500);
    expect(pdus).toBeGreaterThan(500);
  });
});
