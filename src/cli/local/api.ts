/**
 * Daemon methods tsiscsiadm answers itself when tsiscsid is not running, so that what
 * works without iscsid in open-iscsi works here too (reference §1.4: iscsiadm edits the
 * record DB itself and lists sessions from sysfs):
 * - node / iface / discovery records: read and written through src/db (records.ts);
 * - sessions: there are none without the daemon (usertcp sessions live in it), so the
 *   listings are empty ("No active sessions.", exit 21), a sid is unknown (exit 22) and
 *   logouts find nothing to log out (exit 21), as iscsiadm answers with no sessions.
 * Logins, SendTargets, stats of live sessions and `-k` need the daemon and are not here.
 */
import { IscsiError, ISCSI_ERR } from '../../shared/errors.js';
import type { DaemonPaths } from '../../shared/paths.js';
import { VERSION } from '../../shared/version.js';
import type { RecordStore } from '../../db/index.js';
import { RECORD_HANDLERS } from './records.js';
import { openLocalStore } from './store.js';

type P = Record<string, unknown>;

function noSession(sid: unknown): IscsiError {
  return new IscsiError('SESSION_NOT_FOUND', `session ${String(sid)} not found`, { errno: ISCSI_ERR.SESS_NOT_FOUND, details: { sid } });
}

function noMatchingSessions(p: P): IscsiError {
  return new IscsiError('NO_MATCHING_SESSIONS', 'no matching sessions found', { errno: ISCSI_ERR.NO_OBJS_FOUND, details: { ...p } });
}

const SESSION_HANDLERS: Readonly<Record<string, (p: P) => unknown>> = {
  'session.list': () => ({ sessions: [], versions: { transportClass: null, daemon: VERSION } }),
  'session.info': (p) => {
    throw noSession(p.sid);
  },
  'session.stats': (p) => {
    if (p.sid !== undefined) throw noSession(p.sid);
    return { stats: [] };
  },
  'session.rescan': (p) => {
    if (p.sid !== undefined) throw noSession(p.sid);
    return { results: [], firstErrno: 0 };
  },
  'session.logout': (p) => {
    throw p.sid !== undefined ? noSession(p.sid) : noMatchingSessions(p);
  },
  'session.loginNew': (p) => {
    throw noSession(p.sid);
  },
  'node.logout': (p) => {
    throw noMatchingSessions(p);
  },
  'node.logoutAll': (p) => {
    throw noMatchingSessions(p);
  },
};

/** Methods answered locally. */
export const LOCAL_METHODS: ReadonlySet<string> = new Set([...Object.keys(RECORD_HANDLERS), ...Object.keys(SESSION_HANDLERS)]);

/** One local answerer per run (the store is opened on first use). */
export function localApi(paths: Pick<DaemonPaths, 'config' | 'db'>): { call(method: string, params: object): Promise<unknown> } {
  let store: Promise<RecordStore> | undefined;
  return {
    async call(method, params) {
      const session = SESSION_HANDLERS[method];
      if (session) return session(params as P);
      const record = RECORD_HANDLERS[method];
      if (!record) throw new IscsiError('DAEMON_NOT_RUNNING', `${method} needs tsiscsid`, { errno: ISCSI_ERR.ISCSID_NOTCONN });
      store ??= openLocalStore(paths);
      return record(await store, params as P);
    },
  };
}
