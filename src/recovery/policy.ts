/**
 * Recovery policy (pure: no timers, no I/O). What to do about an error, how long to
 * wait before the next login, when to give up. Facts: reference/open-iscsi.md §7.1-7.3,
 * checklist G-09, G-10, O-03, O-15, M-05, M-07, S-01, S-04, S-06.
 *
 *   reason          retry   where it comes from
 *   auth            never   class 2 0x0201/0x0202, CHAP failures (errno 24)
 *   login-rejected  never   other class 2 statuses, negotiation failures (errno 19)
 *   redirect-loop   never   more redirects than allowed (G-07)
 *   target-error    always  class 3: 0x0300 target error, 0x0301, 0x0302 (errno 5)
 *   transport       always  TCP refused/reset/closed, I/O errors (errno 4, 10, 32)
 *   timeout         always  connect/login timeout, NOP-Out timeout (errno 8, 11)
 *   target-drop     always  AsyncEvent 2/3 (Parameter2 = Time2Wait)
 *   target-logout   always  AsyncEvent 1 logout request
 *   protocol        if the error says it is retryable (a bad PDU in FFP: yes; a login
 *                   rule the target broke, e.g. TSIH 0 or an unsupported version: no)
 *   config, internal, unknown: if the error says it is retryable
 */
import { IscsiError, ISCSI_ERR } from '../shared/errors.js';
import type { ScsiResult } from '../session/scsi-task.js';
import { parseSense } from '../iscsi/scsi/sense.js';

/** Why a login or connection failed, as far as recovery cares. */
export type FailureReason =
  | 'auth' | 'login-rejected' | 'redirect-loop' | 'target-error' | 'transport' | 'timeout'
  | 'target-drop' | 'target-logout' | 'protocol' | 'config' | 'internal' | 'unknown';

type RetryRule = 'always' | 'never' | 'if-retryable';

const REASONS: Readonly<Record<FailureReason, RetryRule>> = {
  auth: 'never',
  'login-rejected': 'never',
  'redirect-loop': 'never',
  'target-error': 'always',
  transport: 'always',
  timeout: 'always',
  'target-drop': 'always',
  'target-logout': 'always',
  protocol: 'if-retryable',
  config: 'never',
  internal: 'if-retryable',
  unknown: 'if-retryable',
};

/** Codes more specific than their errno. */
const BY_CODE: ReadonlyMap<string, FailureReason> = new Map<string, FailureReason>([
  ['TARGET_DROPPED_CONNECTION', 'target-drop'],
  ['TARGET_REQUESTED_LOGOUT', 'target-logout'],
  ['TOO_MANY_REDIRECTS', 'redirect-loop'],
  ['NOP_OUT_TIMEOUT', 'timeout'],
  ['LOGIN_TIMEOUT', 'timeout'],
  ['CONNECT_TIMEOUT', 'timeout'],
]);

/** Error classes more specific than their errno (ProtocolError carries errno 4 like transport errors). */
const BY_CLASS: ReadonlyMap<string, FailureReason> = new Map<string, FailureReason>([
  ['ProtocolError', 'protocol'],
  ['ConfigError', 'config'],
]);

/** open-iscsi §7.2 step 3/5: 19 and 24 are fatal; 5 (class 3), 8, 11 and transport errors retry. */
const BY_ERRNO: ReadonlyMap<number, FailureReason> = new Map<number, FailureReason>([
  [ISCSI_ERR.LOGIN_AUTH_FAILED, 'auth'],
  [ISCSI_ERR.FATAL_LOGIN, 'login-rejected'],
  [ISCSI_ERR.LOGIN, 'target-error'],
  [ISCSI_ERR.TRANS, 'transport'],
  [ISCSI_ERR.LOGOUT, 'transport'],
  [ISCSI_ERR.SESSION_NOT_CONNECTED, 'transport'],
  [ISCSI_ERR.TRANS_TIMEOUT, 'timeout'],
  [ISCSI_ERR.PDU_TIMEOUT, 'timeout'],
  [ISCSI_ERR.INVAL, 'config'],
  [ISCSI_ERR.INTERNAL, 'internal'],
]);

