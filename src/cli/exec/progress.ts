/**
 * A single updating line on a terminal for long operations ("logging in: 12/100"). It
 * exists only when stderr is a TTY: piped or redirected output never sees it, so the
 * text stays byte-identical to iscsiadm's. The line is erased before anything else is
 * printed.
 */
import type { Api } from './api.js';

/** An updating status line. */
export interface Progress {
  start(label: string, total: number): void;
  tick(): void;
  done(): void;
}

/** Anything with `write` and `isTTY` (process.stderr). */
export interface TtyStream {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

const CLEAR = '\r\u001b[K';

/** A progress line on `stream`, or undefined when it is not a terminal. */
export function ttyProgress(stream: TtyStream): Progress | undefined {
  if (stream.isTTY !== true) return undefined;
  let label = '';
  let total = 0;
  let count = 0;
  let shown = false;
  const draw = (): void => {
    stream.write(`${CLEAR}${label}: ${count}/${total}`);
    shown = true;
  };
  return {
    start(l, t) {
      label = l;
      total = t;
      count = 0;
      draw();
    },
    tick() {
      count++;
      draw();
    },
    done() {
      if (shown) stream.write(CLEAR);
      shown = false;
    },
  };
}

/**
 * Run `work` with a "logging in: n/total" line fed by the daemon's `login` events
 * (one per record as its login completes). Without a terminal it just runs `work`.
 */
export async function withLoginProgress<T>(
  api: Api, progress: Progress | undefined, total: () => Promise<number>, work: () => Promise<T>,
): Promise<T> {
  if (progress === undefined) return work();
  let stop: (() => Promise<void>) | undefined;
  try {
    const n = await total();
    if (n > 1) {
      progress.start('logging in', n);
      stop = await api.subscribe(['login'], () => progress.tick());
    }
  } catch {
    // Progress is a nicety: a failure to set it up never changes the command.
    stop = undefined;
  }
  try {
    return await work();
  } finally {
    progress.done();
    if (stop) await stop().catch(() => undefined);
  }
}
