/**
 * Per-object outcomes of many-object actions: iscsiadm goes on after a failure and
 * exits with the first error (reference §2.5), so handlers collect `{errno, code,
 * message, action}` per object and report the first errno.
 */
import type { z } from 'zod';
import type { itemError } from '../control/methods/schemas.js';
import { diagnoseLoginFailure } from './login-diagnostics.js';

export type ItemError = z.infer<typeof itemError>;

/** The wire form of one object's failure (login failures carry their action). */
export function itemErrorOf(err: unknown): ItemError {
  const d = diagnoseLoginFailure(err);
  return { errno: d.errno, code: d.code, message: d.cause, action: d.action };
}

/** The first failure's errno, 0 when everything succeeded. */
export function firstErrnoOf(items: readonly object[]): number {
  for (const i of items) {
    const e = (i as { error?: { errno: number } }).error;
    if (e !== undefined) return e.errno;
  }
  return 0;
}
