/**
 * LUN encoding (SAM-4 §4.6) and REPORT LUNS parameter data (SPC-4).
 *
 * An 8-byte LUN is four 2-byte levels; single-level LUNs use only the first
 * level. Bits 7-6 of byte 0 select the ADDRESS METHOD:
 *   00b peripheral device: byte 0 bits 5-0 BUS IDENTIFIER, byte 1 TARGET OR LUN
 *       (with bus identifier 0 byte 1 is the LUN, 0..255)
 *   01b flat space: byte 0 bits 5-0 + byte 1 = 14-bit LUN (0..16383)
 *   10b logical unit: target/bus/LUN fields (parallel SCSI bridges)
 *   11b extended: length + extended address method (well-known LUNs etc.)
 */
import { ConfigError } from '../../shared/errors.js';
import { badScsiData, requireLength, u32 } from './bytes.js';

/** Addressing method of the first LUN level. */
export type LunAddressMethod = 'peripheral' | 'flat' | 'logical-unit' | 'extended';

const METHODS: readonly LunAddressMethod[] = ['peripheral', 'flat', 'logical-unit', 'extended'];

/** One entry of the REPORT LUNS list. */
export interface LunDescriptor {
  /** The 8 bytes as reported (a copy): use these in the iSCSI LUN field. */
  raw: Buffer;
  /** Address method of the first level. */
  addressMethod: LunAddressMethod;
  /**
   * Decoded LUN number: byte 1 for peripheral addressing with bus identifier 0,
   * the 14-bit value for flat addressing; `null` for other methods or a
   * non-zero bus identifier (the raw bytes still identify the unit).
   */
  lun: number | null;
  /** True when levels 2-4 (bytes 2-7) are not all zero: a hierarchical LUN. */
  multiLevel: boolean;
}

/** Decode one 8-byte LUN (`raw` must hold at least 8 bytes at `off`). */
export function decodeLun(raw: Uint8Array, off = 0): LunDescriptor {
  requireLength(raw, off + 8, 'LUN');
  const b0 = raw[off]!;
  const b1 = raw[off + 1]!;
  const addressMethod = METHODS[b0 >> 6]!;
  let lun: number | null = null;
  if (addressMethod === 'peripheral' && (b0 & 0x3f) === 0) lun = b1;
  else if (addressMethod === 'flat') lun = ((b0 & 0x3f) << 8) | b1;
  let multiLevel = false;
  for (let i = 2; i < 8; i++) if (raw[off + i] !== 0) multiLevel = true;
  return { raw: Buffer.from(raw.subarray(off, off + 8)), addressMethod, lun, multiLevel };
}

/**
 * Encode LUN `n` for the iSCSI LUN field (RFC 7143 §11.3; the format is SAM's):
 * peripheral device addressing for n < 256, flat space addressing for n < 16384.
 * Throws ConfigError `BAD_LUN` otherwise.
 */
export function encodeLun(n: number): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 0x3fff) {
    throw new ConfigError('BAD_LUN', `LUN ${String(n)} cannot be encoded (0..16383)`);
  }
  const out = Buffer.alloc(8);
  if (n < 256) {
    out[1] = n;
  } else {
    out[0] = 0x40 | (n >> 8);
    out[1] = n & 0xff;
  }
  return out;
}

/**
 * REPORT LUNS parameter data layout (SPC-4, REPORT LUNS parameter data):
 *   0-3 LUN LIST LENGTH (bytes of LUN list, multiple of 8) | 4-7 reserved
 *   8.. one 8-byte LUN per entry
 *
 * Bytes the parameter data needs in full (8 + LUN LIST LENGTH). When this is
 * larger than the allocation length used, reissue REPORT LUNS with a larger one.
 */
export function reportLunsRequiredLength(data: Uint8Array): number {
  requireLength(data, 8, 'REPORT LUNS.header');
  return 8 + u32(data, 0);
}

/**
 * Parse REPORT LUNS parameter data into LUN descriptors, in target order.
 * Throws ProtocolError `BAD_SCSI_DATA` when the header is short, the LUN LIST
 * LENGTH is not a multiple of 8, or the data holds fewer bytes than the list
 * length announces (compare `reportLunsRequiredLength` with the allocation
 * length first to tell truncation by a too-small allocation apart).
 * Bytes past the list are ignored.
 */
export function parseReportLuns(data: Uint8Array): LunDescriptor[] {
  const needed = reportLunsRequiredLength(data);
  const listLength = needed - 8;
  if (listLength % 8 !== 0) {
    throw badScsiData('REPORT LUNS.LUN LIST LENGTH', `${listLength} is not a multiple of 8`);
  }
  if (data.length < needed) {
    throw badScsiData('REPORT LUNS.LUN list', `LUN LIST LENGTH ${listLength} but only ${data.length - 8} bytes present`);
  }
  const out: LunDescriptor[] = [];
  for (let off = 8; off < needed; off += 8) out.push(decodeLun(data, off));
  return out;
}
