import { describe, expect, it } from 'vitest';
import { snAdd, snDiff, snGt, snGte, snLt, snLte } from '../../../src/iscsi/serial.js';
import { expectCode } from './helpers.js';

const HALF = 2 ** 31;

describe('serial number arithmetic (RFC 1982, SERIAL_BITS=32)', () => {
  it('J-01 wraps 0xffffffff + 1 to 0 and adds modulo 2^32', () => {
    expect(snAdd(0xffffffff, 1)).toBe(0);
    expect(snAdd(0xfffffff0, 0x20)).toBe(0x10);
    expect(snAdd(5, HALF - 1)).toBe(5 + HALF - 1);
    expect(snAdd(HALF, HALF - 1)).toBe(0xffffffff);
    expect(snAdd(0, 0)).toBe(0);
    // Negative addends subtract (extension used for "ExpCmdSN - 1").
    expect(snAdd(0, -1)).toBe(0xffffffff);
    expect(snAdd(10, -3)).toBe(7);
  });

  it('J-01 refuses addends outside RFC 1982 §3.1 and non-serial inputs', () => {
    expectCode(() => snAdd(0, HALF), 'SERIAL_ADD_RANGE');
    expectCode(() => snAdd(0, -HALF), 'SERIAL_ADD_RANGE');
    expectCode(() => snAdd(0, 1.5), 'SERIAL_ADD_RANGE');
    expectCode(() => snAdd(2 ** 32, 1), 'SERIAL_OUT_OF_RANGE');
    expectCode(() => snLt(-1, 0), 'SERIAL_OUT_OF_RANGE');
  });

  it('J-01 compares across the wrap per RFC 1982 §3.2', () => {
    // [a, b, a<b] — cases worked out by hand from the §3.2 definition.
    const table: [number, number, boolean][] = [
      [1, 2, true],
      [2, 1, false],
      [0xffffffff, 0, true], // 0 is "after" 0xffffffff
      [0, 0xffffffff, false],
      [0xfffffff0, 0x10, true],
      [0x10, 0xfffffff0, false],
      [0, HALF - 1, true], // distance 2^31-1: still defined
      [HALF - 1, 0, false],
      [0, HALF + 1, false], // distance 2^31+1 the other way round
      [HALF + 1, 0, true],
      [7, 7, false],
    ];
    for (const [a, b, lt] of table) {
      expect(snLt(a, b), `${a} < ${b}`).toBe(lt);
      expect(snGt(b, a), `${b} > ${a}`).toBe(lt);
      expect(snGte(a, b), `${a} >= ${b}`).toBe(!lt);
      expect(snLte(b, a), `${b} <= ${a}`).toBe(!lt);
    }
    expect(snLte(7, 7) && snGte(7, 7)).toBe(true);
    expect(snLte(0xffffffff, 0)).toBe(true);
    expect(snGte(0, 0xffffffff)).toBe(true);
  });

  it('J-01 treats pairs exactly 2^31 apart as undefined: no comparison holds either way', () => {
    for (const [a, b] of [
      [0, HALF],
      [HALF, 0],
      [1, HALF + 1],
      [0xffffffff, HALF - 1],
    ] as const) {
      expect([snLt(a, b), snGt(a, b), snLte(a, b), snGte(a, b)]).toEqual([false, false, false, false]);
    }
    expect(snDiff(HALF, 0)).toBe(-HALF);
  });

  it('J-01 snDiff is the signed serial distance', () => {
    expect(snDiff(0, 0xffffffff)).toBe(1);
    expect(snDiff(0xffffffff, 0)).toBe(-1);
    expect(snDiff(0x10, 0xfffffff0)).toBe(0x20);
    expect(snDiff(5, 5)).toBe(0);
    expect(snDiff(HALF - 1, 0)).toBe(HALF - 1);
    expect(snDiff(HALF + 1, 0)).toBe(-(HALF - 1));
    // Consistent with addition.
    for (const [b, d] of [
      [0xfffffffe, 5],
      [3, -7],
      [0x80000000, 100],
    ] as const) {
      expect(snDiff(snAdd(b, d), b)).toBe(d);
    }
  });
});
