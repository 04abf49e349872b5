/**
 * Decoders of the data the kernel multicasts after a GET_STATS, GET_HOST_STATS or
 * GET_CHAP uevent (reference §3.6, §3.3). All bytes are untrusted: every length
 * is checked before use and only ProtocolError leaves these functions.
 *
 * `struct iscsi_stats` (96 + 72·n): txdata_octets u64 @0, rxdata_octets u64 @8,
 * 19 u32 counters @16..@88 in STATS_FIELDS order, custom_length u32 @92,
 * custom[] @96 (desc char[64], value u64).
 *
 * `struct iscsi_offload_host_stats` (664 + 72·n): 82 u64 counters @0..@648,
 * custom_length u32 @656, custom[] @664.
 *
 * `struct iscsi_chap_rec` (524): chap_tbl_idx u16 @0, chap_type u32 @4,
 * username char[256] @8, password u8[256] @264, password_length u8 @520.
 */
import { ProtocolError } from '../../shared/errors.js';
import { emptyStats, STATS_FIELDS, type SessionStats } from '../../iscsi/stats.js';
import {
  ISCSI_CHAP_REC_SIZE, ISCSI_HOST_STATS_CUSTOM_LENGTH_OFFSET, ISCSI_HOST_STATS_CUSTOM_MAX, ISCSI_HOST_STATS_SIZE,
  ISCSI_STATS_CUSTOM_DESC_MAX, ISCSI_STATS_CUSTOM_MAX, ISCSI_STATS_CUSTOM_SIZE, ISCSI_STATS_SIZE,
} from './abi.js';

/** A transport-specific counter (`struct iscsi_stats_custom`). */
export interface CustomStat {
  desc: string;
  value: bigint;
}

/** Counters of `iscsi_offload_host_stats`, in structure order (82 × u64). */
export const HOST_STATS_FIELDS = [
  'mactx_frames', 'mactx_bytes', 'mactx_multicast_frames', 'mactx_broadcast_frames', 'mactx_pause_frames',
  'mactx_control_frames', 'mactx_deferral', 'mactx_excess_deferral', 'mactx_late_collision', 'mactx_abort',
  'mactx_single_collision', 'mactx_multiple_collision', 'mactx_collision', 'mactx_frames_dropped', 'mactx_jumbo_frames',
  'macrx_frames', 'macrx_bytes', 'macrx_unknown_control_frames', 'macrx_pause_frames', 'macrx_control_frames',
  'macrx_dribble', 'macrx_frame_length_error', 'macrx_jabber', 'macrx_carrier_sense_error', 'macrx_frame_discarded',
  'macrx_frames_dropped', 'mac_crc_error', 'mac_encoding_error', 'macrx_length_error_large', 'macrx_length_error_small',
  'macrx_multicast_frames', 'macrx_broadcast_frames',
  'iptx_packets', 'iptx_bytes', 'iptx_fragments', 'iprx_packets', 'iprx_bytes', 'iprx_fragments',
  'ip_datagram_reassembly', 'ip_invalid_address_error', 'ip_error_packets', 'ip_fragrx_overlap', 'ip_fragrx_outoforder',
  'ip_datagram_reassembly_timeout', 'ipv6tx_packets', 'ipv6tx_bytes', 'ipv6tx_fragments', 'ipv6rx_packets',
  'ipv6rx_bytes', 'ipv6rx_fragments', 'ipv6_datagram_reassembly', 'ipv6_invalid_address_error', 'ipv6_error_packets',
  'ipv6_fragrx_overlap', 'ipv6_fragrx_outoforder', 'ipv6_datagram_reassembly_timeout',
  'tcptx_segments', 'tcptx_bytes', 'tcprx_segments', 'tcprx_byte', 'tcp_duplicate_ack_retx', 'tcp_retx_timer_expired',
  'tcprx_duplicate_ack', 'tcprx_pure_ackr', 'tcptx_delayed_ack', 'tcptx_pure_ack', 'tcprx_segment_error',
  'tcprx_segment_outoforder', 'tcprx_window_probe', 'tcprx_window_update', 'tcptx_window_probe_persist',
  'ecc_error_correction',
  'iscsi_pdu_tx', 'iscsi_data_bytes_tx', 'iscsi_pdu_rx', 'iscsi_data_bytes_rx', 'iscsi_io_completed',
  'iscsi_unexpected_io_rx', 'iscsi_format_error', 'iscsi_hdr_digest_error', 'iscsi_data_digest_error', 'iscsi_sequence_error',
] as const;
export type HostStatsField = (typeof HOST_STATS_FIELDS)[number];
export type HostStats = Record<HostStatsField, bigint>;

