/**
 * GET_HOST_STATS (reference §3.2, §3.6, §6.7): `iscsiadm -m host -H N -C stats`.
 * The kernel multicasts the uevent + `struct iscsi_offload_host_stats` (82 u64
 * counters, custom_length, custom[]); iscsiadm prints the 82 counters with %lld,
 * so a value >= 2^63 prints negative — `hostStatsRows` keeps that.
 */
import type { KernelTcpDriver } from './driver.js';
import { HOST_STATS_FIELDS, type CustomStat, type HostStats } from './stats.js';

/** The host's offload counters. */
export async function readHostStats(driver: KernelTcpDriver, hostNo: number): Promise<{ stats: HostStats; custom: CustomStat[] }> {
  const r = await driver.request({ kind: 'getHostStats', hostNo });
  if (r.request !== 'getHostStats') throw new TypeError(`GET_HOST_STATS answered with ${r.request}`);
  return { stats: r.stats, custom: r.custom };
}

/** `[name, value]` in print order, values as iscsiadm's %lld prints them (signed 64-bit). */
export function hostStatsRows(stats: HostStats): [string, string][] {
  return HOST_STATS_FIELDS.map((f) => [f, BigInt.asIntN(64, stats[f]).toString()]);
}
