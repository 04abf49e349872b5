/**
 * discovery-1000: SendTargets discovery of N (default 1000) tgtd targets.
 *
 * Ours: `discoverSendTargets` in-process (login, SendTargets=All with text
 * continuations, logout), and the same as a fresh Node process (start-up included).
 * Peer: libiscsi `iscsi-ls iscsi://HOST:PORT` as a whole process (discovery only).
 * Goal (issue): ours (in-process) <= libiscsi.
 *
 * Like for like: ours offers MaxRecvDataSegmentLength 262144 as iscsi-ls does, so both
 * get the answer in the same PDUs. open-iscsi's discovery default (32768, three PDUs
 * for 1000 targets) is measured too, as its own row. The in-process runs and iscsi-ls
 * alternate one by one (order rotated), so the host's drift hits both alike.
 *
 *   node bench/out/bench/discovery-1000.js [--targets 1000] [--rounds 3] [--iterations 10]
 */
import { fileURLToPath } from 'node:url';
import { discoverSendTargets } from '../src/discovery/sendtargets.js';
import { isidFromQualifier } from '../src/iscsi/isid.js';
import { userTcpTransport } from '../src/transport/usertcp/index.js';
import { benchArgs, cell, emit, goalCell, hyperfine, intArg, log, machineInfo, OUR_INITIATOR, round, run, series, TARGET_PREFIX, withTgtd, type Goal, type Summary } from './lib/common.js';

const args = benchArgs({ targets: { type: 'string' }, iterations: { type: 'string' }, warmup: { type: 'string' } });
const targets = intArg(args.targets, 1000, 1, 5000, 'targets');
const rounds = intArg(args.rounds, 3, 1, 20, 'rounds');
const iterations = intArg(args.iterations, 10, 1, 100, 'iterations');
/** Untimed in-process discoveries first: the daemon runs warm (JIT), like hyperfine's warm-up for the peer. */
const warmup = intArg(args.warmup, 5, 0, 100, 'warmup');
const discoverOnce = fileURLToPath(new URL('./lib/discover-once.js', import.meta.url));

/** MaxRecvDataSegmentLength offered by iscsi-ls (libiscsi's default; seen in its Login Request). */
const PEER_MRDSL = 262144;
/** open-iscsi's discovery.sendtargets.iscsi.MaxRecvDataSegmentLength, our record default. */
const OPEN_ISCSI_MRDSL = 32768;

async function ours(host: string, port: number, mrdsl = PEER_MRDSL): Promise<{ ms: number; count: number; textBytes: number }> {
  const start = performance.now();
  const found = await discoverSendTargets({
    transport: userTcpTransport, portal: { host, port }, initiatorName: OUR_INITIATOR, isid: isidFromQualifier(0),
    offer: { maxRecvDataSegmentLength: mrdsl },
  });
  const ms = performance.now() - start;
  // Size of the SendTargets text the target sent (key=value\0 per pair).
  let textBytes = 0;
  for (const t of found.targets) {
    textBytes += `TargetName=${t.name}\0`.length;
    for (const p of t.portals) textBytes += `TargetAddress=${p.host}:${p.port},${p.tpgt}\0`.length;
  }
  return { ms, count: found.targets.length, textBytes };
}

