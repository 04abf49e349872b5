/**
 * Small helpers shared by the SCSI response parsers: the one error they throw
 * and bounds-checked field readers. Everything here treats its input as
 * untrusted bytes from the target.
 */
import { ProtocolError } from '../../shared/errors.js';

/** Error code of every SCSI data parser. */
export const BAD_SCSI_DATA = 'BAD_SCSI_DATA';

/** Build the parsers' error: `where` names the structure and field, e.g. "REPORT LUNS.LUN LIST LENGTH". */
export function badScsiData(where: string, message: string): ProtocolError {
  return new ProtocolError(BAD_SCSI_DATA, `${where}: ${message}`, { where });
}

/** Throw BAD_SCSI_DATA unless `data` holds at least `n` bytes. */
export function requireLength(data: Uint8Array, n: number, where: string): void {
  if (data.length < n) {
    throw badScsiData(where, `need at least ${n} bytes, got ${data.length}`);
  }
}

/** Big-endian unsigned 16-bit value at `off` (caller checked bounds). */
export function u16(data: Uint8Array, off: number): number {
  return (data[off]! << 8) | data[off + 1]!;
}

/** Big-endian unsigned 32-bit value at `off` (caller checked bounds). */
export function u32(data: Uint8Array, off: number): number {
  return ((data[off]! << 24) >>> 0) + ((data[off + 1]! << 16) | (data[off + 2]! << 8) | data[off + 3]!);
}

/** Big-endian unsigned 64-bit value at `off` (caller checked bounds). */
export function u64(data: Uint8Array, off: number): bigint {
  return (BigInt(u32(data, off)) << 32n) | BigInt(u32(data, off + 4));
}

/**
 * Decode a fixed-width ASCII field (SPC-4 §4.4.1: printable 0x20-0x7e, left
 * aligned, space padded). Leading/trailing spaces and NULs are trimmed (some
 * targets pad with NUL); any other byte outside 0x20-0x7e becomes "?" so the
 * result is always safe to print.
 */
export function asciiField(data: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end && i < data.length; i++) {
    const b = data[i]!;
    s += b === 0 ? '\0' : b >= 0x20 && b <= 0x7e ? String.fromCharCode(b) : '?';
  }
  return s.replace(/^[ \0]+|[ \0]+$/g, '').replace(/\0/g, '?');
}

/** Lower-case hex of `data[start, end)`. */
export function hexField(data: Uint8Array, start: number, end: number): string {
  return Buffer.from(data.buffer, data.byteOffset + start, end - start).toString('hex');
}
