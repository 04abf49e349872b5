/**
 * daemon-sessions-10k: the real `bin/tsiscsid` holding N (default 10 000) usertcp
 * sessions to private tgtd instances on loopback.
 *
 * 1. `--tgtds` tgtd instances share `--targets` targets; the record DB gets N node
 *    records (targets x ifaces, written in-process with src/db before the daemon starts;
 *    NOP-Out every 5 s, NOP timeout 30 s as in hold-10k).
 * 2. Daemon RSS idle: right after `tsiscsid ready` and after `--idle` seconds.
 * 3. `node.loginAll {startup:'all'}` (one call; the daemon's bounded login pool does the
 *    rest) while a second connection polls `daemon.status` (its latency under load too).
 * 4. After one NOP interval: daemon RSS and CPU % (utime+stime from /proc/PID/stat) over
 *    a `--window` second window; tgtd's CPU as context.
 * 5. `session.list` timed `--list-calls` times (p50) and `tsiscsiadm -m session`
 *    (`--cli-runs` times) if the CLI answers; otherwise the summary says it is not wired.
 * 6. SIGTERM: the daemon logs out every session; the time it takes is reported.
 * If tgtd or the fd limit stops the ramp early, the numbers are for what was reached.
 *
 *   node bench/out/bench/daemon-sessions-10k.js [--sessions 10000] [--targets 1000] [--tgtds 2]
 *        [--window 60] [--idle 10] [--list-calls 20] [--cli-runs 3] [--ramp-cap 150]
 *        [--nop-interval 5] [--nop-timeout 30] [--scan auto|manual]
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { ControlClient } from '../src/control/client.js';
import { RecordStore } from '../src/db/index.js';
import { benchArgs, cpuMsOfPid, emit, intArg, log, machineInfo, mapLimit, median, round, series, TARGET_PREFIX, withTgtd, type Summary, type Tgtd } from './lib/common.js';
import { CLI_BIN, percentile, rssBytes, sleep, startDaemon, tempRoot, type DaemonChild } from './daemon-common.js';

const args = benchArgs({
  sessions: { type: 'string' }, targets: { type: 'string' }, window: { type: 'string' }, idle: { type: 'string' },
  'list-calls': { type: 'string' }, 'cli-runs': { type: 'string' }, 'nop-timeout': { type: 'string' }, 'nop-interval': { type: 'string' }, scan: { type: 'string' }, tgtds: { type: 'string' }, 'ramp-cap': { type: 'string' },
});
const sessions = intArg(args.sessions, 10_000, 1, 20_000, 'sessions');
const targets = intArg(args.targets, 1000, 1, 5000, 'targets');
const windowS = intArg(args.window, 60, 5, 180, 'window');
const idleS = intArg(args.idle, 10, 1, 60, 'idle');
const listCalls = intArg(args['list-calls'], 20, 1, 100, 'list-calls');
const cliRuns = intArg(args['cli-runs'], 3, 0, 20, 'cli-runs');
/** NOP-Out timeout (s). open-iscsi's default is 5; tgtd stalls for seconds near 10 000 connections (see hold-10k). */
const nopTimeoutS = intArg(args['nop-timeout'], 30, 1, 120, 'nop-timeout');
const rampCapS = intArg(args['ramp-cap'], 150, 10, 240, 'ramp-cap');
const ifaces = Math.ceil(sessions / targets);
/**
 * tgtd instances (targets split evenly). tgtd is single-threaded and does work linear in
 * its connection count on every event-loop turn: one instance accepts logins ever more
 * slowly past ~7000 connections (observed: ~25 logins/s, minutes for the last 2000), so
 * the default spreads the sessions over two.
 */
