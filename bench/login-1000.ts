/**
 * login-1000: log in to and out of N (default 1000) tgtd targets with bounded
 * concurrency (default 32 sessions at a time).
 *
 * Ours, each timed from the first byte of a SendTargets discovery to the last logout:
 * - `login-logout`: discovery, then Login + Logout per target (the goal's workload);
 * - `lsluns`: discovery, then per target Login, TEST UNIT READY, REPORT LUNS, per LUN
 *   TEST UNIT READY + INQUIRY (+ READ CAPACITY for disks), Logout: the SCSI work
 *   `iscsi-ls -s` does, plus the logout it skips (it only closes the socket);
 * - `login-logout` at concurrency 1 (information: per-login latency).
 * Peer: libiscsi `iscsi-ls -s iscsi://HOST:PORT`, whole process, sequential by design.
 * Goal (issue): ours <= 0.6 x libiscsi.
 *
 * tgtd runs one thread; its CPU time per variant is recorded to show when the target
 * (not the initiator) is the bottleneck. With `--instances K` (default 2) the targets are
 * split over K tgtd instances on K loopback ports, so the target side can use more than
 * one core. Ours then discovers every instance (in parallel) and logs in across all of
 * them with one concurrency limit; the peer does the same work the way a user of
 * `iscsi-ls -s` would: one run per instance, one after the other (the goal's "sequential
 * iscsi-ls -s"; summed wall time). Both runs at once are recorded for information.
 *
 *   node bench/out/bench/login-1000.js [--targets 1000] [--instances 2] [--concurrency 32] [--rounds 3]
 */
import { discoverSendTargets } from '../src/discovery/sendtargets.js';
import { isidFromQualifier } from '../src/iscsi/isid.js';
import { inquiry, readCapacity16, reportLuns, testUnitReady } from '../src/session/scsi-ops.js';
import { Session } from '../src/session/session.js';
import { userTcpTransport } from '../src/transport/usertcp/index.js';
import {
  benchArgs,
  cell,
  cpuMsOfPid,
  emit,
  goalCell,
  hyperfine,
  intArg,
  log,
  machineInfo,
  mapLimit,
  median,
  OUR_INITIATOR,
  round,
  run,
  series,
  TARGET_PREFIX,
  withTgtds,
  type Goal,
  type Series,
  type Summary,
  type Tgtd,
} from './lib/common.js';

const args = benchArgs({ targets: { type: 'string' }, concurrency: { type: 'string' }, instances: { type: 'string' } });
const targets = intArg(args.targets, 1000, 1, 5000, 'targets');
const instances = intArg(args.instances, 2, 1, 8, 'instances');
const concurrency = intArg(args.concurrency, 32, 1, 256, 'concurrency');
const rounds = intArg(args.rounds, 3, 1, 10, 'rounds');

type Variant = 'login-logout' | 'lsluns';

/** What iscsi-ls -s does per LUN: TUR, INQUIRY, and READ CAPACITY for a disk. */
async function showLuns(s: Session): Promise<void> {
  await testUnitReady(s, 0);
  for (const l of await reportLuns(s)) {
    const lun = l.lun ?? l.raw;
    await testUnitReady(s, lun);
    const inq = await inquiry(s, lun);
    if (inq.peripheralQualifier === 0 && inq.peripheralDeviceType === 0) await readCapacity16(s, lun);
  }
}

/** CPU ms used so far by all tgtd instances together. */
async function tgtdCpuMs(ts: readonly Tgtd[]): Promise<number> {
  let sum = 0;
  for (const t of ts) sum += await cpuMsOfPid(t.pid);
  return sum;
}

/** Targets of instance `j` (0-based): an even split of `targets`. */
const share = (j: number): number => Math.floor(targets / instances) + (j < targets % instances ? 1 : 0);

/**
 * Discovery of every instance (in parallel), then every target with `limit` sessions in
 * flight, taken round-robin across instances. Returns wall ms and CPU of both sides.
 */
