/**
 * failover-soak: 1000 fault cycles across 100 sessions (issue 5 §6). Every session sits
 * behind its own TCP fault proxy to one tgtd target; each runs cycles/sessions cycles in
 * a row, all sessions at once: an RST (path reset) or a blackhole (detected by NOP-Out
 * timeout, then healed), then wait until it is LOGGED IN again. Timers are short (noop
 * 1/1, DefaultTime2Wait 0..1) so it stays within a few minutes.
 *
 * Pass: 0 crashes (no uncaught exception or unhandled rejection, the daemon still
 * answers), every cycle recovered, and sockets, timers, file descriptors and sessions
 * counted before and after are equal.
 *
 *   node bench/out/bench/failover-soak.js [--sessions 100] [--cycles 1000] [--time2wait 1]
 *                                         [--blackhole-percent 50] [--seed 1]
 */
import { benchArgs, cell, emit, intArg, log, machineInfo, series, withTgtd, type Goal, type Summary } from './lib/common.js';
import {
  addFailoverTarget, countResources, isRecovered, isState, remoteProxies, sleep, socketEndpoints, socketRoles, startFailoverRig, type FailoverRig, type ResourceCount,
} from './failover-lib.js';

const args = benchArgs({
  sessions: { type: 'string' }, cycles: { type: 'string' }, time2wait: { type: 'string' }, 'blackhole-percent': { type: 'string' }, seed: { type: 'string' },
});
const sessions = intArg(args.sessions, 100, 1, 500, 'sessions');
const cycles = intArg(args.cycles, 1000, 1, 20_000, 'cycles');
const t2w = intArg(args.time2wait, 1, 0, 5, 'time2wait');
const blackholePercent = intArg(args['blackhole-percent'], 50, 0, 100, 'blackhole-percent');
let seed = intArg(args.seed, 1, 0, 2 ** 31 - 1, 'seed');
/** A cycle that does not recover within this long counts as failed. */
const CYCLE_TIMEOUT_MS = 30_000;

/** Deterministic PRNG (mulberry32) so runs are comparable. */
function random(): number {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
}

const crashes: string[] = [];
process.on('uncaughtException', (err) => crashes.push(`uncaughtException: ${err.stack ?? err.message}`));
process.on('unhandledRejection', (err) => crashes.push(`unhandledRejection: ${err instanceof Error ? err.stack ?? err.message : String(err)}`));

interface CycleResult {
  kind: 'rst' | 'blackhole';
  ok: boolean;
  /** Fault injected → LOGGED IN again. */
  ms: number;
  error?: string;
}

async function cycle(r: FailoverRig, i: number, kind: 'rst' | 'blackhole'): Promise<CycleResult> {
  const sid = r.sids[i]!;
  const proxy = { setMode: (m: Parameters<FailoverRig['proxies']['setMode']>[1]) => r.proxies.setMode(i, m), resetAll: () => r.proxies.reset(i) };
  const lost = r.bus.wait(isState(sid, { to: 'REOPEN', trigger: 'connection-lost' }), CYCLE_TIMEOUT_MS, `sid ${sid} REOPEN`);
  const back = r.bus.wait(isRecovered(sid), CYCLE_TIMEOUT_MS, `sid ${sid} recovered`);
  const t0 = performance.now();
  try {
    if (kind === 'rst') proxy.resetAll();
    else proxy.setMode({ kind: 'blackhole' });
    await lost;
    if (kind === 'blackhole') proxy.setMode({ kind: 'pass' });
    const b = await back;
    return { kind, ok: true, ms: b.at - t0 };
  } catch (err) {
    proxy.setMode({ kind: 'pass' });
    lost.catch(() => undefined);
    back.catch(() => undefined);
    return { kind, ok: false, ms: performance.now() - t0, error: err instanceof Error ? err.message : String(err) };
  }
}

/** Session `i` runs `n` cycles in a row, with a random pause before each. */
async function worker(r: FailoverRig, i: number, n: number, out: CycleResult[]): Promise<void> {
  for (let k = 0; k < n; k++) {
    await sleep(Math.floor(random() * 500));
    out.push(await cycle(r, i, random() * 100 < blackholePercent ? 'blackhole' : 'rst'));
  }
}

/** Count until two consecutive samples agree with `before` (connections closing settle), or give up after `ms`. */
async function settledCount(r: FailoverRig, before: ResourceCount | undefined, ms: number): Promise<ResourceCount> {
  const deadline = performance.now() + ms;
  let last = await countResources(r.d);
  while (performance.now() < deadline) {
    await sleep(250);
    const now = await countResources(r.d);
    const same = JSON.stringify(now) === JSON.stringify(last);
    if (same && (before === undefined || JSON.stringify(now) === JSON.stringify(before))) return now;
    last = now;
  }
  return last;
}

