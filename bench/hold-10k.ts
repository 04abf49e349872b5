/**
 * hold-10k: hold N (default 10 000) usertcp sessions to tgtd with a NOP-Out keepalive
 * every 5 s, for a fixed window after all are up; measure our RSS (peak and steady)
 * and CPU (% of one core) in the window.
 * Goal (issue): <= 200 MB RSS, <= 5 % of one core.
 *
 * Sessions are spread over several targets (distinct ISIDs, one initiator name) and
 * logged in with bounded concurrency. If tgtd or the file-descriptor limit stops the
 * ramp early, the bench measures what was established and says so.
 *
 *   node bench/out/bench/hold-10k.js [--sessions 10000] [--targets 10] [--window 60]
 *                                    [--concurrency 64] [--nop-interval 5000] [--instances 1]
 *                                    [--floor-window SECONDS]
 *
 * The floor: after the window (and the logout sample), the remaining sessions are taken
 * over by the bare loop of lib/bare-nop-loop.ts (one timer, a pre-built NOP-Out written
 * per session per interval, a read callback that only follows NOP-In headers) and its CPU
 * is measured the same way over `--floor-window` seconds (default: the window; 0: skip).
 * That is what the same pings cost with node:net and nothing else.
 *
 * `--instances K` spreads the sessions round-robin over K tgtd instances (K loopback
 * ports): tgtd's event loop is linear in its connection count and needs ~60 % of a core
 * for 10 000 sessions, which it does not get on a loaded 2-vCPU machine. Our side does the
 * same work either way.
 */
import { readFile } from 'node:fs/promises';
import { isidFromQualifier } from '../src/iscsi/isid.js';
import { Session } from '../src/session/session.js';
import { userTcpTransport } from '../src/transport/usertcp/index.js';
import { bareConnection } from './lib/bare-connection.js';
import { bareNopLoop } from './lib/bare-nop-loop.js';
import { benchArgs, cpuMsOfPid, emit, intArg, log, machineInfo, mapLimit, median, OUR_INITIATOR, round, rssOfPid, series, TARGET_PREFIX, withTgtds, type Goal, type Summary, type Tgtd } from './lib/common.js';

const args = benchArgs({ sessions: { type: 'string' }, targets: { type: 'string' }, window: { type: 'string' }, concurrency: { type: 'string' }, 'nop-interval': { type: 'string' }, instances: { type: 'string' }, 'floor-window': { type: 'string' } });
const instances = intArg(args.instances, 1, 1, 8, 'instances');
const sessions = intArg(args.sessions, 10_000, 1, 20_000, 'sessions');
const targets = intArg(args.targets, 10, 1, 1000, 'targets');
const windowS = intArg(args.window, 60, 5, 180, 'window');
const concurrency = intArg(args.concurrency, 64, 1, 1024, 'concurrency');
const nopIntervalMs = intArg(args['nop-interval'], 5000, 100, 60_000, 'nop-interval');
const floorWindowS = intArg(args['floor-window'], windowS, 0, 180, 'floor-window');
/** Stop the ramp after this many failed logins (the limit has been found). */
const MAX_FAILURES = 200;
const MB = 1e6;
const NOP_TIMEOUT_MS = 30_000;
const LOGIN_TIMEOUT_MS = 60_000;
const LOGOUT_SAMPLE = 100;

/** Soft open-file limit of a process (from /proc/PID/limits). */
async function nofile(pid: number | 'self'): Promise<number> {
  const text = await readFile(`/proc/${pid}/limits`, 'utf8').catch(() => '');
  return Number(/^Max open files\s+(\d+)/m.exec(text)?.[1] ?? NaN);
}

