/** Shared assertions for the text-layer tests. */
import { expect } from 'vitest';
import { IscsiError, ProtocolError } from '../../../src/shared/errors.js';
import type { TextPair } from '../../../src/iscsi/text/codec.js';

/** Run `fn`, expect it to throw an IscsiError of class `cls` and return its code. */
export function thrownCode(fn: () => unknown, cls: typeof IscsiError = ProtocolError): string {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected an error').toBeInstanceOf(cls);
  return (caught as IscsiError).code;
}

/** Keys of a pair list, in order. */
export function keysOf(pairs: readonly TextPair[]): string[] {
  return pairs.map(([k]) => k);
}

/**
 * A target's answers to our default Normal offer, written by hand (not derived
 * from our code): every negotiated key echoed back, plus its own declaration
 * of MaxRecvDataSegmentLength.
 */
export const NORMAL_ANSWERS: readonly TextPair[] = [
  ['HeaderDigest', 'None'],
  ['DataDigest', 'None'],
  ['DefaultTime2Wait', '2'],
  ['DefaultTime2Retain', '0'],
  ['ErrorRecoveryLevel', '0'],
  ['InitialR2T', 'No'],
  ['ImmediateData', 'Yes'],
  ['MaxBurstLength', '16776192'],
  ['FirstBurstLength', '262144'],
  ['MaxOutstandingR2T', '1'],
  ['MaxConnections', '1'],
  ['DataPDUInOrder', 'Yes'],
  ['DataSequenceInOrder', 'Yes'],
  ['MaxRecvDataSegmentLength', '65536'],
];

/** NORMAL_ANSWERS with `key` replaced by `value` (or removed when value is undefined). */
export function answersWith(key: string, value: string | undefined, base: readonly TextPair[] = NORMAL_ANSWERS): TextPair[] {
  const out: TextPair[] = [];
  for (const pair of base) {
    if (pair[0] !== key) out.push(pair);
    else if (value !== undefined) out.push([key, value]);
  }
  if (value !== undefined && !base.some(([k]) => k === key)) out.push([key, value]);
  return out;
}
