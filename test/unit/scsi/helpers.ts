/** Test helpers for the SCSI/portal/SendTargets tests: hex literals and a seeded PRNG. */
import { expect } from 'vitest';
import { ProtocolError } from '../../../src/shared/errors.js';
import { xorshift32 } from '../../support/prng.js';

/** Buffer from a hex string with any whitespace: `hex('12 00 00 00 60 00')`. */
export function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex');
}

/** `s` as ASCII bytes. */
export function ascii(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

/** Deterministic xorshift32 in [0, 1). */
export function prng(seed: number): () => number {
  const next = xorshift32(seed);
  return () => next() / 0x100000000;
}

export function randInt(rand: () => number, n: number): number {
  return Math.floor(rand() * n);
}

export function randBytes(rand: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = randInt(rand, 256);
  return b;
}

/** Run `fn`; it may return, or throw a ProtocolError with `code`. Anything else fails the test. Returns true if it threw. */
export function onlyProtocolError(fn: () => unknown, code: string): boolean {
  try {
    fn();
    return false;
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).code).toBe(code);
    return true;
  }
}

/** Catch what `fn` throws (fails the test if it returns). */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}