async function main(): Promise<void> {
  const machine = await machineInfo();
  const summary = await withTgtd({}, async (t) => {
    const setupStart = performance.now();
    await t.addTargetsBulk(targets, `${TARGET_PREFIX}:disc-`, { concurrency: 4 });
    const setupMs = performance.now() - setupStart;
    log(`created ${targets} targets in ${(setupMs / 1000).toFixed(1)} s`);
    const url = `iscsi://${t.host}:${t.port}`;

    // Warm-up and correctness: both sides must see every target.
    const warm = await ours(t.host, t.port);
    if (warm.count !== targets) throw new Error(`ours discovered ${warm.count} targets, expected ${targets}`);
    const firstCallMs = warm.ms;
    for (let i = 0; i < warmup; i++) await ours(t.host, t.port);
    const peerOut = await run('iscsi-ls', [url]);
    const peerCount = peerOut.stdout.split('\n').filter((l) => l.startsWith('Target:')).length;
    if (peerCount !== targets) throw new Error(`iscsi-ls listed ${peerCount} targets, expected ${targets}`);
    await run('node', [discoverOnce, t.host, String(t.port), String(targets)]);

    const inproc: number[] = [];
    const inprocDefault: number[] = [];
    const proc: number[] = [];
    const peer: number[] = [];
    const steps = [
      async () => inproc.push((await ours(t.host, t.port)).ms),
      async () => peer.push(...(await hyperfine(['iscsi-ls', url], 1, 0))),
      async () => inprocDefault.push((await ours(t.host, t.port, OPEN_ISCSI_MRDSL)).ms),
    ];
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < iterations; i++) {
        for (let k = 0; k < steps.length; k++) await steps[(i + k) % steps.length]!();
      }
      proc.push(...(await hyperfine(['node', discoverOnce, t.host, String(t.port), String(targets)], iterations, 1)));
      const mean = (a: number[]): number => round(a.slice(-iterations).reduce((x, y) => x + y) / iterations);
      log(`round ${r + 1}/${rounds}: ours ${mean(inproc)} ms (MRDSL ${OPEN_ISCSI_MRDSL}: ${mean(inprocDefault)} ms), iscsi-ls ${mean(peer)} ms (means)`);
    }
    return { setupMs, textBytes: warm.textBytes, firstCallMs, inproc, inprocDefault, proc, peer };
  });

  const s = {
    oursInProcess: series('ms', summary.inproc),
    oursInProcessMrdsl32k: series('ms', summary.inprocDefault),
    oursProcess: series('ms', summary.proc),
    iscsiLs: series('ms', summary.peer),
  };
  const ratio = s.oursInProcess.median / s.iscsiLs.median;
  const goal: Goal = { text: 'ours (in-process) <= libiscsi iscsi-ls', ratio: round(ratio, 3), met: ratio <= 1 };
  const procRatio = s.oursProcess.median / s.iscsiLs.median;
  const defaultRatio = s.oursInProcessMrdsl32k.median / s.iscsiLs.median;
  const out: Summary = {
    bench: 'discovery-1000',
    machine,
    params: { targets, rounds, iterations, warmup, maxRecvDataSegmentLength: PEER_MRDSL },
    setup: { createTargetsMs: round(summary.setupMs), sendTargetsTextBytes: summary.textBytes, oursFirstCallMs: round(summary.firstCallMs) },
    series: s,
    goals: [goal],
    notes: [
      'ours in-process = discoverSendTargets() wall time (TCP connect, Discovery login, SendTargets=All with continuations, logout answered) after `warmup` untimed calls; excludes Node start-up (setup.oursFirstCallMs is the cold first call)',
      `ours offers MaxRecvDataSegmentLength ${PEER_MRDSL} like iscsi-ls; the ${OPEN_ISCSI_MRDSL} row is open-iscsi's discovery default (more Text Response PDUs)`,
      'in-process runs and iscsi-ls alternate one by one, order rotated; the whole-process runs come after each round',
      'ours process = a fresh `node` running one discovery (Node start-up and module loading included)',
      'iscsi-ls = whole process under hyperfine -N (exec, connect, login, SendTargets, logout)',
    ],
    table: {
      header: ['bench', 'ours', 'libiscsi', 'ours / libiscsi', 'goal'],
      rows: [
        [`discovery-${targets} (in-process)`, cell(s.oursInProcess), `${cell(s.iscsiLs)} (iscsi-ls)`, ratio.toFixed(2), `<= 1.0: ${goalCell(goal)}`],
        [`discovery-${targets} (in-process, MRDSL ${OPEN_ISCSI_MRDSL})`, cell(s.oursInProcessMrdsl32k), `${cell(s.iscsiLs)} (iscsi-ls)`, defaultRatio.toFixed(2), 'info'],
        [`discovery-${targets} (whole process)`, cell(s.oursProcess), `${cell(s.iscsiLs)} (iscsi-ls)`, procRatio.toFixed(2), 'info'],
      ],
    },
  };
  await emit(out, args['json-out']);
}

await main();
