/**
 * Value grammar of RFC 7143 §6.1. Values are case-sensitive (E-01).
 *
 *   decimal-constant  "0" | [1-9][0-9]*                 (numerical, < 2^64)
 *   hex-constant      ("0x" | "0X") [0-9a-fA-F]+        (numerical or binary; E-02)
 *   base64-constant   ("0b" | "0B") RFC 4648 base64     (binary; E-03)
 *   boolean-value     "Yes" | "No"                      (exactly)
 *   list-of-values    value ("," value)*
 *
 * Binary values' length limits count decoded bytes, not characters; a
 * simple-value is at most 255 bytes unless the key says otherwise (E-04).
 */
import type { KeyDef } from './keys.js';
import { TEXT_ERR, textError } from './text-errors.js';

/** Reserved constants (§6.2); only `None` may be proposed, and only in lists. */
export const RESERVED = ['Reject', 'Irrelevant', 'NotUnderstood', 'None'] as const;
/** The three constants that are only ever answers (§6.2). */
export type AnswerConstant = 'Reject' | 'Irrelevant' | 'NotUnderstood';

/** Default limit of a simple-value in bytes (§6.1). */
export const MAX_SIMPLE_VALUE = 255;

const DECIMAL_RE = /^(?:0|[1-9][0-9]*)$/;
const HEX_RE = /^0[xX][0-9a-fA-F]+$/;
const BASE64_RE = /^0[bB][A-Za-z0-9+/]+={0,2}$/;
const TWO_POW_64 = 1n << 64n;

/** A parsed value: numbers, booleans, text, decoded binary, or list items. */
export type KeyValue = number | boolean | string | Buffer | readonly string[];

/** True for Reject, Irrelevant and NotUnderstood (answer-only constants). */
export function isAnswerConstant(value: string): value is AnswerConstant {
  return value === 'Reject' || value === 'Irrelevant' || value === 'NotUnderstood';
}

/** Parse a numerical-value (decimal or hex constant, < 2^64). */
export function parseNumeric(value: string, where: string): bigint {
  if (!DECIMAL_RE.test(value) && !HEX_RE.test(value)) {
    throw textError(TEXT_ERR.VALUE_SYNTAX, `${JSON.stringify(value.slice(0, 40))} is not a numerical value`, where);
  }
  const n = BigInt(value); // BigInt() reads both decimal and 0x/0X hex
  if (n >= TWO_POW_64) throw textError(TEXT_ERR.VALUE_OUT_OF_RANGE, 'numerical value not below 2^64', where);
  return n;
}

/** Parse a numerical-value and check it lies in `range` (inclusive). */
export function parseNumber(value: string, range: { min: number; max: number }, where: string): number {
  const n = parseNumeric(value, where);
  if (n < BigInt(range.min) || n > BigInt(range.max)) {
    throw textError(TEXT_ERR.VALUE_OUT_OF_RANGE, `${value} is outside ${range.min}..${range.max}`, where);
  }
  return Number(n);
}

/** Decimal wire form of a number. */
export function formatNumber(n: number): string {
  return String(n);
}

/** Parse a boolean-value: exactly "Yes" or "No" (E-01). */
export function parseBoolean(value: string, where: string): boolean {
  if (value === 'Yes') return true;
  if (value === 'No') return false;
  throw textError(TEXT_ERR.VALUE_SYNTAX, `${JSON.stringify(value.slice(0, 40))} is not Yes or No`, where);
}

/** Wire form of a boolean. */
export function formatBoolean(b: boolean): 'Yes' | 'No' {
  return b ? 'Yes' : 'No';
}

/**
 * Parse a binary-value given as hex (0x/0X) or base64 (0b/0B) constant (E-03).
 * A hex constant of n digits has byte-length floor((n+1)/2): an odd count is
 * left-padded with one zero nibble. `maxBytes` bounds the decoded length.
 */
