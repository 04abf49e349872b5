/**
 * Value encodings used by the CHAP keys (RFC 7143 §6.1, §12.1.3).
 *
 * - CHAP_A and CHAP_I are numbers: a decimal-constant or a hex-constant (`0x`/`0X` + hex
 *   digits). CHAP_I is one octet (RFC 1994 §4.1), so 0..255.
 * - CHAP_C and CHAP_R are binary-values: a hex-constant (byte length = digits/2 rounded up,
 *   an odd count has an implied leading zero nibble) or a base64-constant (`0b`/`0B` +
 *   RFC 4648 base64). Their decoded length is at most 1024 bytes and, being a CHAP value
 *   (RFC 1994 §4.1), at least one byte.
 *
 * Values from the target that break these forms throw ProtocolError `CHAP_MALFORMED`
 * (errno 24, not retryable) with `details.reason`.
 */
import { ProtocolError, ISCSI_ERR } from '../shared/errors.js';

/** Largest CHAP_C / CHAP_R in decoded bytes (§12.1.3). */
export const MAX_CHAP_BINARY_BYTES = 1024;

const HEX_DIGITS = /^[0-9a-fA-F]+$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const DECIMAL = /^[0-9]{1,20}$/;

/** The malformed-value error of this module. */
export function chapMalformed(key: string, reason: string, message: string): ProtocolError {
  return new ProtocolError('CHAP_MALFORMED', `${key}: ${message}`, {
    where: key,
    errno: ISCSI_ERR.LOGIN_AUTH_FAILED,
    retryable: false,
    details: { reason },
  });
}

/**
 * Decode a CHAP binary-value (CHAP_C, CHAP_R). `key` names the key for errors and the
 * `details.reason` prefix (`<key>_MALFORMED`, `<key>_EMPTY`, `<key>_TOO_LONG`).
 */
export function decodeChapBinary(value: string, key: string): Buffer {
  const prefix = value.slice(0, 2).toLowerCase();
  const body = value.slice(2);
  let bytes: Buffer;
  if (prefix === '0x') {
    if (body.length === 0) throw chapMalformed(key, `${key}_EMPTY`, 'empty hex-constant (a CHAP value is one or more octets)');
    if (!HEX_DIGITS.test(body)) throw chapMalformed(key, `${key}_MALFORMED`, 'hex-constant has a non-hex digit');
    if (Math.ceil(body.length / 2) > MAX_CHAP_BINARY_BYTES) throw tooLong(key);
    bytes = Buffer.from(body.length % 2 === 1 ? `0${body}` : body, 'hex');
  } else if (prefix === '0b') {
    if (body.length === 0) throw chapMalformed(key, `${key}_EMPTY`, 'empty base64-constant (a CHAP value is one or more octets)');
    if (!BASE64.test(body) || body.length % 4 === 1) throw chapMalformed(key, `${key}_MALFORMED`, 'base64-constant is not RFC 4648 base64');
    if (Math.floor((body.length * 3) / 4) > MAX_CHAP_BINARY_BYTES + 2) throw tooLong(key);
    bytes = Buffer.from(body, 'base64');
  } else {
    throw chapMalformed(key, `${key}_MALFORMED`, 'binary value must start with 0x (hex) or 0b (base64)');
  }
  if (bytes.length === 0) throw chapMalformed(key, `${key}_EMPTY`, 'a CHAP value is one or more octets');
  if (bytes.length > MAX_CHAP_BINARY_BYTES) throw tooLong(key);
  return bytes;
}

/** Encode bytes as a lowercase hex-constant (`0x...`), the form we send. */
export function encodeChapBinary(bytes: Uint8Array): string {
  return `0x${Buffer.from(bytes).toString('hex')}`;
}

/**
 * Parse a CHAP number (CHAP_A, CHAP_I): decimal or `0x` hex, at most `max`.
 * Reasons: `<key>_MALFORMED` (not a number), `<key>_RANGE` (above max).
 */
export function parseChapNumber(value: string, key: string, max: number): number {
  let n: number;
  if (/^0[xX][0-9a-fA-F]{1,16}$/.test(value)) n = Number.parseInt(value.slice(2), 16);
  else if (DECIMAL.test(value)) n = Number(value);
  else throw chapMalformed(key, `${key}_MALFORMED`, `${JSON.stringify(value)} is not a number`);
  if (n > max) throw chapMalformed(key, `${key}_RANGE`, `${value} is above ${max}`);
  return n;
}

function tooLong(key: string): ProtocolError {
  return chapMalformed(key, `${key}_TOO_LONG`, `binary value longer than ${MAX_CHAP_BINARY_BYTES} bytes (RFC 7143 §12.1.3)`);
}
