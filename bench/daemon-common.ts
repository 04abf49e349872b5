/**
 * Shared pieces of the daemon benchmarks (daemon-api, daemon-sessions-10k): a real
 * `bin/tsiscsid` child on a temp root (stopped by PID, also on Ctrl-C or a crash of the
 * bench), a raw Unix-socket echo server started with `node -e` as the framework-free
 * baseline, a line client for it, latency percentiles and a paced/back-to-back call loop.
 *
 * Every child is registered in `children`; an `exit` hook SIGKILLs the ones still
 * running and removes the temp roots, so nothing outlives the bench.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createConnection, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { log, round } from './lib/common.js';

/** Repository root (bench/out/bench/ -> ../../..). */
export const REPO = resolve(import.meta.dirname, '../../..');
export const DAEMON_BIN = join(REPO, 'bin/tsiscsid');
export const CLI_BIN = join(REPO, 'bin/tsiscsiadm');

/** Children started by this bench (pid -> what), killed on exit if still running. */
const children = new Map<number, ChildProcess>();
const roots = new Set<string>();

function killAll(): void {
  for (const [pid, child] of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
  for (const r of roots) rmSync(r, { recursive: true, force: true });
}
process.on('exit', killAll);
let signalled = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (signalled) return;
    signalled = true;
    log(`${sig}: killing ${children.size} child process(es)`);
    killAll();
    // withTgtd (lib/common.ts) has its own handler that stops tgtd and exits; give it a moment.
    setTimeout(() => process.exit(sig === 'SIGINT' ? 130 : 143), 2000).unref();
  });
}

function track(child: ChildProcess): number {
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not spawn a child process');
  children.set(pid, child);
  child.once('exit', () => children.delete(pid));
  return pid;
}

