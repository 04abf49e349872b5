/**
 * What every executor gets: the daemon API, the output streams and a few facts about
 * the machine. Output rule: `--json` replaces stdout by exactly one JSON document;
 * stderr carries the same messages as in text mode.
 */
import type { Rendered } from '../render/types.js';
import type { Api } from './api.js';
import type { Progress } from './progress.js';

/** Where executors write. */
export interface Io {
  /** Text output: stderr lines always, stdout lines only without `--json`. */
  text(r: Rendered): void;
  /** A `--json` document (stdout; only with `--json`). Built only then: big documents cost time. */
  doc(make: () => Rendered): void;
}

/** The context of one command. */
export interface ExecContext {
  readonly api: Api;
  readonly io: Io;
  readonly json: boolean;
  /** The record database root (for messages naming it, e.g. `<db>/ifaces`). */
  readonly dbRoot: string;
  /** sysfs mount point (`/sys`): iSCSI hosts and firmware tables are read there. */
  readonly sysfs: string;
  /** A progress line on a terminal; undefined when stderr is not a TTY. */
  readonly progress?: Progress | undefined;
}

function lines(text: readonly string[]): string {
  return text.map((l) => `${l}\n`).join('');
}

/** Streams a text write to (process.stdout / process.stderr, or test buffers). */
export interface Sink {
  write(text: string): unknown;
}

/** An Io over two sinks. */
export function streamIo(json: boolean, stdout: Sink, stderr: Sink): Io {
  return {
    text(r) {
      if (r.stderr.length > 0) stderr.write(lines(r.stderr));
      if (!json && r.stdout.length > 0) stdout.write(lines(r.stdout));
    },
    doc(make) {
      if (!json) return;
      const r = make();
      if (r.stdout.length > 0) stdout.write(lines(r.stdout));
    },
  };
}

/** An Io that records everything (unit tests). */
export function bufferIo(json: boolean): Io & { stdout: string; stderr: string } {
  const buf = { stdout: '', stderr: '' };
  const io = streamIo(json, { write: (s: string) => (buf.stdout += s) }, { write: (s: string) => (buf.stderr += s) });
  return Object.assign(buf, io);
}
