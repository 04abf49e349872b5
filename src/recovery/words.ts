/**
 * The supervisor state in open-iscsi's vocabulary (reference §4.2), for
 * `-m session -P 1/2` and the event stream:
 *
 *   phase / step               iSCSI Connection State   iSCSI Session State   Internal (r_stage)
 *   FREE                       FREE                     FREE                  NO CHANGE
 *   IN_LOGIN   login           IN LOGIN                 FREE                  NO CHANGE
 *   IN_LOGIN   delay           TRANSPORT WAIT           FREE                  NO CHANGE
 *   LOGGED_IN                  LOGGED IN                LOGGED_IN             NO CHANGE
 *   REOPEN     logout-wait     LOGOUT REQUESTED         FAILED / FREE *       REOPEN
 *   REOPEN     delay           TRANSPORT WAIT           FAILED / FREE *       REOPEN
 *   REOPEN     login           IN LOGIN                 FAILED / FREE *       REOPEN
 *   FAILED (gave up)           CLEANUP WAIT             FREE                  NO CHANGE
 *   IN_LOGOUT                  IN LOGOUT                LOGGED_IN             CLEANUP
 *
 * * the kernel's words: FAILED while I/O is held (recovery timer running), FREE once
 *   replacement_timeout expired and I/O fails fast.
 */
import type { MachineState, Phase, Step } from './machine.js';

export type ConnectionWord = 'FREE' | 'TRANSPORT WAIT' | 'IN LOGIN' | 'LOGGED IN' | 'IN LOGOUT' | 'LOGOUT REQUESTED' | 'CLEANUP WAIT';
export type SessionWord = 'LOGGED_IN' | 'FAILED' | 'FREE';
export type InternalWord = 'NO CHANGE' | 'CLEANUP' | 'REOPEN';

export interface StateWords {
  connection: ConnectionWord;
  session: SessionWord;
  internal: InternalWord;
}

const CONNECTION_BY_STEP: Readonly<Record<Step, ConnectionWord>> = {
  none: 'FREE',
  'logout-wait': 'LOGOUT REQUESTED',
  delay: 'TRANSPORT WAIT',
  login: 'IN LOGIN',
};

const BY_PHASE: Readonly<Record<Phase, { connection: ConnectionWord | 'by-step'; session: SessionWord | 'by-io'; internal: InternalWord }>> = {
  FREE: { connection: 'FREE', session: 'FREE', internal: 'NO CHANGE' },
  IN_LOGIN: { connection: 'by-step', session: 'FREE', internal: 'NO CHANGE' },
  LOGGED_IN: { connection: 'LOGGED IN', session: 'LOGGED_IN', internal: 'NO CHANGE' },
  REOPEN: { connection: 'by-step', session: 'by-io', internal: 'REOPEN' },
  FAILED: { connection: 'CLEANUP WAIT', session: 'FREE', internal: 'NO CHANGE' },
  IN_LOGOUT: { connection: 'IN LOGOUT', session: 'LOGGED_IN', internal: 'CLEANUP' },
};

/** The three state words of a supervisor state. */
export function stateWords(s: Pick<MachineState, 'phase' | 'step' | 'io'>): StateWords {
  const row = BY_PHASE[s.phase];
  return {
    connection: row.connection === 'by-step' ? CONNECTION_BY_STEP[s.step] : row.connection,
    session: row.session === 'by-io' ? (s.io === 'hold' ? 'FAILED' : 'FREE') : row.session,
    internal: row.internal,
  };
}
