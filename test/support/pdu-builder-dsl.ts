/**
 * Placement DSL of the independent PDU builder (see pdu-builder.ts).
 *
 * Deliberately shares nothing with src/: no imports, no constants. Each PDU is
 * a list of placements `{ at, bytes }` copied off the RFC figure, so a test
 * reads like the figure itself:
 *
 *   bhs(op(0x03, true), u8(1, bits(0, 1) | 0x0c), u8(2, 0), ..., u32(16, itt))
 *
 * Bits are named the RFC way: bit 0 is the most significant bit of a byte
 * (`rfcBit(0) === 0x80`). Byte 4 (TotalAHSLength, in words) and bytes 5-7
 * (DataSegmentLength) are filled from the AHS and data given to `frame`.
 */

/** Bytes to place at a BHS offset. */
export interface Place { at: number; bytes: readonly number[] }

/** A PDU in wire parts, shaped like the codec's RawPdu (without importing it). */
export interface Built { bhs: Buffer; ahs: Buffer; data: Buffer }

/** AHS / data carried by a PDU. */
export interface Parts { ahs?: Buffer; data?: Buffer }

function checked(value: number, bits: number, at: number): number {
  const max = 2 ** bits - 1;
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new Error(`builder: value ${value} at offset ${at} does not fit ${bits} bits`);
  }
  return value;
}

/** Big-endian bytes of `value` over `width` bytes, by repeated division. */
function bigEndian(value: number, width: number, at: number): number[] {
  let rest = checked(value, width * 8, at);
  const out: number[] = new Array<number>(width).fill(0);
  for (let i = width - 1; i >= 0; i--) {
    out[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  return out;
}

export const u8 = (at: number, value: number): Place => ({ at, bytes: bigEndian(value, 1, at) });
export const u16 = (at: number, value: number): Place => ({ at, bytes: bigEndian(value, 2, at) });
export const u24 = (at: number, value: number): Place => ({ at, bytes: bigEndian(value, 3, at) });
export const u32 = (at: number, value: number): Place => ({ at, bytes: bigEndian(value, 4, at) });
export const raw = (at: number, value: Uint8Array | readonly number[]): Place => ({ at, bytes: Array.from(value) });

/** Byte with the given RFC bit numbers set (bit 0 = 0x80 ... bit 7 = 0x01). */
export function bits(...rfcBits: number[]): number {
  return rfcBits.reduce((acc, b) => acc | (0x80 >> b), 0);
}

/** `rfcBit(n)` when `on`, else 0. */
export function bitIf(on: boolean, rfcBitNo: number): number {
  return on ? bits(rfcBitNo) : 0;
}

/** Byte 0: `.|I| opcode` (bit 1 = Immediate). */
export function op(opcode: number, immediate = false): Place {
  return u8(0, bitIf(immediate, 1) + checked(opcode, 6, 0));
}

/** A 48-byte BHS from placements; overlapping or out-of-range placements throw. */
export function bhs(...places: Place[]): Buffer {
  const out = Buffer.alloc(48);
  const used = new Set<number>();
  for (const p of places) {
    p.bytes.forEach((b, i) => {
      const at = p.at + i;
      if (at < 0 || at >= 48) throw new Error(`builder: offset ${at} outside the BHS`);
      if (used.has(at)) throw new Error(`builder: offset ${at} placed twice`);
      used.add(at);
      out[at] = b;
    });
  }
  return out;
}

/** Full PDU: BHS placements plus byte 4 / bytes 5-7 derived from `parts`. */
export function frame(places: Place[], parts: Parts = {}): Built {
  const ahs = parts.ahs ?? Buffer.alloc(0);
  const data = parts.data ?? Buffer.alloc(0);
  if (ahs.length % 4 !== 0) throw new Error('builder: AHS length must be a multiple of 4');
  return { bhs: bhs(...places, u8(4, ahs.length / 4), u24(5, data.length)), ahs, data };
}

/** Copy of `built` with bytes overwritten (to set reserved bits, bad tags...). */
export function patch(built: Built, ...places: Place[]): Built {
  const copy = Buffer.from(built.bhs);
  for (const p of places) p.bytes.forEach((b, i) => { copy[p.at + i] = b; });
  return { bhs: copy, ahs: built.ahs, data: built.data };
}

/** `key=value\0` for every pair, in order (§6.1 text format). */
export function textData(pairs: ReadonlyArray<readonly [string, string]> | Readonly<Record<string, string>>): Buffer {
  const list = Array.isArray(pairs) ? pairs : Object.entries(pairs);
  return Buffer.from(list.map(([k, v]) => `${k}=${v}\0`).join(''), 'utf8');
}

/** An 8-byte LUN field from up to 8 leading bytes (rest zero). */
export function lunBytes(...bytes: number[]): Buffer {
  const out = Buffer.alloc(8);
  bytes.forEach((b, i) => { out[i] = b; });
  return out;
}
