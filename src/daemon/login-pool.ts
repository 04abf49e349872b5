/**
 * A bounded-concurrency pool for logins (open-iscsi #299: a dead portal must never hold
 * up the others). At most `concurrency` jobs run at once; the rest wait in FIFO order
 * and start as soon as any running job finishes, whatever order they finish in.
 */

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
