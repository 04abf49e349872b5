/**
 * Deterministic `Clock` for tests (DESIGN.md §5.9). Time only moves when the test
 * calls `advance(ms)`; due timers fire in deadline order (ties: creation/refresh order),
 * and timers armed or refreshed by a callback during `advance` fire too if they fall
 * due before the end of the advanced window.
 */
import type { Clock, TimerHandle } from '../../src/shared/clock.js';

interface FakeTimer {
  fn: () => void;
  ms: number;
  due: number;
  /** Tie-breaker: order in which the timer was (re)armed. */
  seq: number;
}

export class FakeClock implements Clock {
  /** Guard against a callback that re-arms a 0 ms timer forever. */
  static readonly MAX_FIRES = 100_000;
  private t: number;
  private seq = 0;
  private readonly timers = new Set<FakeTimer>();

  /** @param start initial value of `now()` in milliseconds. */
  constructor(start = 0) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: FakeTimer = { fn, ms: Math.max(0, ms), due: 0, seq: 0 };
    this.arm(timer);
    return {
      refresh: () => this.arm(timer),
      cancel: () => void this.timers.delete(timer),
    };
  }

  /** Number of armed timers that have not fired or been cancelled. */
  pending(): number {
    return this.timers.size;
  }

  /** Deadline of the earliest armed timer, or undefined if none. */
  nextDue(): number | undefined {
    return this.earliest()?.due;
  }

  /**
   * Move time forward by `ms`, firing every timer whose deadline is reached, in
   * deadline order. `now()` inside a callback equals that timer's deadline.
   */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`FakeClock.advance: ms must be >= 0, got ${ms}`);
    const end = this.t + ms;
    for (let fired = 0; ; fired++) {
      const next = this.earliest();
      if (next === undefined || next.due > end) break;
      if (fired >= FakeClock.MAX_FIRES) {
        throw new Error(`FakeClock.advance: more than ${FakeClock.MAX_FIRES} timers fired; a timer re-arms itself with 0 ms`);
      }
      this.t = Math.max(this.t, next.due);
      this.timers.delete(next);
      next.fn();
    }
    this.t = end;
  }

  /** Fire everything that is armed, repeatedly, up to `limit` timers (guards loops). */
  runAll(limit = 10_000): void {
    for (let i = 0; i < limit; i++) {
      const next = this.earliest();
      if (next === undefined) return;
      this.advance(Math.max(0, next.due - this.t));
    }
    throw new Error(`FakeClock.runAll: more than ${limit} timers fired; a timer re-arms itself`);
  }

  private arm(timer: FakeTimer): void {
    timer.due = this.t + timer.ms;
    timer.seq = this.seq++;
    this.timers.add(timer);
  }

  private earliest(): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const timer of this.timers) {
      if (best === undefined || timer.due < best.due || (timer.due === best.due && timer.seq < best.seq)) best = timer;
    }
    return best;
  }
}