const tgtds = intArg(args.tgtds, 2, 1, 8, 'tgtds');
if (targets % tgtds !== 0) throw new Error(`--targets (${targets}) must be a multiple of --tgtds (${tgtds})`);
/** node.session.scan: `auto` (default, LUN scan after each login) or `manual`. */
const scan = args.scan ?? 'auto';
if (scan !== 'auto' && scan !== 'manual') throw new Error(`--scan must be auto or manual, got ${scan}`);
/** NOP-Out interval (s); 0 disables keepalives (diagnostics: does the ramp depend on tgtd's NOP load?). */
const NOP_INTERVAL_S = intArg(args['nop-interval'], 5, 0, 60, 'nop-interval');
const LOGIN_TIMEOUT_S = 60;
const MB = 1e6;
/** tmpfs when present: record creation is not an fsync benchmark. */
const BASE = existsSync('/dev/shm') ? '/dev/shm' : '/tmp';

/** Write the node records (target i x iface j) with src/db, one lock for the batch. */
/** Node record i: target r = i mod T lives on tgtd r mod n as its target r div n + 1; iface i div T. */
function recordKey(i: number, ts: readonly Tgtd[], iface: string) {
  const r = i % targets;
  const t = ts[r % tgtds]!;
  return { target: `${TARGET_PREFIX}:d${(r % tgtds) + 1}-${Math.floor(r / tgtds) + 1}`, address: t.host, port: t.port, tpgt: 1, iface };
}

async function writeRecords(root: string, ts: readonly Tgtd[]): Promise<number> {
  const t0 = performance.now();
  const store = await RecordStore.open({ root: `${root}/var/lib/tsiscsi` });
  const names = Array.from({ length: ifaces }, (_, j) => `bench-${j + 1}`);
  for (const n of names) await store.ifaces.create(n);
  const values = {
    'node.conn[0].timeo.noop_out_interval': NOP_INTERVAL_S,
    'node.conn[0].timeo.noop_out_timeout': nopTimeoutS,
    'node.conn[0].timeo.login_timeout': LOGIN_TIMEOUT_S,
    'node.session.scan': scan,
  };
  await store.transaction(() => mapLimit(Array.from({ length: sessions }, (_, i) => i), 32, (i) =>
    store.createNode(recordKey(i, ts, names[Math.floor(i / targets)]!), { values })));
  return performance.now() - t0;
}

interface StatusCounts { total: number; loggedIn: number; loggingIn: number; loggingOut: number; failed: number }

async function counts(c: ControlClient): Promise<StatusCounts> {
  return (await c.call<{ sessions: StatusCounts }>('daemon.status', {}, { timeoutMs: 60_000 })).sessions;
}

/** Peak of a pid's RSS, sampled every `everyMs`, plus every sample. */
function rssSampler(pid: number, everyMs: number) {
  const samples: number[] = [];
  const timer = setInterval(() => void rssBytes(pid).then((b) => Number.isFinite(b) && samples.push(b)), everyMs);
  return { samples, stop: () => clearInterval(timer) };
}

/** node.loginAll with a status poller on a second connection. */
/** CPU time of all tgtd instances together (ms). */
async function tgtdCpuMs(ts: readonly Tgtd[]): Promise<number> {
  let sum = 0;
  for (const t of ts) sum += await cpuMsOfPid(t.pid);
  return sum;
}

