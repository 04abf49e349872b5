/**
 * NOP-Out keepalive of one connection (RFC 7143 §7.14, open-iscsi noop_out_interval /
 * noop_out_timeout): after `intervalMs` without any PDU from the target, ping; if no PDU
 * arrives within `timeoutMs` of the ping, the connection is declared failed (K-04).
 * Any received PDU counts as proof of life. An interval of 0 disables it.
 */
import { TimerSlot, type Clock } from '../shared/clock.js';

export interface KeepaliveHooks {
  ping(): void;
  timedOut(timeoutMs: number): void;
}

export class Keepalive {
  private readonly interval: TimerSlot;
  private readonly timeout: TimerSlot;
  private stopped = false;

  constructor(
    clock: Clock,
    private readonly intervalMs: number,
    private readonly timeoutMs: number,
    private readonly hooks: KeepaliveHooks,
  ) {
    this.interval = new TimerSlot(clock, 'noop-out-interval');
    this.timeout = new TimerSlot(clock, 'noop-out-timeout');
    this.activity();
  }

  /** A PDU arrived: cancel a pending ping timeout and restart the idle interval. */
  activity(): void {
    if (this.stopped || this.intervalMs <= 0) return;
    this.timeout.cancel();
    this.interval.arm(this.intervalMs, () => this.fire());
  }

  stop(): void {
    this.stopped = true;
    this.interval.cancel();
    this.timeout.cancel();
  }

  private fire(): void {
    if (this.stopped) return;
    this.hooks.ping();
    if (this.timeoutMs > 0) this.timeout.arm(this.timeoutMs, () => this.hooks.timedOut(this.timeoutMs));
  }
}