/** Timing hints carried by the failure (AsyncEvent 2/3 Parameter2/3, M-05). */
export interface DelayHints {
  /** Wait at least this long before the first reconnect (0 = at once). */
  time2WaitMs?: number;
  /** How long the target keeps task state; 0 = the tasks are already gone. */
  time2RetainMs?: number;
}

/** The verdict on one error. */
export interface Classification {
  retry: boolean;
  reason: FailureReason;
  hints: DelayHints;
}

/** Classify an error (anything thrown) for recovery. `hints` override those in the error's details. */
export function classify(err: unknown, hints?: DelayHints): Classification {
  if (!(err instanceof IscsiError)) return { retry: false, reason: 'unknown', hints: hints ?? {} };
  const reason = BY_CODE.get(err.code) ?? BY_CLASS.get(err.name) ?? BY_ERRNO.get(err.errno) ?? 'unknown';
  const rule = REASONS[reason];
  const retry = rule === 'always' || (rule === 'if-retryable' && err.retryable);
  return { retry, reason, hints: hints ?? hintsFromDetails(err) };
}

/** AsyncEvent 2/3 errors carry Parameter2/3 in seconds as details.time2Wait / time2Retain. */
function hintsFromDetails(err: IscsiError): DelayHints {
  const d = err.details as { time2Wait?: unknown; time2Retain?: unknown };
  return {
    ...(typeof d.time2Wait === 'number' ? { time2WaitMs: d.time2Wait * 1000 } : {}),
    ...(typeof d.time2Retain === 'number' ? { time2RetainMs: d.time2Retain * 1000 } : {}),
  };
}

// ---- timing -------------------------------------------------------------------

/** Exponential backoff between consecutive failed attempts. */
export interface BackoffConfig {
  /** Backoff before the 2nd attempt of an episode (the 1st waits only Time2Wait). */
  initialMs: number;
  factor: number;
  /** Upper bound of the backoff (not of Time2Wait). */
  maxMs: number;
  /** 0..1: the backoff is reduced by up to this fraction at random. */
  jitter: number;
}

/** Everything the recovery timers need (open-iscsi node record names in the comments). */
export interface RecoveryConfig {
  /** node.session.timeo.replacement_timeout in ms: 0 = fail I/O at once, < 0 = hold until logout (S-01). */
  replacementTimeoutMs: number;
  /** node.session.reopen_max: reconnect attempts before giving up; 0 = unlimited. */
  reopenMax: number;
  /** node.conn[0].timeo.login_timeout in ms (per attempt; also the initial-login budget unit). */
  loginTimeoutMs: number;
  /** node.session.initial_login_retry_max (S-04). */
  initialLoginRetryMax: number;
  /** DefaultTime2Wait used before anything was negotiated (RFC default 2 s). */
  defaultTime2WaitMs: number;
  backoff: BackoffConfig;
  /**
   * Pause between failed attempts of the *initial* login (open-iscsi: 3 s after a failed
   * connect, none after a login timeout, reference §7.2). Unset: the reopen rule
   * (max(Time2Wait, backoff)) applies to the initial login too.
   */
  initialRetryDelayMs?: number;
}

/**
 * Defaults: open-iscsi's shipped iscsid.conf (replacement_timeout 120, reopen_max 0,
 * login_timeout 15, initial_login_retry_max 8) and a backoff that only matters when
 * Time2Wait is shorter than 2 s, so a target that comes back is logged in to within
 * Time2Wait (issue 5 recovery goal) like open-iscsi's fixed cadence.
 */
export const DEFAULT_RECOVERY: Readonly<RecoveryConfig> = Object.freeze({
  replacementTimeoutMs: 120_000,
  reopenMax: 0,
  loginTimeoutMs: 15_000,
  initialLoginRetryMax: 8,
  defaultTime2WaitMs: 2_000,
  backoff: Object.freeze({ initialMs: 500, factor: 2, maxMs: 2_000, jitter: 0.2 }),
});

