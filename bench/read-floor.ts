/**
 * read-floor: how fast can any Node.js initiator do 64 KiB READs on this machine? A
 * diagnostic for read-64k, not a goal of its own.
 *
 * Per round and queue depth, against one tgtd LUN (a file in /dev/shm), side by side:
 *   - stack: our Session + read16() with `qd` commands in flight, each into its own
 *     preallocated buffer (as read-64k), after one unmeasured second;
 *   - floor: the same logged-in connection, taken over after the stack's run by the bare
 *     loop of lib/bare-read-loop.ts: node:net's read callback and write() and nothing else;
 *   - iscsi-perf -m QD -b 128 (libiscsi), as in read-64k.
 * Each side's CPU per I/O is measured too. A session is used once (the floor leaves it
 * without bookkeeping) and then destroyed.
 *
 *   node bench/out/bench/read-floor.js [--seconds 3] [--rounds 3] [--qd 1,8,32]
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isidFromQualifier } from '../src/iscsi/isid.js';
import { Session } from '../src/session/session.js';
import { userTcpTransport } from '../src/transport/usertcp/index.js';
import { bareConnection } from './lib/bare-connection.js';
import { bareReadLoop } from './lib/bare-read-loop.js';
import { benchArgs, emit, intArg, log, machineInfo, median, OUR_INITIATOR, round, series, TARGET_PREFIX, withTgtd, type Series, type Summary, type Tgtd } from './lib/common.js';
import { cpuUsPerIo, iscsiPerf, measured, readLoop, type ReadMeasured } from './lib/read-measure.js';

const args = benchArgs({ seconds: { type: 'string' }, qd: { type: 'string' } });
const seconds = intArg(args.seconds, 3, 1, 30, 'seconds');
const rounds = intArg(args.rounds, 3, 1, 10, 'rounds');
const depths = (args.qd ?? '1,8,32').split(',').map((q) => intArg(q, 1, 1, 128, 'qd'));
const IQN = `${TARGET_PREFIX}:readfloor`;
const IO = 64 * 1024;
const BLOCKS = IO / 512;
const EXTENTS = 2000;
const FILL = 0x5a;
/** Unmeasured seconds of the stack on each fresh session first. */
const WARM_UP_S = 1;

async function login(t: Tgtd): Promise<Session> {
  const s = new Session({ transport: userTcpTransport, portal: { host: t.host, port: t.port }, initiatorName: OUR_INITIATOR, targetName: IQN, sessionType: 'Normal', isid: isidFromQualifier(1), noopOutIntervalMs: 0 });
  await s.login();
  return s;
}

async function floor(s: Session, qd: number): Promise<number> {
  // Zero-filled: the check below proves every byte was read from the LUN.
  const buffers = Array.from({ length: qd }, () => Buffer.alloc(IO));
  const iops = await bareReadLoop(bareConnection(s), { buffers, blocks: BLOCKS, extents: EXTENTS, seconds });
  if (!buffers.every((b) => b.every((x) => x === FILL))) throw new Error('floor: the data read differs from the LUN');
  return iops;
}

type Side = 'stack' | 'floor' | 'peer';

async function main(): Promise<void> {
  const machine = await machineInfo();
  const m = await withTgtd({ tmpDir: '/dev/shm' }, async (t) => {
    const file = join(t.dir, 'floor.img');
    await writeFile(file, Buffer.alloc(EXTENTS * IO, FILL));
    await t.addTarget({ tid: 1, iqn: IQN, luns: [{ lun: 1, sizeMiB: (EXTENTS * IO) / 2 ** 20, path: file }] });
    const out = new Map<number, Record<Side, ReadMeasured[]>>(depths.map((q) => [q, { stack: [], floor: [], peer: [] }]));
    for (let r = 0; r < rounds; r++) {
      for (const qd of depths) {
        const o = out.get(qd)!;
        const s = await login(t);
        try {
          await readLoop(s, qd, WARM_UP_S, BLOCKS, 512, EXTENTS); // JIT and page cache, as read-64k
          o.stack.push(await measured(t, () => readLoop(s, qd, seconds, BLOCKS, 512, EXTENTS)));
          o.floor.push(await measured(t, () => floor(s, qd)));
        } finally {
          s.close();
        }
        o.peer.push(await iscsiPerf(t, IQN, qd, BLOCKS, seconds));
        log(`round ${r + 1}/${rounds} qd ${qd}: stack ${o.stack.at(-1)!.iops.toFixed(0)}, floor ${o.floor.at(-1)!.iops.toFixed(0)}, iscsi-perf ${o.peer.at(-1)!.iops} IOPS`);
      }
    }
    return out;
  });
  const seriesOut: Record<string, Series> = {};
  const rows: string[][] = [];
  const names: Record<Side, string> = { stack: 'our stack (Session + read16)', floor: 'Node floor (bare read callback + write)', peer: 'libiscsi iscsi-perf' };
  for (const [qd, v] of m) {
    const p = median(v.peer.map((x) => x.iops));
    for (const side of ['stack', 'floor', 'peer'] as const) {
      const iops = v[side].map((x) => x.iops);
      seriesOut[`${side}IopsQd${qd}`] = series('IOPS', iops);
      seriesOut[`${side}CpuUsPerIoQd${qd}`] = series('µs', v[side].map(cpuUsPerIo));
      rows.push([names[side], String(qd), round(median(iops), 0).toString(), (median(iops) / p).toFixed(2), `${median(v[side].map(cpuUsPerIo)).toFixed(0)} µs`]);
    }
  }
  const summary: Summary = {
    bench: 'read-floor',
    machine,
    params: { seconds, rounds, ioBytes: IO, depths },
    setup: { backing: 'file in /dev/shm (tmpfs)' },
    series: seriesOut,
    goals: [],
    notes: [
      'diagnostic, no goal: the floor is the least JavaScript per I/O (read callback + write of a template); what it reaches bounds any Node initiator on this machine',
      'ratios are medians over rounds, each side against iscsi-perf -m QD run right after on the same tgtd',
      'CPU per I/O: user + system; ours from process.cpuUsage(), iscsi-perf from bash `times` (login and exit included)',
    ],
    table: { header: ['64 KiB READ', 'QD', 'IOPS (median)', '/ iscsi-perf', 'initiator CPU per I/O'], rows },
  };
  await emit(summary, args['json-out']);
}

await main();
