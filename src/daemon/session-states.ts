/**
 * The three state words `iscsiadm -m session -P 1` prints (reference §4.2), as data:
 *
 *   phase of the managed session     iSCSI Connection State   iSCSI Session State
 *   first login, connecting/login    IN LOGIN                 FREE
 *   first login, waiting to retry    TRANSPORT WAIT           FREE
 *   logged in                        LOGGED IN                LOGGED_IN
 *   logging out                      IN LOGOUT                LOGGED_IN
 *   failed (no recovery yet)         CLEANUP WAIT             FAILED
 *   closed                           FREE                     FREE
 *
 * "Internal iscsid Session State" is the recovery stage (open-iscsi r_stage): NO CHANGE
 * until connection recovery exists (a later milestone sets REOPEN / REDIRECT / CLEANUP).
 * A failed session waits in CLEANUP WAIT (open-iscsi's state between a connection
 * error and its reopen) until it is logged out.
 */
/** Where a managed session is in its life. */
export type SessionPhase = 'login' | 'login-wait' | 'logged-in' | 'logging-out' | 'failed' | 'closed';

/** Recovery stage (open-iscsi r_stage); only `none` is used until recovery exists. */
export type RecoveryStage = 'none' | 'cleanup' | 'reopen' | 'redirect';

/** iscsid connection state words. */
export type ConnectionWord = 'FREE' | 'TRANSPORT WAIT' | 'IN LOGIN' | 'LOGGED IN' | 'IN LOGOUT' | 'LOGOUT REQUESTED' | 'CLEANUP WAIT' | 'Unknown';
/** Kernel session state words. */
export type SessionWord = 'LOGGED_IN' | 'FAILED' | 'FREE' | 'Unknown';
/** r_stage words. */
export type InternalWord = 'NO CHANGE' | 'CLEANUP' | 'REOPEN' | 'REDIRECT' | 'Unknown';

const BY_PHASE: Readonly<Record<SessionPhase, { connection: ConnectionWord; session: SessionWord }>> = {
  login: { connection: 'IN LOGIN', session: 'FREE' },
  'login-wait': { connection: 'TRANSPORT WAIT', session: 'FREE' },
  'logged-in': { connection: 'LOGGED IN', session: 'LOGGED_IN' },
  'logging-out': { connection: 'IN LOGOUT', session: 'LOGGED_IN' },
  failed: { connection: 'CLEANUP WAIT', session: 'FAILED' },
  closed: { connection: 'FREE', session: 'FREE' },
};

const BY_STAGE: Readonly<Record<RecoveryStage, InternalWord>> = {
  none: 'NO CHANGE',
  cleanup: 'CLEANUP',
  reopen: 'REOPEN',
  redirect: 'REDIRECT',
};

/** The `-P 1` state block of a session. */
export interface StateWords {
  connection: ConnectionWord;
  session: SessionWord;
  internal: InternalWord;
}

/** State words of a phase and recovery stage. */
export function stateWords(phase: SessionPhase, stage: RecoveryStage): StateWords {
  return { ...BY_PHASE[phase], internal: BY_STAGE[stage] };
}

/** Whether two state blocks print the same. */
export function sameWords(a: StateWords, b: StateWords): boolean {
  return a.connection === b.connection && a.session === b.session && a.internal === b.internal;
}
