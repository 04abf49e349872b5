/**
 * K-04 (RFC 7143 §7.14, open-iscsi noop_out_interval / noop_out_timeout) at the level of
 * the coalesced keepalive: one shared scheduler per clock drives every connection's
 * NOP-Out interval and ping timeout, waking at most once per tick. FakeClock only.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Clock, TimerHandle } from '../../../src/shared/clock.js';
import { Keepalive, KEEPALIVE_TICK_MS, KeepaliveScheduler, keepaliveScheduler } from '../../../src/session/keepalive.js';
import { FakeClock } from '../../support/fake-clock.js';

const TICK = KEEPALIVE_TICK_MS;

/** A FakeClock that counts how often a timer callback ran (scheduler wake-ups). */
class CountingClock implements Clock {
  wakes = 0;
  created = 0;
  constructor(readonly inner = new FakeClock()) {}
  now(): number {
    return this.inner.now();
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    this.created++;
    return this.inner.setTimeout(() => {
      this.wakes++;
      fn();
    }, ms);
  }
}

interface Probe {
  k: Keepalive;
  pings: number[];
  timeouts: number[];
}

function probe(clock: Clock, intervalMs: number, timeoutMs: number, scheduler?: KeepaliveScheduler): Probe {
  const p: Probe = { k: undefined as unknown as Keepalive, pings: [], timeouts: [] };
  p.k = new Keepalive(clock, intervalMs, timeoutMs, { ping: () => p.pings.push(clock.now()), timedOut: () => p.timeouts.push(clock.now()) }, scheduler);
  return p;
}

