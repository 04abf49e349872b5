/**
 * Login Response status class/detail (RFC 7143 §11.13.5) mapped to typed errors with
 * open-iscsi's ISCSI_ERR_* numbers. Class 1 (redirection) is not an error: the login
 * machine turns it into a redirect effect.
 */
import { ISCSI_ERR, LoginError, type IscsiErrNumber } from '../../shared/errors.js';

export const StatusClass = { Success: 0, Redirection: 1, InitiatorError: 2, TargetError: 3 } as const;

interface StatusRow {
  /** Stable error code. */
  code: string;
  text: string;
  errno: IscsiErrNumber;
  retryable: boolean;
  /** What an operator should do (in the spirit of the HP-UX diagnostic catalogue). */
  action: string;
}

/** Keyed by (class << 8) | detail. */
const STATUS: ReadonlyMap<number, StatusRow> = new Map<number, StatusRow>([
  [0x0101, { code: 'TARGET_MOVED_TEMPORARILY', text: 'target moved temporarily', errno: ISCSI_ERR.LOGIN, retryable: true, action: 'follow the TargetAddress in the response' }],
  [0x0102, { code: 'TARGET_MOVED_PERMANENTLY', text: 'target moved permanently', errno: ISCSI_ERR.LOGIN, retryable: true, action: 'update the portal to the TargetAddress in the response' }],
  [0x0200, { code: 'INITIATOR_ERROR', text: 'initiator error', errno: ISCSI_ERR.FATAL_LOGIN, retryable: false, action: 'check the node record and the target logs' }],
  [0x0201, { code: 'AUTHENTICATION_FAILURE', text: 'authentication failure', errno: ISCSI_ERR.LOGIN_AUTH_FAILED, retryable: false, action: 'check node.session.auth.username/password (and CHAP_A algorithms) against the target account' }],
  [0x0202, { code: 'AUTHORIZATION_FAILURE', text: 'authorization failure', errno: ISCSI_ERR.LOGIN_AUTH_FAILED, retryable: false, action: 'allow this initiator name or address in the target ACL' }],
  [0x0203, { code: 'TARGET_NOT_FOUND', text: 'target not found', errno: ISCSI_ERR.FATAL_LOGIN, retryable: false, action: 'check the target name, or the target ACL (some targets report ACL misses this way)' }],
  [0x0204, { code: 'TARGET_REMOVED', text: 'target removed', errno: ISCSI_ERR.FATAL_LOGIN, retryable: false, action: 'the target no longer exists at this portal; rediscover' }],
  [0x0205, { code: 'UNSUPPORTED_VERSION', text: 'unsupported version', errno: ISCSI_ERR.FATAL_LOGIN, retryable: false, action: 'the target does not speak iSCSI version 0' }],
  [0x0206, { code: 'TOO_MANY_CONNECTIONS', text: 'too many connections', errno: ISCSI_ERR.FATAL_LOGIN, retryable: false, action: 'log out other sessions or raise the target connection limit' }],
  [0x0207, { code: 'MISSING_PARAMETER', text: 'missing parameter', errno: ISCSI_ERR.FATAL_LOGIN, retryable: false, action: 'the target needs a key we did not send; check target logs' }],
  [0x0208, { code: 'CANT_INCLUDE_IN_SESSION', text: "can't include in session", errno: ISCSI_ERR.FATAL_LOGIN, retryable: false, action: 'the target refuses this connection in the session' }],
  [0x0209, { code: 'SESSION_TYPE_NOT_SUPPORTED', text: 'session type not supported', errno: ISCSI_ERR.FATAL_LOGIN, retryable: false, action: 'the target refuses this SessionType' }],
  [0x020a, { code: 'SESSION_DOES_NOT_EXIST', text: 'session does not exist', errno: ISCSI_ERR.FATAL_LOGIN, retryable: false, action: 'reinstate the session with TSIH 0' }],
  [0x020b, { code: 'INVALID_DURING_LOGIN', text: 'invalid request during login', errno: ISCSI_ERR.FATAL_LOGIN, retryable: false, action: 'protocol mismatch; check target logs' }],
  [0x0300, { code: 'TARGET_ERROR', text: 'target error', errno: ISCSI_ERR.LOGIN, retryable: true, action: 'the target is failing or offline; retry later' }],
  [0x0301, { code: 'SERVICE_UNAVAILABLE', text: 'service unavailable', errno: ISCSI_ERR.LOGIN, retryable: true, action: 'the target is temporarily unavailable; retry later' }],
  [0x0302, { code: 'OUT_OF_RESOURCES', text: 'out of resources', errno: ISCSI_ERR.LOGIN, retryable: true, action: 'the target is out of resources; retry later' }],
]);

/** Text for a status pair, e.g. "authentication failure (0x0201)". */
export function statusText(statusClass: number, statusDetail: number): string {
  const key = (statusClass << 8) | statusDetail;
  const hex = `0x${key.toString(16).padStart(4, '0')}`;
  const row = STATUS.get(key);
  return row ? `${row.text} (${hex})` : `unknown login status (${hex})`;
}

/**
 * The error for a non-zero, non-redirect status. Unknown details act on the class
 * alone; an unknown class is a non-retryable failure (checklist G-11).
 */
export function loginStatusError(statusClass: number, statusDetail: number, where: Record<string, unknown> = {}): LoginError {
  const key = (statusClass << 8) | statusDetail;
  const row = STATUS.get(key);
  const details = { statusClass, statusDetail, ...where };
  if (row) {
    return new LoginError(row.code, `login rejected by target: ${statusText(statusClass, statusDetail)}; ${row.action}`, {
      errno: row.errno,
      retryable: row.retryable,
      details: { ...details, action: row.action },
    });
  }
  const retryable = statusClass === StatusClass.TargetError;
  const code = statusClass === StatusClass.InitiatorError ? 'INITIATOR_ERROR' : retryable ? 'TARGET_ERROR' : 'UNKNOWN_LOGIN_STATUS';
  return new LoginError(code, `login rejected by target: ${statusText(statusClass, statusDetail)}`, {
    errno: retryable ? ISCSI_ERR.LOGIN : ISCSI_ERR.FATAL_LOGIN,
    retryable,
    details,
  });
}
