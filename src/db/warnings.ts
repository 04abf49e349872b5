/**
 * Problems found while reading records and config files. Readers never drop or
 * overwrite anything silently: every skipped line, unknown key or bad value becomes a
 * `DbWarning` naming the file and line, and the rest of the file is still used.
 * Callers that want to fail instead turn a warning into a typed error with
 * `warningToError`.
 */
import { ConfigError, IscsiError, ISCSI_ERR } from '../shared/errors.js';

/** Stable codes of reader warnings. */
export type DbWarningCode =
  | 'LINE_TOO_LONG'
  | 'KEY_TOO_LONG'
  | 'VALUE_TOO_LONG'
  | 'SYNTAX'
  | 'EMPTY_VALUE'
  | 'BINARY_DATA'
  | 'UNKNOWN_KEY'
  | 'INVALID_VALUE'
  | 'DUPLICATE_KEY'
  | 'READ_ONLY_KEY'
  | 'RECORD_TRUNCATED'
  | 'RECORD_EMPTY'
  | 'IDENTITY_MISMATCH'
  | 'BAD_ENTRY_NAME'
  | 'UNREADABLE'
  | 'CONFIG_MISSING'
  | 'NO_INITIATOR_NAME'
  | 'SKIPPED';

/** One problem, with where it was found. */
export interface DbWarning {
  readonly code: DbWarningCode;
  readonly file: string;
  /** 1-based line number when the problem is on one line. */
  readonly line?: number;
  readonly key?: string;
  readonly message: string;
}

/** Record-file syntax/limit problems are ConfigError (errno 7); I/O problems are IDBM (6). */
export function warningToError(w: DbWarning): IscsiError {
  const details = { file: w.file, ...(w.line === undefined ? {} : { line: w.line }), ...(w.key === undefined ? {} : { key: w.key }) };
  const where = w.line === undefined ? w.file : `${w.file}:${w.line}`;
  if (w.code === 'UNREADABLE') return new IscsiError(w.code, `${where}: ${w.message}`, { errno: ISCSI_ERR.IDBM, details });
  return new ConfigError(w.code, `${where}: ${w.message}`, { details });
}

/** A database error (I/O, lock, missing record), errno ISCSI_ERR_IDBM unless told. */
export function dbError(code: string, message: string, details: Record<string, unknown> = {}, cause?: unknown): IscsiError {
  return new IscsiError(code, message, { errno: ISCSI_ERR.IDBM, details, cause });
}

/** A record that does not exist (errno 21, "no objects found"). */
export function notFound(what: string, details: Record<string, unknown>): IscsiError {
  return new IscsiError('RECORD_NOT_FOUND', `${what} not found`, { errno: ISCSI_ERR.NO_OBJS_FOUND, details });
}

/** Tells whether a session currently uses a node record. */
export interface BusyCheck {
  readonly isBusy?: (key: { target: string; address: string; port: number; tpgt: number; iface: string }) => boolean;
}

/** The error for an operation refused because a session uses the record (errno 15). */
export function sessionExists(what: string, key: { target: string; address: string; port: number; iface: string }): IscsiError {
  return new IscsiError('SESSION_EXISTS', `${what}: a session is using record [iface: ${key.iface}, target: ${key.target}, portal: ${key.address},${key.port}]`, {
    errno: ISCSI_ERR.SESS_EXISTS, details: { ...key },
  });
}

/** The error for creating a record that already exists (errno 6). */
export function recordExists(what: string, details: Record<string, unknown>): IscsiError {
  return new IscsiError('RECORD_EXISTS', `${what} already exists`, { errno: ISCSI_ERR.IDBM, details });
}
