/**
 * Types shared by a Full Feature Phase connection (connection.ts) and its session:
 * options, hooks, the Logout result, unfinished commands handed back for recovery,
 * and the small helpers that build them.
 */
import { IscsiError, ISCSI_ERR } from '../shared/errors.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { AsyncMessage, TargetPdu } from '../iscsi/pdu/types.js';
import type { ScsiRequest, ScsiResult } from './scsi-task.js';
import type { TagCounter } from './tasks.js';

/** What the target answered to our Logout Request (§11.15). */
export interface LogoutResult {
  /** 0 closed successfully, 1 CID not found, 2 recovery not supported, 3 cleanup failed. */
  response: number;
  /**
   * Time2Wait / Time2Retain in seconds, reported only with responses 2 and 3 (L-05);
   * with 0 and 1 the fields are invalid or ignored at ERL < 2 (L-04, L-06).
   */
  time2Wait?: number;
  time2Retain?: number;
}

export interface ConnectionOptions {
  cid: number;
  /** 0 disables the keepalive (Discovery sessions never run one, I-18). */
  noopOutIntervalMs: number;
  noopOutTimeoutMs: number;
  /**
   * Commands waiting this long for a command window the target keeps closed fail the
   * connection (COMMAND_WINDOW_STALLED) so recovery can reinstate it; 0 disables.
   */
  windowStallTimeoutMs: number;
  /** The session's tag source: ITTs never repeat across its connections (J-11). */
  tags: TagCounter;
  clock: Clock;
  log: Logger;
}

/**
 * A SCSI command the connection could not complete (connection failure, target-requested
 * logout, Reject 0x0c "waiting for logout"). At ERL 0 the target ended it without a
 * response (O-10, M-04), so whoever adopts it may issue `request` again on a later
 * connection and settle the original caller with `resolve`/`reject`.
 */
export interface UnfinishedCommand {
  readonly request: ScsiRequest;
  /** The caller's abort signal, to pass on when the command is issued again. */
  readonly signal?: AbortSignal;
  /** True when the command PDU had reached the wire (false: it was still waiting for the window). */
  readonly sent: boolean;
  resolve(result: ScsiResult): void;
  reject(err: IscsiError): void;
}

export interface ConnectionHooks {
  /** The connection failed (reported once); outstanding tasks are already failed or adopted. */
  failed(err: IscsiError): void;
  /** An Asynchronous Message, after numbering; the session decides what it means. */
  async(pdu: AsyncMessage): void;
  /**
   * Offer SCSI commands this connection will not complete. Return true to take them
   * over (they are then neither resolved nor rejected here); false rejects them with
   * `cause`. Absent: always rejected (the behaviour before recovery existed).
   */
  adopt?(commands: UnfinishedCommand[], cause: IscsiError): boolean;
}

/** Reject reason 0x0c: "Waiting for Logout" (§11.17.1), after an AsyncEvent 1. */
export const WAITING_FOR_LOGOUT = 0x0c;

/** The error of a command ended by its caller's abort signal (O-08). */
export function taskAborted(how: string, tmfResponse?: number): IscsiError {
  return new IscsiError('TASK_ABORTED', `SCSI command aborted ${how} (O-08)`, {
    errno: ISCSI_ERR.REQ_TIMEDOUT,
    retryable: true,
    ...(tmfResponse === undefined ? {} : { details: { tmfResponse } }),
  });
}

/** L-04..L-06: Time2Wait/Time2Retain mean something only with Logout Responses 2 and 3. */
export function logoutResult(pdu: Extract<TargetPdu, { kind: 'logout-response' }>): LogoutResult {
  if (pdu.response !== 2 && pdu.response !== 3) return { response: pdu.response };
  return { response: pdu.response, time2Wait: pdu.time2Wait, time2Retain: pdu.time2Retain };
}