describe('K-04 coalesced keepalive scheduler', () => {
  it('K-04 1000 sessions started at scattered times each ping within one tick after interval, with one shared timer', () => {
    const clock = new CountingClock(new FakeClock(1_234));
    const all: Array<Probe & { start: number }> = [];
    // Every ping is answered within the tick it went out in (the target's NOP-In).
    const answered = new Map<Probe, number>();
    const answerAll = (): void => {
      for (const p of all) {
        if (p.pings.length > (answered.get(p) ?? 0)) {
          answered.set(p, p.pings.length);
          p.k.activity();
        }
      }
    };
    for (let i = 0; i < 1000; i++) {
      clock.inner.advance(7); // sessions start 7 ms apart: deadlines off the tick grid
      answerAll();
      all.push({ ...probe(clock, 5_000, 30_000), start: clock.now() });
      expect(clock.inner.pending()).toBe(1);
    }
    const end = clock.now() + 60_000;
    while (clock.now() < end) {
      clock.inner.advance(TICK);
      answerAll();
    }
    for (const p of all) {
      expect(p.timeouts).toEqual([]);
      expect(p.pings.length).toBeGreaterThanOrEqual(11);
      // The first ping: interval after the start, at most one tick late. Later ones:
      // interval after the answer (which came up to one tick after the ping).
      expect(p.pings[0]! - p.start).toBeGreaterThanOrEqual(5_000);
      expect(p.pings[0]! - p.start).toBeLessThan(5_000 + TICK);
      for (let i = 1; i < p.pings.length; i++) {
        expect(p.pings[i]! - p.pings[i - 1]!).toBeGreaterThanOrEqual(5_000);
        expect(p.pings[i]! - p.pings[i - 1]!).toBeLessThan(5_000 + 2 * TICK);
      }
    }
    // 12 000+ pings, but never more than one wake per tick.
    expect(clock.wakes).toBeLessThanOrEqual((60_000 + 7_000) / TICK + 1);
    expect(clock.inner.pending()).toBe(1);
    for (const p of all) p.k.stop();
    expect(clock.inner.pending()).toBe(0);
    expect(keepaliveScheduler(clock).size).toBe(0);
  });

  it('K-04 deadlines within one tick are served by a single wake-up', () => {
    const clock = new CountingClock();
    const all = Array.from({ length: TICK }, (_, i) => {
      clock.inner.advance(i === 0 ? 0 : 1);
      return probe(clock, 5_000, 5_000);
    });
    clock.inner.advance(5_000 + TICK);
    expect(all.every((p) => p.pings.length === 1)).toBe(true);
    expect(new Set(all.map((p) => p.pings[0])).size).toBe(2); // at 5000 (exact) and at 5100 (the rest)
    expect(clock.wakes).toBe(2);
  });

  it('busy connections cost no per-tick work: each keepalive is looked at about once per interval', () => {
    const clock = new CountingClock();
    const all = Array.from({ length: 1000 }, () => probe(clock, 5_000, 30_000));
    const due = vi.spyOn(Keepalive.prototype, 'due');
    for (let t = 0; t < 200; t++) {
      clock.inner.advance(50); // traffic on every connection every 50 ms, for 10 s
      for (const p of all) p.k.activity();
    }
    expect(all.every((p) => p.pings.length === 0)).toBe(true);
    // 1000 keepalives x 10 s / 5 s interval = 2 looks each, 2 due() calls per look;
    // a scan of every keepalive on every tick would make 100 looks each.
    expect(due.mock.calls.length).toBeLessThanOrEqual(5 * 1000);
    expect(clock.wakes).toBeLessThanOrEqual(3);
    due.mockRestore();
    for (const p of all) p.k.stop();
    expect(clock.inner.pending()).toBe(0);
  });

  it('K-04 traffic postpones the ping: a keepalive goes out only after interval without any PDU', () => {
    const clock = new FakeClock();
    const p = probe(clock, 1_000, 1_000);
    for (let i = 0; i < 20; i++) {
      clock.advance(500);
      p.k.activity();
    }
    expect(p.pings).toEqual([]);
    const last = clock.now();
    clock.advance(999);
    expect(p.pings).toEqual([]);
    clock.advance(TICK);
    expect(p.pings).toHaveLength(1);
    expect(p.pings[0]! - last).toBeGreaterThanOrEqual(1_000);
    p.k.stop();
  });

  it('K-04 an unanswered ping times out once, between timeout and timeout + one tick, and stops the keepalive', () => {
    const clock = new FakeClock(37);
    const p = probe(clock, 5_000, 2_000);
    clock.advance(5_000 + TICK);
    expect(p.pings).toHaveLength(1);
    const pingAt = p.pings[0]!;
    clock.advance(pingAt + 2_000 - 1 - clock.now());
    expect(p.timeouts).toEqual([]);
    clock.advance(TICK);
    expect(p.timeouts).toHaveLength(1);
    expect(p.timeouts[0]! - pingAt).toBeGreaterThanOrEqual(2_000);
    expect(p.timeouts[0]! - pingAt).toBeLessThan(2_000 + TICK);
    clock.advance(60_000);
    expect(p.pings).toHaveLength(1);
    expect(p.timeouts).toHaveLength(1);
    expect(clock.pending()).toBe(0);
  });

  it('K-04 any PDU after the ping cancels its timeout', () => {
    const clock = new FakeClock();
    const p = probe(clock, 1_000, 1_000);
    clock.advance(1_000);
    expect(p.pings).toEqual([1_000]);
    clock.advance(900);
    p.k.activity();
    clock.advance(950);
    expect(p.timeouts).toEqual([]);
    clock.advance(100);
    expect(p.pings).toEqual([1_000, 2_900]);
    p.k.stop();
  });

  it('K-04 noop_out_timeout 0: pings but never times out; the next interval starts with the answer', () => {
    const clock = new FakeClock();
    const p = probe(clock, 1_000, 0);
    clock.advance(60_000);
    expect(p.pings).toEqual([1_000]);
    expect(p.timeouts).toEqual([]);
    expect(clock.pending()).toBe(0); // nothing is due: no timer at all
    p.k.activity();
    clock.advance(1_000);
    expect(p.pings).toEqual([1_000, 61_000]);
    p.k.stop();
  });

  it('K-04 noop_out_interval 0 disables: no registration, no timer', () => {
    const clock = new FakeClock();
    const p = probe(clock, 0, 5_000);
    p.k.activity();
    clock.advance(600_000);
    expect(p.pings).toEqual([]);
    expect(clock.pending()).toBe(0);
    expect(keepaliveScheduler(clock).size).toBe(0);
  });

  it('stop on close leaves no timer behind, also when a timeout hook stops other keepalives mid-scan', () => {
    const clock = new FakeClock();
    const sched = keepaliveScheduler(clock);
    const others: Probe[] = [];
    const killer = new Keepalive(clock, 1_000, 500, { ping: () => {}, timedOut: () => others.forEach((o) => o.k.stop()) });
    others.push(...Array.from({ length: 50 }, () => probe(clock, 1_000, 500)));
    expect(sched.size).toBe(51);
    expect(clock.pending()).toBe(1);
    clock.advance(1_500);
    // Everyone pinged at 1000; at 1500 all timeouts are due in the same scan, and the
    // killer (scanned first) stops the rest before the scan reaches them.
    expect(others.every((o) => o.pings.length === 1 && o.timeouts.length === 0)).toBe(true);
    expect(sched.size).toBe(0);
    expect(sched.armed).toBe(false);
    expect(clock.pending()).toBe(0);
    killer.stop();
    expect(clock.pending()).toBe(0);
  });

  it('sessions closed before anything is due disarm the shared timer; new ones re-arm it', () => {
    const clock = new FakeClock();
    const a = probe(clock, 5_000, 5_000);
    const b = probe(clock, 5_000, 5_000);
    expect(clock.pending()).toBe(1);
    a.k.stop();
    expect(clock.pending()).toBe(1);
    b.k.stop();
    b.k.stop();
    expect(clock.pending()).toBe(0);
    const c = probe(clock, 2_000, 5_000);
    expect(clock.pending()).toBe(1);
    clock.advance(2_000);
    expect(c.pings).toEqual([2_000]);
    expect(a.pings).toEqual([]);
    c.k.stop();
    expect(clock.pending()).toBe(0);
  });

  it('a hook that throws does not stop the other keepalives or the timer; the error surfaces', () => {
    const clock = new FakeClock();
    const good = probe(clock, 1_000, 5_000);
    const bad = new Keepalive(clock, 1_000, 5_000, { ping: () => { throw new Error('boom'); }, timedOut: () => {} });
    const after = probe(clock, 1_000, 5_000);
    expect(() => clock.advance(1_000)).toThrow('boom');
    expect(good.pings).toEqual([1_000]);
    expect(after.pings).toEqual([1_000]);
    expect(clock.pending()).toBe(1);
    good.k.activity();
    clock.advance(1_000);
    expect(good.pings).toEqual([1_000, 2_000]);
    for (const k of [good.k, bad, after.k]) k.stop();
    expect(clock.pending()).toBe(0);
  });

  it('one scheduler per clock; an explicit scheduler with its own tick can be injected', () => {
    const c1 = new FakeClock();
    const c2 = new FakeClock();
    expect(keepaliveScheduler(c1)).toBe(keepaliveScheduler(c1));
    expect(keepaliveScheduler(c1)).not.toBe(keepaliveScheduler(c2));
    const sched = new KeepaliveScheduler(c1, 250);
    const p = probe(c1, 1_010, 5_000, sched);
    c1.advance(1_249);
    expect(p.pings).toEqual([]);
    c1.advance(1);
    expect(p.pings).toEqual([1_250]);
    p.k.stop();
    expect(c1.pending()).toBe(0);
    expect(() => new KeepaliveScheduler(c1, 0)).toThrow(RangeError);
  });
});
