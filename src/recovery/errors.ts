/**
 * Errors the supervisor fails SCSI commands with. Codes are stable; dm-multipath style
 * callers key on REPLACEMENT_TIMEOUT (fail over now) vs. the others (path gone for good).
 */
import { IscsiError, ISCSI_ERR, TransportError } from '../shared/errors.js';

/** replacement_timeout expired (or is 0): held and new commands fail at once until the session is back (S-01). */
export function replacementTimeoutError(timeoutMs: number, cause: IscsiError | undefined): TransportError {
  return new TransportError('REPLACEMENT_TIMEOUT', `session not re-established within replacement_timeout (${timeoutMs} ms)`, {
    errno: ISCSI_ERR.SESSION_NOT_CONNECTED,
    ...(cause ? { cause, details: { reason: cause.code } } : {}),
  });
}

/** Recovery gave up (reopen_max reached or a non-retryable failure); the session waits for a logout. */
export function recoveryFailedError(cause: IscsiError | undefined): TransportError {
  return new TransportError('SESSION_RECOVERY_FAILED', `session recovery gave up${cause ? `: ${cause.message}` : ''}`, {
    errno: ISCSI_ERR.SESSION_NOT_CONNECTED,
    retryable: false,
    ...(cause ? { cause, details: { reason: cause.code } } : {}),
  });
}

/** The operator logged the session out while commands were held. */
export function loggedOutError(): IscsiError {
  return new IscsiError('SESSION_LOGGED_OUT', 'session logged out with commands held', { errno: ISCSI_ERR.LOGOUT });
}

/** The session was torn down by force (`terminate()`). */
export function terminatedError(): IscsiError {
  return new IscsiError('SESSION_TERMINATED', 'session torn down by the operator', { errno: ISCSI_ERR.LOGOUT });
}

/** No session yet (first login not done). */
export function notLoggedInError(phase: string): TransportError {
  return new TransportError('SESSION_NOT_LOGGED_IN', `cannot send SCSI command: session is ${phase}`, { errno: ISCSI_ERR.SESSION_NOT_CONNECTED });
}

/** A held command whose caller aborted it before it could be issued again. */
export function abortedWhileHeldError(): IscsiError {
  return new IscsiError('TASK_ABORTED', 'SCSI command aborted while held for session recovery (O-08)', { errno: ISCSI_ERR.REQ_TIMEDOUT, retryable: true });
}
