/**
 * read-64k: sequential 64 KiB READ(16)s from a tgtd LUN backed by a file in tmpfs
 * (/dev/shm, default 256 MiB of pseudo-random data), through usertcp at queue depths
 * 1, 8 and 32, side by side with libiscsi `iscsi-perf -b 128 -m QD -t SECONDS`
 * (sequential, 128 x 512-byte blocks per request).
 * Goal (issue): ours >= 1.0 x libiscsi throughput at the same queue depth.
 *
 *   node bench/out/bench/read-64k.js [--seconds 5] [--rounds 3] [--lun-mib 256] [--qd 1,8,32]
 */
import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { isidFromQualifier } from '../src/iscsi/isid.js';
import { read16, readCapacity16 } from '../src/session/scsi-ops.js';
import { Session } from '../src/session/session.js';
import { userTcpTransport } from '../src/transport/usertcp/index.js';
import { benchArgs, emit, goalCell, intArg, log, machineInfo, median, OUR_INITIATOR, round, series, TARGET_PREFIX, withTgtd, type Goal, type Series, type Summary } from './lib/common.js';
import { iscsiPerf, measured, readLoop, type ReadMeasured } from './lib/read-measure.js';

const args = benchArgs({ seconds: { type: 'string' }, 'lun-mib': { type: 'string' }, qd: { type: 'string' } });
const seconds = intArg(args.seconds, 5, 1, 30, 'seconds');
const rounds = intArg(args.rounds, 3, 1, 10, 'rounds');
const lunMiB = intArg(args['lun-mib'], 256, 16, 2048, 'lun-mib');
const depths = (args.qd ?? '1,8,32').split(',').map((q) => intArg(q, 1, 1, 128, 'qd'));
const IO_BYTES = 64 * 1024;
const MIB = 2 ** 20;
const IQN = `${TARGET_PREFIX}:read64k`;

/** Fill the backing file with pseudo-random data (1 MiB pattern, rotated per MiB). */
async function makeBackingFile(path: string): Promise<Buffer> {
  const pattern = randomBytes(MIB);
  const fh = await open(path, 'w');
  try {
    for (let i = 0; i < lunMiB; i++) {
      const rot = Buffer.concat([pattern.subarray(i % MIB), pattern.subarray(0, i % MIB)]);
      await fh.write(rot);
    }
  } finally {
    await fh.close();
  }
  return pattern;
}

