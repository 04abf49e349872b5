/**
 * `iscsid.*` keys of iscsid.conf (reference §8.1) and the active lines of the iscsid.conf
 * open-iscsi ships (§8.2). The `iscsid.*` values are raw strings because open-iscsi tests
 * them literally: `safe_logout` is on only when exactly `Yes`, `ipc_auth_uid` is off only
 * when exactly `No`.
 */
import type { KeyDef, KeyTable } from './types.js';

/** iscsid.* keys with their defaults. */
export const ISCSID_KEYS = [
  { key: 'iscsid.startup', type: 'string', def: '' },
  { key: 'iscsid.safe_logout', type: 'string', def: 'No' },
  { key: 'iscsid.ipc_auth_uid', type: 'string', def: 'Yes' },
  // tsiscsi extensions (daemon login/logout pool sizes; src/daemon/login-pool.ts).
  { key: 'iscsid.login_concurrency', type: 'string', def: '' },
  { key: 'iscsid.logout_concurrency', type: 'string', def: '' },
] as const satisfies readonly KeyDef[];

/** iscsid.* key table. */
export const ISCSID_TABLE: KeyTable = { kind: 'iscsid', keys: ISCSID_KEYS };

/** Active `key = value` lines of the iscsid.conf shipped by open-iscsi HEAD, in file order. */
export const SHIPPED_ISCSID_CONF: readonly (readonly [string, string])[] = [
  ['node.startup', 'manual'],
  ['node.leading_login', 'No'],
  ['node.session.timeo.replacement_timeout', '120'],
  ['node.conn[0].timeo.login_timeout', '15'],
  ['node.conn[0].timeo.logout_timeout', '15'],
  ['node.conn[0].timeo.noop_out_interval', '5'],
  ['node.conn[0].timeo.noop_out_timeout', '5'],
  ['node.session.err_timeo.abort_timeout', '15'],
  ['node.session.err_timeo.lu_reset_timeout', '30'],
  ['node.session.err_timeo.tgt_reset_timeout', '30'],
  ['node.session.err_timeo.host_reset_timeout', '60'],
  ['node.session.initial_login_retry_max', '8'],
  ['node.session.cmds_max', '128'],
  ['node.session.queue_depth', '32'],
  ['node.session.iscsi.InitialR2T', 'No'],
  ['node.session.iscsi.ImmediateData', 'Yes'],
  ['node.session.iscsi.FirstBurstLength', '262144'],
  ['node.session.iscsi.MaxBurstLength', '16776192'],
  ['node.conn[0].iscsi.MaxRecvDataSegmentLength', '262144'],
  ['node.conn[0].iscsi.MaxXmitDataSegmentLength', '0'],
  ['discovery.sendtargets.iscsi.MaxRecvDataSegmentLength', '32768'],
  ['node.session.nr_sessions', '1'],
  ['node.session.reopen_max', '0'],
  ['node.session.iscsi.FastAbort', 'Yes'],
  ['node.session.scan', 'auto'],
];