async function ramp(d: DaemonChild, main: ControlClient, ts: readonly Tgtd[]) {
  const poller = await ControlClient.connect(d.socket, { client: 'bench-poll', timeoutMs: 60_000 });
  const rss = rssSampler(d.pid, 500);
  const statusMs: number[] = [];
  let done = false;
  const poll = (async () => {
    let cpu = [await cpuMsOfPid(d.pid), await tgtdCpuMs(ts), performance.now()];
    while (!done) {
      await sleep(2000);
      const t = performance.now();
      const c = await counts(poller).catch(() => undefined);
      statusMs.push(performance.now() - t);
      const now = [await cpuMsOfPid(d.pid), await tgtdCpuMs(ts), performance.now()];
      const pct = (i: number): string => ((100 * (now[i]! - cpu[i]!)) / (now[2]! - cpu[2]!)).toFixed(0);
      if (c) log(`ramp: ${c.loggedIn} logged in, ${c.loggingIn} logging in, ${c.failed} failed; status call ${(now[2]! - t).toFixed(0)} ms; RSS ${((rss.samples.at(-1) ?? 0) / MB).toFixed(0)} MB; CPU tsiscsid ${pct(0)} %, tgtd ${pct(1)} %`);
      cpu = now;
    }
  })();
  const t0 = performance.now();
  let result: { nodes: unknown[]; results: Array<{ sids: number[]; completedAfterMs: number; error?: { code: string; message: string } }> } | undefined;
  let callError: string | undefined;
  try {
    result = await main.call('node.loginAll', { startup: 'all' }, { timeoutMs: rampCapS * 1000 });
  } catch (err) {
    callError = `${(err as { code?: string }).code ?? 'ERROR'}: ${(err as Error).message}`;
  }
  const ms = performance.now() - t0;
  done = true;
  await poll;
  rss.stop();
  await poller.close();
  const failures = (result?.results ?? []).filter((r) => r.error !== undefined);
  const codes: Record<string, number> = {};
  for (const f of failures) codes[f.error!.code] = (codes[f.error!.code] ?? 0) + 1;
  return {
    ms, callError, selected: result?.nodes.length ?? 0, failures: failures.length, failureCodes: codes,
    firstFailures: failures.slice(0, 3).map((f) => `${f.error!.code}: ${f.error!.message}`),
    lastCompletedMs: Math.max(0, ...(result?.results ?? []).map((r) => r.completedAfterMs)),
    rssPeak: Math.max(0, ...rss.samples), statusDuringRampMs: statusMs,
  };
}

/** CPU (% of one core) and RSS of the daemon (and tgtd's CPU) over the window. */
async function measureWindow(d: DaemonChild, ts: readonly Tgtd[]) {
  const rss = rssSampler(d.pid, 1000);
  const c0 = await cpuMsOfPid(d.pid);
  const g0 = await tgtdCpuMs(ts);
  const w0 = performance.now();
  await sleep(windowS * 1000);
  const wallMs = performance.now() - w0;
  const cpuMs = (await cpuMsOfPid(d.pid)) - c0;
  const tgtdMs = (await tgtdCpuMs(ts)) - g0;
  rss.stop();
  return { wallMs, cpuPct: (100 * cpuMs) / wallMs, tgtdCpuPct: (100 * tgtdMs) / wallMs, rss: rss.samples };
}

interface ListedSession {
  states: { connection: string };
  recovery?: { state: string; step: string; attempts: number; connectionErrors: number; recoveries: number; cause?: { code: string } };
  negotiated: unknown;
}

/** How many sessions are in each recovery state/step, and the causes of failed attempts. */
function tallyStates(list: readonly ListedSession[]) {
  const states: Record<string, number> = {};
  const causes: Record<string, number> = {};
  let attempts = 0;
  let connectionErrors = 0;
  let recoveries = 0;
  for (const s of list) {
    const r = s.recovery;
    const k = `${s.states.connection} / ${r ? `${r.state}:${r.step}` : 'no recovery'}`;
    states[k] = (states[k] ?? 0) + 1;
    if (r?.cause) causes[r.cause.code] = (causes[r.cause.code] ?? 0) + 1;
    attempts += r?.attempts ?? 0;
    connectionErrors += r?.connectionErrors ?? 0;
    recoveries += r?.recoveries ?? 0;
  }
  return { states, causes, attempts, connectionErrors, recoveries };
}

async function listTimes(c: ControlClient) {
  const first = await c.call<{ sessions: ListedSession[] }>('session.list', {}, { timeoutMs: 120_000 });
  const tally = tallyStates(first.sessions);
  log(`session states: ${JSON.stringify(tally)}`);
  const bytes = Buffer.byteLength(JSON.stringify(first));
  const ms: number[] = [];
  for (let i = 0; i < listCalls; i++) {
    const t = performance.now();
    await c.call('session.list', {}, { timeoutMs: 120_000 });
    ms.push(performance.now() - t);
  }
  return { listed: first.sessions.length, resultBytes: bytes, ms, tally };
}

