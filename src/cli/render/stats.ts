/**
 * `-m session [-r SID] -s` (reference §6.5) and `-m host -H N -C stats` (§6.7):
 *
 *   Stats for session [sid: 1, target: iqn..., portal: 10.0.0.5,3260]
 *   iSCSI SNMP:
 *   \ttxdata_octets: 4096
 *   ... 21 counters ...
 *   iSCSI Extended:                 <- only with custom counters
 *   \t<desc>: <value>
 *
 * The header's portal is the persistent address with the current port, unbracketed.
 */
import { counterText } from './text.js';
import type { Counter, HostStatsView, Rendered, SessionStatsView } from './types.js';

/** The 21 `struct iscsi_stats` counters in print order (reference §3.6). */
export const SESSION_COUNTERS = [
  'txdata_octets', 'rxdata_octets', 'noptx_pdus', 'scsicmd_pdus', 'tmfcmd_pdus', 'login_pdus', 'text_pdus',
  'dataout_pdus', 'logout_pdus', 'snack_pdus', 'noprx_pdus', 'scsirsp_pdus', 'tmfrsp_pdus', 'textrsp_pdus',
  'datain_pdus', 'logoutrsp_pdus', 'r2t_pdus', 'async_pdus', 'rjt_pdus', 'digest_err', 'timeout_err',
] as const;

function counterLines(rows: ReadonlyArray<readonly [string, Counter]>): string[] {
  return rows.map(([name, value]) => `\t${name}: ${counterText(value)}`);
}

/** Stats of each session, in the given order. */
export function renderSessionStats(stats: readonly SessionStatsView[]): Rendered {
  const lines = stats.flatMap((s) => [
    `Stats for session [sid: ${s.sid}, target: ${s.target}, portal: ${s.persistentPortal.address},${s.currentPortal.port}]`,
    'iSCSI SNMP:',
    ...counterLines(s.counters),
    ...(s.extended.length > 0 ? ['iSCSI Extended:', ...counterLines(s.extended)] : []),
  ]);
  return { stdout: lines, stderr: [] };
}

/** `-m host -H N -C stats`. */
export function renderHostStats(stats: HostStatsView): Rendered {
  return { stdout: ['Host Statistics:', ...counterLines(stats.counters)], stderr: [] };
}
