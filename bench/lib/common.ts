/**
 * Shared pieces of the benchmarks: machine description, statistics, timing of peer
 * processes (hyperfine), a private tgtd per run (stopped by PID, also on error or
 * Ctrl-C) and the JSON + markdown summary every bench prints.
 *
 * Progress goes to stderr; stdout carries only the summary (JSON, then one markdown
 * table with a header and one row per measured series).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { Tgtd, type TgtdStartOptions } from '../../test/support/tgtd.js';

export { mapLimit, type Tgtd } from '../../test/support/tgtd.js';
export { OUR_INITIATOR, TARGET_PREFIX } from './names.js';

/** Everything RESULTS.md reports about the machine a run happened on. */
export interface Machine {
  date: string;
  nproc: number;
  cpuModel: string;
  ramGiB: number;
  kernel: string;
  node: string;
  tgt: string;
  libiscsi: string;
  /** 1-minute load average when the bench started (other work on the machine). */
  loadAvg1: number;
  /** Node flags of the bench process (V8 heap flags change hold-10k's RSS). */
  nodeFlags: string;
}

/** One measured series: every sample and its median. */
export interface Series {
  unit: string;
  samples: number[];
  median: number;
  min: number;
  max: number;
}

export interface Goal {
  text: string;
  /** The measured ratio the goal is about (ours / peer, or ours / limit). */
  ratio: number;
  met: boolean;
}

export interface Summary {
  bench: string;
  machine: Machine;
  params: Record<string, unknown>;
  setup: Record<string, unknown>;
  series: Record<string, Series>;
  goals: Goal[];
  notes: string[];
  /** Markdown table columns and rows (one row per compared pair or measured value). */
  table: { header: string[]; rows: string[][] };
}

/** Progress line on stderr with the elapsed time since start. */
const t0 = performance.now();
export function log(msg: string): void {
  process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${msg}\n`);
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function series(unit: string, samples: readonly number[]): Series {
  return { unit, samples: samples.map((x) => round(x, 3)), median: round(median(samples), 3), min: round(Math.min(...samples), 3), max: round(Math.max(...samples), 3) };
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Options every bench accepts, merged with its own. */
export function benchArgs<T extends NonNullable<ParseArgsConfig['options']>>(own: T) {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { ...own, 'json-out': { type: 'string' }, rounds: { type: 'string' } },
    allowPositionals: false,
    strict: true,
  });
  return values;
}

/** Integer option with a default and bounds (benches must stay bounded). */
export function intArg(v: unknown, dflt: number, min: number, max: number, name: string): number {
  const n = v === undefined ? dflt : Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer in ${min}..${max}, got ${String(v)}`);
  return n;
}

