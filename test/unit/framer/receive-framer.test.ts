/**
 * ReceiveFramer: PDUs read into a reusable buffer (the usertcp receive path). Reads are
 * simulated the way node:net `onread` does them: ask readBuffer(), write the next wire
 * bytes into that region, push the written part. After every read the (shared) scratch
 * buffer and every PDU handed out are scribbled over, as the next read of any connection
 * would: a cut-off PDU not copied out of the scratch, or framer state kept in a PDU that
 * was already handed out, would be caught. Wire bytes come from the independent builder in wire-builder.ts.
 */
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/shared/errors.js';
import { HEADER_FIRST_MIN_DATA, ReceiveFramer, type Placer, type ScratchSource } from '../../../src/iscsi/receive-framer.js';
import type { RawPdu } from '../../../src/iscsi/pdu/types.js';
import { buildStream, buildWire, hexRaw, prng, randBytes, randInt, type DigestOpts, type WireSpec } from './wire-builder.js';

const COMBOS: DigestOpts[] = [
  { hd: false, dd: false },
  { hd: true, dd: false },
  { hd: false, dd: true },
  { hd: true, dd: true },
];

/** A fixed scratch buffer. */
function fixedScratch(size: number): ScratchSource & { buf: Buffer } {
  const buf = Buffer.alloc(size);
  return { buf, get: () => buf };
}

type Snap = ReturnType<typeof hexRaw>;

/**
 * Feed `wire` as reads: the i-th read is at most `limits(i)` bytes. Snapshots every PDU
 * inside its callback; scribbles every region read into after each push.
 */
function readAll(framer: ReceiveFramer, wire: Buffer, limit: (i: number) => number, scratch?: { buf: Buffer }): { snaps: Snap[]; raws: RawPdu[] } {
  const snaps: Snap[] = [];
  const raws: RawPdu[] = [];
  let at = 0;
  for (let i = 0; at < wire.length; i++) {
    const region = framer.readBuffer();
    expect(region.length).toBeGreaterThan(0);
    const n = Math.min(region.length, wire.length - at, limit(i));
    wire.copy(region, 0, at, at + n);
    at += n;
    const handed: RawPdu[] = [];
    framer.push(region.subarray(0, n), (p) => {
      snaps.push(hexRaw(p));
      raws.push(p);
      handed.push(p);
    });
    for (const p of handed) for (const part of [p.bhs, p.ahs, p.data]) part.fill(0xee);
    scratch?.buf.fill(0xee);
  }
  return { snaps, raws };
}

const SPECS: WireSpec[] = [
  { opcode: 0x20, itt: 0xffffffff },
  { opcode: 0x24, itt: 0x11, data: Buffer.from('TargetName=iqn.') }, // pad 1
  { opcode: 0x25, itt: 0x12, ahs: Buffer.from('00010203', 'hex'), data: Buffer.from('abcdef') }, // pad 2
  { opcode: 0x25, itt: 0x14, data: randBytes(prng(7), 1501) }, // pad 3
  { opcode: 0x21, itt: 0x13, data: Buffer.from('zz') },
];

