/**
 * Typed iSNS errors. Decoders throw only `ProtocolError` (errno 25 ISNS_QUERY: what
 * iscsiadm reports when the exchange with the server fails); a non-zero response status
 * becomes `IsnsStatusError` carrying the status and libisns' text for it.
 */
import { IscsiError, ISCSI_ERR, ProtocolError, type IscsiErrNumber } from '../../shared/errors.js';
import { isnsStatusText } from './constants.js';

/** Malformed iSNSP bytes; `where` names the field or offset. */
export function isnsProtocolError(code: string, message: string, where: string): ProtocolError {
  return new ProtocolError(code, `iSNS: ${message}`, { errno: ISCSI_ERR.ISNS_QUERY, where, retryable: false });
}

/** A response with a non-zero status (RFC 4171 §6.4). */
export class IsnsStatusError extends IscsiError {
  /** The iSNS status code. */
  readonly status: number;
  /** libisns' text for the status (`iSNS discovery failed: <text>`). */
  readonly statusText: string;

  constructor(func: string, status: number, errno: IscsiErrNumber, details: Record<string, unknown> = {}) {
    const text = isnsStatusText(status);
    super('ISNS_STATUS', `iSNS ${func} failed with status ${status} (${text})`, {
      errno, retryable: status === 12, details: { ...details, func, status, statusText: text },
    });
    this.status = status;
    this.statusText = text;
  }
}
