/**
 * Lenient key=value text for the fake target (RFC 7143 §6.1): `key=value\0...`.
 * Encoding validates nothing, so scripts can send odd keys, odd case, over-long
 * values or hex/base64 numbers. Decoding never throws: an item without '=' comes
 * back with `bad: true` so the script can treat it as an initiator error.
 */

/** One key=value pair, wire order. */
export type Pair = [key: string, value: string];

/** Encode pairs as `key=value\0` each, UTF-8, with no checks at all. */
export function encodePairs(pairs: readonly (readonly [string, string])[]): Buffer {
  return Buffer.from(pairs.map(([k, v]) => `${k}=${v}\0`).join(''), 'utf8');
}

/** Decoded text plus whether anything was malformed. */
export interface ParsedText {
  pairs: Pair[];
  /** True when the text does not end with NUL or an item has no '='. */
  bad: boolean;
}

/** Decode an LTDS; trailing NULs are tolerated. */
export function parsePairs(data: Buffer): ParsedText {
  if (data.length === 0) return { pairs: [], bad: false };
  let bad = data[data.length - 1] !== 0;
  const pairs: Pair[] = [];
  for (const item of data.toString('utf8').split('\0')) {
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq <= 0) {
      bad = true;
      continue;
    }
    pairs.push([item.slice(0, eq), item.slice(eq + 1)]);
  }
  return { pairs, bad };
}

/** Split bytes into segments of at most `size` (at least one segment, possibly empty). */
export function segments(data: Buffer, size: number): Buffer[] {
  if (data.length === 0 || size <= 0) return [data];
  const out: Buffer[] = [];
  for (let off = 0; off < data.length; off += size) out.push(data.subarray(off, Math.min(data.length, off + size)));
  return out;
}

/** Number in the §6.1 numerical-value forms the fake target accepts: decimal or 0x hex. NaN otherwise. */
export function parseNumber(v: string): number {
  if (/^0[xX][0-9a-fA-F]+$/.test(v)) return Number.parseInt(v.slice(2), 16);
  if (/^[0-9]+$/.test(v)) return Number(v);
  return Number.NaN;
}