/**
 * One `tsiscsiadm -m session`, stdout to a file (`toFile`) or to a pipe read by us.
 * Lines counted either way: a pipe shows whether output is lost when the CLI exits.
 */
function runCli(root: string, toFile: string | undefined): Promise<{ ms: number; code: number; lines: number; stderr: string }> {
  const t0 = performance.now();
  const env = { ...process.env, TSISCSI_ROOT: root };
  const [cmd, argv] = toFile === undefined
    ? [process.execPath, [CLI_BIN, '-m', 'session']]
    : ['bash', ['-c', 'exec "$0" "$@" > "$TSB_OUT"', process.execPath, CLI_BIN, '-m', 'session']];
  return new Promise((resolve) => {
    execFile(cmd, argv, { env: { ...env, TSB_OUT: toFile ?? '' }, timeout: 120_000, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      const ms = performance.now() - t0;
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      const text = toFile === undefined ? stdout : (existsSync(toFile) ? readFileSync(toFile, 'utf8') : '');
      resolve({ ms, code, lines: text.split('\n').filter((l) => l !== '').length, stderr: stderr.slice(0, 300).trim() });
    });
  });
}

/** `--cli-runs` timed runs with stdout to a file, then one run into a pipe (lines only). */
async function cliTimes(root: string, expected: number) {
  const runs: Array<{ ms: number; code: number; lines: number }> = [];
  const problems: string[] = [];
  const file = `${root}/cli-out.txt`;
  for (let i = 0; i < cliRuns; i++) {
    const r = await runCli(root, file);
    runs.push({ ms: r.ms, code: r.code, lines: r.lines });
    if (r.code !== 0 || r.lines !== expected) problems.push(`run ${i + 1} (stdout to a file): exit ${r.code}, ${r.lines} lines (expected ${expected})${r.stderr ? `: ${r.stderr}` : ''}`);
    if (r.code !== 0 && r.lines === 0) break; // not wired (yet): no point in repeating
  }
  const wired = runs.some((x) => x.code === 0 && x.lines > 0);
  const pipe = wired ? await runCli(root, undefined) : undefined;
  if (pipe && (pipe.code !== 0 || pipe.lines !== expected)) problems.push(`stdout to a pipe: exit ${pipe.code}, ${pipe.lines} lines (expected ${expected}): output lost`);
  return { wired, runs, pipeLines: pipe?.lines, problem: problems.length > 0 ? problems.join('; ') : undefined };
}

function nofile(pid: number): number {
  const text = existsSync(`/proc/${pid}/limits`) ? readFileSync(`/proc/${pid}/limits`, 'utf8') : '';
  return Number(/^Max open files\s+(\d+)/m.exec(text)?.[1] ?? NaN);
}

/** Start `n` private tgtd instances (nested withTgtd: every one is stopped by PID). */
function withTgtds<T>(n: number, fn: (ts: Tgtd[]) => Promise<T>, acc: Tgtd[] = []): Promise<T> {
  return acc.length === n ? fn(acc) : withTgtd({}, (t) => withTgtds(n, fn, [...acc, t]));
}