async function main(): Promise<void> {
  const machine = await machineInfo();
  const values = {
    'node.conn[0].timeo.noop_out_interval': 1,
    'node.conn[0].timeo.noop_out_timeout': 1,
    'node.conn[0].timeo.login_timeout': 2,
    'node.session.iscsi.DefaultTime2Wait': t2w,
    'node.session.timeo.replacement_timeout': 60,
  };
  const results: CycleResult[] = [];
  let before: ResourceCount | undefined;
  let after: ResourceCount | undefined;
  let wallMs = 0;
  let answered = false;
  let startSockets: string[] = [];
  let leftovers: string[] = [];
  let roles: Record<string, number> = {};
  const rss = { before: 0, after: 0 };
  await withTgtd({}, async (t) => {
    await addFailoverTarget(t, t2w);
    const r = await startFailoverRig(await remoteProxies(t.port, sessions), values, ['session.gave-up']);
    try {
      before = await settledCount(r, undefined, 5000);
      startSockets = socketEndpoints();
      rss.before = process.memoryUsage.rss();
      log(`before: ${JSON.stringify(before)}`);
      const start = performance.now();
      const per = Array.from({ length: sessions }, (_, i) => Math.floor(cycles / sessions) + (i < cycles % sessions ? 1 : 0));
      const progress = setInterval(() => log(`${results.length}/${cycles} cycles, ${results.filter((c) => !c.ok).length} failed`), 10_000);
      await Promise.all(per.map((n, i) => worker(r, i, n, results)));
      clearInterval(progress);
      wallMs = performance.now() - start;
      after = await settledCount(r, before, 20_000);
      roles = socketRoles(new Set(r.proxies.ports), t.port);
      if (JSON.stringify(after) !== JSON.stringify(before)) leftovers = socketEndpoints().filter((x) => !startSockets.includes(x));
      rss.after = process.memoryUsage.rss();
      log(`after: ${JSON.stringify(after)}`);
      answered = (await r.d.call<{ version: string }>('daemon.status')).version.length > 0;
      if (r.bus.seen.length > 0) log(`give-ups: ${r.bus.seen.length}`);
    } finally {
      await r.stop();
    }
  });
  const failed = results.filter((c) => !c.ok);
  const equal = JSON.stringify(before) === JSON.stringify(after);
  const rstMs = series('ms', results.filter((c) => c.ok && c.kind === 'rst').map((c) => c.ms));
  const bhMs = series('ms', results.filter((c) => c.ok && c.kind === 'blackhole').map((c) => c.ms));
  const goals: Goal[] = [
    { text: '0 crashes (uncaught errors; daemon answers at the end)', ratio: crashes.length, met: crashes.length === 0 && answered },
    { text: 'every cycle recovered', ratio: failed.length, met: failed.length === 0 && results.length === cycles },
    { text: 'sockets, timers, fds and sessions equal before and after', ratio: equal ? 0 : 1, met: equal },
  ];
  const out: Summary = {
    bench: 'failover-soak',
    machine,
    params: { sessions, cycles, time2waitS: t2w, blackholePercent, noopS: 1, seed: intArg(args.seed, 1, 0, 2 ** 31 - 1, 'seed') },
    setup: { path: 'tsiscsid (in-process) -> per-session TCP fault proxy -> tgtd, loopback', wallS: Math.round(wallMs / 100) / 10, rssMiB: { before: Math.round(rss.before / 2 ** 20), after: Math.round(rss.after / 2 ** 20) } },
    series: { rstToLoggedIn: rstMs, blackholeToLoggedIn: bhMs },
    goals,
    notes: [
      `before ${JSON.stringify(before)}; after ${JSON.stringify(after)} (sockets include the in-process proxies and their listeners)`,
      `TCP sockets by role after: ${JSON.stringify(roles)}`,
      ...(leftovers.length > 0 ? [`sockets not there before: ${leftovers.join(', ')}`] : []),
      ...crashes.slice(0, 5),
      ...failed.slice(0, 5).map((c) => `failed ${c.kind} cycle: ${c.error ?? ''}`),
    ],
    table: {
      header: ['sessions', 'cycles (rst / blackhole)', 'wall', 'crashes', 'failed cycles', 'RST -> LOGGED IN', 'blackhole -> LOGGED IN', 'before = after'],
      rows: [[
        String(sessions),
        `${results.length} (${results.filter((c) => c.kind === 'rst').length} / ${results.filter((c) => c.kind === 'blackhole').length})`,
        `${(wallMs / 1000).toFixed(0)} s`,
        String(crashes.length),
        String(failed.length),
        cell(rstMs, 0),
        cell(bhMs, 0),
        equal ? `yes (sockets ${after?.sockets}, timers ${after?.timers}, fds ${after?.fds}, sessions ${after?.sessions})` : `NO: ${JSON.stringify(before)} vs ${JSON.stringify(after)}`,
      ]],
    },
  };
  await emit(out, args['json-out']);
  if (!goals.every((g) => g.met)) process.exitCode = 1;
  // Everything is stopped: anything still alive now would keep the process running.
  setTimeout(() => {
    log(`still alive after stop: ${JSON.stringify(process.getActiveResourcesInfo())} ${socketEndpoints().join(', ')}`);
    process.exit(process.exitCode ?? 0);
  }, 5000).unref();
}

main().catch((err: unknown) => {
  process.stderr.write(`failover-soak: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
