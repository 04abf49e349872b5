/**
 * libiscsi's `iscsi-perf` as the read peer (read-64k, read-floor): sequential READs of
 * `blocks` x 512 bytes with `qd` in flight for `seconds`, against LUN 1 of `iqn`.
 */
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
 * iscsi-perf's final "iops average N (M MB/s)", and its CPU: bash's `times` after it prints
 * the user and system time of the shell's children (login and exit included, like its wall).
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
