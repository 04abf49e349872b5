/**
 * failover: how fast tsiscsid notices a dead path and how fast it is back, against tgtd
 * through one TCP fault proxy per session (issue 5 §6).
 *
 * - detection: right after I/O (so the NOP idle timer starts from zero, the worst case),
 *   the path is blackholed; time until the session is REOPEN (NOP-Out timeout) with
 *   noop_out_interval / noop_out_timeout N/N. Goal: <= interval + timeout + 100 ms.
 * - recovery: the reopen login is blackholed too and times out; the moment the session
 *   starts waiting DefaultTime2Wait before the next attempt, the path heals; time until
 *   LOGGED IN. Goal: <= DefaultTime2Wait + 50 ms.
 * - reset: an RST on a healthy path; time until REOPEN and until LOGGED IN again.
 *
 *   node bench/out/bench/failover.js [--sessions 4] [--rounds 5] [--time2wait 2] [--noop 1]
 */
import { benchArgs, cell, emit, intArg, log, machineInfo, series, withTgtd, type Goal, type Summary } from './lib/common.js';
import { addFailoverTarget, isRecovered, isState, localProxies, sleep, startFailoverRig, type FailoverRig } from './failover-lib.js';

const args = benchArgs({ sessions: { type: 'string' }, time2wait: { type: 'string' }, noop: { type: 'string' } });
const sessions = intArg(args.sessions, 4, 1, 64, 'sessions');
const rounds = intArg(args.rounds, 5, 1, 50, 'rounds');
const t2w = intArg(args.time2wait, 2, 0, 10, 'time2wait');
const noop = intArg(args.noop, 1, 1, 10, 'noop');
const LOGIN_TIMEOUT_S = 2;

interface Sample {
  detectMs: number;
  recoverMs: number;
  resetDetectMs: number;
  resetRecoverMs: number;
}

/** One blackhole episode and one reset episode of session `i`. */
async function episode(r: FailoverRig, i: number): Promise<Sample> {
  const sid = r.sids[i]!;
  const proxy = { setMode: (m: Parameters<FailoverRig['proxies']['setMode']>[1]) => r.proxies.setMode(i, m), resetAll: () => r.proxies.reset(i) };
  await r.d.call('session.rescan', { sid }); // traffic: the NOP idle timer restarts now
  const lost = r.bus.wait(isState(sid, { to: 'REOPEN', trigger: 'connection-lost' }), 15_000, `sid ${sid} REOPEN`);
  const waiting = r.bus.wait(isState(sid, { to: 'REOPEN', step: 'delay', trigger: 'login-failed' }), 30_000, `sid ${sid} delay`);
  const back = r.bus.wait(isRecovered(sid), 40_000, `sid ${sid} recovered`);
  const t0 = performance.now();
  proxy.setMode({ kind: 'blackhole' });
  const l = await lost;
  if (l.e.cause !== 'NOP_OUT_TIMEOUT') throw new Error(`sid ${sid}: failure cause ${String(l.e.cause)}, expected NOP_OUT_TIMEOUT`);
  await waiting;
  const t1 = performance.now();
  proxy.setMode({ kind: 'pass' });
  const b = await back;
  const sample = { detectMs: l.at - t0, recoverMs: b.at - t1 };

  await sleep(200);
  const lost2 = r.bus.wait(isState(sid, { to: 'REOPEN', trigger: 'connection-lost' }), 15_000, `sid ${sid} REOPEN after RST`);
  const back2 = r.bus.wait(isRecovered(sid), 40_000, `sid ${sid} recovered after RST`);
  const t2 = performance.now();
  proxy.resetAll();
  const l2 = await lost2;
  const b2 = await back2;
  return { ...sample, resetDetectMs: l2.at - t2, resetRecoverMs: b2.at - t2 };
}