describe.each(COMBOS)('ReceiveFramer reads, HeaderDigest=$hd DataDigest=$dd', (d) => {
  const { wire, raws } = buildStream(SPECS, d);
  const expected = raws.map(hexRaw);
  const opts = { headerDigest: d.hd, dataDigest: d.dd, maxDataSegmentLength: 8192 };

  it('one read for the whole stream: every PDU handed out as a view of the scratch buffer', () => {
    const scratch = fixedScratch(64 * 1024);
    const { snaps, raws: got } = readAll(new ReceiveFramer(opts, scratch), wire, () => Infinity);
    expect(snaps).toEqual(expected);
    for (const p of got) expect(p.bhs.buffer).toBe(scratch.buf.buffer);
    expect(got[3]!.data.buffer).toBe(scratch.buf.buffer);
  });

  it('two reads split at every offset of the stream', () => {
    for (let cut = 1; cut < wire.length; cut++) {
      const scratch = fixedScratch(64 * 1024);
      const framer = new ReceiveFramer(opts, scratch);
      const { snaps } = readAll(framer, wire, (i) => (i === 0 ? cut : Infinity), scratch);
      expect(snaps, `cut at ${cut}`).toEqual(expected);
      expect(framer.buffered).toBe(0);
    }
  });

  it('one byte per read', () => {
    const scratch = fixedScratch(64 * 1024);
    expect(readAll(new ReceiveFramer(opts, scratch), wire, () => 1, scratch).snaps).toEqual(expected);
  });

  it('random read sizes, scratch smaller than some PDUs (assembled in the framer\'s own buffer)', () => {
    const rand = prng(11);
    for (let round = 0; round < 40; round++) {
      const scratch = fixedScratch(60 + randInt(rand, 200));
      const { snaps } = readAll(new ReceiveFramer(opts, scratch), wire, () => 1 + randInt(rand, 600), scratch);
      expect(snaps).toEqual(expected);
    }
  });

  it('chunks pushed that are not the region asked for (plain Duplex data) give the same PDUs', () => {
    const framer = new ReceiveFramer(opts, fixedScratch(128));
    const snaps: Snap[] = [];
    for (let at = 0; at < wire.length; at += 97) {
      const chunk = Buffer.from(wire.subarray(at, at + 97));
      framer.push(chunk, (p) => snaps.push(hexRaw(p)));
      chunk.fill(0xee);
    }
    expect(snaps).toEqual(expected);
  });
});

describe('ReceiveFramer large PDUs and the assembly buffer', () => {
  it('a 64 KiB Data-In larger than the scratch buffer, digests on, split at many offsets', () => {
    const d = { hd: true, dd: true };
    const big: WireSpec = { opcode: 0x25, itt: 7, data: randBytes(prng(3), 65536 + 3) };
    const { wire, raws } = buildStream([big, { opcode: 0x20, itt: 8 }, big], d);
    const opts = { headerDigest: true, dataDigest: true, maxDataSegmentLength: 262144 };
    for (const cut of [1, 47, 48, 51, 52, 1000, 65587, 65588, 65600, wire.length - 1]) {
      const scratch = fixedScratch(4096);
      const framer = new ReceiveFramer(opts, scratch);
      const { snaps } = readAll(framer, wire, (i) => (i === 0 ? cut : 8000), scratch);
      expect(snaps, `cut ${cut}`).toEqual(raws.map(hexRaw));
    }
  });

  it('reads into the assembly buffer never run past the end of the PDU', () => {
    const d = { hd: false, dd: false };
    const { wire } = buildStream([{ opcode: 0x25, itt: 1, data: Buffer.alloc(5000, 1) }, { opcode: 0x20, itt: 2 }], d);
    const framer = new ReceiveFramer({ headerDigest: false, dataDigest: false, maxDataSegmentLength: 8192 }, fixedScratch(1000));
    const region0 = framer.readBuffer();
    wire.copy(region0, 0, 0, 1000);
    framer.push(region0.subarray(0, 1000), () => {});
    expect(framer.buffered).toBe(1000);
    expect(framer.readBuffer().length).toBe(48 + 5000 - 1000);
  });
});

