/**
 * Output straight to a file descriptor with write(2), without creating
 * process.stdout/process.stderr (each costs the stream machinery on every start).
 * Like iscsiadm's stdio: blocking writes in order; a descriptor left non-blocking by
 * the parent is waited on (EAGAIN); a reader that went away (EPIPE) ends the output
 * quietly instead of an error.
 */
import { writeSync } from 'node:fs';
import type { Sink } from './context.js';

const pause = new Int32Array(new SharedArrayBuffer(4));

/** A Sink writing to `fd` synchronously. */
export function fdSink(fd: number): Sink {
  let closed = false;
  return {
    write(text: string) {
      if (closed || text === '') return;
      const buf = Buffer.from(text, 'utf8');
      for (let off = 0; off < buf.length;) {
        try {
          off += writeSync(fd, buf, off, buf.length - off);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'EAGAIN') Atomics.wait(pause, 0, 0, 1);
          else if (code === 'EPIPE') return void (closed = true);
          else throw err;
        }
      }
    },
  };
}
