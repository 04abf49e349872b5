/**
 * Login failure diagnostics, in the spirit of a diagnostic catalogue: every failure
 * class gets a stable code, the cause (the error's message, which never holds secrets)
 * and an action for the operator. Login status failures already carry their action
 * (src/iscsi/login/status.ts); the table below covers connection, timeout, CHAP and
 * configuration failures; anything else falls back to an action by errno.
 */
import { IscsiError, ISCSI_ERR } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';

/** What the daemon logs and publishes about one failed login attempt. */
export interface LoginDiagnosis {
  code: string;
  errno: number;
  cause: string;
  action: string;
  retryable: boolean;
}

/** Actions for failures that do not come from a login status. */
const ACTIONS: Readonly<Record<string, string>> = {
  CONNECT_FAILED: 'check the portal address and port, that the target service runs there, and that no firewall blocks TCP',
  CONNECT_TIMEOUT: 'the portal does not answer TCP: check routing and firewalls, or raise node.conn[0].timeo.login_timeout',
  CONNECT_ABORTED: 'the connection attempt was cancelled (login timeout or daemon stopping); retry',
  LOGIN_TIMEOUT: 'the target accepted TCP but did not finish the login in time: check the target, or raise node.conn[0].timeo.login_timeout',
  CONNECTION_CLOSED_DURING_LOGIN: 'the target dropped the connection during login: check its logs (ACLs, connection limits)',
  CONNECTION_ERROR: 'the connection failed during login: check the network path to the portal',
  AUTH_FAILED: 'check node.session.auth.username/password (and username_in/password_in for mutual CHAP) and chap_algs against the target account',
  CHAP_MALFORMED: 'the target sent a malformed CHAP value: check the target CHAP configuration',
  CHAP_ALGORITHM_UNAVAILABLE: 'this system cannot compute the chosen CHAP digest (FIPS?): put another algorithm first in node.session.auth.chap_algs',
  CHAP_SECRET_TOO_SHORT: 'use CHAP secrets of at least 12 bytes (RFC 7143 §9.2.1)',
  CHAP_SECRET_MISSING: 'set node.session.auth.password (CHAP needs a secret)',
  CHAP_USERNAME_MISSING: 'set node.session.auth.username (CHAP needs a name)',
  CHAP_MUTUAL_INCOMPLETE: 'set both node.session.auth.username_in and password_in, or neither',
  CHAP_SAME_SECRET: 'use different secrets for the two CHAP directions',
  TOO_MANY_REDIRECTS: 'the target keeps redirecting the login: check its redirect configuration',
  NEGOTIATION_RESET: 'the target reset the negotiation: check the target logs and the node.session.iscsi.* values',
  TRANSPORT_NOT_SUPPORTED: 'use an iface whose transport this host supports (tcp)',
  OFFER_INVALID: 'fix the node.session.iscsi.* / node.conn[0].iscsi.* values of the record',
};

/** Fallback actions by ISCSI_ERR number. */
const BY_ERRNO: Readonly<Partial<Record<number, string>>> = {
  [ISCSI_ERR.TRANS]: 'check the network path to the portal and that the target is running',
  [ISCSI_ERR.TRANS_TIMEOUT]: 'the portal did not answer in time: check the network, or raise node.conn[0].timeo.login_timeout',
  [ISCSI_ERR.LOGIN]: 'the target refused the login for now; it is retried within initial_login_retry_max',
  [ISCSI_ERR.FATAL_LOGIN]: 'the login cannot succeed as configured: check the target name, the node record and the target logs',
  [ISCSI_ERR.LOGIN_AUTH_FAILED]: 'check the CHAP credentials and the target ACL for this initiator',
  [ISCSI_ERR.INVAL]: 'fix the node record value named in the error',
  [ISCSI_ERR.PDU_TIMEOUT]: 'the target stopped answering: check the target',
};

/** Diagnose one login failure. */
export function diagnoseLoginFailure(err: unknown): LoginDiagnosis {
  if (!(err instanceof IscsiError)) {
    return { code: 'LOGIN_INTERNAL_ERROR', errno: ISCSI_ERR.INTERNAL, cause: String(err), action: 'report this as a tsiscsid bug', retryable: false };
  }
  const fromStatus = typeof err.details.action === 'string' ? err.details.action : undefined;
  const action = fromStatus ?? ACTIONS[err.code] ?? BY_ERRNO[err.errno] ?? 'check the target logs and the node record';
  return { code: err.code, errno: err.errno, cause: err.message, action, retryable: err.retryable };
}

/** Log a failed attempt with its code, cause and action (warn while it will be retried). */
export function logLoginFailure(log: Logger, d: LoginDiagnosis, attempt: number, final: boolean): void {
  const entry = { code: d.code, errno: d.errno, cause: d.cause, action: d.action, attempt, final };
  if (final) log.error(entry, `login failed: ${d.code}`);
  else log.warn(entry, `login attempt ${attempt} failed: ${d.code}; retrying`);
}
