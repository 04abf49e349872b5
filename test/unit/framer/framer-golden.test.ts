import { describe, expect, it } from 'vitest';
import { PduFramer, type FramerOptions } from '../../../src/iscsi/framer.js';
import type { RawPdu } from '../../../src/iscsi/pdu/types.js';
import { buildStream, buildWire, digestBytes, hexRaw, referenceCrc32c } from './wire-builder.js';

const BOTH: FramerOptions = { headerDigest: true, dataDigest: true, maxDataSegmentLength: 8192 };
const NONE: FramerOptions = { headerDigest: false, dataDigest: false, maxDataSegmentLength: 8192 };

function feed(framer: PduFramer, ...chunks: Buffer[]): RawPdu[] {
  const out: RawPdu[] = [];
  for (const c of chunks) framer.push(c, (p) => out.push(p));
  return out;
}

describe('PduFramer golden streams', () => {
  it('P-02 frames BHS + 8-byte AHS + HeaderDigest + 5 data bytes + 3 pad + DataDigest', () => {
    const ahs = Buffer.from('0005010203040506', 'hex');
    const data = Buffer.from('68656c6c6f', 'hex');
    const { wire, raw } = buildWire({ opcode: 0x24, itt: 0x01020304, ahs, data }, { hd: true, dd: true });

    // Hand-check the layout the builder produced: 48 + 8 + 4 + 5 + 3 + 4 bytes.
    expect(wire.length).toBe(72);
    expect([...wire.subarray(4, 8)]).toEqual([2, 0, 0, 5]); // AHS words, DSL: digests not counted
    expect([...wire.subarray(56, 60)]).toEqual(digestBytes(referenceCrc32c(wire.subarray(0, 56))));
    expect(wire.subarray(60, 65).equals(data)).toBe(true);
    expect([...wire.subarray(65, 68)]).toEqual([0, 0, 0]);
    expect([...wire.subarray(68, 72)]).toEqual(digestBytes(referenceCrc32c(wire.subarray(60, 68))));

    const framer = new PduFramer(BOTH);
    const got = feed(framer, wire);
    expect(got.map(hexRaw)).toEqual([hexRaw(raw)]);
    expect(got[0]!.data.toString('latin1')).toBe('hello');
    expect(framer.buffered).toBe(0);
  });

  it('P-01 accepts the RFC 7143 A.4 Read (10) command BHS with its header digest 56 3a 96 d9', () => {
    const bhs = Buffer.from(
      '01c00000000000000000000000000000' + '14000000000004000000001400000018' + '28000000000000000200000000000000',
      'hex',
    );
    const framer = new PduFramer(BOTH);
    const got = feed(framer, Buffer.concat([bhs, Buffer.from('563a96d9', 'hex')]));
    expect(got).toHaveLength(1);
    expect(got[0]!.bhs.equals(bhs)).toBe(true);
    expect(got[0]!.ahs.length).toBe(0);
    expect(got[0]!.data.length).toBe(0);
  });

  it('P-02 expects no data digest after an empty data segment', () => {
    const d = { hd: true, dd: true };
    const { wire, raws } = buildStream([{ opcode: 0x20, itt: 1 }, { opcode: 0x24, itt: 2, data: Buffer.from('ab') }], d);
    expect(wire.length).toBe(48 + 4 + 48 + 4 + 4 + 4);
    const framer = new PduFramer(BOTH);
    expect(feed(framer, wire).map(hexRaw)).toEqual(raws.map(hexRaw));
    expect(framer.buffered).toBe(0);
  });

  it('P-02 data digest covers the padding bytes as received (non-zero padding)', () => {
    const { wire, raw } = buildWire({ opcode: 0x25, itt: 9, data: Buffer.from('x'), padFill: 0x5a }, { hd: false, dd: true });
    const framer = new PduFramer({ ...NONE, dataDigest: true });
    expect(feed(framer, wire).map(hexRaw)).toEqual([hexRaw(raw)]);
  });

  it('hands out views into the pushed chunk when the PDU lies in one chunk', () => {
    const ahs = Buffer.from('01020304', 'hex');
    const { wire } = buildWire({ opcode: 0x25, itt: 3, ahs, data: Buffer.from('0123456789') }, { hd: true, dd: true });
    const [pdu] = feed(new PduFramer(BOTH), wire);
    expect(pdu!.bhs.buffer).toBe(wire.buffer);
    expect(pdu!.bhs.byteOffset).toBe(wire.byteOffset);
    expect(pdu!.ahs.byteOffset).toBe(wire.byteOffset + 48);
    expect(pdu!.data.buffer).toBe(wire.buffer);
    expect(pdu!.data.byteOffset).toBe(wire.byteOffset + 56);
  });

  it('keeps views per part when only the boundary between parts falls between chunks', () => {
    const { wire } = buildWire({ opcode: 0x25, itt: 3, data: Buffer.from('0123456789') }, { hd: false, dd: false });
    const head = Buffer.from(wire.subarray(0, 48));
    const tail = Buffer.from(wire.subarray(48));
    const [pdu] = feed(new PduFramer(NONE), head, tail);
    expect(pdu!.bhs.buffer).toBe(head.buffer);
    expect(pdu!.data.buffer).toBe(tail.buffer);
    expect(pdu!.data.toString()).toBe('0123456789');
  });

  it('assembles a part that spans chunks into one buffer', () => {
    const { wire, raw } = buildWire({ opcode: 0x25, itt: 3, data: Buffer.alloc(100, 7) }, { hd: true, dd: true });
    const framer = new PduFramer(BOTH);
    const got = feed(framer, wire.subarray(0, 30), wire.subarray(30, 90), wire.subarray(90));
    expect(got.map(hexRaw)).toEqual([hexRaw(raw)]);
  });

  it('buffered counts held bytes, including a header that waits for its data', () => {
    const { wire } = buildWire({ opcode: 0x25, itt: 3, data: Buffer.alloc(20, 1) }, { hd: true, dd: true });
    const framer = new PduFramer(BOTH);
    expect(feed(framer, wire.subarray(0, 10))).toEqual([]);
    expect(framer.buffered).toBe(10);
    expect(feed(framer, wire.subarray(10, 60))).toEqual([]);
    expect(framer.buffered).toBe(60);
    expect(feed(framer, wire.subarray(60))).toHaveLength(1);
    expect(framer.buffered).toBe(0);
  });
});
