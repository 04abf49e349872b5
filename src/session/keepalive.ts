/**
 * NOP-Out keepalive of one connection (RFC 7143 §7.14, open-iscsi noop_out_interval /
 * noop_out_timeout): after `intervalMs` without any PDU from the target, ping; if no PDU
 * arrives within `timeoutMs` of the ping, the connection is declared failed (K-04).
 * Any received PDU counts as proof of life. An interval of 0 disables it; a timeout of 0
 * pings without ever timing out (open-iscsi: 0 disables the check).
 *
 * Coalesced: a connection holds no timer of its own. Every keepalive of one clock is
 * driven by one shared {@link KeepaliveScheduler}, which wakes at most once per tick
 * (deadlines are rounded up to a tick boundary) and sends every NOP-Out that is due and
 * checks every ping timeout in one pass. A ping or a timeout may therefore happen up to
 * one tick (100 ms) after its exact deadline. With 10 000 sessions, a timer per session
 * cost a wake-up and a timer re-arm per PDU (bench/hold-10k). `activity()` only stores a
 * time stamp.
 */
import type { Clock, TimerHandle } from '../shared/clock.js';

export interface KeepaliveHooks {
  ping(): void;
  timedOut(timeoutMs: number): void;
}

/** Granularity of the shared keepalive scheduler: at most one wake-up per tick. */
export const KEEPALIVE_TICK_MS = 100;

/** No ping outstanding. */
const IDLE = -1;

export class Keepalive {
  /** Clock time of the last PDU from the target (or of the start). */
  private lastRx: number;
  /** Clock time our keepalive ping went out, or IDLE. */
  private pingAt = IDLE;
  private stopped = false;
  private readonly scheduler: KeepaliveScheduler | undefined;
  /** Scheduler bookkeeping: the tick whose bucket holds this keepalive (NaN: none). */
  slot = NaN;

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly timeoutMs: number,
    private readonly hooks: KeepaliveHooks,
    scheduler?: KeepaliveScheduler,
  ) {
    this.lastRx = clock.now();
    if (intervalMs <= 0) return;
    this.scheduler = scheduler ?? keepaliveScheduler(clock);
    this.scheduler.add(this);
  }

  get active(): boolean {
    return !this.stopped;
  }

  /** A PDU arrived: the pending ping (if any) is answered and the idle interval restarts. */
  activity(): void {
    if (this.scheduler === undefined || this.stopped) return;
    this.lastRx = this.clock.now();
    if (this.pingAt === IDLE) return; // the deadline only moved later: the scheduler finds out lazily
    this.pingAt = IDLE;
    this.scheduler.reschedule(this); // the next ping may be due before the timeout was
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.scheduler?.delete(this);
  }

  /** Next clock time something is due: the ping, or the ping's timeout; Infinity: nothing. */
  due(): number {
    if (this.pingAt === IDLE) return this.lastRx + this.intervalMs;
    return this.timeoutMs > 0 ? this.pingAt + this.timeoutMs : Infinity;
  }

  /** Called by the scheduler when `due() <= now`. */
  fire(now: number): void {
    if (this.stopped) return;
    if (this.pingAt === IDLE) {
      this.pingAt = now;
      this.hooks.ping();
    } else {
      this.stop();
      this.hooks.timedOut(this.timeoutMs);
    }
  }
}

/**
 * One timer for many keepalives: a lazy timing wheel. Each keepalive sits in the bucket
 * of the tick at or after its deadline; a wake-up looks only at the buckets that are due.
 * A keepalive whose deadline moved later (traffic arrived) is simply put in a later
 * bucket then, so traffic costs no bookkeeping and each keepalive is looked at about once
 * per interval, not once per tick. The timer sleeps until the earliest bucket and never
 * wakes twice within one tick; with no keepalive registered it holds no timer.
 */
export class KeepaliveScheduler {
  private readonly buckets = new Map<number, Set<Keepalive>>();
  private count = 0;
  private timer: TimerHandle | undefined;
  /** When the armed timer fires; Infinity when none is armed. */
  private wakeAt = Infinity;
  private lastWake = -Infinity;
  private readonly onTimer = (): void => this.wake();

  constructor(private readonly clock: Clock, readonly tickMs = KEEPALIVE_TICK_MS) {
    if (!(tickMs > 0)) throw new RangeError(`KeepaliveScheduler: tickMs must be > 0, got ${tickMs}`);
  }

  /** Keepalives registered (for tests and diagnostics). */
  get size(): number {
    return this.count;
  }

  /** Whether the shared timer is armed (false once every keepalive stopped). */
  get armed(): boolean {
    return this.timer !== undefined;
  }

  add(k: Keepalive): void {
    this.count++;
    this.place(k);
    this.armFor(k.slot);
  }

  delete(k: Keepalive): void {
    this.unplace(k);
    this.count--;
    if (this.count === 0) this.disarm();
  }

  /** `k`'s deadline may have moved earlier: move it to the right bucket now. */
  reschedule(k: Keepalive): void {
    this.unplace(k);
    this.place(k);
    this.armFor(k.slot);
  }

  private place(k: Keepalive): void {
    const due = k.due();
    if (due === Infinity) return;
    const slot = Math.ceil(due / this.tickMs);
    let bucket = this.buckets.get(slot);
    if (bucket === undefined) this.buckets.set(slot, (bucket = new Set()));
    bucket.add(k);
    k.slot = slot;
  }

  private unplace(k: Keepalive): void {
    if (Number.isNaN(k.slot)) return;
    const bucket = this.buckets.get(k.slot);
    bucket?.delete(k);
    if (bucket?.size === 0) this.buckets.delete(k.slot);
    k.slot = NaN;
  }

  /** Make sure the timer fires no later than tick `slot` (and not twice within a tick). */
  private armFor(slot: number): void {
    if (Number.isNaN(slot)) return;
    const at = Math.max(slot * this.tickMs, this.lastWake + this.tickMs);
    if (at >= this.wakeAt) return;
    this.timer?.cancel();
    this.wakeAt = at;
    this.timer = this.clock.setTimeout(this.onTimer, Math.max(0, at - this.clock.now()));
  }

  private wake(): void {
    this.timer = undefined;
    this.wakeAt = Infinity;
    const now = this.clock.now();
    this.lastWake = now;
    const last = Math.floor(now / this.tickMs);
    let failure: { err: unknown } | undefined;
    for (const [slot, bucket] of this.buckets) {
      if (slot > last) continue;
      this.buckets.delete(slot);
      for (const k of bucket) {
        k.slot = NaN;
        if (!k.active) continue;
        if (k.due() <= now) {
          // One keepalive's hook throwing must not stop the others (nor the timer).
          try {
            k.fire(now);
          } catch (err) {
            failure ??= { err };
          }
        }
        if (k.active && Number.isNaN(k.slot)) this.place(k);
      }
    }
    let next = Infinity;
    for (const slot of this.buckets.keys()) if (slot < next) next = slot;
    if (next !== Infinity) this.armFor(next);
    if (failure) throw failure.err;
  }

  private disarm(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.wakeAt = Infinity;
  }
}

/** One scheduler per clock, so every connection of a process shares one timer. */
const schedulers = new WeakMap<Clock, KeepaliveScheduler>();

export function keepaliveScheduler(clock: Clock): KeepaliveScheduler {
  let s = schedulers.get(clock);
  if (s === undefined) {
    s = new KeepaliveScheduler(clock);
    schedulers.set(clock, s);
  }
  return s;
}
