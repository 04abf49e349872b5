/**
 * Per-session iSCSI statistics with open-iscsi's counters (`struct iscsi_stats`,
 * reference §3.6), printed by `iscsiadm -m session -s` in exactly this order.
 *
 * The two octet counters are u64 in the kernel and kept as bigint here; the
 * PDU and error counters are u32 in the kernel, so `countPdu` wraps them at 2^32.
 *
 * Octets counted (the kernel's choice, kept): `txdata_octets` = SCSI payload
 * sent, i.e. immediate data in SCSI Command PDUs plus Data-Out payloads;
 * `rxdata_octets` = Data-In payloads. Text, login, sense and NOP ping data are
 * not SCSI data and are not counted as octets.
 */
import { IscsiError, ISCSI_ERR } from '../shared/errors.js';
import type { PduKind } from './pdu/types.js';

/** The 21 counters, in open-iscsi's print order. */
export interface SessionStats {
  txdata_octets: bigint;
  rxdata_octets: bigint;
  noptx_pdus: number;
  scsicmd_pdus: number;
  tmfcmd_pdus: number;
  login_pdus: number;
  text_pdus: number;
  dataout_pdus: number;
  logout_pdus: number;
  snack_pdus: number;
  noprx_pdus: number;
  scsirsp_pdus: number;
  tmfrsp_pdus: number;
  textrsp_pdus: number;
  datain_pdus: number;
  logoutrsp_pdus: number;
  r2t_pdus: number;
  async_pdus: number;
  rjt_pdus: number;
  digest_err: number;
  timeout_err: number;
}

/** A counter name. */
export type StatsField = keyof SessionStats;
/** The u32 counters (everything except the two octet counters). */
export type PduCounter = Exclude<StatsField, 'txdata_octets' | 'rxdata_octets'>;

/** Counter names in the order `iscsiadm -m session -s` prints them. */
export const STATS_FIELDS: readonly StatsField[] = [
  'txdata_octets', 'rxdata_octets',
  'noptx_pdus', 'scsicmd_pdus', 'tmfcmd_pdus', 'login_pdus', 'text_pdus', 'dataout_pdus', 'logout_pdus', 'snack_pdus',
  'noprx_pdus', 'scsirsp_pdus', 'tmfrsp_pdus', 'textrsp_pdus', 'datain_pdus', 'logoutrsp_pdus', 'r2t_pdus', 'async_pdus', 'rjt_pdus',
  'digest_err', 'timeout_err',
];

/** All counters zero. */
export function emptyStats(): SessionStats {
  return {
    txdata_octets: 0n, rxdata_octets: 0n,
    noptx_pdus: 0, scsicmd_pdus: 0, tmfcmd_pdus: 0, login_pdus: 0, text_pdus: 0, dataout_pdus: 0, logout_pdus: 0, snack_pdus: 0,
    noprx_pdus: 0, scsirsp_pdus: 0, tmfrsp_pdus: 0, textrsp_pdus: 0, datain_pdus: 0, logoutrsp_pdus: 0, r2t_pdus: 0, async_pdus: 0, rjt_pdus: 0,
    digest_err: 0, timeout_err: 0,
  };
}

type Direction = 'tx' | 'rx';

/**
 * Counter for each PDU kind, with its direction and whether its data segment
 * is SCSI payload. `null` counter: no such counter exists in `iscsi_stats`
 * (Login Responses are not counted, as in the kernel).
 */
const PDU_COUNTERS: Readonly<Record<PduKind, { dir: Direction; counter: PduCounter | null; octets: boolean }>> = {
  'nop-out': { dir: 'tx', counter: 'noptx_pdus', octets: false },
  'scsi-command': { dir: 'tx', counter: 'scsicmd_pdus', octets: true },
  'task-mgmt-request': { dir: 'tx', counter: 'tmfcmd_pdus', octets: false },
  'login-request': { dir: 'tx', counter: 'login_pdus', octets: false },
  'text-request': { dir: 'tx', counter: 'text_pdus', octets: false },
  'data-out': { dir: 'tx', counter: 'dataout_pdus', octets: true },
  'logout-request': { dir: 'tx', counter: 'logout_pdus', octets: false },
  snack: { dir: 'tx', counter: 'snack_pdus', octets: false },
  'nop-in': { dir: 'rx', counter: 'noprx_pdus', octets: false },
  'scsi-response': { dir: 'rx', counter: 'scsirsp_pdus', octets: false },
  'task-mgmt-response': { dir: 'rx', counter: 'tmfrsp_pdus', octets: false },
  'login-response': { dir: 'rx', counter: null, octets: false },
  'text-response': { dir: 'rx', counter: 'textrsp_pdus', octets: false },
  'data-in': { dir: 'rx', counter: 'datain_pdus', octets: true },
  'logout-response': { dir: 'rx', counter: 'logoutrsp_pdus', octets: false },
  r2t: { dir: 'rx', counter: 'r2t_pdus', octets: false },
  'async-message': { dir: 'rx', counter: 'async_pdus', octets: false },
  reject: { dir: 'rx', counter: 'rjt_pdus', octets: false },
};

/** Add one to a u32 counter, wrapping at 2^32 like the kernel's u32 fields. */
export function bump(stats: SessionStats, counter: PduCounter): void {
  stats[counter] = (stats[counter] + 1) >>> 0;
}

/**
 * Count one PDU sent (`tx`) or received (`rx`), mutating `stats` in place (hot
 * path). `dataLength` is the data segment length without padding/digest; it is
 * added to the octet counter for SCSI Command (immediate data), Data-Out and
 * Data-In. Returns the PDU counter incremented (null for Login Responses).
 * Throws IscsiError `STATS_DIRECTION_MISMATCH` (a caller bug) when `kind`
 * does not travel in `direction`.
 */
export function countPdu(stats: SessionStats, direction: Direction, kind: PduKind, dataLength: number): PduCounter | null {
  const entry = PDU_COUNTERS[kind];
  if (entry.dir !== direction) {
    throw new IscsiError('STATS_DIRECTION_MISMATCH', `${kind} PDUs are never ${direction}`, { errno: ISCSI_ERR.INTERNAL });
  }
  if (entry.counter !== null) bump(stats, entry.counter);
  if (entry.octets && dataLength > 0) {
    if (direction === 'tx') stats.txdata_octets += BigInt(dataLength);
    else stats.rxdata_octets += BigInt(dataLength);
  }
  return entry.counter;
}

/** Count a header/data digest error or a timeout (e.g. NOP-Out ping or task timeout). */
export function countError(stats: SessionStats, which: 'digest_err' | 'timeout_err'): void {
  bump(stats, which);
}
