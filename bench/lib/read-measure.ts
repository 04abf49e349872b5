/**
 * The read benches' measurements (read-64k, read-floor): our READ(16) loop through a
 * Session, the CPU of whatever runs it, and libiscsi's `iscsi-perf` as the peer.
 */
import { read16 } from '../../src/session/scsi-ops.js';
import type { Session } from '../../src/session/session.js';
import { cpuMsOfPid, run, type Tgtd } from './common.js';

export interface ReadMeasured {
  iops: number;
  /** Initiator CPU, % of one core over the wall time. */
  cpuPct: number;
  /** tgtd's CPU over the same wall time, % of one core. */
  tgtdCpuPct: number;
}

/** CPU per I/O in µs from a measurement. */
export function cpuUsPerIo(m: ReadMeasured): number {
  return (m.cpuPct * 1e4) / m.iops;
}

/**
 * `qd` workers, each reading into its own preallocated buffer (no allocation per read),
 * issue READ(16)s of `perIo` blocks to consecutive extents of LUN 1, wrapping after
 * `extents`, for `seconds`. Resolves with IOPS.
 */
export async function readLoop(s: Session, qd: number, seconds: number, perIo: number, blockLength: number, extents: number): Promise<number> {
  const bytes = perIo * blockLength;
  let next = 0;
  let done = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  const worker = async (): Promise<void> => {
    const into = Buffer.allocUnsafe(bytes);
    while (performance.now() < end) {
      const lba = (next++ % extents) * perIo;
      const data = await read16(s, 1, lba, perIo, blockLength, into);
      if (data.length !== bytes) throw new Error(`short read at LBA ${lba}: ${data.length} bytes`);
      done++;
    }
  };
  await Promise.all(Array.from({ length: qd }, worker));
  return (done * 1000) / (performance.now() - start);
}

/** Our CPU and tgtd's while `fn` runs in this process (it resolves with IOPS). */
export async function measured(t: Tgtd, fn: () => Promise<number>): Promise<ReadMeasured> {
  const tgtd0 = await cpuMsOfPid(t.pid);
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const iops = await fn();
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - start;
  return { iops, cpuPct: (100 * (cpu.user + cpu.system)) / 1000 / wall, tgtdCpuPct: (100 * ((await cpuMsOfPid(t.pid)) - tgtd0)) / wall };
}

/**
 * libiscsi's `iscsi-perf` against LUN 1 of `iqn`: sequential READs of `blocks` x 512 bytes
 * with `qd` in flight for `seconds`. Returns its final "iops average N (M MB/s)", and its
 * CPU: bash's `times` after it prints the user and system time of the shell's children
 * (login and exit included, like its wall).
 */
export async function iscsiPerf(t: Tgtd, iqn: string, qd: number, blocks: number, seconds: number): Promise<ReadMeasured> {
  const tgtd0 = await cpuMsOfPid(t.pid);
  const start = performance.now();
  const args = ['-m', String(qd), '-b', String(blocks), '-t', String(seconds), `iscsi://${t.host}:${t.port}/${iqn}/1`];
  const r = await run('bash', ['-c', 'iscsi-perf "$@" && times', 'iscsi-perf', ...args], (seconds + 30) * 1000);
  const wall = performance.now() - start;
  const iops = Number([...r.stdout.matchAll(/iops average (\d+)/g)].at(-1)?.[1]);
  if (!Number.isFinite(iops) || iops <= 0) throw new Error(`cannot parse iscsi-perf output: ${r.stdout.slice(-500)}`);
  const children = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(r.stdout);
  const cpuMs = children ? (Number(children[1]) * 60 + Number(children[2]) + Number(children[3]) * 60 + Number(children[4])) * 1000 : NaN;
  return { iops, cpuPct: (100 * cpuMs) / wall, tgtdCpuPct: (100 * ((await cpuMsOfPid(t.pid)) - tgtd0)) / wall };
}
