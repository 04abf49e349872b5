/**
 * State words of kernel-path sessions (session-states.ts vocabulary, reference §4.2) and
 * what an adopted kernel session starts from.
 */
import type { NegotiatedParams } from '../iscsi/text/params.js';
import { CLOSED_WORDS, QUEUED_WORDS, type SessionPhase, type StateWords } from './session-states.js';
import type { ConnectedTo } from './tracking-transport.js';

export const KERNEL_WORDS: Readonly<Record<SessionPhase, StateWords>> = {
  'login-wait': QUEUED_WORDS,
  login: { connection: 'IN LOGIN', session: 'FREE', internal: 'NO CHANGE' },
  'logged-in': { connection: 'LOGGED IN', session: 'LOGGED_IN', internal: 'NO CHANGE' },
  reopen: { connection: 'TRANSPORT WAIT', session: 'FAILED', internal: 'REOPEN' },
  failed: { connection: 'CLEANUP WAIT', session: 'FAILED', internal: 'NO CHANGE' },
  'logging-out': { connection: 'IN LOGOUT', session: 'LOGGED_IN', internal: 'CLEANUP' },
  closed: CLOSED_WORDS,
};

/** What a kernel session adopted from sysfs starts from. */
export interface AdoptedState {
  sid: number;
  hostNo: number;
  params?: NegotiatedParams;
  tsih?: number;
  connectedTo?: ConnectedTo;
  /** The connection is up: attach only. Otherwise a recovery starts at once. */
  up: boolean;
}
