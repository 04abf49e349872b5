/**
 * Helpers for tests that run the real `bin/tsiscsid` as a child process: temp roots
 * with short paths (sun_path is 108 bytes), a daemon handle that collects stdout/stderr
 * and parses the JSON log lines, and a NOTIFY_SOCKET listener written in Python
 * (independent of our code and of Node's lack of AF_UNIX datagram sockets).
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { distPath } from '../../support/dist.js';

export const REPO = resolve(import.meta.dirname, '../../..');
export const BIN = join(REPO, 'bin/tsiscsid');

const BUILD_LOCK = join(REPO, 'dist', '.daemon-process-build.lock');

/**
 * Build dist/ if it is older than src/ (the binary runs the compiled tree). Test files
 * run in parallel processes: a lock directory makes one build at a time, so no file
 * spawns the daemon while another is rewriting dist/.
 */
export function ensureBuilt(): void {
  mkdirSync(join(REPO, 'dist'), { recursive: true });
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(BUILD_LOCK);
      break;
    } catch {
      // A lock older than the deadline belongs to a dead run.
      const st = statSync(BUILD_LOCK, { throwIfNoEntry: false });
      if (st && Date.now() - st.mtimeMs > 180_000) rmSync(BUILD_LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${BUILD_LOCK}`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    distPath('daemon/main.js');
  } finally {
    rmSync(BUILD_LOCK, { recursive: true, force: true });
  }
}

/** A fresh short directory under /tmp; remove with `rm`. */
export function tempRoot(): { dir: string; rm: () => void } {
  const dir = mkdtempSync('/tmp/tsd-');
  return { dir, rm: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Paths of a daemon run with --root `root`. */
export function pathsIn(root: string) {
  return {
    config: join(root, 'etc/tsiscsi/iscsid.conf'),
    initiatorName: join(root, 'etc/tsiscsi/initiatorname.iscsi'),
    db: join(root, 'var/lib/tsiscsi'),
    runDir: join(root, 'run/tsiscsi'),
    socket: join(root, 'run/tsiscsi/tsiscsid.sock'),
    pidFile: join(root, 'run/tsiscsi/tsiscsid.pid'),
  };
}

/** The environment without anything that would change the daemon's behaviour. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of ['TSISCSI_ROOT', 'NOTIFY_SOCKET', 'LISTEN_PID', 'LISTEN_FDS', 'LISTEN_FDNAMES', 'WATCHDOG_USEC', 'WATCHDOG_PID']) delete env[k];
  return { ...env, ...extra };
}

export type LogRecord = Record<string, unknown> & { msg?: string; level?: number };

/** A running (or finished) tsiscsid child. */
export class DaemonProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private waiters: Array<() => void> = [];

  constructor(readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (s: string) => this.grew(() => (this.stdout += s)));
    child.stderr?.on('data', (s: string) => this.grew(() => (this.stderr += s)));
    this.exited = new Promise((res) => child.once('exit', (code, signal) => {
      res({ code, signal });
      this.grew(() => {});
    }));
  }

  /** Every stdout line that is a JSON object. */
  logs(): LogRecord[] {
    return this.stdout.split('\n').flatMap((l) => {
      try {
        const v: unknown = JSON.parse(l);
        return typeof v === 'object' && v !== null ? [v as LogRecord] : [];
      } catch {
        return [];
      }
    });
  }

  /** Resolve with the first log record matching `pred`; reject on exit or timeout. */
  async waitForLog(pred: (r: LogRecord) => boolean, ms = 15_000): Promise<LogRecord> {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = this.logs().find(pred);
      if (hit) return hit;
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`tsiscsid exited (${this.child.exitCode ?? this.child.signalCode}) before the log line\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for a log line\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
      await new Promise<void>((res) => {
        this.waiters.push(res);
        setTimeout(res, 100);
      });
    }
  }

  /** Wait until the daemon reports it is ready. */
  ready(ms?: number): Promise<LogRecord> {
    return this.waitForLog((r) => r.msg === 'tsiscsid ready', ms);
  }

  /** SIGKILL if still running (test cleanup). */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  private grew(fn: () => void): void {
    fn();
    const w = this.waiters;
    this.waiters = [];
    for (const r of w) r();
  }
}

