/**
 * Basic Header Segment helpers shared by every PDU family (RFC 7143 §11.2.1).
 *
 *   byte 0      .|I| Opcode          bit 7 reserved, bit 6 Immediate, bits 5-0 opcode
 *   byte 1      F| opcode-specific   bit 7 is the Final bit on most PDUs
 *   byte 4      TotalAHSLength       in 4-byte words
 *   bytes 5-7   DataSegmentLength    24-bit, bytes, excluding padding
 *   bytes 8-15  LUN                  8 raw bytes (or opcode-specific)
 *   bytes 16-19 Initiator Task Tag
 *
 * Writers validate that values fit their field (ConfigError: the caller built a
 * bad PDU); readers never throw anything but ProtocolError (the bytes are untrusted).
 * Reserved bits are always written as 0 and ignored on read (§7.10, O-13).
 */
import { ConfigError, ProtocolError } from '../../shared/errors.js';
import { BHS_LENGTH, RESERVED_TAG } from './types.js';

export const OFF_OPCODE = 0;
export const OFF_FLAGS = 1;
export const OFF_TOTAL_AHS_LENGTH = 4;
export const OFF_DATA_SEGMENT_LENGTH = 5;
export const OFF_LUN = 8;
export const OFF_ITT = 16;
/** Initiator PDUs: CmdSN @24, ExpStatSN @28 (most families). */
export const OFF_CMDSN = 24;
export const OFF_EXPSTATSN = 28;
/** Target PDUs: StatSN @24, ExpCmdSN @28, MaxCmdSN @32 (every response family). */
export const OFF_STATSN = 24;
export const OFF_EXPCMDSN = 28;
export const OFF_MAXCMDSN = 32;

export const LUN_LENGTH = 8;
export const OPCODE_MASK = 0x3f;
export const IMMEDIATE_BIT = 0x40;
export const FINAL_BIT = 0x80;
/** Largest DataSegmentLength the 24-bit field can carry. */
export const MAX_DATA_SEGMENT_LENGTH = 0xffffff;
/** Largest TotalAHSLength in 4-byte words (one byte). */
const MAX_AHS_WORDS = 0xff;

// ---- writers (encode side) ------------------------------------------------

/** Returns `value` after checking it is an integer in 0..max (ConfigError FIELD_OUT_OF_RANGE). */
export function fieldValue(value: number, max: number, where: string): number {
  checkUint(value, max, where);
  return value;
}

function checkUint(value: number, max: number, where: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new ConfigError('FIELD_OUT_OF_RANGE', `${where} = ${String(value)} does not fit its field (0..${max})`, {
      details: { where, value },
    });
  }
}

/** Writes an unsigned 8-bit field. */
export function writeU8(bhs: Buffer, off: number, value: number, where: string): void {
  checkUint(value, 0xff, where);
  bhs[off] = value;
}

/** Writes an unsigned big-endian 16-bit field. */
export function writeU16(bhs: Buffer, off: number, value: number, where: string): void {
  checkUint(value, 0xffff, where);
  bhs.writeUInt16BE(value, off);
}

/** Writes an unsigned big-endian 32-bit field (tags, sequence numbers). */
export function writeU32(bhs: Buffer, off: number, value: number, where: string): void {
  checkUint(value, 0xffffffff, where);
  bhs.writeUInt32BE(value, off);
}

/**
 * Copies a raw field (LUN, ISID, CDB) after checking its length: exactly
 * `length` bytes, or at most `length` (rest stays zero) when `padded`.
 */
export function writeRaw(bhs: Buffer, off: number, value: Buffer, length: number, where: string, padded = false): void {
  if (padded ? value.length > length : value.length !== length) {
    throw new ConfigError('BAD_FIELD_LENGTH', `${where} must be ${padded ? 'at most ' : ''}${length} bytes, got ${value.length}`, {
      details: { where, length: value.length },
    });
  }
  value.copy(bhs, off);
}

/** Writes the 8-byte LUN field at bytes 8-15. */
export function writeLun(bhs: Buffer, lun: Buffer, where: string): void {
  writeRaw(bhs, OFF_LUN, lun, LUN_LENGTH, where);
}

/**
 * Allocates a zeroed BHS and fills the common fields: byte 0 (I bit + opcode),
 * TotalAHSLength from `pdu.ahs` and DataSegmentLength from `pdu.data`.
 * Padding and digests are the serializer's job, not this one's.
 */
export function newBhs(opcode: number, immediate: boolean, pdu: { ahs?: Buffer; data: Buffer }, name: string): Buffer {
  // From Node's buffer pool, zeroed here: Buffer.alloc(48) would be a V8 on-heap array that
  // a socket write must first move off the heap (a malloc and a copy per PDU sent).
  const bhs = Buffer.allocUnsafe(BHS_LENGTH).fill(0);
  bhs[OFF_OPCODE] = (immediate ? IMMEDIATE_BIT : 0) | (opcode & OPCODE_MASK);
  const ahsLength = pdu.ahs?.length ?? 0;
  if (ahsLength % 4 !== 0 || ahsLength / 4 > MAX_AHS_WORDS) {
    throw new ConfigError('BAD_AHS_LENGTH', `${name}.ahs is ${ahsLength} bytes: must be a multiple of 4 and at most ${MAX_AHS_WORDS * 4}`, {
      details: { where: `${name}.ahs`, length: ahsLength },
    });
  }
  bhs[OFF_TOTAL_AHS_LENGTH] = ahsLength / 4;
  if (pdu.data.length > MAX_DATA_SEGMENT_LENGTH) {
    throw new ConfigError('DATA_TOO_LONG', `${name}.data is ${pdu.data.length} bytes: DataSegmentLength is a 24-bit field`, {
      details: { where: `${name}.data`, length: pdu.data.length },
    });
  }
  bhs.writeUIntBE(pdu.data.length, OFF_DATA_SEGMENT_LENGTH, 3);
  return bhs;
}

