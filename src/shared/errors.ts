import { ISCSI_ERR, type IscsiErrNumber } from './iscsi-err.js';

export { ISCSI_ERR, ISCSI_ERR_TEXT, type IscsiErrNumber } from './iscsi-err.js';

/** Options common to every tsiscsi error. */
export interface IscsiErrorOptions {
  /** open-iscsi ISCSI_ERR_* number; also the CLI exit status. */
  errno?: IscsiErrNumber;
  /** Whether retrying the same operation later may succeed. */
  retryable?: boolean;
  /** Underlying error. */
  cause?: unknown;
  /** Structured, secret-free context (where the problem was found). */
  details?: Record<string, unknown>;
}

/**
 * Root of the tsiscsi error tree. `code` is a stable string (tests assert on it,
 * never on message text); `errno` is open-iscsi's ISCSI_ERR_* number.
 */
export class IscsiError extends Error {
  readonly code: string;
  readonly errno: IscsiErrNumber;
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;

  constructor(code: string, message: string, opts: IscsiErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.errno = opts.errno ?? ISCSI_ERR.ERR;
    this.retryable = opts.retryable ?? false;
    this.details = opts.details ?? {};
  }

  /** JSON form for logs and API replies (never contains secrets: callers must not put them in). */
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, errno: this.errno, message: this.message, retryable: this.retryable, ...this.details };
  }
}

/**
 * Malformed bytes or a peer that broke a protocol rule. Decoders throw only this.
 * `where` names the field or offset, e.g. "LoginResponse.ITT" or "text[3]".
 */
export class ProtocolError extends IscsiError {
  constructor(code: string, message: string, opts: IscsiErrorOptions & { where?: string } = {}) {
    super(code, message, {
      errno: opts.errno ?? ISCSI_ERR.TRANS,
      retryable: opts.retryable ?? true,
      cause: opts.cause,
      details: { ...(opts.where === undefined ? {} : { where: opts.where }), ...opts.details },
    });
  }
}

/** A login that failed: status class/detail from the target, or a negotiation failure. */
export class LoginError extends IscsiError {}

/** Invalid configuration or argument (bad name, secret, portal...). errno 7 by default. */
export class ConfigError extends IscsiError {
  constructor(code: string, message: string, opts: IscsiErrorOptions = {}) {
    super(code, message, { errno: ISCSI_ERR.INVAL, ...opts });
  }
}

/** A connection-level failure (TCP refused/reset, timeout). */
export class TransportError extends IscsiError {
  constructor(code: string, message: string, opts: IscsiErrorOptions = {}) {
    super(code, message, { errno: ISCSI_ERR.TRANS, retryable: true, ...opts });
  }
}

/** A SCSI command that completed with a non-GOOD status, or could not complete. */
export class ScsiError extends IscsiError {}

/** Exhaustiveness helper for discriminated unions. */
export function assertNever(x: never, what = 'value'): never {
  throw new IscsiError('INTERNAL_UNREACHABLE', `unexpected ${what}: ${JSON.stringify(x)}`, { errno: ISCSI_ERR.INTERNAL });
}
