/**
 * cli-startup: whole-process time of `tsiscsiadm -m session` with N (default 100) live
 * sessions, against `node -e 0` (the floor any Node.js CLI pays). Goal (issue 4):
 * median <= 1.2 x node -e 0.
 *
 * Setup: a private tgtd with N targets, a private `bin/tsiscsid --root <tmp>`, then
 * `tsiscsiadm -m discovery -t st` and `-m node --loginall=all` (N sessions, checked).
 * Measured with hyperfine (`-N`: no shell), in interleaved rounds so load changes on the
 * machine hit both series alike: `node -e 0`, `bin/tsiscsiadm -m session`, and for
 * information `-m session -P 3` and `-V` (no daemon contact). Also the CPU time (user +
 * system) each process used, from bash's `times` over a loop: it shows the CLI's own cost
 * when other work on the machine makes wall times noisy. Everything started is stopped by
 * PID at the end.
 *
 *   npx tsc -p bench/tsconfig.json && node bench/out/bench/cli-startup.js [--sessions 100] [--rounds 5] [--runs 30]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  benchArgs, cell, emit, goalCell, hyperfine, intArg, log, machineInfo, round, run, series, TARGET_PREFIX, withTgtd,
  type Goal, type Series,
} from './lib/common.js';

// Compiled to bench/out/bench/: the repository is three levels up.
const REPO = resolve(import.meta.dirname, '../../..');
const CLI = join(REPO, 'bin/tsiscsiadm');
const DAEMON = join(REPO, 'bin/tsiscsid');

async function startDaemon(root: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [DAEMON, '--root', root, '-f'], { stdio: 'ignore' });
  const socket = join(root, 'run/tsiscsi/tsiscsid.sock');
  for (let i = 0; i < 150 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 100));
  if (!existsSync(socket)) throw new Error('tsiscsid did not start');
  log(`tsiscsid pid ${child.pid} --root ${root}`);
  return child;
}

async function stopDaemon(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const done = new Promise<void>((r) => child.once('exit', () => r()));
  process.kill(child.pid, 'SIGTERM');
  const t = setTimeout(() => child.pid !== undefined && child.exitCode === null && process.kill(child.pid, 'SIGKILL'), 15_000);
  await done;
  clearTimeout(t);
  log(`tsiscsid pid ${child.pid} stopped`);
}

const tsiscsiadm = (...args: string[]) => run(process.execPath, [CLI, ...args], 600_000);

/** Mean CPU ms (user + system) of one run of `argv`, over `n` runs in a bash loop (bash `times`). */
async function cpuPerRun(argv: readonly string[], n: number): Promise<number> {
  const cmd = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = await run('bash', ['-c', `for i in $(seq ${n}); do ${cmd} >/dev/null 2>&1; done; times`], 600_000);
  const children = r.stdout.trim().split('\n')[1] ?? '';
  const secs = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  return ((secs[0] ?? NaN) + (secs[1] ?? NaN)) * 1000 / n;
}

async function main(): Promise<void> {
  const args = benchArgs({ sessions: { type: 'string' }, runs: { type: 'string' } });
  const n = intArg(args.sessions, 100, 1, 1000, 'sessions');
  const rounds = intArg(args.rounds, 5, 1, 20, 'rounds');
  const runs = intArg(args.runs, 30, 5, 200, 'runs');
  const machine = await machineInfo();
  const root = mkdtempSync('/tmp/tsiscsi-bench-cli-');
  process.env.TSISCSI_ROOT = root; // read by every tsiscsiadm that hyperfine starts
  const samples: Record<string, number[]> = { node: [], session: [], 'session-P3': [], version: [] };
  const cpu: Record<string, number[]> = { node: [], session: [] };
  const setup: Record<string, unknown> = {};
  try {
    await withTgtd({}, async (tgt) => {
      await tgt.addTargetsBulk(n, `${TARGET_PREFIX}:cli-`);
      const daemon = await startDaemon(root);
      try {
        const disc = await tsiscsiadm('-m', 'discovery', '-t', 'st', '-p', tgt.portal);
        setup.discovered = disc.stdout.trim().split('\n').length;
        const login = await tsiscsiadm('-m', 'node', '--loginall=all');
        setup.loginMs = round(login.ms, 0);
        const listing = await tsiscsiadm('-m', 'session');
        const count = listing.stdout.trim().split('\n').length;
        setup.sessions = count;
        if (count !== n) throw new Error(`expected ${n} sessions, tsiscsiadm -m session listed ${count}`);
        setup.listingBytes = listing.stdout.length;
        for (let r = 1; r <= rounds; r++) {
          log(`round ${r}/${rounds}`);
          samples.node!.push(...(await hyperfine([process.execPath, '-e', '0'], runs, 3)));
          samples.session!.push(...(await hyperfine([CLI, '-m', 'session'], runs, 3)));
          samples['session-P3']!.push(...(await hyperfine([CLI, '-m', 'session', '-P', '3'], Math.max(5, runs >> 2), 1)));
          samples.version!.push(...(await hyperfine([CLI, '-V'], Math.max(5, runs >> 2), 1)));
          cpu.node!.push(await cpuPerRun([process.execPath, '-e', '0'], runs));
          cpu.session!.push(await cpuPerRun([CLI, '-m', 'session'], runs));
        }
        await tsiscsiadm('-m', 'session', '-u');
      } finally {
        await stopDaemon(daemon);
      }
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const s: Record<string, Series> = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, series('ms', v)]));
  for (const [k, v] of Object.entries(cpu)) s[`cpu-${k}`] = series('ms', v);
  const ratio = s.session!.median / s.node!.median;
  const cpuRatio = s['cpu-session']!.median / s['cpu-node']!.median;
  const goals: Goal[] = [{ text: `tsiscsiadm -m session (${n} sessions) median <= 1.2 x node -e 0`, ratio: round(ratio, 3), met: ratio <= 1.2 }];
  await emit({
    bench: 'cli-startup', machine, params: { sessions: n, rounds, runs }, setup, series: s, goals,
    notes: [
      'Whole process (exec to exit) with hyperfine -N; rounds interleave the series.',
      'tsiscsiadm runs dist/cli/tsiscsiadm.cjs (one file + V8 code cache; scripts/bundle-cli.mjs).',
    ],
    table: {
      header: ['command', 'median', 'min', 'ratio to node -e 0', 'goal'],
      rows: [
        ['node -e 0', cell(s.node!), `${s.node!.min.toFixed(1)} ms`, '1.00', ''],
        [`tsiscsiadm -m session (${n} sessions)`, cell(s.session!), `${s.session!.min.toFixed(1)} ms`, ratio.toFixed(2), goalCell(goals[0]!)],
        [`tsiscsiadm -m session -P 3 (${n} sessions)`, cell(s['session-P3']!), `${s['session-P3']!.min.toFixed(1)} ms`, (s['session-P3']!.median / s.node!.median).toFixed(2), ''],
        ['tsiscsiadm -V', cell(s.version!), `${s.version!.min.toFixed(1)} ms`, (s.version!.median / s.node!.median).toFixed(2), ''],
        ['CPU time: node -e 0', cell(s['cpu-node']!), `${s['cpu-node']!.min.toFixed(1)} ms`, '1.00', ''],
        [`CPU time: tsiscsiadm -m session (${n} sessions)`, cell(s['cpu-session']!), `${s['cpu-session']!.min.toFixed(1)} ms`, cpuRatio.toFixed(2), ''],
      ],
    },
  }, args['json-out'] as string | undefined);
}

main().catch((err: unknown) => {
  process.stderr.write(`cli-startup: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
