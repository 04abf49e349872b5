/**
 * Helpers for the CLI integration tests: the real `bin/tsiscsiadm` as a child process
 * against a real `bin/tsiscsid --root TMP` (TSISCSI_ROOT tells the CLI where the
 * control socket is), and a snapshot of the record database to prove a command wrote
 * nothing.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cleanEnv, pathsIn, REPO, spawnDaemon, tempRoot, type DaemonProcess } from '../unit/daemon-process/helpers.js';

export const CLI = join(REPO, 'bin/tsiscsiadm');

/** What one run printed and returned. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run `tsiscsiadm ...args` with TSISCSI_ROOT=root. */
export function runCli(root: string, args: readonly string[], timeoutMs = 60_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: cleanEnv({ TSISCSI_ROOT: root }), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tsiscsiadm ${args.join(' ')} took more than ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A daemon in a fresh root, ready for commands; `stop()` ends it (SIGTERM, then SIGKILL) and removes the root. */
export async function startDaemon(): Promise<{ root: string; daemon: DaemonProcess; stop: () => Promise<void> }> {
  const { dir, rm } = tempRoot();
  const daemon = spawnDaemon(dir, ['-f']);
  await daemon.ready();
  return {
    root: dir,
    daemon,
    stop: async () => {
      daemon.child.kill('SIGTERM');
      const t = setTimeout(() => daemon.kill(), 10_000);
      await daemon.exited;
      clearTimeout(t);
      rm();
    },
  };
}

/** Every file and directory under the record database with its content and mtime. */
export function snapshotDb(root: string): string[] {
  const db = pathsIn(root).db;
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) {
        out.push(`d ${p} ${st.mtimeMs}`);
        walk(p);
      } else out.push(`f ${p} ${st.mtimeMs} ${readFileSync(p, 'utf8')}`);
    }
  };
  walk(db);
  return out;
}