async function withDaemon(ts: readonly Tgtd[]) {
  for (const [j, t] of ts.entries()) await t.addTargetsBulk(targets / tgtds, `${TARGET_PREFIX}:d${j + 1}-`, { concurrency: 4 });
  const root = tempRoot('tsb-', BASE);
  const recordsMs = await writeRecords(root.dir, ts);
  log(`${sessions} node records (${targets} targets x ${ifaces} ifaces) written in ${(recordsMs / 1000).toFixed(1)} s`);
  const d = await startDaemon(root.dir);
  try {
    const rssReady = await rssBytes(d.pid);
    await sleep(idleS * 1000);
    const rssIdle = await rssBytes(d.pid);
    log(`tsiscsid pid ${d.pid}: RSS ${(rssReady / MB).toFixed(1)} MB at ready, ${(rssIdle / MB).toFixed(1)} MB after ${idleS} s idle`);
    const main = await ControlClient.connect(d.socket, { client: 'bench', timeoutMs: 60_000 });
    const r = await ramp(d, main, ts);
    const after = await counts(main);
    log(`loginAll returned after ${(r.ms / 1000).toFixed(1)} s: ${after.loggedIn} logged in, ${r.failures} failed${r.firstFailures[0] ? ` (first: ${r.firstFailures[0]})` : ''}`);
    await sleep(Math.max(NOP_INTERVAL_S, 5) * 1000);
    const w = await measureWindow(d, ts);
    const end = await counts(main);
    log(`window ${windowS} s: CPU ${w.cpuPct.toFixed(2)} %, RSS median ${(median(w.rss) / MB).toFixed(0)} MB, ${end.loggedIn} logged in`);
    const list = await listTimes(main);
    const rssAfterList = await rssBytes(d.pid);
    log(`session.list: ${list.listed} sessions, ${(list.resultBytes / MB).toFixed(1)} MB JSON, p50 ${median(list.ms).toFixed(0)} ms`);
    await main.close();
    const cli = cliRuns > 0 ? await cliTimes(root.dir, list.listed) : { wired: false, runs: [], pipeLines: undefined, problem: 'not run (--cli-runs 0)' };
    log(cli.wired ? `tsiscsiadm -m session: median ${median(cli.runs.map((x) => x.ms)).toFixed(0)} ms${cli.problem ? ` (${cli.problem})` : ''}` : `tsiscsiadm -m session not usable: ${cli.problem}`);
    const daemonNofile = nofile(d.pid);
    const stop = await d.stop(120_000);
    log(`tsiscsid stopped after ${(stop.ms / 1000).toFixed(1)} s (exit ${stop.code ?? stop.signal}${stop.killed ? ', SIGKILLed' : ''})`);
    return { recordsMs, rssReady, rssIdle, ramp: r, after, w, end, list, rssAfterList, cli, stop, daemonNofile, tally: d.tally };
  } finally {
    await d.stop(5000);
    root.rm();
  }
}