async function main(): Promise<void> {
  const machine = await machineInfo();
  const values = {
    'node.conn[0].timeo.noop_out_interval': noop,
    'node.conn[0].timeo.noop_out_timeout': noop,
    'node.conn[0].timeo.login_timeout': LOGIN_TIMEOUT_S,
    'node.session.iscsi.DefaultTime2Wait': t2w,
    'node.session.timeo.replacement_timeout': 120,
  };
  const samples: Sample[] = [];
  await withTgtd({}, async (t) => {
    await addFailoverTarget(t, t2w);
    const r = await startFailoverRig(await localProxies(t.port, sessions), values);
    try {
      for (let round = 1; round <= rounds; round++) {
        const got = await Promise.all(r.sids.map((_, i) => episode(r, i)));
        samples.push(...got);
        log(`round ${round}/${rounds}: detect ${got.map((s) => s.detectMs.toFixed(0)).join(' ')} ms, recover ${got.map((s) => s.recoverMs.toFixed(0)).join(' ')} ms`);
      }
    } finally {
      await r.stop();
    }
  });
  const detect = series('ms', samples.map((s) => s.detectMs));
  const recover = series('ms', samples.map((s) => s.recoverMs));
  const resetDetect = series('ms', samples.map((s) => s.resetDetectMs));
  const resetRecover = series('ms', samples.map((s) => s.resetRecoverMs));
  const detectLimit = 2 * noop * 1000 + 100;
  const recoverLimit = t2w * 1000 + 50;
  const goals: Goal[] = [
    { text: `detection <= noop interval + timeout + 100 ms (${detectLimit} ms), worst sample`, ratio: detect.max / detectLimit, met: detect.max <= detectLimit },
    { text: `recovery <= DefaultTime2Wait + 50 ms (${recoverLimit} ms), median`, ratio: recover.median / recoverLimit, met: recover.median <= recoverLimit },
    { text: `recovery <= DefaultTime2Wait + 50 ms (${recoverLimit} ms), worst sample`, ratio: recover.max / recoverLimit, met: recover.max <= recoverLimit },
  ];
  const out: Summary = {
    bench: 'failover',
    machine,
    params: { sessions, rounds, time2waitS: t2w, noopS: noop, loginTimeoutS: LOGIN_TIMEOUT_S },
    setup: { path: 'tsiscsid (in-process) -> per-session TCP fault proxy -> tgtd, loopback', samples: samples.length },
    series: { detect, recover, resetDetect, resetRecover },
    goals,
    notes: [
      'detection starts right after I/O, so the NOP-Out idle timer runs its full interval (worst case)',
      'recovery: the path heals the moment the session starts its DefaultTime2Wait wait after a timed-out reopen login',
      'timestamps are taken in-process when the daemon publishes the event',
    ],
    table: {
      header: ['measure', 'median', 'min', 'max', 'goal'],
      rows: [
        [`detection, blackhole, noop ${noop}/${noop}`, cell(detect), `${detect.min.toFixed(1)} ms`, `${detect.max.toFixed(1)} ms`, `<= ${detectLimit} ms: ${goals[0]!.met ? 'met' : 'NOT met'}`],
        [`recovery, path back -> LOGGED IN (Time2Wait ${t2w} s)`, cell(recover), `${recover.min.toFixed(1)} ms`, `${recover.max.toFixed(1)} ms`, `<= ${recoverLimit} ms: ${goals[1]!.met && goals[2]!.met ? 'met' : goals[1]!.met ? 'met (median)' : 'NOT met'}`],
        ['detection, RST', cell(resetDetect), `${resetDetect.min.toFixed(1)} ms`, `${resetDetect.max.toFixed(1)} ms`, '-'],
        ['RST -> LOGGED IN', cell(resetRecover), `${resetRecover.min.toFixed(1)} ms`, `${resetRecover.max.toFixed(1)} ms`, '-'],
      ],
    },
  };
  await emit(out, args['json-out']);
}

main().catch((err: unknown) => {
  process.stderr.write(`failover: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
