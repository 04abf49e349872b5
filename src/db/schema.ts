/**
 * zod schemas and conversions for typed records, all derived from the key tables:
 * - `recordSchema(table)`: strict object schema of every non-hidden key;
 * - `defaultsOf(table)`: the compiled-in defaults;
 * - `decodeEntries`: parsed `key = value` lines -> typed record on top of a base record;
 * - `validatePatch`: an update (`-o update -n key -v value`) checked key by key.
 */
import { z } from 'zod';
import { ConfigError } from '../shared/errors.js';
import {
  IFACE_TABLE, ISNS_TABLE, NODE_TABLE, SENDTARGETS_TABLE,
  type IfaceRecord, type IsnsRecord, type KeyDef, type KeyTable, type NodeRecord, type SendTargetsRecord,
} from './keys/index.js';
import type { RecordLine } from './format.js';
import { LIMITS } from './format.js';
import { cloneDefault, EMPTY_PLACEHOLDER, parseValue, storableText, type KeyValue } from './values.js';
import type { DbWarning } from './warnings.js';

const NUMERIC: Record<string, readonly [number, number]> = {
  int: [-2147483648, 2147483647],
  u8: [0, 0xff],
  u16: [0, 0xffff],
  u32: [0, 0xffffffff],
};

const text = z.string().refine((s) => storableText(s) === undefined && Buffer.byteLength(s, 'utf8') <= LIMITS.valueBytes, {
  message: 'not storable in a record (line break, surrounding blanks or over 255 bytes)',
});

/** zod schema of one key's typed value. */
export function keySchema(def: KeyDef): z.ZodType<KeyValue> {
  const range = NUMERIC[def.type];
  if (range) return z.number().int().min(range[0]).max(range[1]);
  switch (def.type) {
    case 'bool':
      return z.boolean();
    case 'enum':
      return z.enum((def.values ?? []) as [string, ...string[]]);
    case 'list':
      return z.array(z.enum((def.values ?? []) as [string, ...string[]])).min(1).max(def.maxItems ?? 64)
        .refine((a) => new Set(a).size === a.length, { message: 'duplicate items' });
    default:
      return text;
  }
}

/** Strict zod schema of a table's typed record (hidden keys excluded). */
export function recordSchema(table: KeyTable): z.ZodObject {
  return z.strictObject(Object.fromEntries(table.keys.filter((d) => !d.hidden).map((d) => [d.key, keySchema(d)])));
}

/** zod schemas per record kind. */
export const NodeRecordSchema = recordSchema(NODE_TABLE) as unknown as z.ZodType<NodeRecord>;
export const IfaceRecordSchema = recordSchema(IFACE_TABLE) as unknown as z.ZodType<IfaceRecord>;
export const SendTargetsRecordSchema = recordSchema(SENDTARGETS_TABLE) as unknown as z.ZodType<SendTargetsRecord>;
export const IsnsRecordSchema = recordSchema(ISNS_TABLE) as unknown as z.ZodType<IsnsRecord>;

/** The compiled-in defaults of a table (a fresh object each call). */
export function defaultsOf(table: KeyTable): Record<string, KeyValue> {
  return Object.fromEntries(table.keys.filter((d) => !d.hidden).map((d) => [d.key, cloneDefault(d.def)]));
}

/** Compiled-in node defaults. */
export const nodeDefaults = (): NodeRecord => defaultsOf(NODE_TABLE) as NodeRecord;
/** Compiled-in iface defaults. */
export const ifaceDefaults = (): IfaceRecord => defaultsOf(IFACE_TABLE) as IfaceRecord;
/** Compiled-in SendTargets defaults. */
export const sendTargetsDefaults = (): SendTargetsRecord => defaultsOf(SENDTARGETS_TABLE) as SendTargetsRecord;
/** Compiled-in iSNS defaults. */
export const isnsDefaults = (): IsnsRecord => defaultsOf(ISNS_TABLE) as IsnsRecord;

/** Look a key up, following the table's legacy aliases. */
export function resolveKey(table: KeyTable, key: string): KeyDef | undefined {
  const name = table.aliases?.[key] ?? key;
  return table.keys.find((d) => d.key === name);
}

/** Result of decoding parsed lines. */
export interface DecodeResult {
  readonly record: Record<string, KeyValue>;
  readonly warnings: DbWarning[];
  /** Keys (canonical names) that the text set successfully. */
  readonly seen: Set<string>;
}

/** Options of `decodeEntries`. */
export interface DecodeOptions {
  /** Refuse (with a warning) read-only keys: iscsid.conf must not set identities. */
  readonly skipReadOnly?: boolean;
  /** Report unknown keys (default true). iscsid.conf is decoded against several tables. */
  readonly reportUnknown?: boolean;
}

/**
 * Overlay parsed lines on `base` (a copy is made). A bad value keeps the base value and
 * is reported; a duplicate key is reported and the later line wins (as open-iscsi).
 */