/** Run a command to completion; rejects with its stderr on a non-zero exit or timeout. */
export function run(cmd: string, args: readonly string[], timeoutMs = 120_000): Promise<{ stdout: string; stderr: string; ms: number }> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr.slice(0, 2000)}`));
      else resolve({ stdout, stderr, ms: performance.now() - start });
    });
  });
}

async function pkgVersion(pkg: string): Promise<string> {
  return run('dpkg-query', ['-W', '-f=${Version}', pkg]).then(
    (r) => r.stdout.trim(),
    () => 'unknown',
  );
}

export async function machineInfo(): Promise<Machine> {
  const cpuinfo = await readFile('/proc/cpuinfo', 'utf8').catch(() => '');
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown';
  return {
    date: new Date().toISOString(),
    nproc: availableParallelism(),
    cpuModel: model.trim(),
    ramGiB: round(totalmem() / 2 ** 30, 1),
    kernel: release(),
    node: process.version,
    tgt: await pkgVersion('tgt'),
    libiscsi: await pkgVersion('libiscsi-bin'),
    loadAvg1: round(loadavg()[0] ?? 0, 2),
    nodeFlags: [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ').trim(),
  };
}

/**
 * Time a peer command with hyperfine (no intermediate shell, `-N`), `runs` times.
 * Returns the wall time of each run in ms. hyperfine fails when the command exits non-zero.
 */
export async function hyperfine(argv: readonly string[], runs: number, warmup = 0, timeoutMs = 240_000): Promise<number[]> {
  if (argv.some((a) => /\s/.test(a))) throw new Error(`hyperfine -N cannot take arguments with spaces: ${argv.join(' ')}`);
  const dir = await mkdtemp(join(tmpdir(), 'bench-hf-'));
  try {
    const out = join(dir, 'hf.json');
    await run('hyperfine', ['-N', '--style', 'none', '--runs', String(runs), '--warmup', String(warmup), '--export-json', out, '--', argv.join(' ')], timeoutMs);
    const json = JSON.parse(await readFile(out, 'utf8')) as { results: Array<{ times: number[] }> };
    return (json.results[0]?.times ?? []).map((s) => s * 1000);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Start a private tgtd (loopback portal on a free port, private IPC socket), run `fn`,
 * and always stop it by PID (SIGKILL after a short SIGTERM grace; the harness also
 * removes its temp dir). Ctrl-C / SIGTERM stop it too before the process exits.
 */
export async function withTgtd<T>(opts: TgtdStartOptions, fn: (t: Tgtd) => Promise<T>): Promise<T> {
  const t = await Tgtd.start(opts);
  log(`tgtd pid ${t.pid} on ${t.portal} (dir ${t.dir})`);
  let stopping = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (stopping) return; // a repeated signal (terminal + runner) must not skip the stop
    stopping = true;
    log(`${sig}: stopping tgtd pid ${t.pid}`);
    void t.stop({ graceful: false }).finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await fn(t);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await t.stop({ graceful: false });
    log(`tgtd pid ${t.pid} stopped`);
  }
}

/**
 * `n` private tgtd instances (each on its own free loopback port, see withTgtd), all
 * stopped by PID at the end. For benches that need a target side that scales with cores:
 * one tgtd runs a single thread.
 */
export async function withTgtds<T>(n: number, opts: TgtdStartOptions, fn: (ts: Tgtd[]) => Promise<T>): Promise<T> {
  const go = (started: Tgtd[]): Promise<T> => (started.length >= n ? fn(started) : withTgtd(opts, (t) => go([...started, t])));
  return go([]);
}

/** tgtd's RSS in MiB (from /proc), or NaN. */
export async function rssOfPid(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = /^VmRSS:\s*(\d+)\s*kB/m.exec(status)?.[1];
  return kb === undefined ? NaN : Number(kb) / 1024;
}

let clkTck: number | undefined;

/** CPU time (user + system) a process has used so far, in ms, from /proc/PID/stat; NaN if gone. */
export async function cpuMsOfPid(pid: number): Promise<number> {
  clkTck ??= Number((await run('getconf', ['CLK_TCK']).catch(() => ({ stdout: '100' }))).stdout.trim()) || 100;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  // Fields after "(comm) ": state is [0], utime is field 14 overall -> [11], stime [12].
  const rest = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
  const ticks = Number(rest[11]) + Number(rest[12]);
  return (ticks * 1000) / clkTck;
}

/** Print the summary (JSON, then the markdown table) and write it to --json-out if given. */
export async function emit(summary: Summary, jsonOut: string | undefined): Promise<void> {
  const json = JSON.stringify(summary, null, 2);
  if (jsonOut) await writeFile(jsonOut, `${json}\n`);
  const { header, rows } = summary.table;
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  process.stdout.write(`${json}\n\n${line(header)}\n${line(header.map(() => '---'))}\n${rows.map(line).join('\n')}\n`);
}

/** "12.3 ms (11.9-13.0)" for a table cell. */
export function cell(s: Series, digits = 1): string {
  return `${s.median.toFixed(digits)} ${s.unit}`;
}

export function goalCell(g: Goal): string {
  return `${g.met ? 'met' : 'NOT met'} (${g.ratio.toFixed(2)}x)`;
}
