/**
 * Last-resort cleanup for the daemons the test harnesses spawn (tgtd.ts, isnsd.ts): each
 * child is registered with its private temp dir; if the test process exits with a child
 * still registered, that PID (only ours) gets SIGKILL and the dir is removed.
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

const live = new Map<number, string>();
process.on('exit', () => {
  for (const [pid, dir] of live) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Register `child` (pid `pid`, private dir `dir`) until it exits or `forget(pid)`. */
export function track(child: ChildProcess, pid: number, dir: string): void {
  live.set(pid, dir);
  child.once('exit', () => live.delete(pid));
}

/** The child was stopped on purpose: nothing to clean up at exit. */
export function forget(pid: number): void {
  live.delete(pid);
}