async function main(): Promise<void> {
  const machine = await machineInfo();
  const res = await withTgtds(tgtds, async (ts) => ({ ...(await withDaemon(ts)), tgtdNofile: ts.map((t) => nofile(t.pid)) }));
  const held = res.end.loggedIn;
  const rssWin = median(res.w.rss);
  const perSessionKB = held > 0 ? (rssWin - res.rssIdle) / held / 1024 : NaN;
  const listP50 = median(res.list.ms);
  const cliP50 = res.cli.wired ? median(res.cli.runs.map((x) => x.ms)) : NaN;
  const notes = [
    'RSS = VmRSS of the tsiscsid process (MB = 10^6 bytes); CPU = utime+stime delta from /proc/PID/stat over the window wall time, % of one core',
    `records: ${targets} targets x ${ifaces} ifaces over ${tgtds} tgtd instance(s) (one portal each); NOP-Out every ${NOP_INTERVAL_S} s, NOP timeout ${nopTimeoutS} s, login timeout ${LOGIN_TIMEOUT_S} s; node.session.scan = ${scan}; DB on ${BASE}`,
    'session.list latency = ControlClient.call until the parsed result (the full -P 3 view of every session)',
  ];
  if (held < sessions) notes.push(`only ${held} of ${sessions} sessions were logged in at the end of the window: numbers are for ${held}, not extrapolated`);
  if (!res.cli.wired) notes.push(`tsiscsiadm -m session is not usable yet: ${res.cli.problem}`);
  else if (res.cli.problem) notes.push(`tsiscsiadm -m session: ${res.cli.problem}`);
  const out: Summary = {
    bench: 'daemon-sessions-10k',
    machine,
    params: { sessions, targets, ifaces, windowS, idleS, listCalls, cliRuns, nopIntervalS: NOP_INTERVAL_S, nopTimeoutS, loginTimeoutS: LOGIN_TIMEOUT_S, scan, tgtds, rampCapS },
    setup: {
      daemonNofile: res.daemonNofile, tgtdNofile: res.tgtdNofile, recordsMs: round(res.recordsMs),
      loginAllMs: round(res.ramp.ms), loginAllError: res.ramp.callError, selected: res.ramp.selected, loginFailures: res.ramp.failures,
      failureCodes: res.ramp.failureCodes, firstFailures: res.ramp.firstFailures, lastCompletedMs: res.ramp.lastCompletedMs,
      countsAfterRamp: res.after, countsAfterWindow: res.end,
      rssReadyMB: round(res.rssReady / MB, 1), rssIdleMB: round(res.rssIdle / MB, 1), rssRampPeakMB: round(res.ramp.rssPeak / MB, 1),
      rssWindowMedianMB: round(rssWin / MB, 1), rssWindowMaxMB: round(Math.max(...res.w.rss) / MB, 1), rssAfterListMB: round(res.rssAfterList / MB, 1),
      perSessionKB: round(perSessionKB, 1), cpuPctWindow: round(res.w.cpuPct, 2), tgtdCpuPctWindow: round(res.w.tgtdCpuPct, 2),
      statusDuringRampP50Ms: round(median(res.ramp.statusDuringRampMs), 1), statusDuringRampMaxMs: round(Math.max(0, ...res.ramp.statusDuringRampMs), 1),
      sessionStates: res.list.tally, listed: res.list.listed, listResultMB: round(res.list.resultBytes / MB, 2), listP50Ms: round(listP50, 1), listP90Ms: round(percentile([...res.list.ms].sort((a, b) => a - b), 90), 1),
      cliWired: res.cli.wired, cliProblem: res.cli.problem, cliRuns: res.cli.runs.map((x) => ({ ...x, ms: round(x.ms) })), cliPipeLines: res.cli.pipeLines,
      stopMs: round(res.stop.ms), stopExit: res.stop.code, stopKilled: res.stop.killed, daemonLog: res.tally,
    },
    series: {
      sessionListMs: series('ms', res.list.ms),
      rssWindowMB: series('MB', res.w.rss.map((b) => b / MB)),
      ...(res.cli.wired ? { cliSessionMs: series('ms', res.cli.runs.map((x) => x.ms)) } : {}),
    },
    goals: [],
    notes,
    table: {
      header: ['sessions held', 'RSS ready', `RSS idle ${idleS} s`, 'RSS held (median)', 'RSS peak (ramp)', 'per session', 'CPU (% core)', 'loginAll', 'session.list p50', 'list JSON', 'tsiscsiadm -m session', 'stop (logout all)'],
      rows: [[
        `${held}/${sessions}`, `${(res.rssReady / MB).toFixed(0)} MB`, `${(res.rssIdle / MB).toFixed(0)} MB`, `${(rssWin / MB).toFixed(0)} MB`,
        `${(res.ramp.rssPeak / MB).toFixed(0)} MB`, `${perSessionKB.toFixed(1)} KB`, `${res.w.cpuPct.toFixed(2)} %`, `${(res.ramp.ms / 1000).toFixed(1)} s`,
        `${listP50.toFixed(0)} ms`, `${(res.list.resultBytes / MB).toFixed(1)} MB`, res.cli.wired ? `${cliP50.toFixed(0)} ms` : 'not wired', `${(res.stop.ms / 1000).toFixed(1)} s`,
      ]],
    },
  };
  await emit(out, args['json-out']);
}

await main();
