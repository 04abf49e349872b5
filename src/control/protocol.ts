/**
 * JSON-RPC 2.0 (https://www.jsonrpc.org/specification) as spoken on the tsiscsid
 * control socket: envelope types, request parsing, response/notification lines, and
 * the mapping between IscsiError and the JSON-RPC error object.
 *
 * Error object on the wire:
 *   { code: <JSON-RPC code>, message: <text>,
 *     data: { errno: <ISCSI_ERR number = CLI exit status>, code: <stable string code>,
 *             retryable: <bool>, name: <error class>, details: {...secret-free...} } }
 *
 * No zod here: the client imports this file and must start fast.
 */
import {
  ConfigError, IscsiError, ISCSI_ERR, LoginError, ProtocolError, ScsiError, TransportError,
  type IscsiErrNumber, type IscsiErrorOptions,
} from '../shared/errors.js';
import { CONTROL_ERRORS, RPC_CODE, controlError, controlErrorRow } from './errors.js';
import { redactDetails } from './redact.js';

/** Version of this protocol, exchanged by `hello`. */
export const PROTOCOL_VERSION = 1;
export const JSONRPC_VERSION = '2.0';
/** Name the server gives in its hello result. */
export const SERVER_NAME = 'tsiscsid';
/** Method name of server → client event notifications. */
export const EVENT_METHOD = 'event';

export type JsonRpcId = string | number | null;

/** A request (with `id`) or a client notification (`id` absent). */
export interface JsonRpcRequest {
  readonly jsonrpc: '2.0';
  readonly method: string;
  readonly params?: unknown;
  readonly id?: JsonRpcId;
}

export interface ControlErrorData {
  readonly errno: number;
  readonly code: string;
  readonly retryable: boolean;
  readonly name?: string;
  readonly details: Record<string, unknown>;
}

export interface JsonRpcErrorObject {
  readonly code: number;
  readonly message: string;
  readonly data?: ControlErrorData;
}

export type JsonRpcResponse =
  | { readonly jsonrpc: '2.0'; readonly id: JsonRpcId; readonly result: unknown }
  | { readonly jsonrpc: '2.0'; readonly id: JsonRpcId; readonly error: JsonRpcErrorObject };

/** `hello` params (client → server). */
export interface HelloParams {
  readonly client: string;
  readonly version: string;
  readonly protocol: number;
}

/** Limits the server applies to this connection (announced by `hello`). */
export interface AnnouncedLimits {
  readonly maxFrameBytes: number;
  readonly maxInFlight: number;
  readonly maxRequestsPerSecond: number;
}

/** `hello` result (server → client). */
export interface HelloResult {
  readonly server: string;
  readonly version: string;
  readonly protocol: number;
  readonly methods: readonly string[];
  readonly limits: AnnouncedLimits;
}

/** Outcome of parsing one frame as a request. */
export type ParsedFrame =
  | { readonly ok: true; readonly request: JsonRpcRequest }
  | { readonly ok: false; readonly id: JsonRpcId; readonly error: IscsiError };

