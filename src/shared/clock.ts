/**
 * Injected time source (DESIGN.md §5.9). Real code uses `systemClock`; tests use
 * test/support/fake-clock. Times are monotonic milliseconds.
 */
export interface TimerHandle {
  /** Re-arm the same timer for its original delay from now (no re-creation). */
  refresh(): void;
  cancel(): void;
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    return {
      refresh: () => void t.refresh(),
      cancel: () => clearTimeout(t),
    };
  },
};

/**
 * A named timer slot: one per purpose (login timeout, NOP interval, ...). Arming an
 * armed slot replaces its deadline; `cancel` is idempotent.
 */
export class TimerSlot {
  private handle: TimerHandle | undefined;
  private ms = 0;
  private fn: () => void = () => {};
  constructor(private readonly clock: Clock, readonly name: string) {}

  get armed(): boolean {
    return this.handle !== undefined;
  }

  arm(ms: number, fn: () => void): void {
    this.fn = fn;
    if (this.handle && ms === this.ms) {
      this.handle.refresh();
      return;
    }
    this.cancel();
    this.ms = ms;
    this.handle = this.clock.setTimeout(() => {
      this.handle = undefined;
      this.fn();
    }, ms);
  }

  cancel(): void {
    this.handle?.cancel();
    this.handle = undefined;
  }
}
