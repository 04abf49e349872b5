/**
 * The daemon's logger: pino, JSON lines on stdout (journald under systemd), with CHAP
 * secrets removed before anything is written.
 *
 * Levels from `-d N` (iscsid's debug levels 0..8): 0 → info (info, warn, error, fatal),
 * 1..2 → debug, 3..8 → trace.
 *
 * Secrets are removed in two layers:
 * 1. pino `redact` paths: every key of SECRET_KEYS and every record key holding a CHAP
 *    password, at the top level and up to three objects deep (the deepest a path can
 *    name without a wildcard at every level);
 * 2. a `formatters.log` / `formatters.bindings` pass that walks the whole object at any
 *    depth and censors every key `isSecretKey` recognises (the same rule the control API
 *    applies to replies). The same pass serializes errors — anywhere in the object,
 *    with their `code`, `errno`, `details` and `cause` chain — so an error's details
 *    cannot carry a secret out either.
 * The message string is not inspected: code must never put a secret in a message.
 *
 * Human-readable single lines are written only in the foreground (-f) when stdout is a
 * TTY; a tiny formatter here turns each JSON line into `HH:MM:SS.mmm LEVEL msg k=v…`.
 */
import { pino, stdTimeFunctions, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { isSecretKey } from '../control/redact.js';
import { SECRET_KEYS, type Logger } from '../shared/logger.js';

/** The pino logger the daemon passes around (satisfies the shared Logger interface). */
export type DaemonLogger = PinoLogger;

/** Level names used by the daemon. */
export type DaemonLogLevel = 'info' | 'debug' | 'trace';

/** How the daemon logs. */
export interface DaemonLoggingOptions {
  /** -d N, 0..8. */
  readonly debug: number;
  /** -f given. */
  readonly foreground: boolean;
  /** Whether stdout is a terminal (default: process.stdout.isTTY). */
  readonly isTty?: boolean;
  /** Where lines go (default: stdout, synchronous writes so nothing is lost at exit). */
  readonly stream?: DestinationStream;
}

/** What replaces a secret value. */
export const CENSOR = '[REDACTED]';

/** Record keys (dotted names) whose values are CHAP passwords. */
const RECORD_SECRET_KEYS = [
  'node.session.auth.password', 'node.session.auth.password_in',
  'discovery.sendtargets.auth.password', 'discovery.sendtargets.auth.password_in',
] as const;

/** pino redact paths: each secret key at depth 0..3. */
export const REDACT_PATHS: readonly string[] = (() => {
  const keys = [...SECRET_KEYS.map((k) => k as string), ...RECORD_SECRET_KEYS.map((k) => `["${k}"]`)];
  const paths: string[] = [];
  for (const prefix of ['', '*.', '*.*.', '*.*.*.']) {
    for (const k of keys) paths.push(k.startsWith('[') ? `${prefix.slice(0, -1)}${k}` : `${prefix}${k}`);
  }
  return paths;
})();

/** -d N → pino level. */
export function levelForDebug(debug: number): DaemonLogLevel {
  if (debug <= 0) return 'info';
  return debug <= 2 ? 'debug' : 'trace';
}

const MAX_DEPTH = 12;

/**
 * Copy `value` for logging: keys that hold secrets get CENSOR, errors become plain
 * objects ({type, code, errno, message, details, stack, cause}), byte buffers become a
 * length marker (they may hold CHAP challenges/responses), cycles become markers.
 */
export function scrubSecrets(value: unknown): unknown {
  return scrub(value, 0, new WeakSet<object>());
}

function scrub(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object' || value === null) return value;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return `[${value.byteLength} bytes]`;
  if (value instanceof Date) return value;
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[depth]';
  seen.add(value);
  try {
    if (value instanceof Error) return scrubError(value, depth, seen);
    if (Array.isArray(value) || value instanceof Set) return [...(value as Iterable<unknown>)].map((v) => scrub(v, depth + 1, seen));
    const entries = value instanceof Map ? [...value.entries()].map(([k, v]) => [String(k), v] as const) : Object.entries(value);
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) out[k] = isSecretKey(k) && v !== undefined && v !== '' ? CENSOR : scrub(v, depth + 1, seen);
    return out;
  } finally {
    seen.delete(value);
  }
}

