/**
 * Typed errors of the offload (netlink endpoint) login path, reference §3.7:
 * an endpoint that never connects, a firmware login that ends in FREE
 * (ISCSI_KEVENT_CONN_LOGIN_STATE), a transport driven the wrong way. Refusals of
 * individual requests stay KernelRequestError (errors.ts), which already names the
 * request and the errno and gives -ENOSYS / -EPERM an admin-actionable message.
 */
import { ConfigError, ISCSI_ERR, LoginError, TransportError } from '../../shared/errors.js';
import { CONN_STATE } from './abi.js';

/** Name of an `enum iscsi_conn_state` value (CONN_LOGIN_STATE), e.g. 3 -> LOGGED_IN. */
export function connStateName(state: number): string {
  for (const [name, v] of Object.entries(CONN_STATE)) if (v === state) return name;
  return `state ${state}`;
}

/** EP_CONNECT answered handle 0, or EP_POLL did not report "connected" before the login timeout. */
export function endpointError(kind: 'no-handle' | 'timeout', where: string, ms?: number): TransportError {
  return kind === 'no-handle'
    ? new TransportError('OFFLOAD_EP_CONNECT_FAILED', `offload endpoint to ${where}: EP_CONNECT returned no endpoint handle (driver could not allocate a connection)`, {
      errno: ISCSI_ERR.TRANS, details: { portal: where },
    })
    : new TransportError('OFFLOAD_EP_CONNECT_TIMEOUT', `offload endpoint to ${where} did not connect within ${ms ?? 0} ms (EP_POLL never reported connected); check the HBA link and that the portal answers`, {
      errno: ISCSI_ERR.TRANS_TIMEOUT, details: { portal: where, timeoutMs: ms ?? 0 },
    });
}

/**
 * The firmware login of a LOGIN_OFFLOAD transport (qla4xxx) ended in a state other
 * than LOGGED_IN (iscsid treats FREE as a failed login and retries).
 */
export class OffloadLoginError extends LoginError {
  readonly sid: number;
  readonly cid: number;
  readonly state: number;
  constructor(sid: number, cid: number, state: number) {
    super('OFFLOAD_LOGIN_FAILED', `firmware login of session ${sid} connection ${cid} failed: CONN_LOGIN_STATE ${connStateName(state)} (${state}); see the HBA log (dmesg) for the target's reason`, {
      errno: ISCSI_ERR.LOGIN, retryable: true, details: { sid, cid, state, stateName: connStateName(state) },
    });
    this.sid = sid;
    this.cid = cid;
    this.state = state;
  }
}

/** No CONN_LOGIN_STATE / Login Response within the login timeout. */
export function offloadLoginTimeout(sid: number, cid: number, ms: number, what: 'firmware' | 'pdu'): TransportError {
  const text = what === 'firmware' ? 'no CONN_LOGIN_STATE event' : 'no Login Response (RECV_PDU)';
  return new TransportError('OFFLOAD_LOGIN_TIMEOUT', `login of session ${sid} connection ${cid} through the kernel timed out after ${ms} ms: ${text}`, {
    errno: ISCSI_ERR.PDU_TIMEOUT, details: { sid, cid, timeoutMs: ms },
  });
}

/** A transport that is not driven through netlink endpoints (tcp uses its socket fd). */
export function notEndpointTransport(name: string): ConfigError {
  return new ConfigError('OFFLOAD_WRONG_TRANSPORT', `transport ${name} is not an offload (netlink endpoint) transport; it logs in on a userspace socket`, {
    details: { field: 'iface.transport_name', transport: name },
  });
}
