/**
 * Node record keys in file order (reference §5.3): `nodes/<iqn>/<addr>,<port>,<tpgt>/<iface>`.
 * Defaults are open-iscsi's compiled-in ones (Appendix B); iscsid.conf overlays them for
 * new records only (§5.2, §8.1).
 */
import { IFACE_KEYS, IFACE_SHOW } from './iface.js';
import type { KeyDef, KeyTable, ShowItem } from './types.js';

const STARTUP = ['manual', 'automatic', 'onboot'] as const;
const YES_NO = 'bool' as const;
const AUTH_METHODS = ['None', 'CHAP'] as const;
const DIGESTS = ['None', 'CRC32C', 'CRC32C,None', 'None,CRC32C'] as const;

/** CHAP digest algorithms in open-iscsi's spelling (most preferred first in a list). */
export const CHAP_ALGS = ['MD5', 'SHA1', 'SHA256', 'SHA3-256'] as const;

/** node.discovery_type words (numeric order of HEAD: sendtargets=0 … fw=4). */
export const NODE_DISCOVERY_TYPES = ['send_targets', 'isns', 'offload_send_targets', 'static', 'fw'] as const;

const NODE_HEAD = [
  { key: 'node.name', type: 'string', def: '', ro: true },
  { key: 'node.tpgt', type: 'int', def: -1, ro: true },
  { key: 'node.startup', type: 'enum', def: 'manual', values: STARTUP },
  { key: 'node.leading_login', type: YES_NO, def: false },
] as const satisfies readonly KeyDef[];

const NODE_DISCOVERY = [
  { key: 'node.discovery_address', type: 'string', def: '', ro: true },
  { key: 'node.discovery_port', type: 'int', def: 0, ro: true },
  { key: 'node.discovery_type', type: 'enum', def: 'static', values: NODE_DISCOVERY_TYPES, ro: true },
] as const satisfies readonly KeyDef[];

const NODE_SESSION = [
  { key: 'node.session.initial_cmdsn', type: 'int', def: 0 },
  { key: 'node.session.initial_login_retry_max', type: 'int', def: 4 },
  { key: 'node.session.xmit_thread_priority', type: 'int', def: 0 },
  { key: 'node.session.cmds_max', type: 'int', def: 128 },
  { key: 'node.session.queue_depth', type: 'int', def: 32 },
  { key: 'node.session.nr_sessions', type: 'int', def: 1 },
  { key: 'node.session.auth.authmethod', type: 'enum', def: 'None', values: AUTH_METHODS },
  { key: 'node.session.auth.username', type: 'string', def: '' },
  { key: 'node.session.auth.password', type: 'password', def: '' },
  { key: 'node.session.auth.password_length', type: 'int', def: 0, hidden: true },
  { key: 'node.session.auth.username_in', type: 'string', def: '' },
  { key: 'node.session.auth.password_in', type: 'password', def: '' },
  { key: 'node.session.auth.password_in_length', type: 'int', def: 0, hidden: true },
  { key: 'node.session.auth.chap_algs', type: 'list', def: ['MD5'], values: CHAP_ALGS, maxItems: 5 },
  { key: 'node.session.timeo.replacement_timeout', type: 'int', def: 120 },
  { key: 'node.session.err_timeo.abort_timeout', type: 'int', def: 15 },
  { key: 'node.session.err_timeo.lu_reset_timeout', type: 'int', def: 30 },
  { key: 'node.session.err_timeo.tgt_reset_timeout', type: 'int', def: 30 },
  { key: 'node.session.err_timeo.host_reset_timeout', type: 'int', def: 60 },
  { key: 'node.session.iscsi.FastAbort', type: YES_NO, def: true },
  { key: 'node.session.iscsi.InitialR2T', type: YES_NO, def: false },
  { key: 'node.session.iscsi.ImmediateData', type: YES_NO, def: true },
  { key: 'node.session.iscsi.FirstBurstLength', type: 'int', def: 262144 },
  { key: 'node.session.iscsi.MaxBurstLength', type: 'int', def: 16776192 },
  { key: 'node.session.iscsi.DefaultTime2Retain', type: 'int', def: 0 },
  { key: 'node.session.iscsi.DefaultTime2Wait', type: 'int', def: 2 },
  { key: 'node.session.iscsi.MaxConnections', type: 'int', def: 1 },
  { key: 'node.session.iscsi.MaxOutstandingR2T', type: 'int', def: 1 },
  { key: 'node.session.iscsi.ERL', type: 'int', def: 0 },
  { key: 'node.session.scan', type: 'enum', def: 'auto', values: ['manual', 'auto'] },
  { key: 'node.session.reopen_max', type: 'int', def: 0 },
  { key: 'node.session.sess_reopen_log_freq', type: 'int', def: 1, since: '2.1.11' },
] as const satisfies readonly KeyDef[];

const NODE_CONN = [
  { key: 'node.conn[0].address', type: 'string', def: '', ro: true },
  { key: 'node.conn[0].port', type: 'int', def: 3260, ro: true },
  { key: 'node.conn[0].startup', type: 'enum', def: 'manual', values: STARTUP },
  { key: 'node.conn[0].tcp.window_size', type: 'int', def: 524288 },
  { key: 'node.conn[0].tcp.type_of_service', type: 'int', def: 0 },
  { key: 'node.conn[0].tcp.congestion_control', type: 'string', def: '', since: 'HEAD' },
  { key: 'node.conn[0].timeo.logout_timeout', type: 'int', def: 15 },
  { key: 'node.conn[0].timeo.login_timeout', type: 'int', def: 30 },
  { key: 'node.conn[0].timeo.auth_timeout', type: 'int', def: 45 },
  { key: 'node.conn[0].timeo.noop_out_interval', type: 'int', def: 5 },
  { key: 'node.conn[0].timeo.noop_out_timeout', type: 'int', def: 5 },
  { key: 'node.conn[0].iscsi.MaxXmitDataSegmentLength', type: 'int', def: 0 },
  { key: 'node.conn[0].iscsi.MaxRecvDataSegmentLength', type: 'int', def: 262144 },
  { key: 'node.conn[0].iscsi.HeaderDigest', type: 'enum', def: 'None', values: DIGESTS },
  { key: 'node.conn[0].iscsi.DataDigest', type: 'enum', def: 'None', values: DIGESTS },
  { key: 'node.conn[0].iscsi.IFMarker', type: YES_NO, def: false },
  { key: 'node.conn[0].iscsi.OFMarker', type: YES_NO, def: false },
] as const satisfies readonly KeyDef[];

/** Every node record key in file order. */
export const NODE_KEYS = [...NODE_HEAD, ...IFACE_KEYS, ...NODE_DISCOVERY, ...NODE_SESSION, ...NODE_CONN] as const;

/** Print order for `-o show` (reference §6.3): only the iface block moves. */
export const NODE_SHOW: readonly ShowItem[] = [
  ...NODE_HEAD.map((d) => ({ key: d.key })),
  ...IFACE_SHOW,
  ...[...NODE_DISCOVERY, ...NODE_SESSION, ...NODE_CONN].map((d) => ({ key: d.key })),
];

/** Node key table. iface.* keys change only in iface mode, except the transport name. */
export const NODE_TABLE: KeyTable = {
  kind: 'node',
  keys: NODE_KEYS,
  show: NODE_SHOW,
  aliases: { 'node.transport_name': 'iface.transport_name' },
  modeLock: { prefix: 'iface.', except: ['iface.transport_name'], owner: 'iface' },
  ipBlocks: true,
};