function isId(v: unknown): v is JsonRpcId {
  return v === null || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parse one frame's text as a JSON-RPC request (§4). Batches (§6) are refused:
 * one request per line keeps limits and ordering simple.
 */
export function parseRequest(text: string): ParsedFrame {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch (err) {
    return { ok: false, id: null, error: controlError('PARSE_ERROR', 'frame is not valid JSON', {}, err) };
  }
  if (Array.isArray(msg)) {
    return { ok: false, id: null, error: controlError('BATCH_NOT_SUPPORTED', 'JSON-RPC batches are not supported: send one request per line') };
  }
  if (!isPlainObject(msg)) return { ok: false, id: null, error: controlError('INVALID_REQUEST', 'request must be a JSON object') };
  const id = isId(msg.id) ? msg.id : null;
  if ('id' in msg && !isId(msg.id)) {
    return { ok: false, id: null, error: controlError('INVALID_REQUEST', 'request.id must be a string, number or null') };
  }
  if (msg.jsonrpc !== JSONRPC_VERSION) {
    return { ok: false, id, error: controlError('INVALID_REQUEST', 'request.jsonrpc must be "2.0"') };
  }
  if (typeof msg.method !== 'string' || msg.method.length === 0) {
    return { ok: false, id, error: controlError('INVALID_REQUEST', 'request.method must be a non-empty string') };
  }
  if ('params' in msg && (typeof msg.params !== 'object' || msg.params === null)) {
    return { ok: false, id, error: controlError('INVALID_REQUEST', 'request.params must be an object or array') };
  }
  const request: JsonRpcRequest = 'id' in msg
    ? { jsonrpc: JSONRPC_VERSION, method: msg.method, params: msg.params, id }
    : { jsonrpc: JSONRPC_VERSION, method: msg.method, params: msg.params };
  return { ok: true, request };
}

/** Best-effort id of a frame we will not process (rate limited): null if none. */
export function peekId(text: string): JsonRpcId {
  try {
    const msg: unknown = JSON.parse(text);
    return isPlainObject(msg) && isId(msg.id) ? msg.id : null;
  } catch {
    return null;
  }
}

/** One NDJSON line carrying a success response. */
export function resultLine(id: JsonRpcId, result: unknown): string {
  return `${JSON.stringify({ jsonrpc: JSONRPC_VERSION, id, result: result === undefined ? null : result })}\n`;
}

/** One NDJSON line carrying an error response. */
export function errorLine(id: JsonRpcId, err: unknown): string {
  return `${JSON.stringify({ jsonrpc: JSONRPC_VERSION, id, error: toRpcError(err) })}\n`;
}

/** One NDJSON line carrying an event notification; `eventJson` is already serialized. */
export function eventLine(subscription: string, eventJson: string): string {
  return `{"jsonrpc":"2.0","method":"${EVENT_METHOD}","params":{"subscription":${JSON.stringify(subscription)},"event":${eventJson}}}\n`;
}

/**
 * IscsiError → JSON-RPC error object. Our control codes use their table row's
 * JSON-RPC code; other IscsiErrors are application errors (-32000). Anything that
 * is not an IscsiError is an internal error whose text is not exposed.
 */
export function toRpcError(err: unknown): JsonRpcErrorObject {
  if (!(err instanceof IscsiError)) {
    const row = CONTROL_ERRORS.INTERNAL_ERROR;
    return { code: row.rpc, message: 'internal error', data: { errno: row.errno, code: 'INTERNAL_ERROR', retryable: false, details: {} } };
  }
  const rpc = controlErrorRow(err.code)?.rpc ?? RPC_CODE.APPLICATION;
  return {
    code: rpc,
    message: err.message,
    data: { errno: err.errno, code: err.code, retryable: err.retryable, name: err.name, details: redactDetails(err.details) },
  };
}

type ErrorCtor = new (code: string, message: string, opts: IscsiErrorOptions) => IscsiError;

/** Error classes a client may rebuild by `data.name` (all from src/shared). */
const ERROR_CLASSES: Readonly<Record<string, ErrorCtor>> = {
  IscsiError, ProtocolError, LoginError, ConfigError, TransportError, ScsiError,
};

/** Errnos used when an error object carries no `data` (a non-tsiscsi server). */
const ERRNO_BY_RPC: Readonly<Record<number, IscsiErrNumber>> = {
  [RPC_CODE.PARSE_ERROR]: ISCSI_ERR.ISCSID_COMM_ERR,
  [RPC_CODE.INVALID_REQUEST]: ISCSI_ERR.ISCSID_COMM_ERR,
  [RPC_CODE.METHOD_NOT_FOUND]: ISCSI_ERR.INVALID_MGMT_REQ,
  [RPC_CODE.INVALID_PARAMS]: ISCSI_ERR.INVAL,
  [RPC_CODE.INTERNAL_ERROR]: ISCSI_ERR.INTERNAL,
};

const ERRNO_VALUES = new Set<number>(Object.values(ISCSI_ERR));

function asErrno(v: unknown, fallback: IscsiErrNumber): IscsiErrNumber {
  return typeof v === 'number' && v !== ISCSI_ERR.SUCCESS && ERRNO_VALUES.has(v) ? (v as IscsiErrNumber) : fallback;
}

/**
 * JSON-RPC error object (untrusted JSON) → IscsiError with errno, code, retryable
 * and details preserved; the class is rebuilt from `data.name` when it is one of ours.
 */
export function fromRpcError(obj: unknown): IscsiError {
  if (!isPlainObject(obj) || typeof obj.code !== 'number') {
    return controlError('BAD_RESPONSE', 'daemon sent a malformed JSON-RPC error object');
  }
  const message = typeof obj.message === 'string' ? obj.message : `JSON-RPC error ${obj.code}`;
  const data = isPlainObject(obj.data) ? obj.data : {};
  const code = typeof data.code === 'string' && data.code.length > 0 ? data.code : `RPC_ERROR_${obj.code}`;
  const errno = asErrno(data.errno, ERRNO_BY_RPC[obj.code] ?? ISCSI_ERR.ERR);
  const retryable = typeof data.retryable === 'boolean' ? data.retryable : false;
  const details = isPlainObject(data.details) ? data.details : {};
  const name = typeof data.name === 'string' && Object.hasOwn(ERROR_CLASSES, data.name) ? data.name : 'IscsiError';
  const Ctor = ERROR_CLASSES[name] ?? IscsiError;
  return new Ctor(code, message, { errno, retryable, details });
}
