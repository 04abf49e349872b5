/**
 * Test helpers for the security stage: a scripted "target" side built from hand-written key
 * lists, deterministic random sources, and error assertions on code/errno/reason.
 */
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import { IscsiError, LoginError, ProtocolError } from '../../../src/shared/errors.js';

export type Pair = readonly [string, string];

/** Bytes 0, 1, 2, ... continuing across calls (distinct on every call). */
export function counterRandom(start = 0): (n: number) => Buffer {
  let next = start;
  return (n) => Buffer.from(Array.from({ length: n }, () => next++ & 0xff));
}

/** Returns the queued buffers in order, then falls back to `fallback`. */
export function scriptedRandom(queue: Buffer[], fallback = counterRandom(0x40)): (n: number) => Buffer {
  return (n) => {
    const b = queue.shift();
    return b ? b.subarray(0, n) : fallback(n);
  };
}

/** The CHAP response computed directly with node:crypto (RFC 1994 §4.1), independent of src/. */
export function expectedResponse(hash: string, id: number, secret: string, challenge: Buffer): Buffer {
  return createHash(hash).update(Buffer.of(id)).update(Buffer.from(secret, 'utf8')).update(challenge).digest();
}

/** Value of `key` in a reply, failing the test if absent. */
export function valueOf(pairs: readonly Pair[], key: string): string {
  const hit = pairs.find(([k]) => k === key);
  expect(hit, `reply has ${key}`).toBeDefined();
  return hit![1];
}

/** Decode a `0x` hex-constant as a test-side oracle. */
export function hexValue(v: string): Buffer {
  expect(v.startsWith('0x')).toBe(true);
  return Buffer.from(v.slice(2), 'hex');
}

function caught(fn: () => unknown): IscsiError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(IscsiError);
    return err as IscsiError;
  }
  throw new Error('expected a throw');
}

/** Assert a LoginError AUTH_FAILED (errno 24) with the given details.reason. */
export function expectAuthFailed(fn: () => unknown, reason: string): IscsiError {
  const err = caught(fn);
  expect(err).toBeInstanceOf(LoginError);
  expect({ code: err.code, errno: err.errno, reason: err.details.reason, retryable: err.retryable }).toEqual({
    code: 'AUTH_FAILED',
    errno: 24,
    reason,
    retryable: false,
  });
  return err;
}

/** Assert a ProtocolError CHAP_MALFORMED (errno 24) with the given details.reason. */
export function expectMalformed(fn: () => unknown, reason: string): IscsiError {
  const err = caught(fn);
  expect(err).toBeInstanceOf(ProtocolError);
  expect({ code: err.code, errno: err.errno, reason: err.details.reason }).toEqual({ code: 'CHAP_MALFORMED', errno: 24, reason });
  return err;
}

/** Assert an error with the given code (any IscsiError subclass). */
export function expectCode(fn: () => unknown, code: string): IscsiError {
  const err = caught(fn);
  expect(err.code).toBe(code);
  return err;
}
