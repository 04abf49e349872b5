/**
 * ISID: the initiator part of the session identifier (RFC 7143 §11.12.5, §10.1.1).
 *
 * Six bytes at BHS offset 8 of Login Request/Response:
 *
 * ```
 *  byte 0         bytes 1-2        byte 3     bytes 4-5
 * +--+--------+ +--------------+ +--------+ +--------------+
 * |T |   A    | |      B       | |   C    | |      D       |
 * +--+--------+ +--------------+ +--------+ +--------------+
 *  2b   6b           16b            8b           16b
 * ```
 *
 * T = 00b OUI format (A+B: 22-bit OUI without the I/G and U/L bits, C+D: 24-bit qualifier),
 * 01b IANA Enterprise Number (A reserved, B+C: EN, D: qualifier), 10b "Random" (A reserved,
 * B+C: random 24 bits, D: qualifier), 11b reserved — never sent (B-01). Every number is in
 * network byte order.
 */
import { ConfigError } from '../shared/errors.js';

/** ISID length in bytes. */
export const ISID_LENGTH = 6;

/** The value of the T field. */
export type IsidFormat = 'oui' | 'en' | 'random' | 'reserved';

/**
 * open-iscsi's ISID prefix (reference open-iscsi.md §3.7): T=00b and the OUI bits give the
 * bytes 0x00 0x02 0x3D; the 24-bit session qualifier follows.
 */
export const OPEN_ISCSI_ISID_PREFIX: readonly [number, number, number] = [0x00, 0x02, 0x3d];

const FORMATS: readonly IsidFormat[] = ['oui', 'en', 'random', 'reserved'];

/**
 * open-iscsi's OUI-format ISID: 0x00 0x02 0x3D, then `qualifier` as 24 bits big-endian.
 * @throws ConfigError `INVALID_ISID` unless 0 <= qualifier <= 0xffffff.
 */
export function isidFromQualifier(qualifier: number): Buffer {
  if (!Number.isInteger(qualifier) || qualifier < 0 || qualifier > 0xffffff) {
    throw isidError('QUALIFIER_RANGE', `ISID qualifier ${qualifier} is outside 0..0xffffff`);
  }
  const isid = Buffer.alloc(ISID_LENGTH);
  isid.set(OPEN_ISCSI_ISID_PREFIX, 0);
  isid.writeUIntBE(qualifier, 3, 3);
  return isid;
}

/**
 * A "Random" format ISID (T=10b, A=0): B+C are 24 random bits, D is `qualifier` (16 bits).
 * @throws ConfigError `INVALID_ISID` for a qualifier outside 0..0xffff.
 */
export function randomIsid(random: (n: number) => Buffer, qualifier = 0): Buffer {
  if (!Number.isInteger(qualifier) || qualifier < 0 || qualifier > 0xffff) {
    throw isidError('QUALIFIER_RANGE', `ISID qualifier ${qualifier} is outside 0..0xffff`);
  }
  const bits = random(3);
  if (bits.length < 3) throw isidError('RANDOM_TOO_SHORT', 'random source returned fewer than 3 bytes');
  const isid = Buffer.alloc(ISID_LENGTH);
  isid[0] = 0x80; // T=10b, A=000000b
  bits.copy(isid, 1, 0, 3);
  isid.writeUInt16BE(qualifier, 4);
  return isid;
}

/** The format named by the T field (the top two bits of byte 0). */
export function isidFormat(isid: Uint8Array): IsidFormat {
  return FORMATS[(isid[0] ?? 0) >> 6]!;
}

/**
 * Refuse an ISID we must not send: wrong length, T=11b (B-01), or non-zero reserved A bits
 * in the EN and Random formats.
 * @throws ConfigError `INVALID_ISID` with `details.reason`.
 */
export function validateIsid(isid: Uint8Array): void {
  if (isid.length !== ISID_LENGTH) throw isidError('LENGTH', `ISID is ${isid.length} bytes, not ${ISID_LENGTH}`);
  const format = isidFormat(isid);
  if (format === 'reserved') throw isidError('RESERVED_FORMAT', 'ISID T field 11b is reserved (RFC 7143 §11.12.5)');
  if ((format === 'en' || format === 'random') && (isid[0]! & 0x3f) !== 0) {
    throw isidError('RESERVED_BITS', `ISID A field is reserved in the ${format} format and must be 0`);
  }
}

/** 12 lowercase hex digits, as sysfs `isid` and `iface.isid` print it. */
export function isidToHex(isid: Uint8Array): string {
  if (isid.length !== ISID_LENGTH) throw isidError('LENGTH', `ISID is ${isid.length} bytes, not ${ISID_LENGTH}`);
  return Buffer.from(isid).toString('hex');
}

/**
 * Parse 12 hex digits (optionally prefixed `0x`) into a validated ISID.
 * @throws ConfigError `INVALID_ISID`.
 */
export function parseIsid(hex: string): Buffer {
  const digits = hex.startsWith('0x') || hex.startsWith('0X') ? hex.slice(2) : hex;
  if (!/^[0-9a-fA-F]{12}$/.test(digits)) throw isidError('SYNTAX', `ISID ${JSON.stringify(hex)} is not 12 hex digits`);
  const isid = Buffer.from(digits, 'hex');
  validateIsid(isid);
  return isid;
}

function isidError(reason: string, message: string): ConfigError {
  return new ConfigError('INVALID_ISID', message, { details: { reason } });
}
