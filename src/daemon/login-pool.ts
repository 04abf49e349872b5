/**
 * A bounded-concurrency pool for logins (open-iscsi #299: a dead portal must never hold
 * up the others) and logouts. At most `concurrency` jobs run at once; the rest wait in
 * FIFO order and start as soon as any running job finishes, whatever order they finish in.
 *
 * The sizes come from iscsid.conf (tsiscsi extensions; open-iscsi has no such keys):
 * `iscsid.login_concurrency` (default 16) and `iscsid.logout_concurrency` (default 64).
 * A target that slows down with its connection count (tgtd past ~7000 sessions) needs a
 * larger login pool to reach 10 000 sessions in reasonable time (bench/RESULTS.md).
 */
import { setImmediate } from 'node:timers';

/** Default number of logins running at once. */
export const DEFAULT_LOGIN_CONCURRENCY = 16;

/** Default number of logouts running at once (a Logout is one short exchange). */
export const DEFAULT_LOGOUT_CONCURRENCY = 64;

/** Largest accepted pool size. */
export const MAX_CONCURRENCY = 4096;

/**
 * A pool size from an iscsid.conf value: '' (unset) gives `def`; anything but a whole
 * number 1..MAX_CONCURRENCY gives `def` and a warning text naming the key.
 */
export function concurrencyFrom(raw: string | undefined, key: string, def: number): { value: number; warning?: string } {
  const text = (raw ?? '').trim();
  if (text === '') return { value: def };
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (Number.isInteger(n) && n >= 1 && n <= MAX_CONCURRENCY) return { value: n };
  return { value: def, warning: `${key} = ${text} is not a whole number from 1 to ${MAX_CONCURRENCY}; using ${def}` };
}

/** Pool sizes from the `iscsid.*` keys of iscsid.conf (read at start; a reload keeps the pools). */
export function poolSizes(raw: Readonly<Record<string, string | undefined>>): { login: number; logout: number; warnings: string[] } {
  const login = concurrencyFrom(raw['iscsid.login_concurrency'], 'iscsid.login_concurrency', DEFAULT_LOGIN_CONCURRENCY);
  const logout = concurrencyFrom(raw['iscsid.logout_concurrency'], 'iscsid.logout_concurrency', DEFAULT_LOGOUT_CONCURRENCY);
  return { login: login.value, logout: logout.value, warnings: [login.warning, logout.warning].filter((w): w is string => w !== undefined) };
}

/** Let timers and I/O callbacks run (between batches of synchronous work). */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

interface Waiting {
  start: () => void;
  cancel: (err: unknown) => void;
}

export class LoginPool {
  private active = 0;
  private readonly queue: Waiting[] = [];

  constructor(readonly concurrency: number) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`login concurrency must be a positive integer, got ${concurrency}`);
  }

  /** Jobs running now. */
  get running(): number {
    return this.active;
  }

  /** Jobs waiting for a slot. */
  get queued(): number {
    return this.queue.length;
  }

  /** Run `job` when a slot is free; resolves/rejects with its outcome. */
  run<T>(job: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = (): void => {
        this.active++;
        job().then(resolve, reject).finally(() => {
          this.active--;
          this.queue.shift()?.start();
        });
      };
      if (this.active < this.concurrency) start();
      else this.queue.push({ start, cancel: reject });
    });
  }

  /** Fail every job still waiting (daemon stopping); running jobs are not touched. */
  cancelQueued(err: unknown): void {
    for (const w of this.queue.splice(0)) w.cancel(err);
  }
}