async function ours(ts: readonly Tgtd[], variant: Variant, limit: number): Promise<{ ms: number; cpuMs: number; tgtdCpuMs: number }> {
  const tgtd0 = await tgtdCpuMs(ts);
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const lists = await Promise.all(
    ts.map(async (t, j) => {
      const found = await discoverSendTargets({ transport: userTcpTransport, portal: { host: t.host, port: t.port }, initiatorName: OUR_INITIATOR, isid: isidFromQualifier(0) });
      if (found.targets.length !== share(j)) throw new Error(`discovered ${found.targets.length} targets on ${t.portal}, expected ${share(j)}`);
      return found.targets;
    }),
  );
  const all = lists.flatMap((l, j) => l.map((target, k) => ({ target, order: k * instances + j }))).sort((a, b) => a.order - b.order);
  await mapLimit(
    all.map(({ target }, i) => ({ target, i })),
    limit,
    async ({ target, i }) => {
      const p = target.portals[0]!;
      const s = new Session({ transport: userTcpTransport, portal: { host: p.host, port: p.port }, tpgt: p.tpgt, initiatorName: OUR_INITIATOR, targetName: target.name, sessionType: 'Normal', isid: isidFromQualifier(i + 1) });
      await s.login();
      if (variant === 'lsluns') await showLuns(s);
      await s.logout();
    },
  );
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, tgtdCpuMs: (await tgtdCpuMs(ts)) - tgtd0 };
}

/** `iscsi-ls -s` against every instance: one after the other (summed), or all at once (wall). */
async function peerRun(ts: readonly Tgtd[], parallel: boolean): Promise<{ ms: number; cpuMs: number; tgtdCpuMs: number }> {
  const tgtd0 = await tgtdCpuMs(ts);
  let ms = 0;
  if (parallel) {
    const start = performance.now();
    await Promise.all(ts.map((t) => run('iscsi-ls', ['-s', `iscsi://${t.host}:${t.port}`])));
    ms = performance.now() - start;
  } else {
    for (const t of ts) ms += (await hyperfine(['iscsi-ls', '-s', `iscsi://${t.host}:${t.port}`], 1))[0]!;
  }
  return { ms, cpuMs: NaN, tgtdCpuMs: (await tgtdCpuMs(ts)) - tgtd0 };
}

interface Acc {
  ms: number[];
  cpuMs: number[];
  tgtdCpuMs: number[];
}
const acc = (): Acc => ({ ms: [], cpuMs: [], tgtdCpuMs: [] });