export function parseBinary(value: string, maxBytes: number, where: string): Buffer {
  let bytes: Buffer;
  if (HEX_RE.test(value)) {
    const digits = value.slice(2);
    bytes = Buffer.from(digits.length % 2 === 1 ? `0${digits}` : digits, 'hex');
  } else if (BASE64_RE.test(value) && validBase64Length(value.slice(2))) {
    bytes = Buffer.from(value.slice(2), 'base64');
  } else {
    throw textError(TEXT_ERR.VALUE_SYNTAX, 'binary value is neither a hex nor a base64 constant', where);
  }
  if (bytes.length > maxBytes) {
    throw textError(TEXT_ERR.VALUE_TOO_LONG, `binary value of ${bytes.length} bytes exceeds ${maxBytes}`, where);
  }
  return bytes;
}

/** RFC 4648: padded text is a multiple of 4; unpadded text never leaves a single 6-bit group. */
function validBase64Length(text: string): boolean {
  return text.endsWith('=') ? text.length % 4 === 0 : text.length % 4 !== 1;
}

/** Wire form of binary data: `0x` + lower-case hex (default) or `0b` + base64. */
export function formatBinary(data: Buffer, encoding: 'hex' | 'base64' = 'hex'): string {
  return encoding === 'hex' ? `0x${data.toString('hex')}` : `0b${data.toString('base64')}`;
}

/**
 * Parse a regular-binary-value of at most `bits` bits read as an unsigned
 * number (e.g. the 16-bit TargetPortalGroupTag, §13.9): decimal, hex or base64
 * (big-endian) constant.
 */
export function parseBinaryNumber(value: string, bits: number, where: string): number {
  let n: bigint;
  if (BASE64_RE.test(value)) {
    const bytes = parseBinary(value, Math.ceil(bits / 8), where);
    n = bytes.length === 0 ? 0n : BigInt(`0x${bytes.toString('hex')}`);
  } else {
    n = parseNumeric(value, where);
  }
  if (n >= 1n << BigInt(bits)) {
    throw textError(TEXT_ERR.VALUE_OUT_OF_RANGE, `${value} does not fit in ${bits} bits`, where);
  }
  return Number(n);
}

/** Throw VALUE_TOO_LONG when `value` is longer than `maxBytes` UTF-8 bytes. */
export function checkLength(value: string, maxBytes: number, where: string): void {
  const len = Buffer.byteLength(value, 'utf8');
  if (len > maxBytes) {
    throw textError(TEXT_ERR.VALUE_TOO_LONG, `value of ${len} bytes exceeds ${maxBytes}`, where);
  }
}

/** Split a list-of-values; every item non-empty and at most `maxItemBytes` bytes. */
export function parseList(value: string, where: string, maxItemBytes = MAX_SIMPLE_VALUE): string[] {
  const items = value.split(',');
  for (const item of items) {
    if (item.length === 0) throw textError(TEXT_ERR.VALUE_SYNTAX, 'empty item in list of values', where);
    checkLength(item, maxItemBytes, where);
  }
  return items;
}

/** Wire form of a list. */
export function formatList(items: readonly string[]): string {
  return items.join(',');
}

/**
 * Parse `value` as the table says for key `def` (type, range, lengths) and
 * return the typed value. Throws ProtocolError VALUE_SYNTAX / VALUE_TOO_LONG /
 * VALUE_OUT_OF_RANGE.
 */
export function parseKeyValue(def: KeyDef, value: string, where: string): KeyValue {
  const range = def.range ?? { min: 0, max: Number.MAX_SAFE_INTEGER };
  switch (def.type) {
    case 'numeric':
      return parseNumber(value, range, where);
    case 'boolean':
      return parseBoolean(value, where);
    case 'list':
      if (def.maxTotalLength !== undefined) checkLength(value, def.maxTotalLength, where);
      return parseList(value, where, def.maxLength);
    case 'numeric-list':
      return parseList(value, where, def.maxLength).map((item) => String(parseNumber(item, range, where)));
    case 'binary':
      return parseBinary(value, def.maxLength, where);
    case 'binary-numeric': {
      const n = parseBinaryNumber(value, def.maxLength * 8, where);
      return parseNumber(String(n), range, where);
    }
    case 'text':
    case 'iscsi-name':
      if (value.length === 0) throw textError(TEXT_ERR.VALUE_SYNTAX, `empty value for ${def.name}`, where);
      checkLength(value, def.maxLength, where);
      return value;
    case 'local-name':
      checkLength(value, def.maxLength, where);
      return value;
  }
}