export interface SpawnOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Extra fds after stdin/stdout/stderr (e.g. a listening socket as fd 3). */
  readonly extraFds?: readonly number[];
  /** Run through `sh -c` with this prefix before `exec node …` (e.g. `LISTEN_PID=$$`). */
  readonly shellPrefix?: string;
}

/** Start `bin/tsiscsid --root <root> …args`. */
export function spawnDaemon(root: string, args: readonly string[], opts: SpawnOptions = {}): DaemonProcess {
  const argv = [BIN, '--root', root, ...args];
  const stdio: StdioOptions = ['ignore', 'pipe', 'pipe', ...(opts.extraFds ?? [])];
  const env = cleanEnv(opts.env);
  if (opts.shellPrefix !== undefined) {
    const quoted = [process.execPath, ...argv].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    return new DaemonProcess(spawn('/bin/sh', ['-c', `${opts.shellPrefix} exec ${quoted}`], { stdio, env }));
  }
  return new DaemonProcess(spawn(process.execPath, argv, { stdio, env }));
}

/** Run the binary to completion (for -v, -h, bad options). */
export async function runDaemonCommand(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const d = new DaemonProcess(spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv(env) }));
  const { code } = await d.exited;
  return { code, stdout: d.stdout, stderr: d.stderr };
}

const LISTENER_PY = `
import json, os, socket, sys
path = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
print(json.dumps({"bound": path}), flush=True)
while True:
    data = s.recv(65536)
    print(json.dumps({"msg": data.decode("utf-8", "replace")}), flush=True)
`;

/**
 * A NOTIFY_SOCKET: a Python process bound to a unix datagram socket that prints each
 * datagram it receives. `messages` holds every datagram (newline-separated
 * assignments); `assignments` flattens them to `KEY=VALUE` strings in order.
 */
export class NotifyListener {
  readonly messages: string[] = [];
  private buf = '';
  private waiters: Array<() => void> = [];

  private constructor(readonly path: string, private readonly child: ChildProcess) {
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (s: string) => {
      this.buf += s;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) !== -1) {
        const text = this.buf.slice(0, nl).trim();
        this.buf = this.buf.slice(nl + 1);
        if (text === '') continue; // the ready line's newline may arrive on its own
        const line = JSON.parse(text) as { msg?: string };
        if (line.msg !== undefined) this.messages.push(line.msg);
      }
      const w = this.waiters;
      this.waiters = [];
      for (const r of w) r();
    });
  }

  static async start(path: string): Promise<NotifyListener> {
    const child = spawn('python3', ['-c', LISTENER_PY, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((res, rej) => {
      child.once('error', rej);
      child.once('exit', (code) => rej(new Error(`notify listener exited with ${code}`)));
      child.stdout!.once('data', () => res());
    });
    return new NotifyListener(path, child);
  }

  assignments(): string[] {
    return this.messages.flatMap((m) => m.split('\n')).filter((a) => a !== '' && a !== 'BARRIER=1');
  }

  /** Wait until an assignment matching `pred` has arrived (after `from` assignments). */
  async waitFor(pred: (a: string) => boolean, ms = 15_000, from = 0): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = this.assignments().slice(from).find(pred);
      if (hit !== undefined) return hit;
      if (Date.now() > deadline) throw new Error(`no notify message matched; got ${JSON.stringify(this.assignments())}`);
      await new Promise<void>((res) => {
        this.waiters.push(res);
        setTimeout(res, 100);
      });
    }
  }

  stop(): void {
    this.child.kill('SIGKILL');
  }
}
