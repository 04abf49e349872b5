import { describe, expect, it } from 'vitest';
import { PduFramer, serializePdu } from '../../../src/iscsi/framer.js';
import type { RawPdu } from '../../../src/iscsi/pdu/types.js';
import { ProtocolError } from '../../../src/shared/errors.js';
import { buildBhs, buildWire, hexRaw, prng, randBytes, randInt, randomChunks } from './wire-builder.js';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return (err as ProtocolError).code;
  }
  throw new Error('expected a ProtocolError');
}

/** A RawPdu with a random BHS whose length fields match its AHS and data. */
function randomRaw(rand: () => number): RawPdu {
  const ahs = randBytes(rand, 4 * randInt(rand, 4));
  const data = randBytes(rand, rand() < 0.2 ? 0 : randInt(rand, 70));
  const bhs = randBytes(rand, 48);
  bhs[4] = ahs.length / 4;
  bhs.writeUIntBE(data.length, 5, 3);
  return { bhs, ahs, data };
}

describe('serializePdu', () => {
  it('P-01 header digest of the RFC 7143 A.4 Read (10) BHS is 56 3a 96 d9 on the wire', () => {
    const bhs = Buffer.from(
      '01c00000000000000000000000000000' + '14000000000004000000001400000018' + '28000000000000000200000000000000',
      'hex',
    );
    const pieces = serializePdu({ bhs, ahs: Buffer.alloc(0), data: Buffer.alloc(0) }, { headerDigest: true, dataDigest: true });
    expect(pieces).toHaveLength(1);
    expect(pieces[0]!.toString('hex')).toBe(bhs.toString('hex') + '563a96d9');
  });

  it('P-02 pieces are [header+AHS+HeaderDigest, data, padding+DataDigest], data not copied', () => {
    const ahs = Buffer.from('0005010203040506', 'hex');
    const data = Buffer.from('hello');
    const spec = { opcode: 0x01, itt: 0x10, ahs, data };
    const raw = { bhs: buildBhs(spec), ahs, data };
    const pieces = serializePdu(raw, { headerDigest: true, dataDigest: true });
    expect(pieces.map((p) => p.length)).toEqual([48 + 8 + 4, 5, 3 + 4]);
    expect(pieces[1]).toBe(data);
    expect(Buffer.concat(pieces).equals(buildWire(spec, { hd: true, dd: true }).wire)).toBe(true);
    // Digests are not counted in the length fields.
    expect([...pieces[0]!.subarray(4, 8)]).toEqual([2, 0, 0, 5]);
  });

  it('P-02 sends no data digest for an empty data segment and omits empty pieces', () => {
    const spec = { opcode: 0x00, itt: 1 };
    const raw = { bhs: buildBhs(spec), ahs: Buffer.alloc(0), data: Buffer.alloc(0) };
    const pieces = serializePdu(raw, { headerDigest: false, dataDigest: true });
    expect(pieces).toHaveLength(1);
    expect(pieces[0]!.length).toBe(48);
    expect(pieces[0]!.equals(buildWire(spec, { hd: false, dd: true }).wire)).toBe(true);
  });

  it('P-02 omits the trailer when data is aligned and DataDigest is off', () => {
    const data = Buffer.from('12345678');
    const raw = { bhs: buildBhs({ opcode: 0x05, itt: 1, data }), ahs: Buffer.alloc(0), data };
    const pieces = serializePdu(raw, { headerDigest: false, dataDigest: false });
    expect(pieces.map((p) => p.length)).toEqual([48, 8]);
  });

  it('rejects a BHS whose DataSegmentLength does not match the data', () => {
    const data = Buffer.from('abc');
    const bhs = buildBhs({ opcode: 0x04, itt: 1, data });
    expect(codeOf(() => serializePdu({ bhs, ahs: Buffer.alloc(0), data: Buffer.from('abcd') }, { headerDigest: false, dataDigest: false }))).toBe('LENGTH_MISMATCH');
  });

  it('rejects a BHS whose TotalAHSLength does not match the AHS', () => {
    const bhs = buildBhs({ opcode: 0x01, itt: 1, ahs: Buffer.alloc(8) });
    expect(codeOf(() => serializePdu({ bhs, ahs: Buffer.alloc(4), data: Buffer.alloc(0) }, { headerDigest: false, dataDigest: false }))).toBe('LENGTH_MISMATCH');
    const bhs0 = buildBhs({ opcode: 0x01, itt: 1 });
    expect(codeOf(() => serializePdu({ bhs: bhs0, ahs: Buffer.alloc(3), data: Buffer.alloc(0) }, { headerDigest: false, dataDigest: false }))).toBe('LENGTH_MISMATCH');
  });

  it('rejects a BHS that is not 48 bytes', () => {
    expect(codeOf(() => serializePdu({ bhs: Buffer.alloc(47), ahs: Buffer.alloc(0), data: Buffer.alloc(0) }, { headerDigest: false, dataDigest: false }))).toBe('LENGTH_MISMATCH');
  });

  it('P-02 round trip: 2000 random PDUs match the independent builder and frame back unchanged', () => {
    const rand = prng(4242);
    for (let round = 0; round < 2000; round++) {
      const raw = randomRaw(rand);
      const hd = rand() < 0.5;
      const dd = rand() < 0.5;
      const pieces = serializePdu(raw, { headerDigest: hd, dataDigest: dd });
      expect(pieces.every((p) => p.length > 0)).toBe(true);
      if (raw.data.length > 0) expect(pieces).toContain(raw.data);
      const wire = Buffer.concat(pieces);
      const spec = { opcode: raw.bhs[0]!, itt: 0, ahs: raw.ahs, data: raw.data };
      expect(wire.toString('hex'), `round ${round}`).toBe(buildWire(spec, { hd, dd }, raw.bhs).wire.toString('hex'));

      const framer = new PduFramer({ headerDigest: hd, dataDigest: dd, maxDataSegmentLength: 8192 });
      const out: RawPdu[] = [];
      for (const c of randomChunks(rand, wire, 1 + randInt(rand, 64))) framer.push(c, (p) => out.push(p));
      expect(out.map(hexRaw)).toEqual([hexRaw(raw)]);
      expect(framer.buffered).toBe(0);
    }
  });
});