/** A host CHAP table entry (`struct iscsi_chap_rec`). */
export interface ChapRecord {
  chapTblIdx: number;
  type: 'out' | 'in';
  username: string;
  /** The secret: `password_length` bytes of `password`. */
  password: Buffer;
}

/** Text of a NUL-terminated char array. */
function cString(buf: Buffer): string {
  const nul = buf.indexOf(0);
  return buf.subarray(0, nul < 0 ? buf.length : nul).toString('utf8');
}

function need(buf: Buffer, bytes: number, where: string): void {
  if (buf.length < bytes) {
    throw new ProtocolError('UEVENT_PAYLOAD_TRUNCATED', `${where} needs ${bytes} bytes, got ${buf.length}`, { where });
  }
}

/** custom[] of `count` entries starting at `at`, checked against `max` and the buffer. */
function decodeCustom(buf: Buffer, at: number, count: number, max: number, where: string): CustomStat[] {
  if (count > max) {
    throw new ProtocolError('UEVENT_BAD_VALUE', `custom_length ${count} exceeds the kernel maximum ${max}`, { where: `${where}.custom_length` });
  }
  need(buf, at + count * ISCSI_STATS_CUSTOM_SIZE, `${where}.custom[${count}]`);
  return Array.from({ length: count }, (_, i) => {
    const e = at + i * ISCSI_STATS_CUSTOM_SIZE;
    return { desc: cString(buf.subarray(e, e + ISCSI_STATS_CUSTOM_DESC_MAX)), value: buf.readBigUInt64LE(e + ISCSI_STATS_CUSTOM_DESC_MAX) };
  });
}

/** `struct iscsi_stats` + custom entries (the payload after a GET_STATS uevent). */
export function decodeIscsiStats(buf: Buffer): { stats: SessionStats; custom: CustomStat[] } {
  need(buf, ISCSI_STATS_SIZE, 'iscsi_stats');
  const stats = emptyStats();
  stats.txdata_octets = buf.readBigUInt64LE(0);
  stats.rxdata_octets = buf.readBigUInt64LE(8);
  STATS_FIELDS.slice(2).forEach((field, i) => {
    (stats as unknown as Record<string, number>)[field] = buf.readUInt32LE(16 + i * 4);
  });
  const count = buf.readUInt32LE(92);
  return { stats, custom: decodeCustom(buf, ISCSI_STATS_SIZE, count, ISCSI_STATS_CUSTOM_MAX, 'iscsi_stats') };
}

/** `struct iscsi_offload_host_stats` + custom entries (the payload after GET_HOST_STATS). */
export function decodeHostStats(buf: Buffer): { stats: HostStats; custom: CustomStat[] } {
  need(buf, ISCSI_HOST_STATS_SIZE, 'iscsi_offload_host_stats');
  const stats = Object.fromEntries(HOST_STATS_FIELDS.map((f, i) => [f, buf.readBigUInt64LE(i * 8)])) as HostStats;
  const count = buf.readUInt32LE(ISCSI_HOST_STATS_CUSTOM_LENGTH_OFFSET);
  return { stats, custom: decodeCustom(buf, ISCSI_HOST_STATS_SIZE, count, ISCSI_HOST_STATS_CUSTOM_MAX, 'iscsi_offload_host_stats') };
}

/** `count` CHAP records (the payload after a GET_CHAP uevent; count = u.get_chap.num_entries). */
export function decodeChapRecords(buf: Buffer, count: number): ChapRecord[] {
  need(buf, count * ISCSI_CHAP_REC_SIZE, `iscsi_chap_rec[${count}]`);
  return Array.from({ length: count }, (_, i) => {
    const r = buf.subarray(i * ISCSI_CHAP_REC_SIZE, (i + 1) * ISCSI_CHAP_REC_SIZE);
    const type = r.readUInt32LE(4);
    if (type > 1) throw new ProtocolError('UEVENT_BAD_VALUE', `chap_type ${type} is neither OUT (0) nor IN (1)`, { where: `iscsi_chap_rec[${i}].chap_type` });
    const passwordLength = r.readUInt8(520);
    return {
      chapTblIdx: r.readUInt16LE(0),
      type: type === 1 ? 'in' : 'out',
      username: cString(r.subarray(8, 264)),
      password: Buffer.from(r.subarray(264, 264 + Math.min(passwordLength, 256))),
    };
  });
}
