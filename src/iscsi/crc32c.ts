/**
 * CRC32C (Castagnoli), the only digest iSCSI defines (RFC 7143 §13.1, Appendix A.4).
 *
 * Parameters: generator 0x11EDC6F41, processed bit-reflected (reflected polynomial
 * 0x82F63B78), register preset to 0xFFFFFFFF, result complemented. The digest is
 * placed on the wire least-significant byte first: the CRC of 32 zero bytes is
 * 0x8A9136AA and appears on the wire as `aa 36 91 8a`.
 *
 * Implementation: slicing-by-8. `T[k][b]` is the CRC register contribution of byte
 * `b` followed by `k` zero bytes, so eight input bytes are folded into the register
 * with eight table lookups per step instead of eight dependent shift/lookup rounds.
 * The tables (8 x 256 uint32 = 8 KiB) are computed once at module load.
 */

/** Reflected form of the Castagnoli generator 0x1EDC6F41. */
const POLY_REFLECTED = 0x82f63b78;

/** Register preset and final complement mask. */
const ALL_ONES = 0xffffffff;

function buildTables(): Uint32Array[] {
  const flat = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let bit = 0; bit < 8; bit++) c = c & 1 ? (c >>> 1) ^ POLY_REFLECTED : c >>> 1;
    flat[n] = c;
  }
  // T[k][n] = T[k-1][n] shifted through one more zero byte.
  for (let k = 1; k < 8; k++) {
    for (let n = 0; n < 256; n++) {
      const prev = flat[(k - 1) * 256 + n]!;
      flat[k * 256 + n] = (prev >>> 8) ^ flat[prev & 0xff]!;
    }
  }
  return Array.from({ length: 8 }, (_, k) => flat.subarray(k * 256, (k + 1) * 256));
}

const [T0, T1, T2, T3, T4, T5, T6, T7] = buildTables() as [
  Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array,
];

/** Start a streaming CRC32C: returns the preset register state. */
export function crc32cInit(): number {
  return ALL_ONES;
}

/**
 * Fold `data` into a running register state (from {@link crc32cInit} or a previous
 * update). Pieces may be split anywhere: updating with `a` then `b` equals updating
 * with `a ++ b`.
 */
export function crc32cUpdate(state: number, data: Uint8Array): number {
  let c = state >>> 0;
  let i = 0;
  const n = data.length;
  const end8 = n - (n % 8);
  while (i < end8) {
    // Low four bytes are XORed into the register (little-endian, reflected CRC);
    // the high four are looked up with their distance from the end of the block.
    const lo = c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
    c =
      T7[lo & 0xff]! ^
      T6[(lo >>> 8) & 0xff]! ^
      T5[(lo >>> 16) & 0xff]! ^
      T4[lo >>> 24]! ^
      T3[data[i + 4]!]! ^
      T2[data[i + 5]!]! ^
      T1[data[i + 6]!]! ^
      T0[data[i + 7]!]!;
    i += 8;
  }
  while (i < n) {
    c = (c >>> 8) ^ T0[(c ^ data[i]!) & 0xff]!;
    i++;
  }
  return c >>> 0;
}

/** Complement the register state into the final CRC32C value (unsigned 32-bit). */
export function crc32cFinal(state: number): number {
  return (state ^ ALL_ONES) >>> 0;
}

/**
 * One-shot CRC32C of `data`. `seed` is a previous final CRC to continue from
 * (default 0, i.e. a fresh CRC), so `crc32c(b, crc32c(a)) === crc32c(a ++ b)`.
 */
export function crc32c(data: Uint8Array, seed = 0): number {
  return crc32cFinal(crc32cUpdate((seed ^ ALL_ONES) >>> 0, data));
}

/** Length of a digest on the wire (RFC 7143 §11.2.3). */
export const DIGEST_LENGTH = 4;

/**
 * Write a CRC32C digest in iSCSI wire order (least-significant byte first,
 * RFC 7143 Appendix A.4). Returns the offset just past the digest.
 */
export function writeDigest(value: number, target: Buffer, offset: number): number {
  return target.writeUInt32LE(value >>> 0, offset);
}

/** Read a CRC32C digest stored in iSCSI wire order (least-significant byte first). */
export function readDigest(buf: Buffer, offset: number): number {
  return buf.readUInt32LE(offset);
}
