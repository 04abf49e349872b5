/**
 * Serial number arithmetic (RFC 1982) with SERIAL_BITS = 32, as RFC 7143 §4.2.2.1 requires
 * for CmdSN, ExpCmdSN, MaxCmdSN, StatSN, DataSN and R2TSN (J-01).
 *
 * All values are uint32 JavaScript numbers (0..0xffffffff).
 *
 * - Addition (RFC 1982 §3.1): `s + n` modulo 2^32 for 0 <= n <= 2^31 - 1, so
 *   `snAdd(0xffffffff, 1) === 0`. As an extension, a negative n down to -(2^31 - 1)
 *   subtracts (`snAdd(0, -1) === 0xffffffff`), e.g. for "ExpCmdSN - 1".
 * - Comparison (§3.2): s1 < s2 when (i1 < i2 and i2 - i1 < 2^31) or
 *   (i1 > i2 and i1 - i2 > 2^31).
 * - Two values exactly 2^31 apart are *undefined* by RFC 1982: here every comparison of such
 *   a pair returns false in both directions (neither less nor greater, and not equal) and
 *   {@link snDiff} returns -2^31. Callers must never let such pairs coexist (a window is
 *   always far smaller than 2^31).
 */
import { IscsiError, ISCSI_ERR } from '../shared/errors.js';

/** 2^(SERIAL_BITS - 1). */
const HALF = 0x80000000;
const MAX_ADDEND = HALF - 1;

function check(x: number, what: string): void {
  if (!Number.isInteger(x) || x < 0 || x > 0xffffffff) {
    throw new IscsiError('SERIAL_OUT_OF_RANGE', `${what} ${x} is not a 32-bit serial number`, { errno: ISCSI_ERR.INTERNAL });
  }
}

/** a + n modulo 2^32 (RFC 1982 §3.1); n must be an integer with |n| <= 2^31-1 (negative subtracts). */
export function snAdd(a: number, n: number): number {
  check(a, 'serial');
  if (!Number.isInteger(n) || n < -MAX_ADDEND || n > MAX_ADDEND) {
    throw new IscsiError('SERIAL_ADD_RANGE', `serial addend ${n} is outside -(2^31-1)..2^31-1 (RFC 1982 §3.1)`, { errno: ISCSI_ERR.INTERNAL });
  }
  return (a + n) >>> 0;
}

/** a < b in serial number order (RFC 1982 §3.2). False for the undefined 2^31-apart case. */
export function snLt(a: number, b: number): boolean {
  check(a, 'serial');
  check(b, 'serial');
  return (a < b && b - a < HALF) || (a > b && a - b > HALF);
}

/** a > b in serial number order. */
export function snGt(a: number, b: number): boolean {
  return snLt(b, a);
}

/** a <= b in serial number order. */
export function snLte(a: number, b: number): boolean {
  return snLt(a, b) || a === b;
}

/** a >= b in serial number order. */
export function snGte(a: number, b: number): boolean {
  return snLt(b, a) || a === b;
}

/**
 * Signed distance from b to a: the d in -2^31..2^31-1 with `b + d ≡ a (mod 2^32)`.
 * Positive exactly when snGt(a, b). For the undefined 2^31-apart pair it is -2^31.
 */
export function snDiff(a: number, b: number): number {
  check(a, 'serial');
  check(b, 'serial');
  return (a - b) | 0;
}