describe('ReceiveFramer errors poison it (P-04, O-05, C-09)', () => {
  const opts = { headerDigest: true, dataDigest: true, maxDataSegmentLength: 8192 };

  function firstError(wire: Buffer, cut: number): ProtocolError {
    const scratch = fixedScratch(1024);
    const framer = new ReceiveFramer(opts, scratch);
    let err: unknown;
    try {
      readAll(framer, wire, (i) => (i === 0 ? cut : Infinity), scratch);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProtocolError);
    let again: unknown;
    try {
      framer.push(Buffer.alloc(48), () => {});
    } catch (e) {
      again = e;
    }
    expect((again as ProtocolError).code).toBe('FRAMER_POISONED');
    expect(framer.buffered).toBe(0);
    return err as ProtocolError;
  }

  it('a bad data digest is DATA_DIGEST_ERROR at every read boundary (O-05)', () => {
    const { wire } = buildWire({ opcode: 0x25, itt: 9, data: randBytes(prng(5), 2000) }, { hd: true, dd: true });
    wire[wire.length - 1] = wire[wire.length - 1]! ^ 0x01;
    for (let cut = 1; cut < wire.length; cut += 37) expect(firstError(wire, cut).code).toBe('DATA_DIGEST_ERROR');
  });

  it('corrupt data with a good digest field is DATA_DIGEST_ERROR', () => {
    const { wire } = buildWire({ opcode: 0x25, itt: 9, data: Buffer.alloc(300, 5) }, { hd: true, dd: true });
    wire[100] = wire[100]! ^ 0x80;
    expect(firstError(wire, 60).code).toBe('DATA_DIGEST_ERROR');
  });

  it('a bad header digest is HEADER_DIGEST_ERROR (P-04)', () => {
    const { wire } = buildWire({ opcode: 0x20, itt: 1 }, { hd: true, dd: true });
    wire[20] = wire[20]! ^ 0xff;
    expect(firstError(wire, 10).code).toBe('HEADER_DIGEST_ERROR');
  });

  it('DataSegmentLength above the limit is refused before its data arrives (C-09)', () => {
    const { wire } = buildWire({ opcode: 0x25, itt: 1, data: Buffer.alloc(8196) }, { hd: true, dd: true });
    expect(firstError(wire.subarray(0, 60), 60).code).toBe('DATA_SEGMENT_TOO_LONG');
  });

  it('an exception from onPdu poisons the framer', () => {
    const { wire } = buildStream([{ opcode: 0x20, itt: 1 }, { opcode: 0x20, itt: 2 }], { hd: false, dd: false });
    const framer = new ReceiveFramer({ ...opts, headerDigest: false, dataDigest: false }, fixedScratch(1024));
    expect(() => framer.push(wire, () => { throw new Error('boom'); })).toThrow('boom');
    expect(() => framer.push(wire, () => {})).toThrow(/FRAMER_POISONED|after an error/);
  });

  it('options set inside onPdu apply from the next PDU (P-03)', () => {
    const login = buildWire({ opcode: 0x23, itt: 1, data: Buffer.from('a=b\0') }, { hd: false, dd: false }).wire;
    const ffp = buildWire({ opcode: 0x25, itt: 2, data: Buffer.alloc(10, 3) }, { hd: true, dd: true });
    const framer = new ReceiveFramer({ headerDigest: false, dataDigest: false, maxDataSegmentLength: 8192 }, fixedScratch(4096));
    const got: Snap[] = [];
    framer.push(Buffer.concat([login, ffp.wire]), (p) => {
      got.push(hexRaw(p));
      if (got.length === 1) framer.setOptions({ headerDigest: true, dataDigest: true });
    });
    expect(got[1]).toEqual(hexRaw(ffp.raw));
  });
});

