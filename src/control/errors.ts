/**
 * The control API's own error codes: one table row per stable string code with the
 * JSON-RPC error code it travels under (`rpc`, absent for errors that only a client
 * raises locally), the open-iscsi ISCSI_ERR_* number (= tsiscsiadm exit status,
 * reference §2.5) and whether retrying may help. Errors thrown by method handlers
 * keep their own code/errno and travel as application errors (-32000).
 */
import { IscsiError, ISCSI_ERR, type IscsiErrNumber } from '../shared/errors.js';

/** JSON-RPC 2.0 §5.1 pre-defined codes, plus our -32000..-32099 server range. */
export const RPC_CODE = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  /** A method ran and failed: see `error.data` (errno, code, details). */
  APPLICATION: -32000,
  HELLO_REQUIRED: -32001,
  PROTOCOL_VERSION_MISMATCH: -32002,
  RATE_LIMITED: -32003,
  TOO_MANY_IN_FLIGHT: -32004,
  FRAME_TOO_LARGE: -32005,
  TOO_MANY_CONNECTIONS: -32006,
  TOO_MANY_SUBSCRIPTIONS: -32007,
  SUBSCRIPTION_NOT_FOUND: -32008,
  SHUTTING_DOWN: -32009,
} as const;

interface ControlErrorRow {
  /** JSON-RPC `error.code`; undefined for client-local errors that never go on the wire. */
  readonly rpc?: number;
  readonly errno: IscsiErrNumber;
  readonly retryable: boolean;
}

const E = ISCSI_ERR;

/** Every error code the control layer itself raises (server and client side). */
export const CONTROL_ERRORS = {
  // Wire errors (server → client).
  PARSE_ERROR: { rpc: RPC_CODE.PARSE_ERROR, errno: E.ISCSID_COMM_ERR, retryable: false },
  INVALID_REQUEST: { rpc: RPC_CODE.INVALID_REQUEST, errno: E.ISCSID_COMM_ERR, retryable: false },
  BATCH_NOT_SUPPORTED: { rpc: RPC_CODE.INVALID_REQUEST, errno: E.ISCSID_COMM_ERR, retryable: false },
  METHOD_NOT_FOUND: { rpc: RPC_CODE.METHOD_NOT_FOUND, errno: E.INVALID_MGMT_REQ, retryable: false },
  INVALID_PARAMS: { rpc: RPC_CODE.INVALID_PARAMS, errno: E.INVAL, retryable: false },
  INTERNAL_ERROR: { rpc: RPC_CODE.INTERNAL_ERROR, errno: E.INTERNAL, retryable: false },
  RESULT_INVALID: { rpc: RPC_CODE.INTERNAL_ERROR, errno: E.INTERNAL, retryable: false },
  HELLO_REQUIRED: { rpc: RPC_CODE.HELLO_REQUIRED, errno: E.ISCSID_COMM_ERR, retryable: false },
  PROTOCOL_VERSION_MISMATCH: { rpc: RPC_CODE.PROTOCOL_VERSION_MISMATCH, errno: E.ISCSID_COMM_ERR, retryable: false },
  RATE_LIMITED: { rpc: RPC_CODE.RATE_LIMITED, errno: E.AGAIN, retryable: true },
  TOO_MANY_IN_FLIGHT: { rpc: RPC_CODE.TOO_MANY_IN_FLIGHT, errno: E.BUSY, retryable: true },
  FRAME_TOO_LARGE: { rpc: RPC_CODE.FRAME_TOO_LARGE, errno: E.ISCSID_COMM_ERR, retryable: false },
  TOO_MANY_CONNECTIONS: { rpc: RPC_CODE.TOO_MANY_CONNECTIONS, errno: E.BUSY, retryable: true },
  TOO_MANY_SUBSCRIPTIONS: { rpc: RPC_CODE.TOO_MANY_SUBSCRIPTIONS, errno: E.BUSY, retryable: false },
  SUBSCRIPTION_NOT_FOUND: { rpc: RPC_CODE.SUBSCRIPTION_NOT_FOUND, errno: E.INVAL, retryable: false },
  SHUTTING_DOWN: { rpc: RPC_CODE.SHUTTING_DOWN, errno: E.ISCSID_COMM_ERR, retryable: true },
  // Client-local errors.
  DAEMON_NOT_RUNNING: { errno: E.ISCSID_NOTCONN, retryable: true },
  DAEMON_CONNECT_FAILED: { errno: E.ISCSID_NOTCONN, retryable: false },
  DAEMON_ACCESS_DENIED: { errno: E.ACCESS, retryable: false },
  REQUEST_TIMEOUT: { errno: E.REQ_TIMEDOUT, retryable: true },
  CONNECTION_CLOSED: { errno: E.ISCSID_COMM_ERR, retryable: true },
  BAD_RESPONSE: { errno: E.ISCSID_COMM_ERR, retryable: false },
  // Server start-up (socket directory and path checks).
  SOCKET_DIR_NOT_DIRECTORY: { errno: E.ACCESS, retryable: false },
  SOCKET_DIR_NOT_OWNED: { errno: E.ACCESS, retryable: false },
  SOCKET_DIR_INSECURE: { errno: E.ACCESS, retryable: false },
  SOCKET_PATH_NOT_SOCKET: { errno: E.INVAL, retryable: false },
  SOCKET_PATH_TOO_LONG: { errno: E.INVAL, retryable: false },
  SOCKET_IN_USE: { errno: E.BUSY, retryable: false },
  SOCKET_MODE_WRONG: { errno: E.ACCESS, retryable: false },
  // Programming errors in method tables and published events.
  METHOD_NAME_INVALID: { errno: E.INTERNAL, retryable: false },
  METHOD_DUPLICATE: { errno: E.INTERNAL, retryable: false },
  EVENT_INVALID: { errno: E.INTERNAL, retryable: false },
  SERVER_STATE: { errno: E.INTERNAL, retryable: false },
} as const satisfies Record<string, ControlErrorRow>;

export type ControlErrorCode = keyof typeof CONTROL_ERRORS;

/** Look a code up in the table (also for codes that came from elsewhere). */
export function controlErrorRow(code: string): ControlErrorRow | undefined {
  return Object.hasOwn(CONTROL_ERRORS, code) ? CONTROL_ERRORS[code as ControlErrorCode] : undefined;
}

/** Build the typed error for one of the control layer's own codes. */
export function controlError(
  code: ControlErrorCode,
  message: string,
  details: Record<string, unknown> = {},
  cause?: unknown,
): IscsiError {
  const row: ControlErrorRow = CONTROL_ERRORS[code];
  return new IscsiError(code, message, { errno: row.errno, retryable: row.retryable, details, cause });
}
