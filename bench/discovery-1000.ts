/**
 * discovery-1000: SendTargets discovery of N (default 1000) tgtd targets.
 *
 * Ours: `discoverSendTargets` in-process (login, SendTargets=All with text
 * continuations, logout), and the same as a fresh Node process (start-up included).
 * Peer: libiscsi `iscsi-ls iscsi://HOST:PORT` as a whole process (discovery only).
 * Goal (issue): ours (in-process) <= libiscsi.
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

async function ours(host: string, port: number): Promise<{ ms: number; count: number; textBytes: number }> {
  const start = performance.now();
  const found = await discoverSendTargets({ transport: userTcpTransport, portal: { host, port }, initiatorName: OUR_INITIATOR, isid: isidFromQualifier(0) });
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
    const proc: number[] = [];
    const peer: number[] = [];
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < iterations; i++) inproc.push((await ours(t.host, t.port)).ms);
      peer.push(...(await hyperfine(['iscsi-ls', url], iterations, 1)));
      proc.push(...(await hyperfine(['node', discoverOnce, t.host, String(t.port), String(targets)], iterations, 1)));
      log(`round ${r + 1}/${rounds}: ours ${round(inproc.slice(-iterations).reduce((a, b) => a + b) / iterations)} ms, iscsi-ls ${round(peer.slice(-iterations).reduce((a, b) => a + b) / iterations)} ms (means)`);
    }
    return { setupMs, textBytes: warm.textBytes, firstCallMs, inproc, proc, peer };
  });

  const s = {
    oursInProcess: series('ms', summary.inproc),
    oursProcess: series('ms', summary.proc),
    iscsiLs: series('ms', summary.peer),
  };
  const ratio = s.oursInProcess.median / s.iscsiLs.median;
  const goal: Goal = { text: 'ours (in-process) <= libiscsi iscsi-ls', ratio: round(ratio, 3), met: ratio <= 1 };
  const procRatio = s.oursProcess.median / s.iscsiLs.median;
  const out: Summary = {
    bench: 'discovery-1000',
    machine,
    params: { targets, rounds, iterations, warmup },
    setup: { createTargetsMs: round(summary.setupMs), sendTargetsTextBytes: summary.textBytes, oursFirstCallMs: round(summary.firstCallMs) },
    series: s,
    goals: [goal],
    notes: [
      'ours in-process = discoverSendTargets() wall time (TCP connect, Discovery login, SendTargets=All with continuations, logout) after `warmup` untimed calls; excludes Node start-up (setup.oursFirstCallMs is the cold first call)',
      'ours process = a fresh `node` running one discovery (Node start-up and module loading included)',
      'iscsi-ls = whole process under hyperfine -N (exec, connect, login, SendTargets, logout)',
    ],
    table: {
      header: ['bench', 'ours', 'libiscsi', 'ours / libiscsi', 'goal'],
      rows: [
        [`discovery-${targets} (in-process)`, cell(s.oursInProcess), `${cell(s.iscsiLs)} (iscsi-ls)`, ratio.toFixed(2), `<= 1.0: ${goalCell(goal)}`],
        [`discovery-${targets} (whole process)`, cell(s.oursProcess), `${cell(s.iscsiLs)} (iscsi-ls)`, procRatio.toFixed(2), 'info'],
      ],
    },
  };
  await emit(out, args['json-out']);
}

await main();