describe('ReceiveFramer direct data placement (Data-In read straight into the command buffer)', () => {
  const BIG = HEADER_FIRST_MIN_DATA + 4096; // a multiple of 4: no padding
  const specs: WireSpec[] = [
    { opcode: 0x25, itt: 1, data: randBytes(prng(21), BIG) },
    { opcode: 0x25, itt: 2, data: randBytes(prng(22), BIG) },
    { opcode: 0x21, itt: 3 },
    { opcode: 0x25, itt: 4, data: randBytes(prng(23), BIG) },
    { opcode: 0x25, itt: 5, data: randBytes(prng(24), 1501) }, // padding: never placed
  ];

  /** A placer handing out one destination per ITT (exactly dataLength bytes), recording its calls. */
  function destinations(): { placer: Placer; dest: Map<number, Buffer>; calls: number[] } {
    const dest = new Map<number, Buffer>();
    const calls: number[] = [];
    const placer: Placer = (bhs, dataLength) => {
      const itt = bhs.readUInt32BE(16);
      calls.push(itt);
      const b = Buffer.alloc(dataLength, 0xaa);
      dest.set(itt, b);
      return b;
    };
    return { placer, dest, calls };
  }

  it.each(COMBOS)('random read sizes give the same PDUs; placed data lands in its destination (HeaderDigest=$hd DataDigest=$dd)', (d) => {
    const { wire, raws } = buildStream(specs, d);
    const rand = prng(31);
    let placements = 0;
    for (let round = 0; round < 25; round++) {
      const scratch = fixedScratch(4096 + randInt(rand, 70000));
      const framer = new ReceiveFramer({ headerDigest: d.hd, dataDigest: d.dd, maxDataSegmentLength: 262144 }, scratch);
      const { placer, dest, calls } = destinations();
      framer.setPlacer(placer);
      const snaps: Snap[] = [];
      const placedData = new Map<number, boolean>();
      let at = 0;
      while (at < wire.length) {
        const region = framer.readBuffer();
        const n = Math.min(region.length, wire.length - at, 1 + randInt(rand, 30000));
        wire.copy(region, 0, at, at + n);
        at += n;
        framer.push(region.subarray(0, n), (p) => {
          snaps.push(hexRaw(p));
          const itt = p.bhs.readUInt32BE(16);
          placedData.set(itt, dest.get(itt) === p.data);
        });
        scratch.buf.fill(0xee);
      }
      expect(snaps).toEqual(raws.map(hexRaw));
      // Never placed: with a data digest (it covers the bytes as they arrive), with padding, or without data.
      expect(calls.every((itt) => itt === 1 || itt === 2 || itt === 4)).toBe(true);
      if (d.dd) expect(calls).toEqual([]);
      placements += calls.length;
      for (const itt of calls) {
        expect(placedData.get(itt), `ITT ${itt} delivered from its destination`).toBe(true);
        expect(dest.get(itt)!.equals(specs.find((s) => s.itt === itt)!.data!)).toBe(true);
      }
    }
    if (!d.dd) expect(placements).toBeGreaterThan(25);
  });

  it('after a large data PDU the next read asks for the header alone, then reads the data into the destination', () => {
    const { wire, raws } = buildStream(specs.slice(0, 2), { hd: false, dd: false });
    const framer = new ReceiveFramer({ headerDigest: false, dataDigest: false, maxDataSegmentLength: 262144 }, fixedScratch(256 * 1024));
    const { placer, dest } = destinations();
    framer.setPlacer(placer);
    // First PDU: a boundary read into the scratch takes all of it (no placement needed).
    const first = framer.readBuffer();
    expect(first.length).toBe(256 * 1024);
    const len0 = raws[0]!.bhs.length + raws[0]!.data.length;
    wire.copy(first, 0, 0, len0);
    framer.push(first.subarray(0, len0), () => {});
    // Second: 48 bytes of header, then exactly the data, straight into its destination.
    const header = framer.readBuffer();
    expect(header.length).toBe(48);
    wire.copy(header, 0, len0, len0 + 48);
    framer.push(header, () => {});
    const data = framer.readBuffer();
    expect(data.buffer).toBe(dest.get(2)!.buffer);
    expect(data.length).toBe(BIG);
    wire.copy(data, 0, len0 + 48);
    let got: RawPdu | undefined;
    framer.push(data, (p) => (got = p));
    expect(got!.data).toBe(dest.get(2));
    expect(got!.data.equals(raws[1]!.data)).toBe(true);
    expect(framer.buffered).toBe(0);
    // Placement off: boundary reads go to the scratch again.
    framer.setPlacer(undefined);
    expect(framer.readBuffer().length).toBe(256 * 1024);
  });

  it('a large PDU other than a Data-In (a SendTargets Text Response) does not make the next read header-first', () => {
    const { wire } = buildStream([{ opcode: 0x24, itt: 1, data: randBytes(prng(25), BIG) }], { hd: false, dd: false });
    const framer = new ReceiveFramer({ headerDigest: false, dataDigest: false, maxDataSegmentLength: 262144 }, fixedScratch(256 * 1024));
    framer.setPlacer(destinations().placer);
    const region = framer.readBuffer();
    wire.copy(region);
    framer.push(region.subarray(0, wire.length), () => {});
    expect(framer.readBuffer().length).toBe(256 * 1024);
  });

  it('a placer that declines (undefined) or answers the wrong size leaves the PDU to the assembly buffer', () => {
    const { wire, raws } = buildStream(specs.slice(0, 2), { hd: false, dd: false });
    for (const answer of [undefined, Buffer.alloc(BIG - 4)]) {
      const scratch = fixedScratch(8192);
      const framer = new ReceiveFramer({ headerDigest: false, dataDigest: false, maxDataSegmentLength: 262144 }, scratch);
      let asked = 0;
      framer.setPlacer(() => {
        asked++;
        return answer;
      });
      expect(readAll(framer, wire, () => 5000, scratch).snaps).toEqual(raws.map(hexRaw));
      expect(asked).toBe(2);
    }
  });
});
