import { describe, expect, it } from 'vitest';
import { TimerSlot } from '../../src/shared/clock.js';
import { FakeClock } from '../support/fake-clock.js';

describe('FakeClock and TimerSlot (the injected clock every timer test relies on)', () => {
  it('fires timers in due order, including ones scheduled while advancing', () => {
    const clock = new FakeClock();
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b@20'), 20);
    clock.setTimeout(() => {
      fired.push('a@10');
      clock.setTimeout(() => fired.push('c@15'), 5);
    }, 10);
    clock.advance(9);
    expect(fired).toEqual([]);
    clock.advance(11);
    expect(fired).toEqual(['a@10', 'c@15', 'b@20']);
    expect(clock.now()).toBe(20);
    expect(clock.pending()).toBe(0);
  });

  it('refresh re-arms from now and cancel stops a timer', () => {
    const clock = new FakeClock();
    let n = 0;
    const t = clock.setTimeout(() => n++, 10);
    clock.advance(8);
    t.refresh();
    clock.advance(8);
    expect(n).toBe(0);
    clock.advance(2);
    expect(n).toBe(1);
    const u = clock.setTimeout(() => n++, 5);
    u.cancel();
    clock.advance(10);
    expect(n).toBe(1);
  });

  it('TimerSlot keeps one deadline per purpose and calls the latest callback', () => {
    const clock = new FakeClock();
    const slot = new TimerSlot(clock, 'noop');
    const calls: string[] = [];
    slot.arm(10, () => calls.push('first'));
    clock.advance(5);
    slot.arm(10, () => calls.push('second')); // same delay: refresh, new callback
    expect(clock.pending()).toBe(1);
    clock.advance(9);
    expect(calls).toEqual([]);
    clock.advance(1);
    expect(calls).toEqual(['second']);
    expect(slot.armed).toBe(false);
    slot.arm(3, () => calls.push('third'));
    slot.cancel();
    slot.cancel();
    clock.advance(10);
    expect(calls).toEqual(['second']);
  });
});