async function main(): Promise<void> {
  const machine = await machineInfo();
  const res = await withTgtd({ tmpDir: '/dev/shm' }, async (t) => {
    const file = join(t.dir, 'read64k.img');
    const pattern = await makeBackingFile(file);
    await t.addTarget({ tid: 1, iqn: IQN, luns: [{ lun: 1, sizeMiB: lunMiB, path: file }] });
    log(`LUN 1: ${lunMiB} MiB in ${file}`);

    const s = new Session({ transport: userTcpTransport, portal: { host: t.host, port: t.port }, initiatorName: OUR_INITIATOR, targetName: IQN, sessionType: 'Normal', isid: isidFromQualifier(1) });
    await s.login();
    try {
      const cap = await readCapacity16(s, 1);
      // Integrity: the first 64 KiB must be the file's first 64 KiB.
      const first = await read16(s, 1, 0, IO_BYTES / cap.blockLength, cap.blockLength);
      if (!first.equals(pattern.subarray(0, IO_BYTES))) throw new Error('READ(16) returned data that differs from the backing file');
      const params = s.params!;
      // Warm-up (JIT, tgtd page cache): one second at the largest depth.
      const warmSeconds = 1;
      const warmEnd = performance.now() + warmSeconds * 1000;
      for (let lba = 0; performance.now() < warmEnd; lba = (lba + 128) % Number(cap.blocks - 128n)) await read16(s, 1, lba, 128, cap.blockLength);

      const m = new Map<number, { ours: ReadMeasured[]; peer: ReadMeasured[] }>(depths.map((q) => [q, { ours: [], peer: [] }]));
      for (let r = 0; r < rounds; r++) {
        for (const qd of depths) {
          const perIo = IO_BYTES / cap.blockLength;
          const o = await measured(t, () => readLoop(s, qd, seconds, perIo, cap.blockLength, Number(cap.blocks / BigInt(perIo))));
          const p = await iscsiPerf(t, IQN, qd, IO_BYTES / 512, seconds);
          m.get(qd)!.ours.push(o);
          m.get(qd)!.peer.push(p);
          log(`round ${r + 1}/${rounds} qd ${qd}: ours ${((o.iops * IO_BYTES) / MIB).toFixed(0)} MiB/s (CPU ${o.cpuPct.toFixed(0)} %), iscsi-perf ${((p.iops * IO_BYTES) / MIB).toFixed(0)} MiB/s`);
        }
      }
      return { m, blockLength: cap.blockLength, negotiated: { maxRecvDataSegmentLength: params.maxRecvDataSegmentLength, maxXmitDataSegmentLength: params.maxXmitDataSegmentLength, maxBurstLength: params.maxBurstLength, immediateData: params.immediateData, initialR2T: params.initialR2T } };
    } finally {
      await s.logout().catch(() => s.close());
    }
  });

  const seriesOut: Record<string, Series> = {};
  const goals: Goal[] = [];
  const rows: string[][] = [];
  const mibps = (iops: number): number => (iops * IO_BYTES) / MIB;
  for (const [qd, v] of res.m) {
    const o = series('MiB/s', v.ours.map((x) => mibps(x.iops)));
    const p = series('MiB/s', v.peer.map((x) => mibps(x.iops)));
    seriesOut[`oursQd${qd}`] = o;
    seriesOut[`iscsiPerfQd${qd}`] = p;
    seriesOut[`oursCpuPctQd${qd}`] = series('%', v.ours.map((x) => x.cpuPct));
    seriesOut[`peerCpuPctQd${qd}`] = series('%', v.peer.map((x) => x.cpuPct));
    seriesOut[`tgtdCpuPctOursQd${qd}`] = series('%', v.ours.map((x) => x.tgtdCpuPct));
    seriesOut[`tgtdCpuPctPeerQd${qd}`] = series('%', v.peer.map((x) => x.tgtdCpuPct));
    const ratio = o.median / p.median;
    const g: Goal = { text: `qd ${qd}: ours >= 1.0 x iscsi-perf`, ratio: round(ratio, 3), met: ratio >= 1 };
    goals.push(g);
    rows.push([
      `read-64k qd ${qd}`,
      `${o.median.toFixed(0)} MiB/s (${round(median(v.ours.map((x) => x.iops)), 0)} IOPS)`,
      `${p.median.toFixed(0)} MiB/s (${round(median(v.peer.map((x) => x.iops)), 0)} IOPS)`,
      ratio.toFixed(2),
      `${median(v.ours.map((x) => x.cpuPct)).toFixed(0)} % / ${median(v.peer.map((x) => x.cpuPct)).toFixed(0)} %`,
      `${median(v.ours.map((x) => x.tgtdCpuPct)).toFixed(0)} % / ${median(v.peer.map((x) => x.tgtdCpuPct)).toFixed(0)} %`,
      `>= 1.0: ${goalCell(g)}`,
    ]);
  }
  const out: Summary = {
    bench: 'read-64k',
    machine,
    params: { seconds, rounds, lunMiB, depths, ioBytes: IO_BYTES },
    setup: { blockLength: res.blockLength, backing: 'file in /dev/shm (tmpfs), pseudo-random data', negotiated: res.negotiated },
    series: seriesOut,
    goals,
    notes: [
      'MiB/s = IOPS x 64 KiB / 2^20 (iscsi-perf prints the same unit as "MB/s")',
      'ours: Session + read16() into a preallocated buffer per worker (READ(16), one Data-In sequence per command), `qd` commands in flight, each 64 KiB extent after the previous, wrapping at the end of the LUN',
      'iscsi-perf: sequential reads, -b 128 (x 512-byte blocks), -m QD, -t SECONDS; whole process (login included in its run time, not in its IOPS)',
      'tgtd CPU: % of one core used by tgtd while each side ran',
      'initiator CPU: % of one core; ours from process.cpuUsage() over the timed window, iscsi-perf from bash `times` (user + system of the whole process, login and exit included) over its wall time',
    ],
    table: { header: ['bench', 'ours', 'libiscsi (iscsi-perf)', 'ours / libiscsi', 'initiator CPU (ours / libiscsi)', 'tgtd CPU (ours / libiscsi)', 'goal'], rows },
  };
  await emit(out, args['json-out']);
}

await main();
