/**
 * CRC32C (Castagnoli) computed bit by bit: reflected polynomial 0x82F63B78, preset and final
 * complement (RFC 7143 §13.1, RFC 3385). Independent of src/iscsi/crc32c.ts, for golden digests.
 */
export function referenceCrc32c(...parts: Uint8Array[]): number {
  let crc = 0xffffffff;
  for (const part of parts) {
    for (const byte of part) {
      crc ^= byte;
      for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
    }
  }
  return (crc ^ 0xffffffff) >>> 0;
}
