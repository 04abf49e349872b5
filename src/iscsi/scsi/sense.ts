/**
 * Sense data (SPC-4 §4.5) and the iSCSI SCSI Response data segment that
 * carries it (RFC 7143 §11.4.7).
 *
 * Fixed format (response codes 70h current, 71h deferred):
 *   0  bit 7 VALID, bits 6-0 RESPONSE CODE
 *   2  bit 7 FILEMARK, bit 6 EOM, bit 5 ILI, bits 3-0 SENSE KEY
 *   3-6 INFORMATION (meaningful when VALID)
 *   7  ADDITIONAL SENSE LENGTH (n - 7)
 *   8-11 COMMAND-SPECIFIC INFORMATION | 12 ASC | 13 ASCQ | 14 FRU | 15-17 sense-key specific
 * Descriptor format (72h current, 73h deferred):
 *   0  bits 6-0 RESPONSE CODE | 1 bits 3-0 SENSE KEY | 2 ASC | 3 ASCQ
 *   7  ADDITIONAL SENSE LENGTH (n - 7) | 8.. sense data descriptors
 *   Information descriptor: 0 type 00h | 1 length 0Ah | 2 bit 7 VALID | 4-11 INFORMATION
 *
 * Parsing is tolerant like the targets it talks to: only the key is required
 * (3 bytes fixed, 4 bytes descriptor); ASC/ASCQ beyond the data (or beyond
 * ADDITIONAL SENSE LENGTH) read as 0.
 */
import { ascDescription } from './asc.js';
import { badScsiData, requireLength, u16, u32, u64 } from './bytes.js';

/** SENSE KEY names (SPC-4 §4.5.6). */
const SENSE_KEYS: readonly string[] = [
  'NO SENSE', 'RECOVERED ERROR', 'NOT READY', 'MEDIUM ERROR',
  'HARDWARE ERROR', 'ILLEGAL REQUEST', 'UNIT ATTENTION', 'DATA PROTECT',
  'BLANK CHECK', 'VENDOR SPECIFIC', 'COPY ABORTED', 'ABORTED COMMAND',
  'RESERVED (0x0c)', 'VOLUME OVERFLOW', 'MISCOMPARE', 'COMPLETED',
];

/** Name of a SENSE KEY (0..15), e.g. 5 → "ILLEGAL REQUEST". */
export function senseKeyName(key: number): string {
  return SENSE_KEYS[key] ?? `UNKNOWN SENSE KEY (${key})`;
}

/** Decoded sense data. */
export interface SenseData {
  /** RESPONSE CODE: 0x70/0x71 fixed, 0x72/0x73 descriptor. */
  responseCode: number;
  format: 'fixed' | 'descriptor';
  /** Deferred error (0x71/0x73): reports an earlier command. */
  deferred: boolean;
  /** SENSE KEY, 0..15. */
  key: number;
  asc: number;
  ascq: number;
  /** Text for ASC/ASCQ (see `ascDescription`). */
  description: string;
  /** INFORMATION field when marked valid (e.g. the failing LBA). */
  information?: bigint;
}

/** Bytes of the sense data that count: the header plus ADDITIONAL SENSE LENGTH, capped by what is present. */
function effectiveLength(data: Uint8Array): number {
  return data.length >= 8 ? Math.min(data.length, 8 + data[7]!) : data.length;
}

function parseFixed(data: Uint8Array, responseCode: number): SenseData {
  requireLength(data, 3, 'sense(fixed)');
  const n = effectiveLength(data);
  const asc = n > 12 ? data[12]! : 0;
  const ascq = n > 13 ? data[13]! : 0;
  const out: SenseData = {
    responseCode, format: 'fixed', deferred: responseCode === 0x71,
    key: data[2]! & 0x0f, asc, ascq, description: ascDescription(asc, ascq),
  };
  if ((data[0]! & 0x80) !== 0 && data.length >= 7) out.information = BigInt(u32(data, 3));
  return out;
}

function findInformation(data: Uint8Array, n: number): bigint | undefined {
  for (let off = 8; off + 2 <= n; ) {
    const len = data[off + 1]!;
    if (off + 2 + len > n) return undefined;
    if (data[off] === 0x00 && len >= 0x0a && (data[off + 2]! & 0x80) !== 0) return u64(data, off + 4);
    off += 2 + len;
  }
  return undefined;
}

function parseDescriptor(data: Uint8Array, responseCode: number): SenseData {
  requireLength(data, 4, 'sense(descriptor)');
  const asc = data[2]!;
  const ascq = data[3]!;
  const out: SenseData = {
    responseCode, format: 'descriptor', deferred: responseCode === 0x73,
    key: data[1]! & 0x0f, asc, ascq, description: ascDescription(asc, ascq),
  };
  const information = findInformation(data, effectiveLength(data));
  if (information !== undefined) out.information = information;
  return out;
}

/**
 * Parse sense data. Throws ProtocolError `BAD_SCSI_DATA` when it is empty,
 * too short for the sense key, or has a response code other than 70h-73h.
 */
export function parseSense(data: Uint8Array): SenseData {
  requireLength(data, 1, 'sense');
  const responseCode = data[0]! & 0x7f;
  switch (responseCode) {
    case 0x70:
    case 0x71:
      return parseFixed(data, responseCode);
    case 0x72:
    case 0x73:
      return parseDescriptor(data, responseCode);
    default:
      throw badScsiData('sense.RESPONSE CODE', `unsupported response code 0x${responseCode.toString(16)}`);
  }
}

/** The SCSI Response data segment split into its parts. */
export interface ScsiResponseData {
  /** Raw sense bytes (SenseLength of them); empty when none. */
  senseBytes: Buffer;
  /** Parsed sense, or undefined when SenseLength is 0 / the segment is empty. */
  sense: SenseData | undefined;
  /** Response data after the sense data (vendor/iSCSI response data), possibly empty. */
  responseData: Buffer;
}

/**
 * Split the SCSI Response PDU data segment (RFC 7143 §11.4.7):
 *   0-1 SenseLength | 2.. Sense Data (SenseLength bytes) | then Response Data.
 * An empty segment means no sense and no response data. Throws ProtocolError
 * `BAD_SCSI_DATA` when SenseLength runs past the segment or the sense is malformed.
 */
export function parseScsiResponseData(data: Uint8Array): ScsiResponseData {
  if (data.length === 0) return { senseBytes: Buffer.alloc(0), sense: undefined, responseData: Buffer.alloc(0) };
  requireLength(data, 2, 'SCSI Response.SenseLength');
  const senseLength = u16(data, 0);
  if (2 + senseLength > data.length) {
    throw badScsiData('SCSI Response.SenseLength', `${senseLength} bytes announced, ${data.length - 2} present`);
  }
  const senseBytes = Buffer.from(data.subarray(2, 2 + senseLength));
  return {
    senseBytes,
    sense: senseLength === 0 ? undefined : parseSense(senseBytes),
    responseData: Buffer.from(data.subarray(2 + senseLength)),
  };
}
