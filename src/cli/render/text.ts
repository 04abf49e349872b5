/**
 * Small text helpers shared by the renderers: open-iscsi's placeholders, the
 * IPv4-vs-IPv6 bracketing rule (reference §6 "General rules") and `Rendered` builders.
 */
import type { Counter, Rendered } from './types.js';

/** UNKNOWN_VALUE: what iscsiadm prints for an unset string. */
export const EMPTY = '<empty>';
/** How a set password prints without `-S/--show`. */
export const MASKED = '********';
/** Prefix of every warning/error line on stderr (iscsiadm's log_error/log_warning). */
export const ERR_PREFIX = 'iscsiadm: ';

/** `''` → `<empty>`. */
export function orEmpty(value: string): string {
  return value === '' ? EMPTY : value;
}

/**
 * open-iscsi's rule: an address containing `.` prints bare, anything else (IPv6, or a
 * dot-less host name such as `localhost`) inside `[...]`. Used for `addr:port` forms.
 */
export function bracketed(address: string): string {
  return address.includes('.') ? address : `[${address}]`;
}

/** `addr:port` / `[addr]:port`. */
export function hostPort(address: string, port: number): string {
  return `${bracketed(address)}:${port}`;
}

/**
 * An address printed alone (iface/host blocks): `<empty>` when unset, else bracketed
 * when it has no `.`.
 */
export function addressOrEmpty(address: string): string {
  return address === '' ? EMPTY : bracketed(address);
}

/** C `%u` of a 32-bit int: -1 prints 4294967295 (the node listing's TPGT). */
export function asUnsigned32(n: number): number {
  return n >>> 0;
}

/** A counter in decimal (bigint or number). */
export function counterText(value: Counter): string {
  return typeof value === 'bigint' ? value.toString() : String(Math.trunc(value));
}

/** stdout lines only. */
export function toStdout(lines: readonly string[]): Rendered {
  return { stdout: lines, stderr: [] };
}

/** One stderr error line with the `iscsiadm: ` prefix. */
export function errorLine(text: string): Rendered {
  return { stdout: [], stderr: [`${ERR_PREFIX}${text}`] };
}

/** Nothing at all. */
export const NOTHING: Rendered = { stdout: [], stderr: [] };

/** Concatenate renderings stream by stream, in order. */
export function concat(...parts: readonly Rendered[]): Rendered {
  return { stdout: parts.flatMap((p) => p.stdout), stderr: parts.flatMap((p) => p.stderr) };
}

/** The bytes a stream gets: every line followed by `\n` (iscsiadm ends every line). */
export function toText(lines: readonly string[]): string {
  return lines.map((l) => `${l}\n`).join('');
}

/** strcmp-like comparison (byte order of UTF-16 code units, C collation for ASCII). */
export function compareC(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