/** A short temp dir under `base` (sun_path is 108 bytes), removed on exit or by `rm`. */
export function tempRoot(prefix = 'tsb-', base = '/tmp'): { dir: string; rm: () => void } {
  const dir = mkdtempSync(join(base, prefix));
  roots.add(dir);
  return { dir, rm: () => {
    rmSync(dir, { recursive: true, force: true });
    roots.delete(dir);
  } };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
export { sleep };

/** Wait for a child to exit; SIGKILL it (by PID) after `graceMs`. Resolves with how it ended. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<{ ms: number; code: number | null; signal: NodeJS.Signals | null; killed: boolean }> {
  const t0 = performance.now();
  if (child.exitCode !== null || child.signalCode !== null) return { ms: 0, code: child.exitCode, signal: child.signalCode, killed: false };
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.once('exit', (code, sig) => res({ code, signal: sig })));
  child.kill(signal);
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, graceMs);
  const r = await exited;
  clearTimeout(timer);
  return { ms: performance.now() - t0, ...r, killed };
}

/** What the daemon's JSON log said (counted, not kept: 10 000 logins write a lot). */
export interface LogTally {
  lines: number;
  warn: number;
  error: number;
  /** First few warn/error messages. */
  first: string[];
}

/** A running `bin/tsiscsid --root DIR` with its open-file limit raised to the hard limit. */
export interface DaemonChild {
  readonly pid: number;
  readonly root: string;
  readonly socket: string;
  readonly child: ChildProcess;
  readonly tally: LogTally;
  /** SIGTERM (the daemon logs out its sessions), SIGKILL after `graceMs`. */
  stop(graceMs?: number): ReturnType<typeof stopChild>;
}

/**
 * Start the real daemon binary (dist/ must be built) and wait for its `tsiscsid ready`
 * log line (extra node options for diagnostics: env BENCH_DAEMON_NODE_ARGS). `bash -c 'ulimit -n ...; exec node ...'` keeps the PID: it is the daemon's.
 */
export async function startDaemon(root: string, timeoutMs = 30_000): Promise<DaemonChild> {
  const script = 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"';
  const env = { ...process.env };
  for (const k of ['TSISCSI_ROOT', 'NOTIFY_SOCKET', 'LISTEN_PID', 'LISTEN_FDS', 'LISTEN_FDNAMES', 'WATCHDOG_USEC', 'WATCHDOG_PID']) delete env[k];
  // Diagnostics only: BENCH_DAEMON_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/p" profiles the daemon.
  const nodeArgs = (process.env.BENCH_DAEMON_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const child = spawn('bash', ['-c', script, process.execPath, ...nodeArgs, DAEMON_BIN, '--root', root, '-n'], { stdio: ['ignore', 'pipe', 'pipe'], env });
  const pid = track(child);
  const tally: LogTally = { lines: 0, warn: 0, error: 0, first: [] };
  let buf = '';
  let stderr = '';
  let ready = false;
  const readyWaiters: Array<() => void> = [];
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    buf += s;
    let nl: number;
    while ((nl = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      tally.lines++;
      const level = Number(/"level":(\d+)/.exec(line)?.[1] ?? 0);
      if (level >= 40) {
        if (level >= 50) tally.error++;
        else tally.warn++;
        if (tally.first.length < 5) tally.first.push(line.slice(0, 400));
      }
      if (!ready && line.includes('"msg":"tsiscsid ready"')) {
        ready = true;
        for (const w of readyWaiters.splice(0)) w();
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s.slice(0, 4000)));
  await new Promise<void>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`tsiscsid pid ${pid} not ready within ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs);
    child.once('exit', (code) => rej(new Error(`tsiscsid exited ${code} before it was ready; stderr: ${stderr}`)));
    readyWaiters.push(() => {
      clearTimeout(timer);
      res();
    });
  });
  return { pid, root, socket: join(root, 'run/tsiscsi/tsiscsid.sock'), child, tally, stop: (graceMs = 60_000) => stopChild(child, 'SIGTERM', graceMs) };
}

/** Start a compiled bench helper (`bench/out/bench/NAME.js ...args`) and wait for `ready` on its stderr. */
export async function startHelper(name: string, args: readonly string[], timeoutMs = 30_000): Promise<{ pid: number; child: ChildProcess; stop: () => ReturnType<typeof stopChild> }> {
  const entry = join(REPO, 'bench/out/bench', `${name}.js`);
  const child = spawn(process.execPath, [entry, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  const pid = track(child);
  let stderr = '';
  await new Promise<void>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`${name} pid ${pid} not ready within ${timeoutMs} ms: ${stderr}`)), timeoutMs);
    child.once('exit', (code) => rej(new Error(`${name} exited ${code}: ${stderr}`)));
    child.stderr!.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      if (/^ready$/m.test(stderr)) {
        clearTimeout(timer);
        res();
      }
    });
  });
  return { pid, child, stop: () => stopChild(child, 'SIGTERM', 10_000) };
}

/**
 * The baseline: a raw newline echo server on a Unix socket in a separate `node -e`
 * process (no framing library, no JSON, no schema): what a round trip costs at all.
 */
const ECHO_SERVER = `
const net = require('node:net');
const srv = net.createServer((s) => s.on('data', (d) => s.write(d)));
srv.listen(process.argv[1], () => process.stderr.write('ready\\n'));
process.on('SIGTERM', () => process.exit(0));
`;

export async function startEchoServer(path: string): Promise<{ pid: number; stop: () => ReturnType<typeof stopChild> }> {
  const child = spawn(process.execPath, ['-e', ECHO_SERVER, path], { stdio: ['ignore', 'ignore', 'pipe'] });
  const pid = track(child);
  await new Promise<void>((res, rej) => {
    child.once('exit', (code) => rej(new Error(`echo server exited ${code}`)));
    child.stderr!.setEncoding('utf8').once('data', () => res());
  });
  return { pid, stop: () => stopChild(child, 'SIGTERM', 5000) };
}

/** A line client: write one line, resolve when the echoed line (up to its LF) is back. */
export class LineClient {
  private buf = '';
  private waiting: ((line: string) => void) | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (s: string) => {
      this.buf += s;
      const nl = this.buf.indexOf('\n');
      if (nl === -1) return;
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      const w = this.waiting;
      this.waiting = undefined;
      w?.(line);
    });
  }

  static connect(path: string): Promise<LineClient> {
    return new Promise((res, rej) => {
      const s = createConnection({ path }, () => res(new LineClient(s)));
      s.once('error', rej);
    });
  }

  roundTrip(line: string): Promise<string> {
    return new Promise((res) => {
      this.waiting = res;
      this.socket.write(`${line}\n`);
    });
  }

  close(): void {
    this.socket.end();
  }
}

/** Resident set size of a process in bytes (VmRSS), NaN if it is gone. */
export async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = /^VmRSS:\s*(\d+)\s*kB/m.exec(status)?.[1];
  return kb === undefined ? NaN : Number(kb) * 1024;
}

/** Latency percentiles of one series, in microseconds, plus throughput. */
export interface LatencyStats {
  calls: number;
  p50Us: number;
  p99Us: number;
  p999Us: number;
  meanUs: number;
  maxUs: number;
  /** Calls completed per second of wall time (all connections together). */
  callsPerS: number;
  /** Calls the daemon refused with RATE_LIMITED (retried, not in the percentiles). */
  rateLimited: number;
}

/** Nearest-rank percentile of ascending `sorted`. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function latencyStats(samplesMs: readonly number[], wallMs: number, rateLimited = 0): LatencyStats {
  const s = [...samplesMs].sort((a, b) => a - b);
  const us = (ms: number): number => round(ms * 1000, 1);
  return {
    calls: s.length,
    p50Us: us(percentile(s, 50)),
    p99Us: us(percentile(s, 99)),
    p999Us: us(percentile(s, 99.9)),
    meanUs: us(s.reduce((a, b) => a + b, 0) / Math.max(1, s.length)),
    maxUs: us(s[s.length - 1] ?? NaN),
    callsPerS: round(s.length / (wallMs / 1000), 0),
    rateLimited,
  };
}

/**
 * Run `call` `n` times in sequence and time each call. With `ratePerS`, consecutive calls
 * start at least 1 / rate apart and a late call never causes a catch-up burst (the
 * daemon's token bucket would refuse it); without it the calls run back to back.
 * A RATE_LIMITED refusal is counted, waited out (50 ms) and retried, untimed.
 */
export async function timeCalls(call: () => Promise<unknown>, n: number, ratePerS?: number): Promise<{ samples: number[]; wallMs: number; rateLimited: number }> {
  const samples = new Array<number>(n);
  const start = performance.now();
  const gap = ratePerS === undefined ? 0 : 1000 / ratePerS;
  let rateLimited = 0;
  let next = start;
  for (let i = 0; i < n; i++) {
    // Timers have 1 ms resolution and may fire early against performance.now(): re-check.
    for (let wait = next - performance.now(); wait > 0; wait = next - performance.now()) await sleep(wait);
    const t = performance.now();
    next = t + gap;
    try {
      await call();
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'RATE_LIMITED') throw err;
      rateLimited++;
      await sleep(50);
      next = performance.now() + gap;
      i--;
      continue;
    }
    samples[i] = performance.now() - t;
  }
  return { samples, wallMs: performance.now() - start, rateLimited };
}

/** `timeCalls` on several connections at once; samples of all connections together. */
export async function timeConcurrent(calls: ReadonlyArray<() => Promise<unknown>>, nEach: number, ratePerS?: number): Promise<{ samples: number[]; wallMs: number; rateLimited: number }> {
  const start = performance.now();
  const parts = await Promise.all(calls.map((c) => timeCalls(c, nEach, ratePerS)));
  return { samples: parts.flatMap((p) => p.samples), wallMs: performance.now() - start, rateLimited: parts.reduce((a, p) => a + p.rateLimited, 0) };
}