/** `DEFAULT_RECOVERY` with `partial` on top (backoff merged field by field). */
export function recoveryConfig(partial: Partial<Omit<RecoveryConfig, 'backoff'>> & { backoff?: Partial<BackoffConfig> } = {}): RecoveryConfig {
  return { ...DEFAULT_RECOVERY, ...partial, backoff: { ...DEFAULT_RECOVERY.backoff, ...partial.backoff } };
}

/**
 * Backoff before attempt `attempt` (1-based) of an episode: 0 for the first, then
 * initialMs × factor^(attempt-2) capped at maxMs, less up to `jitter` of it at random.
 */
export function backoffMs(attempt: number, b: BackoffConfig, random: () => number): number {
  if (attempt <= 1) return 0;
  const raw = Math.min(b.maxMs, b.initialMs * b.factor ** (attempt - 2));
  return Math.round(raw * (1 - b.jitter * Math.min(1, Math.max(0, random()))));
}

/**
 * Delay before attempt `attempt`: max(Time2Wait, backoff). Time2Wait is the hint of the
 * failure (AsyncEvent Parameter2, M-05/M-07) for the first attempt, else the negotiated
 * DefaultTime2Wait (O-03), else the configured default.
 */
export function reopenDelayMs(attempt: number, cfg: RecoveryConfig, negotiatedTime2WaitMs: number | undefined, hints: DelayHints, random: () => number): number {
  const base = negotiatedTime2WaitMs ?? cfg.defaultTime2WaitMs;
  const time2Wait = attempt <= 1 && hints.time2WaitMs !== undefined ? hints.time2WaitMs : base;
  return Math.max(time2Wait, backoffMs(attempt, cfg.backoff, random));
}

/**
 * Pause before the next initial-login attempt when `initialRetryDelayMs` is set: none
 * after a timeout (the attempt already waited login_timeout), else that delay.
 */
export function initialRetryDelayMs(cause: IscsiError | undefined, delayMs: number): number {
  return cause !== undefined && classify(cause).reason === 'timeout' ? 0 : delayMs;
}

/** node.session.reopen_max: true when `attemptsMade` reconnects used the allowance (0 = unlimited). */
export function reopenExhausted(attemptsMade: number, cfg: RecoveryConfig): boolean {
  return cfg.reopenMax > 0 && attemptsMade >= cfg.reopenMax;
}

/**
 * The initial login gives up once a failure happens after first attempt +
 * initial_login_retry_max × login_timeout (reference §7.1, §7.2 step 5; S-04).
 */
export function initialLoginDeadline(startedAt: number, cfg: RecoveryConfig): number {
  return startedAt + Math.max(0, cfg.initialLoginRetryMax) * cfg.loginTimeoutMs;
}

/** Whether an initial login that failed at `now` may try again. */
export function initialLoginMayRetry(startedAt: number, now: number, cfg: RecoveryConfig): boolean {
  return now < initialLoginDeadline(startedAt, cfg);
}

// ---- SCSI status after recovery -------------------------------------------------

/**
 * Unit attentions a command is simply issued again for (O-11): 47h/7Fh "some commands
 * cleared by iSCSI protocol event" (what a reinstated session reports first) and
 * 29h/xx "power on, reset, or bus device reset occurred". ASCQ -1 = any.
 */
const RETRY_UNIT_ATTENTIONS: ReadonlyArray<{ asc: number; ascq: number }> = [
  { asc: 0x47, ascq: 0x7f },
  { asc: 0x29, ascq: -1 },
];

/** Times one command is issued again after such a unit attention. */
export const MAX_UNIT_ATTENTION_RETRIES = 2;

const CHECK_CONDITION = 0x02;
const UNIT_ATTENTION = 0x06;

/** True when `result` is CHECK CONDITION with one of the unit attentions above (O-11). */
export function isRetryableUnitAttention(result: ScsiResult): boolean {
  if (result.status !== CHECK_CONDITION || result.sense === undefined || result.sense.length === 0) return false;
  try {
    const s = parseSense(result.sense);
    return s.key === UNIT_ATTENTION && RETRY_UNIT_ATTENTIONS.some((u) => u.asc === s.asc && (u.ascq === -1 || u.ascq === s.ascq));
  } catch {
    return false;
  }
}
