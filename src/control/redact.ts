/**
 * Make error details and events safe to put on the control socket: secret-looking
 * keys are dropped (CHAP passwords, secrets, challenge/response values), values are
 * reduced to plain JSON, and depth/size are bounded. Applied to everything the
 * server sends that it did not build itself.
 */
import { SECRET_KEYS } from '../shared/logger.js';

const SECRET_NAMES = new Set<string>(SECRET_KEYS.map((k) => k.toLowerCase()));
/** Any key containing one of these (case-insensitive) is treated as a secret. */
const SECRET_PATTERN = /pass(word|wd)|secret|credential|private.?key/i;

const MAX_DEPTH = 8;
const MAX_ARRAY = 1000;
const MAX_STRING = 4096;

/** True when a property named `key` must never leave the daemon. */
export function isSecretKey(key: string): boolean {
  return SECRET_NAMES.has(key.toLowerCase()) || SECRET_PATTERN.test(key);
}

/**
 * Copy `value` into plain JSON without secrets. Bytes become a length marker (they
 * may hold CHAP material), errors keep name/code/message, cycles and excess depth
 * are replaced by markers, functions/symbols/undefined are dropped.
 */
export function redact(value: unknown): unknown {
  return copy(value, 0, new WeakSet<object>());
}

/** `redact` for a details record: always returns a plain object. */
export function redactDetails(details: Record<string, unknown> | undefined): Record<string, unknown> {
  if (details === undefined) return {};
  const out = redact(details);
  return typeof out === 'object' && out !== null && !Array.isArray(out) ? (out as Record<string, unknown>) : {};
}

function copy(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  switch (typeof value) {
    case 'string':
      return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…[${value.length} chars]` : value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'object':
      return value === null ? null : copyObject(value, depth, seen);
    default:
      return undefined; // undefined, function, symbol
  }
}

function copyObject(value: object, depth: number, seen: WeakSet<object>): unknown {
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return `[${value.byteLength} bytes]`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[depth]';
  seen.add(value);
  try {
    if (Array.isArray(value) || value instanceof Set) {
      const items = [...(value as Iterable<unknown>)].slice(0, MAX_ARRAY);
      return items.map((v) => copy(v, depth + 1, seen) ?? null);
    }
    if (value instanceof Error) return copyError(value, depth, seen);
    const entries = value instanceof Map ? [...value.entries()].map(([k, v]) => [String(k), v] as const) : Object.entries(value);
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) {
      if (isSecretKey(k)) continue;
      const c = copy(v, depth + 1, seen);
      if (c !== undefined) out[k] = c;
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

function copyError(err: Error, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  const e = err as Error & { code?: unknown; errno?: unknown };
  const out: Record<string, unknown> = { name: err.name, message: copy(err.message, depth + 1, seen) };
  if (typeof e.code === 'string') out.code = e.code;
  if (typeof e.errno === 'number') out.errno = e.errno;
  return out;
}
