/**
 * C library number parsing as iscsiadm relies on it (glibc, LP64). iscsiadm reads numeric
 * options with atoi/strtoul/strtoull and never checks for trailing junk, so `-P 1x` is 1,
 * `-P x` is 0 and a port of `4294967297` wraps to 1. Byte-compatible behaviour needs the
 * same arithmetic, so these helpers reproduce it exactly (BigInt inside, no float rounding).
 */

const TWO_64 = 1n << 64n;
const LONG_MAX = (1n << 63n) - 1n;
const LONG_MIN = -(1n << 63n);
const ULONG_MAX = TWO_64 - 1n;

/** isspace() in the C locale. */
function isCSpace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\v' || ch === '\f' || ch === '\r';
}

/** Result of scanning `[space][sign]digits` in base 10. */
interface Scan {
  negative: boolean;
  /** Magnitude of the digits (unbounded). */
  magnitude: bigint;
  /** True when at least one digit was read. */
  any: boolean;
  /** Index just past the last digit (0 when no digits: strto* then reports no conversion). */
  end: number;
}

function scanDecimal(s: string): Scan {
  let i = 0;
  while (i < s.length && isCSpace(s[i]!)) i++;
  let negative = false;
  if (s[i] === '+' || s[i] === '-') {
    negative = s[i] === '-';
    i++;
  }
  let magnitude = 0n;
  let any = false;
  while (i < s.length && s[i]! >= '0' && s[i]! <= '9') {
    magnitude = magnitude * 10n + BigInt(s.charCodeAt(i) - 48);
    any = true;
    i++;
  }
  return { negative, magnitude, any, end: any ? i : 0 };
}

/** Truncate to a signed 32-bit C int (what assigning a long to an int does on x86_64). */
export function toInt32(v: bigint): number {
  return Number(BigInt.asIntN(32, v));
}

/** strtol(s, &end, 10): clamps to LONG_MIN/LONG_MAX. Returns the value and the end index. */
export function strtol(s: string): { value: bigint; end: number } {
  const sc = scanDecimal(s);
  const signed = sc.negative ? -sc.magnitude : sc.magnitude;
  const value = signed > LONG_MAX ? LONG_MAX : signed < LONG_MIN ? LONG_MIN : signed;
  return { value, end: sc.end };
}

/** atoi(s) = (int) strtol(s, NULL, 10). */
export function atoi(s: string): number {
  return toInt32(strtol(s).value);
}

/**
 * strtoul/strtoull(s, NULL, 10) on LP64: a leading '-' negates modulo 2^64; overflow gives
 * ULONG_MAX with ERANGE.
 */
export function strtoull(s: string): { value: bigint; erange: boolean } {
  const sc = scanDecimal(s);
  if (sc.magnitude > ULONG_MAX) return { value: ULONG_MAX, erange: true };
  const value = sc.negative && sc.magnitude !== 0n ? TWO_64 - sc.magnitude : sc.magnitude;
  return { value, erange: false };
}

/** `int x = strtoul(s, NULL, 10)`: how iscsiadm stores a portal's port and tpgt. */
export function strtoulToInt(s: string): number {
  return toInt32(strtoull(s).value);
}
