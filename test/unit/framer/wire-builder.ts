/**
 * Independent byte-level PDU builder for framer tests. It does not use the code under
 * test: its CRC32C is the plain bit-at-a-time definition (RFC 7143 §13.1), and it lays
 * out BHS / AHS / digests / padding by hand.
 */
import type { RawPdu } from '../../../src/iscsi/pdu/types.js';
import { referenceCrc32c } from '../../support/crc32c-ref.js';

export { referenceCrc32c };

/** Digest bytes as they appear on the wire: least-significant byte first. */
export function digestBytes(crc: number): number[] {
  return [crc & 0xff, (crc >>> 8) & 0xff, (crc >>> 16) & 0xff, (crc >>> 24) & 0xff];
}

export interface WireSpec {
  opcode: number;
  itt: number;
  /** AHS bytes; length must be a multiple of 4. */
  ahs?: Uint8Array;
  data?: Uint8Array;
  /** Byte used for the padding (default 0). */
  padFill?: number;
  /** Override of the DataSegmentLength field (for corrupt headers). */
  dslField?: number;
}

export interface DigestOpts {
  hd: boolean;
  dd: boolean;
}

/** The 48-byte BHS: opcode, F bit, length fields, ITT, and a filler pattern elsewhere. */
export function buildBhs(spec: WireSpec): Buffer {
  const ahsLen = spec.ahs?.length ?? 0;
  const dsl = spec.dslField ?? spec.data?.length ?? 0;
  const bytes: number[] = [];
  for (let i = 0; i < 48; i++) bytes.push((i * 37 + 11) & 0xff);
  bytes[0] = spec.opcode;
  bytes[1] = 0x80;
  bytes[4] = ahsLen / 4;
  bytes[5] = (dsl >>> 16) & 0xff;
  bytes[6] = (dsl >>> 8) & 0xff;
  bytes[7] = dsl & 0xff;
  bytes[16] = (spec.itt >>> 24) & 0xff;
  bytes[17] = (spec.itt >>> 16) & 0xff;
  bytes[18] = (spec.itt >>> 8) & 0xff;
  bytes[19] = spec.itt & 0xff;
  return Buffer.from(bytes);
}

/** Wire bytes of one PDU and the RawPdu the framer should produce for them. */
export function buildWire(spec: WireSpec, d: DigestOpts, bhs: Buffer = buildBhs(spec)): { wire: Buffer; raw: RawPdu } {
  const ahs = Buffer.from(spec.ahs ?? []);
  const data = Buffer.from(spec.data ?? []);
  const out: number[] = [...bhs, ...ahs];
  if (d.hd) out.push(...digestBytes(referenceCrc32c(bhs, ahs)));
  if (data.length > 0) {
    const padCount = (4 - (data.length % 4)) % 4;
    const pad = new Array<number>(padCount).fill(spec.padFill ?? 0);
    out.push(...data, ...pad);
    if (d.dd) out.push(...digestBytes(referenceCrc32c(data, Uint8Array.from(pad))));
  }
  return { wire: Buffer.from(out), raw: { bhs: Buffer.from(bhs), ahs, data } };
}

/** Concatenate several PDUs' wire bytes. */
export function buildStream(specs: WireSpec[], d: DigestOpts): { wire: Buffer; raws: RawPdu[] } {
  const built = specs.map((s) => buildWire(s, d));
  return { wire: Buffer.concat(built.map((b) => b.wire)), raws: built.map((b) => b.raw) };
}

/** Deterministic PRNG (mulberry32) so failures reproduce. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random integer in [0, n). */
export function randInt(rand: () => number, n: number): number {
  return Math.floor(rand() * n);
}

export function randBytes(rand: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = randInt(rand, 256);
  return b;
}

/** Split `buf` into random-sized chunks (copies, so views cannot alias the source). */
export function randomChunks(rand: () => number, buf: Buffer, maxChunk: number): Buffer[] {
  const chunks: Buffer[] = [];
  let at = 0;
  while (at < buf.length) {
    const n = 1 + randInt(rand, maxChunk);
    chunks.push(Buffer.from(buf.subarray(at, at + n)));
    at += n;
  }
  return chunks;
}

/** Plain-object form of a RawPdu for deep equality with readable diffs. */
export function hexRaw(p: RawPdu): { bhs: string; ahs: string; data: string } {
  return { bhs: p.bhs.toString('hex'), ahs: p.ahs.toString('hex'), data: p.data.toString('hex') };
}
