/**
 * daemon-api: round trip of control API calls over the Unix socket, with the real client
 * (`ControlClient`, newline-delimited JSON-RPC).
 *
 * Three servers, measured in the same run (same machine load):
 * 1. echo: a raw newline echo server in a `node -e` process: the floor of a Node-to-Node
 *    Unix-socket round trip, so the framework's own cost is visible.
 * 2. stack: the daemon's control stack (daemon-api-server.ts) with the rate limit lifted:
 *    back-to-back calls, p50/p99/p99.9 and calls/s.
 * 3. tsiscsid: the real `bin/tsiscsid`. It allows 200 requests/s per connection
 *    (DEFAULT_LIMITS.maxRequestsPerSecond), so its calls are paced at `--rate` per
 *    connection (calls start >= 1/rate apart, no catch-up bursts); calls/s there is the
 *    pacing, not a capacity. A RATE_LIMITED refusal would be counted and retried.
 * Patterns: one connection sequential (after warm-up) and `--conns` connections at once.
 * Methods: `daemon.status` and `session.list` with no sessions.
 *
 *   node bench/out/bench/daemon-api.js [--calls 20000] [--paced-calls 20000] [--paced-list 4000]
 *        [--conns 8] [--rate 190] [--warmup 2000]
 */
import { ControlClient } from '../src/control/client.js';
import { benchArgs, emit, intArg, log, machineInfo, rssOfPid, series, type Series, type Summary } from './lib/common.js';
import {
  LineClient, latencyStats, startDaemon, startEchoServer, startHelper, tempRoot, timeCalls, timeConcurrent, type LatencyStats,
} from './daemon-common.js';

const args = benchArgs({
  calls: { type: 'string' }, 'paced-calls': { type: 'string' }, 'paced-list': { type: 'string' }, conns: { type: 'string' },
  rate: { type: 'string' }, warmup: { type: 'string' },
});
const calls = intArg(args.calls, 20_000, 100, 200_000, 'calls');
const pacedCalls = intArg(args['paced-calls'], 20_000, 100, 40_000, 'paced-calls');
const pacedList = intArg(args['paced-list'], 4000, 100, 40_000, 'paced-list');
const conns = intArg(args.conns, 8, 1, 64, 'conns');
const rate = intArg(args.rate, 190, 1, 199, 'rate');
const warmup = intArg(args.warmup, 2000, 0, 20_000, 'warmup');
/** Paced warm-up: enough for the JIT, short enough at `rate` calls/s. */
const pacedWarmup = Math.min(warmup, 400);

/** The echo line has the size of a `daemon.status` request line. */
const ECHO_LINE = JSON.stringify({ jsonrpc: '2.0', id: 12345, method: 'daemon.status', params: {} });

interface Row {
  server: 'echo' | 'stack' | 'tsiscsid';
  what: string;
  pattern: string;
  stats: LatencyStats;
}

type Caller = () => Promise<unknown>;

/** Sequential + concurrent series for one kind of call. `open` makes a connection's caller. */
async function measure(server: Row['server'], what: string, open: () => Promise<{ call: Caller; close: () => Promise<void> | void }>, n: number, paced: boolean, rows: Row[]): Promise<void> {
  const r = paced ? rate : undefined;
  const one = await open();
  await timeCalls(one.call, paced ? pacedWarmup : warmup, r);
  const seq = await timeCalls(one.call, n, r);
  rows.push({ server, what, pattern: paced ? `1 conn, paced ${rate}/s` : '1 conn, back to back', stats: latencyStats(seq.samples, seq.wallMs, seq.rateLimited) });
  log(`${server} ${what} sequential: p50 ${rows.at(-1)!.stats.p50Us} us, ${rows.at(-1)!.stats.callsPerS} calls/s`);
  const many = [one, ...(await Promise.all(Array.from({ length: conns - 1 }, open)))];
  const each = Math.max(1, Math.floor(n / conns));
  // Warm the new connections too, then measure all at once.
  await timeConcurrent(many.map((c) => c.call), paced ? 50 : Math.min(200, warmup), r);
  const conc = await timeConcurrent(many.map((c) => c.call), each, r);
  rows.push({ server, what, pattern: `${conns} conns${paced ? `, each paced ${rate}/s` : ', back to back'}`, stats: latencyStats(conc.samples, conc.wallMs, conc.rateLimited) });
  log(`${server} ${what} ${conns} conns: p50 ${rows.at(-1)!.stats.p50Us} us, ${rows.at(-1)!.stats.callsPerS} calls/s`);
  for (const c of many) await c.close();
}

