/**
 * The three state words `iscsiadm -m session -P 1` prints (reference §4.2) come from the
 * session's supervisor (src/recovery/words.ts); this file adds the daemon's view around
 * it: a session queued for its first login, and one that is gone.
 *
 *   daemon phase   supervisor state / step        iSCSI Connection   iSCSI Session   Internal
 *   login-wait     (queued in the login pool)     TRANSPORT WAIT     FREE            NO CHANGE
 *   login-wait     IN_LOGIN / delay               TRANSPORT WAIT     FREE            NO CHANGE
 *   login          IN_LOGIN / login               IN LOGIN           FREE            NO CHANGE
 *   logged-in      LOGGED_IN                      LOGGED IN          LOGGED_IN       NO CHANGE
 *   reopen         REOPEN / delay, login, ...     TRANSPORT WAIT...  FAILED or FREE  REOPEN
 *   failed         FAILED (recovery gave up)      CLEANUP WAIT       FREE            NO CHANGE
 *   logging-out    IN_LOGOUT                      IN LOGOUT          LOGGED_IN       CLEANUP
 *   closed         FREE after logout / teardown   FREE               FREE            NO CHANGE
 *
 * In REOPEN the session word is the kernel's: FAILED while I/O is held (replacement_timeout
 * running), FREE once it expired and I/O fails fast.
 */
import type { Phase, Step } from '../recovery/machine.js';
import type { StateWords as SupervisorWords } from '../recovery/words.js';

/** Where a managed session is in its life. */
export type SessionPhase = 'login' | 'login-wait' | 'logged-in' | 'reopen' | 'logging-out' | 'failed' | 'closed';

/** iscsid connection state words. */
export type ConnectionWord = 'FREE' | 'TRANSPORT WAIT' | 'IN LOGIN' | 'LOGGED IN' | 'IN LOGOUT' | 'LOGOUT REQUESTED' | 'CLEANUP WAIT' | 'Unknown';
/** Kernel session state words. */
export type SessionWord = 'LOGGED_IN' | 'FAILED' | 'FREE' | 'Unknown';
/** r_stage words. */
export type InternalWord = 'NO CHANGE' | 'CLEANUP' | 'REOPEN' | 'REDIRECT' | 'Unknown';

/** The `-P 1` state block of a session. */
export interface StateWords {
  connection: ConnectionWord;
  session: SessionWord;
  internal: InternalWord;
}

/** Words of a session waiting in the login pool (open-iscsi: XPT_WAIT before the connect). */
export const QUEUED_WORDS: Readonly<StateWords> = Object.freeze({ connection: 'TRANSPORT WAIT', session: 'FREE', internal: 'NO CHANGE' });
/** Words of a session that is gone (logged out, torn down). */
export const CLOSED_WORDS: Readonly<StateWords> = Object.freeze({ connection: 'FREE', session: 'FREE', internal: 'NO CHANGE' });

const BY_SUPERVISOR: Readonly<Record<Phase, SessionPhase | 'by-step'>> = {
  FREE: 'closed',
  IN_LOGIN: 'by-step',
  LOGGED_IN: 'logged-in',
  REOPEN: 'reopen',
  FAILED: 'failed',
  IN_LOGOUT: 'logging-out',
};

/** The daemon phase of a started session from its supervisor state. */
export function phaseOf(state: Phase, step: Step): SessionPhase {
  const p = BY_SUPERVISOR[state];
  if (p !== 'by-step') return p;
  return step === 'login' ? 'login' : 'login-wait';
}

/** The supervisor's words as the API reports them. */
export function wordsOf(w: SupervisorWords): StateWords {
  return { connection: w.connection, session: w.session, internal: w.internal };
}

/** Whether two state blocks print the same. */
export function sameWords(a: StateWords, b: StateWords): boolean {
  return a.connection === b.connection && a.session === b.session && a.internal === b.internal;
}