async function main(): Promise<void> {
  const machine = await machineInfo();
  const res = await withTgtds(instances, {}, async (ts) => {
    const setupStart = performance.now();
    await Promise.all(ts.map((t, j) => t.addTargetsBulk(share(j), `${TARGET_PREFIX}:login-${j + 1}-`, { concurrency: 4 })));
    const setupMs = performance.now() - setupStart;
    log(`created ${targets} targets on ${instances} tgtd instance(s) in ${(setupMs / 1000).toFixed(1)} s`);

    // Correctness of the peer run: one "Target:" line per target and its LUN 0.
    for (const [j, t] of ts.entries()) {
      const check = await run('iscsi-ls', ['-s', `iscsi://${t.host}:${t.port}`]);
      const listed = check.stdout.split('\n').filter((l) => l.startsWith('Target:')).length;
      if (listed !== share(j)) throw new Error(`iscsi-ls -s listed ${listed} targets on ${t.portal}, expected ${share(j)}`);
    }
    // First (cold JIT) pass of ours, untimed in the series, reported separately.
    const cold = await ours(ts, 'login-logout', concurrency);
    log(`ours cold pass: ${cold.ms.toFixed(0)} ms`);

    const m = { loginLogout: acc(), lsluns: acc(), sequential: acc(), peer: acc(), peerParallel: acc() };
    const push = (a: Acc, r: { ms: number; cpuMs: number; tgtdCpuMs: number }): void => {
      a.ms.push(r.ms);
      a.cpuMs.push(r.cpuMs);
      a.tgtdCpuMs.push(r.tgtdCpuMs);
    };
    for (let r = 0; r < rounds; r++) {
      push(m.loginLogout, await ours(ts, 'login-logout', concurrency));
      push(m.lsluns, await ours(ts, 'lsluns', concurrency));
      push(m.sequential, await ours(ts, 'login-logout', 1));
      push(m.peer, await peerRun(ts, false));
      if (instances > 1) push(m.peerParallel, await peerRun(ts, true));
      log(`round ${r + 1}/${rounds}: login-logout ${m.loginLogout.ms.at(-1)!.toFixed(0)} ms, lsluns ${m.lsluns.ms.at(-1)!.toFixed(0)} ms, c=1 ${m.sequential.ms.at(-1)!.toFixed(0)} ms, iscsi-ls -s ${m.peer.ms.at(-1)!.toFixed(0)} ms${instances > 1 ? ` (all instances at once: ${m.peerParallel.ms.at(-1)!.toFixed(0)} ms)` : ''}`);
    }
    return { setupMs, coldMs: cold.ms, m };
  });

  const { m } = res;
  const s: Record<string, Series> = {
    oursLoginLogout: series('ms', m.loginLogout.ms),
    oursLsluns: series('ms', m.lsluns.ms),
    oursLoginLogoutSequential: series('ms', m.sequential.ms),
    iscsiLsS: series('ms', m.peer.ms),
    ...(instances > 1 ? { iscsiLsSAllAtOnce: series('ms', m.peerParallel.ms) } : {}),
    oursLoginLogoutCpu: series('ms', m.loginLogout.cpuMs),
    oursLslunsCpu: series('ms', m.lsluns.cpuMs),
    tgtdCpuLoginLogout: series('ms', m.loginLogout.tgtdCpuMs),
    tgtdCpuLsluns: series('ms', m.lsluns.tgtdCpuMs),
    tgtdCpuIscsiLsS: series('ms', m.peer.tgtdCpuMs),
  };
  const peer = s.iscsiLsS!.median;
  const ratio = (x: Series): number => x.median / peer;
  const goals: Goal[] = [
    { text: `login-logout (c=${concurrency}) <= 0.6 x iscsi-ls -s`, ratio: round(ratio(s.oursLoginLogout!), 3), met: ratio(s.oursLoginLogout!) <= 0.6 },
    { text: `lsluns (c=${concurrency}) <= 0.6 x iscsi-ls -s`, ratio: round(ratio(s.oursLsluns!), 3), met: ratio(s.oursLsluns!) <= 0.6 },
  ];
  const tgtdBusy = (a: Acc): string => `${round((100 * median(a.tgtdCpuMs)) / median(a.ms), 0)} %`;
  const out: Summary = {
    bench: 'login-1000',
    machine,
    params: { targets, instances, concurrency, rounds },
    setup: { createTargetsMs: round(res.setupMs), oursColdPassMs: round(res.coldMs) },
    series: s,
    goals,
    notes: [
      'every "ours" time includes one SendTargets discovery before the logins (iscsi-ls -s does one too)',
      'iscsi-ls -s: whole process, one target after the other, no Logout (it closes the socket); it sends TUR + REPORT LUNS + per LUN TUR + INQUIRY',
      'tgtd is single-threaded: tgtd CPU / wall close to 100 % (per instance) means the target is the bottleneck; tgtd CPU is summed over instances',
      `targets split over ${instances} tgtd instance(s) on separate loopback ports; iscsi-ls -s = one run per instance, one after the other, wall times summed${instances > 1 ? '; series.iscsiLsSAllAtOnce = all instances at once (information)' : ''}`,
    ],
    table: {
      header: ['bench', 'ours', 'libiscsi (iscsi-ls -s)', 'ours / libiscsi', 'tgtd busy (ours / libiscsi)', 'goal'],
      rows: [
        [`login-${targets} login+logout c=${concurrency}`, cell(s.oursLoginLogout!, 0), cell(s.iscsiLsS!, 0), ratio(s.oursLoginLogout!).toFixed(2), `${tgtdBusy(m.loginLogout)} / ${tgtdBusy(m.peer)}`, `<= 0.6: ${goalCell(goals[0]!)}`],
        [`login-${targets} lsluns c=${concurrency}`, cell(s.oursLsluns!, 0), cell(s.iscsiLsS!, 0), ratio(s.oursLsluns!).toFixed(2), `${tgtdBusy(m.lsluns)} / ${tgtdBusy(m.peer)}`, `<= 0.6: ${goalCell(goals[1]!)}`],
        [`login-${targets} login+logout c=1`, cell(s.oursLoginLogoutSequential!, 0), cell(s.iscsiLsS!, 0), ratio(s.oursLoginLogoutSequential!).toFixed(2), `${tgtdBusy(m.sequential)} / ${tgtdBusy(m.peer)}`, 'info'],
        ...(s.iscsiLsSAllAtOnce ? [[`login-${targets} login+logout c=${concurrency} vs iscsi-ls -s on all instances at once`, cell(s.oursLoginLogout!, 0), cell(s.iscsiLsSAllAtOnce, 0), (s.oursLoginLogout!.median / s.iscsiLsSAllAtOnce.median).toFixed(2), `${tgtdBusy(m.loginLogout)} / ${tgtdBusy(m.peerParallel)}`, 'info']] : []),
      ],
    },
  };
  await emit(out, args['json-out']);
}

await main();
