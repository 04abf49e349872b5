/**
 * Unit tests of the session's command/status numbering (src/session/numbering.ts;
 * RFC 7143 §4.2.2.1, §4.2.2.2; checklist J-01..J-04, J-06, J-09, J-10).
 */
import { describe, expect, it } from 'vitest';
import { Numbering, STATSN_MAX_JUMP } from '../../../src/session/numbering.js';

const make = (cmdSN: number, expCmdSN: number, maxCmdSN: number, expStatSN = 0): Numbering =>
  new Numbering({ cmdSN, expCmdSN, maxCmdSN, expStatSN });

describe('Numbering', () => {
  it('J-01 take() wraps 0xffffffff to 0 and the window compares in serial order', () => {
    const n = make(0xfffffffe, 0xfffffffe, 0);
    const taken: number[] = [];
    while (n.windowOpen) taken.push(n.take(false));
    expect(taken).toEqual([0xfffffffe, 0xffffffff, 0]);
    expect(n.cmdSN).toBe(1);
    expect(n.windowSize).toBe(0);
  });

  it('J-02 immediate take() returns the current CmdSN without advancing it', () => {
    const n = make(7, 7, 10);
    expect([n.take(true), n.take(true), n.take(false), n.take(true)]).toEqual([7, 7, 7, 8]);
    expect(n.cmdSN).toBe(8);
  });

  it.each([
    // [cmdSN, expCmdSN, maxCmdSN, open, size]
    [5, 5, 4, false, 0], // closed: MaxCmdSN = ExpCmdSN - 1
    [5, 5, 5, true, 1], // window of one
    [6, 5, 5, false, 0], // one command outstanding, window used up
    [0, 0, 0xffffffff, false, 0], // closed across the wrap
    [0xffffffff, 0xffffffff, 2, true, 4],
  ])('J-03 window for CmdSN %i with ExpCmdSN %i, MaxCmdSN %i: open=%s, size=%i', (cmdSN, exp, max, open, size) => {
    const n = make(cmdSN, exp, max);
    expect(n.windowOpen).toBe(open);
    expect(n.windowSize).toBe(size);
  });

  it('J-04 updateWindow ignores an invalid pair and moves each value forward only', () => {
    const n = make(100, 100, 131);
    n.updateWindow(120, 110); // MaxCmdSN < ExpCmdSN - 1
    expect([n.expCmdSN, n.maxCmdSN]).toEqual([100, 131]);
    n.updateWindow(99, 120); // both stale
    expect([n.expCmdSN, n.maxCmdSN]).toEqual([100, 131]);
    n.updateWindow(101, 100); // MaxCmdSN = ExpCmdSN - 1 is valid (closed); 100 < 131 stays
    expect([n.expCmdSN, n.maxCmdSN]).toEqual([101, 131]);
    n.updateWindow(0x80000000 + 101, 0x80000000 + 131); // each exactly 2^31 away: undefined, not "greater"
    expect([n.expCmdSN, n.maxCmdSN]).toEqual([101, 131]);
    const w = make(0xfffffff0, 0xfffffff0, 0xfffffff8);
    w.updateWindow(2, 40); // forward across the wrap
    expect([w.expCmdSN, w.maxCmdSN]).toEqual([2, 40]);
  });

  it('J-06 acceptStatSN advances ExpStatSN to StatSN + 1, wrapping at 2^32', () => {
    const n = make(1, 1, 1, 0xffffffff);
    n.acceptStatSN(0xffffffff, 'test');
    expect(n.expStatSN).toBe(0);
    n.acceptStatSN(0, 'test');
    expect(n.expStatSN).toBe(1);
  });

  it('J-09 a StatSN STATSN_MAX_JUMP or more behind, or 2^31 away, is STATSN_JUMP; a little behind is ignored', () => {
    expect(STATSN_MAX_JUMP).toBeLessThanOrEqual(0x7fffffff);
    const n = make(1, 1, 1, 500_000);
    n.acceptStatSN(500_000 - 3, 'test'); // an old, repeated status
    expect(n.expStatSN).toBe(500_000);
    expect(() => n.acceptStatSN(500_000 - STATSN_MAX_JUMP, 'test')).toThrow(expect.objectContaining({ code: 'STATSN_JUMP' }));
    expect(() => n.acceptStatSN((500_000 + 0x80000000) >>> 0, 'test')).toThrow(expect.objectContaining({ code: 'STATSN_JUMP' }));
    expect(n.expStatSN).toBe(500_000);
  });

  it('J-10 a StatSN ahead of ExpStatSN (status lost) is STATSN_GAP, also across the wrap', () => {
    const n = make(1, 1, 1, 0xffffffff);
    expect(() => n.acceptStatSN(0, 'test')).toThrow(expect.objectContaining({ code: 'STATSN_GAP' }));
    expect(() => n.acceptStatSN(0x7fffffff - 2, 'test')).toThrow(expect.objectContaining({ code: 'STATSN_GAP' }));
    expect(n.expStatSN).toBe(0xffffffff);
  });
});
