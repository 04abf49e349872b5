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
 * (not the initiator) is the bottleneck.
 *
 *   node bench/out/bench/login-1000.js [--targets 1000] [--concurrency 32] [--rounds 3]
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
  withTgtd,
  type Goal,
  type Series,
  type Summary,
  type Tgtd,
} from './lib/common.js';

const args = benchArgs({ targets: { type: 'string' }, concurrency: { type: 'string' } });
const targets = intArg(args.targets, 1000, 1, 5000, 'targets');
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

/** Discovery, then every target with `limit` sessions in flight. Returns wall ms and CPU of both sides. */
async function ours(t: Tgtd, variant: Variant, limit: number): Promise<{ ms: number; cpuMs: number; tgtdCpuMs: number }> {
  const tgtd0 = await cpuMsOfPid(t.pid);
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const found = await discoverSendTargets({ transport: userTcpTransport, portal: { host: t.host, port: t.port }, initiatorName: OUR_INITIATOR, isid: isidFromQualifier(0) });
  if (found.targets.length !== targets) throw new Error(`discovered ${found.targets.length} targets, expected ${targets}`);
  await mapLimit(
    found.targets.map((target, i) => ({ target, i })),
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
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, tgtdCpuMs: (await cpuMsOfPid(t.pid)) - tgtd0 };
}

interface Acc {
  ms: number[];
  cpuMs: number[];
  tgtdCpuMs: number[];
}
const acc = (): Acc => ({ ms: [], cpuMs: [], tgtdCpuMs: [] });

async function main(): Promise<void> {
  const machine = await machineInfo();
  const res = await withTgtd({}, async (t) => {
    const setupStart = performance.now();
    await t.addTargetsBulk(targets, `${TARGET_PREFIX}:login-`, { concurrency: 4 });
    const setupMs = performance.now() - setupStart;
    log(`created ${targets} targets in ${(setupMs / 1000).toFixed(1)} s`);
    const url = `iscsi://${t.host}:${t.port}`;

    // Correctness of the peer run: one "Target:" line per target and its LUN 0.
    const check = await run('iscsi-ls', ['-s', url]);
    const listed = check.stdout.split('\n').filter((l) => l.startsWith('Target:')).length;
    if (listed !== targets) throw new Error(`iscsi-ls -s listed ${listed} targets, expected ${targets}`);
    // First (cold JIT) pass of ours, untimed in the series, reported separately.
    const cold = await ours(t, 'login-logout', concurrency);
    log(`ours cold pass: ${cold.ms.toFixed(0)} ms`);

    const m = { loginLogout: acc(), lsluns: acc(), sequential: acc(), peer: acc() };
    const push = (a: Acc, r: { ms: number; cpuMs: number; tgtdCpuMs: number }): void => {
      a.ms.push(r.ms);
      a.cpuMs.push(r.cpuMs);
      a.tgtdCpuMs.push(r.tgtdCpuMs);
    };
    for (let r = 0; r < rounds; r++) {
      push(m.loginLogout, await ours(t, 'login-logout', concurrency));
      push(m.lsluns, await ours(t, 'lsluns', concurrency));
      push(m.sequential, await ours(t, 'login-logout', 1));
      const tgtd0 = await cpuMsOfPid(t.pid);
      const [peerMs] = await hyperfine(['iscsi-ls', '-s', url], 1);
      push(m.peer, { ms: peerMs!, cpuMs: NaN, tgtdCpuMs: (await cpuMsOfPid(t.pid)) - tgtd0 });
      log(`round ${r + 1}/${rounds}: login-logout ${m.loginLogout.ms.at(-1)!.toFixed(0)} ms, lsluns ${m.lsluns.ms.at(-1)!.toFixed(0)} ms, c=1 ${m.sequential.ms.at(-1)!.toFixed(0)} ms, iscsi-ls -s ${peerMs!.toFixed(0)} ms`);
    }
    return { setupMs, coldMs: cold.ms, m };
  });

  const { m } = res;
  const s: Record<string, Series> = {
    oursLoginLogout: series('ms', m.loginLogout.ms),
    oursLsluns: series('ms', m.lsluns.ms),
    oursLoginLogoutSequential: series('ms', m.sequential.ms),
    iscsiLsS: series('ms', m.peer.ms),
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
    params: { targets, concurrency, rounds },
    setup: { createTargetsMs: round(res.setupMs), oursColdPassMs: round(res.coldMs) },
    series: s,
    goals,
    notes: [
      'every "ours" time includes one SendTargets discovery before the logins (iscsi-ls -s does one too)',
      'iscsi-ls -s: whole process, one target after the other, no Logout (it closes the socket); it sends TUR + REPORT LUNS + per LUN TUR + INQUIRY',
      'tgtd is single-threaded: tgtd CPU / wall close to 100 % means the target is the bottleneck',
    ],
    table: {
      header: ['bench', 'ours', 'libiscsi (iscsi-ls -s)', 'ours / libiscsi', 'tgtd busy (ours / libiscsi)', 'goal'],
      rows: [
        [`login-${targets} login+logout c=${concurrency}`, cell(s.oursLoginLogout!, 0), cell(s.iscsiLsS!, 0), ratio(s.oursLoginLogout!).toFixed(2), `${tgtdBusy(m.loginLogout)} / ${tgtdBusy(m.peer)}`, `<= 0.6: ${goalCell(goals[0]!)}`],
        [`login-${targets} lsluns c=${concurrency}`, cell(s.oursLsluns!, 0), cell(s.iscsiLsS!, 0), ratio(s.oursLsluns!).toFixed(2), `${tgtdBusy(m.lsluns)} / ${tgtdBusy(m.peer)}`, `<= 0.6: ${goalCell(goals[1]!)}`],
        [`login-${targets} login+logout c=1`, cell(s.oursLoginLogoutSequential!, 0), cell(s.iscsiLsS!, 0), ratio(s.oursLoginLogoutSequential!).toFixed(2), `${tgtdBusy(m.sequential)} / ${tgtdBusy(m.peer)}`, 'info'],
      ],
    },
  };
  await emit(out, args['json-out']);
}

await main();