export function decodeEntries(
  table: KeyTable, entries: readonly RecordLine[], file: string, base: Readonly<Record<string, unknown>>, opts: DecodeOptions = {},
): DecodeResult {
  const record = { ...(base as Record<string, KeyValue>) };
  const warnings: DbWarning[] = [];
  const seen = new Set<string>();
  const lineOf = new Map<string, number>();
  for (const { key, value, line } of entries) {
    const def = resolveKey(table, key);
    if (!def) {
      if (opts.reportUnknown ?? true) warnings.push({ code: 'UNKNOWN_KEY', file, line, key, message: `unknown key '${key}' ignored` });
      continue;
    }
    if (def.hidden) continue; // derived from the password; open-iscsi accepts and recomputes it
    if (opts.skipReadOnly && def.ro) {
      warnings.push({ code: 'READ_ONLY_KEY', file, line, key, message: `read-only key '${key}' cannot be set here; ignored` });
      continue;
    }
    const prev = lineOf.get(def.key);
    if (prev !== undefined) {
      warnings.push({ code: 'DUPLICATE_KEY', file, line, key, message: `'${def.key}' also set on line ${prev}; this line wins` });
    }
    const parsed = parseValue(def, value);
    if (!parsed.ok) {
      warnings.push({ code: 'INVALID_VALUE', file, line, key, message: `${def.key}: ${parsed.reason}; keeping ${def.type === 'password' ? 'the previous value' : String(record[def.key])}` });
      continue;
    }
    for (const note of parsed.notes) warnings.push({ code: 'INVALID_VALUE', file, line, key, message: `${def.key}: ${note}` });
    record[def.key] = parsed.value;
    seen.add(def.key);
    lineOf.set(def.key, line);
  }
  return { record, warnings, seen };
}

/** A patch value: text as typed on a command line, or an already typed value. */
export type PatchValue = string | number | boolean | readonly string[];

/** Where a patch is applied (node mode locks iface.* keys, iface mode does not). */
export interface PatchOptions {
  /** Allow read-only keys (internal use: creating a record). */
  readonly allowReadOnly?: boolean;
}

/**
 * Check every key of `patch` and return canonical key -> typed value.
 * @throws ConfigError (errno 7) `UNKNOWN_KEY`, `READ_ONLY_KEY`, `KEY_OWNED_BY_OTHER_MODE`
 *   or `INVALID_VALUE`, with `details.key`.
 */
export function validatePatch(table: KeyTable, patch: Readonly<Record<string, PatchValue>>, opts: PatchOptions = {}): Record<string, KeyValue> {
  const out: Record<string, KeyValue> = {};
  for (const [key, raw] of Object.entries(patch)) {
    const def = resolveKey(table, key);
    if (!def || def.hidden) throw new ConfigError('UNKNOWN_KEY', `unknown ${table.kind} record key '${key}'`, { details: { key } });
    if (def.ro && !opts.allowReadOnly) {
      throw new ConfigError('READ_ONLY_KEY', `'${def.key}' is read-only: it is used to look up the record`, { details: { key: def.key } });
    }
    const lock = table.modeLock;
    if (lock && !opts.allowReadOnly && def.key.startsWith(lock.prefix) && !lock.except.includes(def.key)) {
      throw new ConfigError('KEY_OWNED_BY_OTHER_MODE', `'${def.key}' can only be changed in ${lock.owner} mode`, { details: { key: def.key, owner: lock.owner } });
    }
    out[def.key] = checkPatchValue(def, raw);
  }
  return out;
}

function checkPatchValue(def: KeyDef, raw: PatchValue): KeyValue {
  const secret = def.type === 'password';
  const invalid = (reason: string): ConfigError =>
    new ConfigError('INVALID_VALUE', `invalid value for '${def.key}': ${reason}`, { details: { key: def.key, ...(secret ? {} : { value: raw }) } });
  let value: KeyValue;
  if (typeof raw === 'string' && def.type !== 'string' && def.type !== 'password') {
    const parsed = parseValue(def, raw.trim());
    if (!parsed.ok) throw invalid(parsed.reason);
    if (parsed.notes.length > 0) throw invalid(parsed.notes.join('; '));
    value = parsed.value;
  } else if (raw === EMPTY_PLACEHOLDER) {
    value = ''; // what `-o show` prints for an empty string reads back as empty
  } else {
    value = Array.isArray(raw) ? [...(raw as readonly string[])] : (raw as string | number | boolean);
  }
  const checked = keySchema(def).safeParse(value);
  if (!checked.success) throw invalid(checked.error.issues.map((i) => i.message).join('; '));
  return checked.data;
}

/** ConfigError `INVALID_RECORD` (errno 7) for the first zod issue of a typed record. */
export function invalidRecord(kind: string, issue: { path: readonly PropertyKey[]; message: string } | undefined): ConfigError {
  const key = issue === undefined ? undefined : String(issue.path[0]);
  return new ConfigError('INVALID_RECORD', `invalid ${kind} record: ${key ?? '?'}: ${issue?.message ?? 'invalid'}`, { details: { key } });
}