/** RSS sampler: peak since start, and every sample (bytes). */
function sampler(everyMs: number): { samples: number[]; peak: () => number; stop: () => void } {
  const samples: number[] = [];
  let peak = 0;
  const take = (): void => {
    const rss = process.memoryUsage.rss();
    samples.push(rss);
    if (rss > peak) peak = rss;
  };
  take();
  const timer = setInterval(take, everyMs);
  return { samples, peak: () => peak, stop: () => clearInterval(timer) };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** CPU of the bare NOP loop on `sessions` over `seconds`, after one interval to reach its pace. */
async function floorWindow(sessions: readonly Session[], seconds: number): Promise<{ held: number; sent: number; wallMs: number; cpu: NodeJS.CpuUsage; errors: string[] }> {
  const conns = sessions.filter((s) => s.state === 'logged-in').map(bareConnection);
  const loop = bareNopLoop(conns, nopIntervalMs);
  try {
    await sleep(nopIntervalMs);
    const sent0 = loop.sent;
    const cpu0 = process.cpuUsage();
    const w0 = performance.now();
    await sleep(seconds * 1000);
    return { held: conns.length, sent: loop.sent - sent0, wallMs: performance.now() - w0, cpu: process.cpuUsage(cpu0), errors: loop.errors.slice(0, 3) };
  } finally {
    loop.stop();
  }
}

async function ramp(ts: readonly Tgtd[], all: Session[]): Promise<{ ms: number; failures: string[] }> {
  const failures: string[] = [];
  const start = performance.now();
  let done = 0;
  await mapLimit(
    Array.from({ length: sessions }, (_, i) => i),
    concurrency,
    async (i) => {
      if (failures.length >= MAX_FAILURES) return;
      const s = new Session({
        transport: userTcpTransport,
        portal: { host: ts[i % ts.length]!.host, port: ts[i % ts.length]!.port },
        initiatorName: OUR_INITIATOR,
        targetName: `${TARGET_PREFIX}:hold-${(i % targets) + 1}`,
        sessionType: 'Normal',
        isid: isidFromQualifier(i + 1),
        noopOutIntervalMs: nopIntervalMs,
        // tgtd stalls for seconds at a time near 10 000 connections (its event list is a
        // linear scan); generous timeouts keep the stall from tearing sessions down.
        noopOutTimeoutMs: NOP_TIMEOUT_MS,
        loginTimeoutMs: LOGIN_TIMEOUT_MS,
      });
      try {
        await s.login();
        all.push(s);
      } catch (err) {
        failures.push(`${(err as { code?: string }).code ?? 'ERROR'}: ${(err as Error).message}`);
      }
      if (++done % 1000 === 0) log(`${done} logins attempted, ${all.length} up, RSS ${(process.memoryUsage.rss() / MB).toFixed(0)} MB`);
    },
  );
  return { ms: performance.now() - start, failures };
}

async function main(): Promise<void> {
  const machine = await machineInfo();
  const ourNofile = await nofile('self');
  const baselineRss = process.memoryUsage.rss();
  const res = await withTgtds(instances, {}, async (ts) => {
    const t = ts[0]!;
    const tgtdNofile = await nofile(t.pid);
    log(`open-file limits: ours ${ourNofile}, tgtd ${tgtdNofile}`);
    await Promise.all(ts.map((x) => x.addTargetsBulk(targets, `${TARGET_PREFIX}:hold-`, { concurrency: 4 })));

    const all: Session[] = [];
    let dropped = 0;
    const rampRss = sampler(200);
    const r = await ramp(ts, all);
    rampRss.stop();
    // Why sessions dropped, by error code (and cause), and when the first one did.
    const dropReasons: Record<string, number> = {};
    let firstDropMs: number | undefined;
    const t0 = performance.now();
    for (const s of all) {
      s.on('connection-error', (err: { code?: string; details?: { reason?: string } }) => {
        dropped++;
        firstDropMs ??= performance.now() - t0;
        const k = `${err.code ?? 'ERROR'}${err.details?.reason ? `/${err.details.reason}` : ''}`;
        dropReasons[k] = (dropReasons[k] ?? 0) + 1;
      });
    }
    log(`${all.length}/${sessions} sessions up in ${(r.ms / 1000).toFixed(1)} s (${r.failures.length} failures${r.failures[0] ? `, first: ${r.failures[0]}` : ''})`);

    // The window: only keepalives run. Let the ramp's garbage settle for one interval first.
    await sleep(nopIntervalMs);
    const perSession0 = all.map((s) => s.stats?.noptx_pdus ?? 0);
    const nop0 = perSession0.reduce((a, b) => a + b, 0);
    const tgtdCpu = async (): Promise<number> => {
      let sum = 0;
      for (const x of ts) sum += await cpuMsOfPid(x.pid);
      return sum;
    };
    const tgtd0 = await tgtdCpu();
    const winRss = sampler(1000);
    const cpu0 = process.cpuUsage();
    const w0 = performance.now();
    await sleep(windowS * 1000);
    const cpu = process.cpuUsage(cpu0);
    const wallMs = performance.now() - w0;
    winRss.stop();
    const tgtdCpuMs = (await tgtdCpu()) - tgtd0;
    const nops = all.reduce((n, s) => n + (s.stats?.noptx_pdus ?? 0), 0) - nop0;
    // How many NOP-Outs each session sent in the window (expected: window / interval).
    const nopHistogram: Record<string, number> = {};
    all.forEach((s, i) => {
      const k = String((s.stats?.noptx_pdus ?? 0) - perSession0[i]!);
      nopHistogram[k] = (nopHistogram[k] ?? 0) + 1;
    });
    const alive = all.filter((s) => s.state === 'logged-in').length;
    let tgtdRssMiB = 0;
    for (const x of ts) tgtdRssMiB += await rssOfPid(x.pid);
    // Live JS heap: a full GC after the window (scripts/bench.mjs runs node --expose-gc).
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const afterGc = gc ? process.memoryUsage() : undefined;
    log(`window ${(wallMs / 1000).toFixed(1)} s: CPU ${((100 * (cpu.user + cpu.system)) / 1000 / wallMs).toFixed(2)} %, ${nops} NOP-Outs, ${alive} alive`);

    // Log out a sample (tgtd needs O(sessions) per logout, 10 000 logouts take minutes on a
    // busy machine); drop the rest: tgtd is killed right after.
    const l0 = performance.now();
    const sample = all.slice(0, LOGOUT_SAMPLE);
    await mapLimit(sample, concurrency, (s) => (s.state === 'logged-in' ? s.logout().catch(() => s.close()) : Promise.resolve(s.close())));
    const logoutMs = performance.now() - l0;
    const rest = all.slice(LOGOUT_SAMPLE);
    const floor = floorWindowS > 0 ? await floorWindow(rest, floorWindowS) : undefined;
    if (floor) log(`floor window ${(floor.wallMs / 1000).toFixed(1)} s: CPU ${((100 * (floor.cpu.user + floor.cpu.system)) / 1000 / floor.wallMs).toFixed(2)} %, ${floor.sent} NOP-Outs on ${floor.held} connections`);
    for (const s of rest) s.close();
    return { floor, afterGc, ramp: r, up: all.length, alive, dropped, dropReasons, firstDropMs, nops, nopHistogram, wallMs, cpu, tgtdCpuMs, tgtdRssMiB, tgtdNofile, logoutMs, rampRss, winRss };
  });

  const cpuPct = (100 * (res.cpu.user + res.cpu.system)) / 1000 / res.wallMs;
  const usPerNop = (cpu: NodeJS.CpuUsage, nops: number): string => `${((cpu.user + cpu.system) / nops).toFixed(1)} µs (user ${(cpu.user / nops).toFixed(1)})`;
  const f = res.floor;
  const floorPct = f ? (100 * (f.cpu.user + f.cpu.system)) / 1000 / f.wallMs : NaN;
  const steady = median(res.winRss.samples);
  const windowMax = Math.max(...res.winRss.samples);
  const peak = Math.max(res.rampRss.peak(), res.winRss.peak());
  const goals: Goal[] = [
    { text: 'RSS while holding (max over the window) <= 200 MB', ratio: round(windowMax / (200 * MB), 3), met: windowMax <= 200 * MB },
    { text: 'peak RSS (ramp included) <= 200 MB', ratio: round(peak / (200 * MB), 3), met: peak <= 200 * MB },
    { text: 'CPU in the window <= 5 % of one core', ratio: round(cpuPct / 5, 3), met: cpuPct <= 5 },
  ];
  const held = `${res.alive}/${sessions}`;
  const notes = [
    'RSS = process.memoryUsage().rss of the bench process (MB = 10^6 bytes); CPU = process.cpuUsage() delta (user+system) / window wall time',
    'floor: the same connections (less the logout sample) pinged by a bare node:net loop (lib/bare-nop-loop.ts) at the same interval, measured the same way after the window',
    `the window starts one NOP interval after the last login; sessions spread over ${targets} targets${instances > 1 ? ` on each of ${instances} tgtd instances (round-robin)` : ''}, distinct ISIDs; tgtd CPU and RSS summed over instances`,
  ];
  if (res.up < sessions) notes.push(`only ${res.up} of ${sessions} sessions could be established: numbers are for ${res.up}, not extrapolated`);
  const out: Summary = {
    bench: 'hold-10k',
    machine,
    params: { sessions, targets, instances, windowS, concurrency, nopIntervalMs, nopTimeoutMs: NOP_TIMEOUT_MS, loginTimeoutMs: LOGIN_TIMEOUT_MS },
    setup: {
      ourNofile,
      tgtdNofile: res.tgtdNofile,
      established: res.up,
      failures: res.ramp.failures.length,
      firstFailures: res.ramp.failures.slice(0, 3),
      rampMs: round(res.ramp.ms),
      logoutSample: Math.min(LOGOUT_SAMPLE, res.up),
      logoutSampleMs: round(res.logoutMs),
      aliveAtEnd: res.alive,
      droppedInWindow: res.dropped,
      dropReasons: res.dropReasons,
      firstDropAfterRampS: res.firstDropMs === undefined ? null : round(res.firstDropMs / 1000, 1),
      nopOutsInWindow: res.nops,
      nopOutsPerSecond: round(res.nops / (res.wallMs / 1000), 1),
      nopOutsPerSessionHistogram: res.nopHistogram,
      baselineRssMB: round(baselineRss / MB, 1),
      afterFullGc: res.afterGc ? { rssMB: round(res.afterGc.rss / MB, 1), heapUsedMB: round(res.afterGc.heapUsed / MB, 1), heapTotalMB: round(res.afterGc.heapTotal / MB, 1) } : 'run with --expose-gc',
      tgtdRssMiB: round(res.tgtdRssMiB, 1),
      tgtdCpuPctInWindow: round((100 * res.tgtdCpuMs) / res.wallMs, 2),
      cpuUserMs: round(res.cpu.user / 1000),
      cpuSystemMs: round(res.cpu.system / 1000),
      floor: f
        ? { connections: f.held, windowS: round(f.wallMs / 1000, 1), nopOuts: f.sent, cpuPct: round(floorPct, 2), cpuUserMs: round(f.cpu.user / 1000), cpuSystemMs: round(f.cpu.system / 1000), errors: f.errors }
        : 'skipped (--floor-window 0)',
    },
    series: {
      rssWindowMB: series('MB', res.winRss.samples.map((b) => b / MB)),
      rssRampMB: series('MB', res.rampRss.samples.map((b) => b / MB)),
    },
    goals,
    notes,
    table: {
      header: ['bench', 'sessions held', 'RSS steady (median)', 'RSS max in window', 'RSS peak (ramp)', 'live JS heap (full GC)', 'CPU (% of a core)', 'NOP-Out/s', 'CPU per NOP-Out', 'goal RSS <= 200 MB', 'goal CPU <= 5 %'],
      rows: [
        [
          `hold-${sessions}`,
          held,
          `${(steady / MB).toFixed(0)} MB`,
          `${(windowMax / MB).toFixed(0)} MB`,
          `${(peak / MB).toFixed(0)} MB`,
          res.afterGc ? `${(res.afterGc.heapUsed / MB).toFixed(0)} MB` : 'n/a',
          `${cpuPct.toFixed(2)} %`,
          String(round(res.nops / (res.wallMs / 1000), 0)),
          usPerNop(res.cpu, res.nops),
          `${goals[0]!.met ? 'met' : 'NOT met'} (peak: ${goals[1]!.met ? 'met' : 'NOT met'})`,
          goals[2]!.met ? 'met' : 'NOT met',
        ],
        ...(f ? [['node:net floor (bare loop)', String(f.held), '-', '-', '-', '-', `${floorPct.toFixed(2)} %`, String(round(f.sent / (f.wallMs / 1000), 0)), usPerNop(f.cpu, f.sent), '-', '-']] : []),
      ],
    },
  };
  await emit(out, args['json-out']);
}

await main();