function echoOpen(path: string) {
  return async () => {
    const c = await LineClient.connect(path);
    return { call: () => c.roundTrip(ECHO_LINE), close: () => c.close() };
  };
}

function rpcOpen(socket: string, method: string) {
  return async () => {
    const c = await ControlClient.connect(socket, { client: 'bench', timeoutMs: 10_000 });
    return { call: () => c.call(method, {}), close: () => c.close() };
  };
}

async function runEcho(rows: Row[]): Promise<void> {
  const root = tempRoot();
  const path = `${root.dir}/echo.sock`;
  const echo = await startEchoServer(path);
  log(`echo server pid ${echo.pid}`);
  try {
    await measure('echo', 'echo line', echoOpen(path), calls, false, rows);
    await measure('echo', 'echo line', echoOpen(path), Math.min(pacedList, pacedCalls), true, rows);
  } finally {
    await echo.stop();
    root.rm();
  }
}

async function runStack(rows: Row[]): Promise<void> {
  const root = tempRoot();
  const helper = await startHelper('daemon-api-server', [root.dir]);
  log(`control stack (rate limit lifted) pid ${helper.pid}`);
  const socket = `${root.dir}/run/tsiscsi/tsiscsid.sock`;
  try {
    await measure('stack', 'daemon.status', rpcOpen(socket, 'daemon.status'), calls, false, rows);
    await measure('stack', 'session.list (0 sessions)', rpcOpen(socket, 'session.list'), calls, false, rows);
  } finally {
    await helper.stop();
    root.rm();
  }
}

async function runDaemon(rows: Row[]): Promise<Record<string, unknown>> {
  const root = tempRoot();
  const d = await startDaemon(root.dir);
  log(`tsiscsid pid ${d.pid}`);
  try {
    const rssStartMiB = await rssOfPid(d.pid);
    await measure('tsiscsid', 'daemon.status', rpcOpen(d.socket, 'daemon.status'), pacedCalls, true, rows);
    await measure('tsiscsid', 'session.list (0 sessions)', rpcOpen(d.socket, 'session.list'), pacedList, true, rows);
    const rssEndMiB = await rssOfPid(d.pid);
    const stop = await d.stop(10_000);
    return { daemonRssStartMiB: rssStartMiB, daemonRssEndMiB: rssEndMiB, daemonLog: d.tally, daemonStopMs: Math.round(stop.ms), daemonExit: stop.code };
  } finally {
    await d.stop(5000);
    root.rm();
  }
}

function tableRow(r: Row): string[] {
  const s = r.stats;
  return [r.server, r.what, r.pattern, String(s.calls), s.p50Us.toFixed(0), s.p99Us.toFixed(0), s.p999Us.toFixed(0), String(s.callsPerS)];
}

async function main(): Promise<void> {
  const machine = await machineInfo();
  const rows: Row[] = [];
  await runEcho(rows);
  await runStack(rows);
  const setup = await runDaemon(rows);
  const out: Record<string, Series> = {};
  for (const r of rows) {
    const key = `${r.server} | ${r.what} | ${r.pattern}`;
    out[`${key} | p50`] = series('us', [r.stats.p50Us]);
    out[`${key} | p99`] = series('us', [r.stats.p99Us]);
    out[`${key} | p999`] = series('us', [r.stats.p999Us]);
    out[`${key} | calls/s`] = series('calls/s', [r.stats.callsPerS]);
  }
  const summary: Summary = {
    bench: 'daemon-api',
    machine,
    params: { calls, pacedCalls, pacedList, conns, rate, warmup, pacedWarmup, echoLineBytes: ECHO_LINE.length + 1 },
    setup: { ...setup, rows: rows.map((r) => ({ server: r.server, what: r.what, pattern: r.pattern, ...r.stats })) },
    series: out,
    goals: [],
    notes: [
      'latency = time from ControlClient.call() to its resolved promise (client JSON encode/decode included); us = microseconds; percentiles nearest-rank',
      'echo = raw newline echo server in a `node -e` process (no JSON on either side); stack = ControlServer + Daemon methods with the rate limit lifted; tsiscsid = bin/tsiscsid, 200 req/s per connection limit, paced',
      'client and server share the machine; with few cores the concurrent rows measure CPU contention as much as the daemon',
    ],
    table: { header: ['server', 'call', 'pattern', 'calls', 'p50 (us)', 'p99 (us)', 'p99.9 (us)', 'calls/s'], rows: rows.map(tableRow) },
  };
  await emit(summary, args['json-out']);
}

await main();
