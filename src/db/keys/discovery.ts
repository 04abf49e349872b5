/**
 * Discovery record keys (reference §5.5): SendTargets records in
 * `send_targets/<addr>,<port>/st_config`, iSNS records in `isns/<addr>,<port>/isns_config`.
 * Static and firmware "discovery" have no record file, only link directories (§5.1).
 */
import { CHAP_ALGS } from './node.js';
import type { KeyDef, KeyTable } from './types.js';

/** discovery.type words (numeric order of HEAD). Node records spell the first `send_targets`. */
export const DISCOVERY_TYPES = ['sendtargets', 'isns', 'offload_send_targets', 'static', 'fw'] as const;

/** Default SendTargets port (ISCSI_LISTEN_PORT) and iSNS port. */
export const ISCSI_PORT = 3260;
export const ISNS_PORT = 3205;

/** SendTargets record keys in file (and print) order. */
export const SENDTARGETS_KEYS = [
  { key: 'discovery.startup', type: 'enum', def: 'manual', values: ['manual', 'automatic'] },
  { key: 'discovery.type', type: 'enum', def: 'sendtargets', values: DISCOVERY_TYPES, ro: true },
  { key: 'discovery.sendtargets.address', type: 'string', def: '', ro: true },
  { key: 'discovery.sendtargets.port', type: 'int', def: ISCSI_PORT, ro: true },
  { key: 'discovery.sendtargets.auth.authmethod', type: 'enum', def: 'None', values: ['None', 'CHAP'] },
  { key: 'discovery.sendtargets.auth.username', type: 'string', def: '' },
  { key: 'discovery.sendtargets.auth.password', type: 'password', def: '' },
  { key: 'discovery.sendtargets.auth.password_length', type: 'int', def: 0, hidden: true },
  { key: 'discovery.sendtargets.auth.username_in', type: 'string', def: '' },
  { key: 'discovery.sendtargets.auth.password_in', type: 'password', def: '' },
  { key: 'discovery.sendtargets.auth.password_in_length', type: 'int', def: 0, hidden: true },
  // open-iscsi reuses the node key name inside st_config (reference §5.5, "sic").
  { key: 'node.session.auth.chap_algs', type: 'list', def: ['MD5'], values: CHAP_ALGS, maxItems: 5 },
  { key: 'discovery.sendtargets.timeo.login_timeout', type: 'int', def: 15 },
  { key: 'discovery.sendtargets.use_discoveryd', type: 'bool', def: false },
  { key: 'discovery.sendtargets.discoveryd_poll_inval', type: 'int', def: 30 },
  { key: 'discovery.sendtargets.reopen_max', type: 'int', def: 5 },
  { key: 'discovery.sendtargets.timeo.auth_timeout', type: 'int', def: 45 },
  { key: 'discovery.sendtargets.timeo.active_timeout', type: 'int', def: 30 },
  { key: 'discovery.sendtargets.iscsi.MaxRecvDataSegmentLength', type: 'int', def: 32768 },
] as const satisfies readonly KeyDef[];

/** iSNS record keys. Address/port live under the sendtargets key names (an upstream quirk). */
export const ISNS_KEYS = [
  { key: 'discovery.startup', type: 'enum', def: 'manual', values: ['manual', 'automatic'] },
  { key: 'discovery.type', type: 'enum', def: 'isns', values: DISCOVERY_TYPES, ro: true },
  { key: 'discovery.sendtargets.address', type: 'string', def: '', ro: true },
  { key: 'discovery.sendtargets.port', type: 'int', def: ISNS_PORT, ro: true },
  { key: 'discovery.isns.use_discoveryd', type: 'bool', def: false },
  { key: 'discovery.isns.discoveryd_poll_inval', type: 'int', def: -1 },
] as const satisfies readonly KeyDef[];

/** SendTargets record table. */
export const SENDTARGETS_TABLE: KeyTable = { kind: 'sendtargets', keys: SENDTARGETS_KEYS };

/** iSNS record table. */
export const ISNS_TABLE: KeyTable = { kind: 'isns', keys: ISNS_KEYS };
