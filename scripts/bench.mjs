#!/usr/bin/env node
/**
 * Run the foundation benchmarks (bench/*.ts) against private tgtd instances on loopback.
 *
 *   npm run bench -- NAME [--repeat N] [bench options...]
 *   npm run bench -- all [--repeat N]
 *
 * NAME is one of the benches listed below. The sources are compiled first
 * (bench/tsconfig.json -> bench/out/, gitignored). Each run executes in its own process
 * with the open-file limit raised to the hard limit (tgtd, started by the bench,
 * inherits it) and a wall-clock cap; its JSON summary is kept in
 * bench/out/results/NAME-<stamp>-<run>.json. Bench options (e.g. --rounds 5) are passed through.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const BENCHES = ['discovery-1000', 'login-1000', 'hold-10k', 'read-64k', 'read-floor', 'daemon-api', 'daemon-sessions-10k', 'failover', 'failover-soak', 'cli-startup'];
/** Safety cap per run; every bench is designed to finish well within ~5 minutes. */
const RUN_CAP_MS = 10 * 60_000;

function usage(code) {
  process.stderr.write(`usage: npm run bench -- <${BENCHES.join('|')}|all> [--repeat N] [bench options]\n`);
  process.exit(code);
}

function parse(argv) {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') usage(name ? 0 : 2);
  if (name !== 'all' && !BENCHES.includes(name)) {
    process.stderr.write(`bench: unknown benchmark "${name}"\n`);
    usage(2);
  }
  let repeat = 1;
  const pass = [];
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--repeat') {
      repeat = Number(rest[++i]);
      if (!Number.isInteger(repeat) || repeat < 1 || repeat > 10) {
        process.stderr.write('bench: --repeat must be an integer in 1..10\n');
        process.exit(2);
      }
    } else pass.push(rest[i]);
  }
  return { names: name === 'all' ? BENCHES : [name], repeat, pass };
}

/**
 * Compile bench/ (and the sources it imports). Type errors in the benches being run or in
 * bench/lib are fatal; others (files being written elsewhere) are reported only.
 */
function compile(names) {
  const tsc = join(root, 'node_modules', '.bin', 'tsc');
  const r = spawnSync(tsc, ['-p', join(root, 'bench', 'tsconfig.json')], { cwd: root, encoding: 'utf8' });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  if (r.status !== 0) {
    const mine = [...names.map((n) => `bench/${n}.ts`), 'bench/lib/'];
    const ours = out.split('\n').filter((l) => mine.some((m) => l.startsWith(m)));
    process.stderr.write(`bench: tsc reported errors:\n${out}\n`);
    if (ours.length > 0 || r.error) process.exit(1);
    process.stderr.write('bench: none of them is in the benches being run; continuing with the emitted JavaScript\n');
  }
}

function runOnce(name, pass, jsonOut) {
  const entry = join(root, 'bench', 'out', 'bench', `${name}.js`);
  if (!existsSync(entry)) throw new Error(`${entry} missing after compile`);
  // Raise the soft open-file limit to the hard limit for the bench and its tgtd.
  // --expose-gc lets a bench measure the live heap after a forced full GC (hold-10k).
  const script = 'ulimit -n "$(ulimit -Hn)" && exec node --expose-gc "$@"';
  const child = spawn('bash', ['-c', script, 'bench', entry, '--json-out', jsonOut, ...pass], { cwd: root, stdio: 'inherit' });
  return new Promise((resolve) => {
    const cap = setTimeout(() => {
      process.stderr.write(`bench: ${name} exceeded ${RUN_CAP_MS / 60_000} min, sending SIGTERM to pid ${child.pid}\n`);
      child.kill('SIGTERM');
    }, RUN_CAP_MS);
    const forward = (sig) => child.kill(sig);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('exit', (code, signal) => {
      clearTimeout(cap);
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

const { names, repeat, pass } = parse(process.argv.slice(2));
compile(names);
const resultsDir = join(root, 'bench', 'out', 'results');
mkdirSync(resultsDir, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
let failed = 0;
for (const name of names) {
  for (let i = 1; i <= repeat; i++) {
    process.stderr.write(`\n=== ${name} (run ${i}/${repeat}) ===\n`);
    const jsonOut = join(resultsDir, `${name}-${stamp}-${i}.json`);
    const code = await runOnce(name, pass, jsonOut);
    if (code !== 0) {
      failed++;
      process.stderr.write(`bench: ${name} run ${i} exited ${code}\n`);
    } else process.stderr.write(`bench: summary saved to ${jsonOut}\n`);
  }
}
process.exit(failed === 0 ? 0 : 1);