function scrubError(err: Error, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  const e = err as Error & { code?: unknown; errno?: unknown; details?: unknown };
  const out: Record<string, unknown> = { type: err.name, message: err.message };
  if (e.code !== undefined) out.code = e.code;
  if (e.errno !== undefined) out.errno = e.errno;
  if (e.details !== undefined) out.details = scrub(e.details, depth + 1, seen);
  if (err.stack !== undefined) out.stack = err.stack;
  if (err.cause !== undefined) out.cause = scrub(err.cause, depth + 1, seen);
  return out;
}

function scrubObject(obj: Record<string, unknown>): Record<string, unknown> {
  return scrubSecrets(obj) as Record<string, unknown>;
}

const LEVEL_NAMES: Readonly<Record<number, string>> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const OMIT = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name']);

function fieldText(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v;
  return JSON.stringify(v) ?? String(v);
}

/**
 * Turn one pino JSON line into `HH:MM:SS.mmm LEVEL message key=value …` (an `err` field
 * is shown as `err=<code>: <message>`, its stack on the lines below at trace level).
 * Lines that are not JSON objects pass through unchanged.
 */
export function formatHumanLine(line: string): string {
  let rec: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return line.endsWith('\n') ? line : `${line}\n`;
    rec = parsed as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const t = new Date(typeof rec.time === 'string' || typeof rec.time === 'number' ? rec.time : Date.now());
  const hhmmss = `${String(t.getHours()).padStart(2, '0')}:${String(t.getMinutes()).padStart(2, '0')}:${String(t.getSeconds()).padStart(2, '0')}.${String(t.getMilliseconds()).padStart(3, '0')}`;
  const level = (LEVEL_NAMES[Number(rec.level)] ?? String(rec.level)).padEnd(5);
  const parts = [hhmmss, level, typeof rec.msg === 'string' ? rec.msg : ''];
  let stack = '';
  for (const [k, v] of Object.entries(rec)) {
    if (OMIT.has(k) || v === undefined) continue;
    if (k === 'err' && typeof v === 'object' && v !== null) {
      const e = v as Record<string, unknown>;
      parts.push(`err=${fieldText(e.code === undefined ? e.message : `${String(e.code)}: ${String(e.message)}`)}`);
      if (Number(rec.level) <= 10 && typeof e.stack === 'string') stack = `\n${e.stack}`;
      continue;
    }
    parts.push(`${k}=${fieldText(v)}`);
  }
  return `${parts.filter((p) => p !== '').join(' ')}${stack}\n`;
}

/** A destination that formats each JSON line for a human and writes it to `out`. */
export function humanStream(out: { write(s: string): unknown }): DestinationStream {
  return { write: (line: string) => void out.write(formatHumanLine(line)) };
}

/** Build the daemon logger (see the file comment for levels, redaction and formats). */
export function createDaemonLogger(opts: DaemonLoggingOptions): DaemonLogger {
  const tty = opts.isTty ?? process.stdout.isTTY === true;
  const human = opts.foreground && tty;
  const sink = opts.stream ?? pino.destination({ dest: 1, sync: true });
  return pino(
    {
      name: 'tsiscsid',
      level: levelForDebug(opts.debug),
      base: { pid: process.pid },
      timestamp: stdTimeFunctions.isoTime,
      redact: { paths: [...REDACT_PATHS], censor: CENSOR },
      serializers: { err: (e: unknown) => scrubSecrets(e) },
      formatters: { log: scrubObject, bindings: scrubObject },
    },
    human ? humanStream(sink) : sink,
  );
}

/** What a session/connection logger is bound to. */
export interface ConnectionBindings {
  readonly sid?: number | string;
  readonly cid?: number;
  readonly target?: string;
  readonly portal?: string;
}

/** A child logger bound to {sid, cid, target, portal} (only the keys given). */
export function connectionLogger(log: Logger, b: ConnectionBindings): Logger {
  const bindings: Record<string, unknown> = {};
  for (const k of ['sid', 'cid', 'target', 'portal'] as const) if (b[k] !== undefined) bindings[k] = b[k];
  return log.child(bindings);
}
