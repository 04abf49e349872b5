/**
 * Text <-> typed value conversion for one key, following open-iscsi's record parser
 * (reference §5.2): decimal integers with `strtoul` semantics (`-1` accepted), enum and
 * Yes/No words compared case-sensitively, `chap_algs` as a comma list. Unlike
 * open-iscsi, trailing garbage or out-of-range numbers are reported, not truncated.
 */
import type { KeyDef, KeyDefault } from './keys/types.js';

/** A typed key value. */
export type KeyValue = string | number | boolean | string[];

/** UNKNOWN_VALUE: how empty strings print on screen, also accepted on read. */
export const EMPTY_PLACEHOLDER = '<empty>';
/** How a set password prints on screen without `--show`. */
export const MASKED_PASSWORD = '********';

const RANGES = {
  int: [-2147483648, 4294967295],
  u8: [0, 0xff],
  u16: [0, 0xffff],
  u32: [0, 0xffffffff],
} as const;

/** Result of parsing one value: the value plus non-fatal notes, or a reason it was refused. */
export type ParseResult = { ok: true; value: KeyValue; notes: string[] } | { ok: false; reason: string };

/** Parse the text of `def`'s value. */
export function parseValue(def: KeyDef, raw: string): ParseResult {
  switch (def.type) {
    case 'string':
    case 'password':
      return { ok: true, value: raw === EMPTY_PLACEHOLDER ? '' : raw, notes: [] };
    case 'int':
    case 'u8':
    case 'u16':
    case 'u32':
      return parseNumber(def.type, raw);
    case 'enum':
      return (def.values ?? []).includes(raw)
        ? { ok: true, value: raw, notes: [] }
        : { ok: false, reason: `unknown value format '${raw}' (expected one of ${(def.values ?? []).join(' | ')})` };
    case 'bool':
      if (raw === 'Yes' || raw === 'No') return { ok: true, value: raw === 'Yes', notes: [] };
      return { ok: false, reason: `unknown value format '${raw}' (expected Yes | No)` };
    case 'list':
      return parseList(def, raw);
  }
}

function parseNumber(type: keyof typeof RANGES, raw: string): ParseResult {
  if (!/^[+-]?\d+$/.test(raw)) return { ok: false, reason: `'${raw}' is not a decimal integer` };
  const n = Number(raw);
  const [min, max] = RANGES[type];
  if (!Number.isSafeInteger(n) || n < min || n > max) return { ok: false, reason: `${raw} is outside ${min}..${max} (${type})` };
  // A C int holds 2^31..2^32-1 as negative numbers (strtoul into int): keep that meaning.
  return { ok: true, value: type === 'int' && n > 2147483647 ? n - 4294967296 : n, notes: [] };
}

function parseList(def: KeyDef, raw: string): ParseResult {
  const allowed = def.values ?? [];
  const value: string[] = [];
  const notes: string[] = [];
  for (const item of raw.split(',').map((s) => s.trim())) {
    if (!allowed.includes(item)) notes.push(`ignoring unknown item '${item}'`);
    else if (value.includes(item)) notes.push(`ignoring duplicate item '${item}'`);
    else if (value.length >= (def.maxItems ?? Infinity)) notes.push(`ignoring item '${item}' beyond ${def.maxItems}`);
    else value.push(item);
  }
  if (value.length === 0) return { ok: false, reason: `no valid item in '${raw}' (expected ${allowed.join(', ')})` };
  return { ok: true, value, notes };
}

/** The value as written in record files (no placeholders, passwords in clear). */
export function formatValue(def: KeyDef, value: unknown): string {
  switch (def.type) {
    case 'bool':
      return value === true ? 'Yes' : 'No';
    case 'list':
      return Array.isArray(value) ? value.join(',') : String(value);
    case 'int':
    case 'u8':
    case 'u16':
    case 'u32':
      return String(Math.trunc(Number(value)));
    default:
      return String(value);
  }
}

/** The value as printed on screen: `<empty>` for empty strings, `********` for set passwords. */
export function displayValue(def: KeyDef, value: unknown, showSecrets: boolean): string {
  const text = formatValue(def, value);
  if ((def.type === 'string' || def.type === 'password') && text === '') return EMPTY_PLACEHOLDER;
  if (def.type === 'password' && !showSecrets) return MASKED_PASSWORD;
  return text;
}

/** Whether a key's value counts as "empty" (omitted from record files). */
export function isEmptyString(def: KeyDef, value: unknown): boolean {
  return (def.type === 'string' || def.type === 'password') && value === '';
}

/** Copy of a default (lists are copied so records never share arrays). */
export function cloneDefault(def: KeyDefault): KeyValue {
  return Array.isArray(def) ? [...(def as readonly string[])] : (def as string | number | boolean);
}

/** Structural equality of two key values. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => x === b[i]);
  return a === b;
}

/** Whether a string can be stored: no line breaks, no NUL, no surrounding whitespace. */
export function storableText(text: string): string | undefined {
  if (/[\r\n\0]/.test(text)) return 'contains a line break or NUL';
  if (text !== text.trim()) return 'has leading or trailing whitespace (the record parser strips it)';
  return undefined;
}

/** Compare open-iscsi version strings; `HEAD` sorts after every release. */
export function compareVersions(a: string, b: string): number {
  if (a === b) return 0;
  if (a === 'HEAD') return 1;
  if (b === 'HEAD') return -1;
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