// ---- readers (decode side) ------------------------------------------------

function requireBhs(bhs: Buffer): void {
  if (bhs.length !== BHS_LENGTH) {
    throw new ProtocolError('BAD_BHS_LENGTH', `BHS is ${bhs.length} bytes, expected ${BHS_LENGTH}`, {
      where: 'BHS',
      details: { length: bhs.length },
    });
  }
}

/** Opcode (bits 5-0 of byte 0) of a raw BHS. Throws ProtocolError BAD_BHS_LENGTH if not 48 bytes. */
export function peekOpcode(bhs: Buffer): number {
  requireBhs(bhs);
  return bhs[OFF_OPCODE]! & OPCODE_MASK;
}

/** DataSegmentLength (24-bit, bytes 5-7, padding excluded) of a raw BHS. */
export function peekDataSegmentLength(bhs: Buffer): number {
  requireBhs(bhs);
  return bhs.readUIntBE(OFF_DATA_SEGMENT_LENGTH, 3);
}

/** TotalAHSLength field (byte 4) of a raw BHS, in 4-byte words. */
export function peekTotalAhsLength(bhs: Buffer): number {
  requireBhs(bhs);
  return bhs[OFF_TOTAL_AHS_LENGTH]!;
}

/** AHS length in bytes (TotalAHSLength * 4) of a raw BHS. */
export function peekAhsByteLength(bhs: Buffer): number {
  return peekTotalAhsLength(bhs) * 4;
}

/**
 * Validates the wire parts before a family decoder reads fields: BHS is 48
 * bytes, the opcode is the one expected, and the AHS/data lengths match the
 * header fields (the framer strips padding and digests beforehand).
 */
export function checkParts(bhs: Buffer, ahs: Buffer, data: Buffer, opcode: number, name: string): void {
  const actual = peekOpcode(bhs);
  if (actual !== opcode) {
    throw new ProtocolError('UNEXPECTED_OPCODE', `${name} decoder got opcode 0x${actual.toString(16)}`, {
      where: `${name}.opcode`,
      details: { opcode: actual },
    });
  }
  const ahsBytes = peekAhsByteLength(bhs);
  if (ahs.length !== ahsBytes) {
    throw new ProtocolError('AHS_LENGTH_MISMATCH', `${name}: TotalAHSLength says ${ahsBytes} bytes, AHS is ${ahs.length}`, {
      where: `${name}.TotalAHSLength`,
      details: { header: ahsBytes, actual: ahs.length },
    });
  }
  const dsl = peekDataSegmentLength(bhs);
  if (data.length !== dsl) {
    throw new ProtocolError('DATA_LENGTH_MISMATCH', `${name}: DataSegmentLength says ${dsl} bytes, data is ${data.length}`, {
      where: `${name}.DataSegmentLength`,
      details: { header: dsl, actual: data.length },
    });
  }
}

/** Whether the I (immediate) bit of byte 0 is set. */
export function readImmediate(bhs: Buffer): boolean {
  return (bhs[OFF_OPCODE]! & IMMEDIATE_BIT) !== 0;
}

/** Whether the F (final) bit, bit 7 of byte 1, is set. */
export function readFinal(bhs: Buffer): boolean {
  return (bhs[OFF_FLAGS]! & FINAL_BIT) !== 0;
}

/** Byte 1 (flags / opcode-specific) of a BHS. */
export function readFlags(bhs: Buffer): number {
  return bhs[OFF_FLAGS]!;
}

/** Unsigned byte at `off`. */
export function readU8(bhs: Buffer, off: number): number {
  return bhs[off]!;
}

/** Unsigned big-endian 16-bit field at `off`. */
export function readU16(bhs: Buffer, off: number): number {
  return bhs.readUInt16BE(off);
}

/** Unsigned big-endian 32-bit field at `off`. */
export function readU32(bhs: Buffer, off: number): number {
  return bhs.readUInt32BE(off);
}

/** Copy (not a view) of a raw field, so the PDU outlives the framer's buffer. */
export function readRaw(bhs: Buffer, off: number, length: number): Buffer {
  return Buffer.from(bhs.subarray(off, off + length));
}

/** Copy of the 8-byte LUN field (bytes 8-15), kept raw. */
export function readLun(bhs: Buffer): Buffer {
  return readRaw(bhs, OFF_LUN, LUN_LENGTH);
}

/** Initiator Task Tag (bytes 16-19). */
export function readItt(bhs: Buffer): number {
  return readU32(bhs, OFF_ITT);
}

/** `{ ahs }` when the PDU carries AHS bytes, else `{}` (PduBase.ahs is optional). */
export function ahsField(ahs: Buffer): { ahs?: Buffer } {
  return ahs.length > 0 ? { ahs } : {};
}

/** Throws ProtocolError `code` naming `where` (decoders' single way to fail). */
export function fail(code: string, where: string, message: string, details: Record<string, unknown> = {}): never {
  throw new ProtocolError(code, `${where}: ${message}`, { where, details });
}

/** Requires a tag to be the reserved value 0xffffffff (Async Message, Reject). */
export function requireReservedTag(value: number, where: string): void {
  if (value !== RESERVED_TAG) fail('BAD_TAG', where, `must be 0xffffffff, got 0x${value.toString(16)}`, { value });
}
