/**
 * What the kernel tells the daemon without being asked (ISCSI_KEVENT_*, reference
 * §3.2/§3.4), as the driver hands it to listeners: CONN_ERROR becomes a typed
 * `KernelConnError` carrying the kernel's `enum iscsi_err` code, so recovery can
 * decide on the code and admins read iscsid's wording in the log.
 */
import { TransportError } from '../../shared/errors.js';
import { describeConnError, KERNEL_CONN_ERRORS } from './abi.js';
import type { KernelEvent } from './messages.js';

/** ISCSI_KEVENT_CONN_ERROR as an error: `kernelCode` is the kernel's iscsi_err (1001..1022). */
export class KernelConnError extends TransportError {
  readonly sid: number;
  readonly cid: number;
  readonly kernelCode: number;
  /** ISCSI_ERR_* name of `kernelCode`, or `UNKNOWN`. */
  readonly kernelName: string;

  constructor(sid: number, cid: number, kernelCode: number) {
    const name = KERNEL_CONN_ERRORS[kernelCode]?.name ?? 'UNKNOWN';
    super('KERNEL_CONN_ERROR', `kernel reported a connection error on session ${sid} connection ${cid}: ${describeConnError(kernelCode)} (${kernelCode})`, {
      retryable: true,
      details: { sid, cid, kernelCode, kernelName: name },
    });
    this.sid = sid;
    this.cid = cid;
    this.kernelCode = kernelCode;
    this.kernelName = name;
  }
}

/** An event as delivered to driver listeners. */
export type DriverEvent =
  | { type: 'connError'; sid: number; cid: number; error: KernelConnError }
  | { type: 'unbindSession'; sid: number; hostNo: number }
  | { type: 'createSession'; sid: number; hostNo: number }
  | { type: 'destroySession'; sid: number; hostNo: number }
  | { type: 'ifDown'; hostNo: number }
  | { type: 'hostEvent'; hostNo: number; code: number; data: Buffer }
  | { type: 'recvPdu'; sid: number; cid: number; bhs: Buffer; data: Buffer }
  | { type: 'connLoginState'; sid: number; cid: number; state: number }
  | { type: 'other'; event: KernelEvent };

/** Counters the driver keeps (reported by `-m session -s`/daemon status, never fatal). */
export interface DriverCounters {
  requests: number;
  replies: number;
  events: number;
  /** Unknown message types (another program on the socket, a newer kernel). */
  unknown: number;
  /** Messages that did not decode. */
  malformed: number;
  /** Replies that matched no request in flight (late after a timeout, or another user's). */
  unmatched: number;
}

/** The listener view of a decoded kernel event. */
export function toDriverEvent(ev: KernelEvent): DriverEvent {
  switch (ev.event) {
    case 'connError': return { type: 'connError', sid: ev.sid, cid: ev.cid, error: new KernelConnError(ev.sid, ev.cid, ev.error) };
    case 'unbindSession': return { type: 'unbindSession', sid: ev.sid, hostNo: ev.hostNo };
    case 'createSession': return { type: 'createSession', sid: ev.sid, hostNo: ev.hostNo };
    case 'destroySession': return { type: 'destroySession', sid: ev.sid, hostNo: ev.hostNo };
    case 'ifDown': return { type: 'ifDown', hostNo: ev.hostNo };
    case 'hostEvent': return { type: 'hostEvent', hostNo: ev.hostNo, code: ev.code, data: ev.data };
    case 'recvPdu': return { type: 'recvPdu', sid: ev.sid, cid: ev.cid, bhs: ev.bhs, data: ev.data };
    case 'connLoginState': return { type: 'connLoginState', sid: ev.sid, cid: ev.cid, state: ev.state };
    default: return { type: 'other', event: ev };
  }
}
