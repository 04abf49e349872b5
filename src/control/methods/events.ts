/**
 * Events the daemon publishes on `subscribe` (docs/control-api.md §7). Each has a string
 * `type`; the schemas here document the fields (the CLI may use them for progress on a
 * TTY). Events never carry secrets.
 */
import { z } from 'zod';
import { connectionStateWord, internalStateWord, recoveryState, sessionStateWord } from './session-schemas.js';
import { discoverySource, ifaceName, iscsiName, itemError, nodeKey, portalAddress, sid } from './schemas.js';

const where = { sid, target: iscsiName, address: portalAddress, port: z.number().int(), iface: ifaceName };

export const EVENT_TYPES = {
  /** A session changed state (login, failure, reopen steps, replacement_timeout, give-up, logout). */
  sessionState: 'session.state',
  /** A reopening session is logged in again. */
  sessionRecovered: 'session.recovered',
  /** replacement_timeout expired: held I/O failed, new I/O fails until the session is back. */
  sessionReplacementTimeout: 'session.replacement-timeout',
  /** Recovery gave up (reopen_max or a non-retryable failure): the session waits for a logout. */
  sessionGaveUp: 'session.gave-up',
  /** The target sent an Asynchronous Message (RFC 7143 §11.9). */
  sessionAsync: 'session.async',
  /** A session left the table (logged out, first login failed, daemon stopping). */
  sessionRemoved: 'session.removed',
  /** A logged-in session's connection failed (the session reopens: REOPEN). */
  connectionError: 'connection.error',
  /** One login attempt failed, with the cause and what to do; `final` when no retry follows. */
  loginFailed: 'login.failed',
  /** A node record's login finished (success or not), as each completes. */
  login: 'login',
  /** Discovery changed node records. */
  discoveryChanged: 'discovery.changed',
} as const;

export const sessionStateEvent = z.object({
  type: z.literal(EVENT_TYPES.sessionState),
  ...where,
  connection: connectionStateWord,
  session: sessionStateWord,
  internal: internalStateWord,
  /** Supervisor states before and after (absent while the session waits in the login queue). */
  from: recoveryState.optional(),
  to: recoveryState.optional(),
  step: z.enum(['none', 'logout-wait', 'delay', 'login']).optional(),
  io: z.enum(['pass', 'hold', 'fail']).optional(),
  /** What caused it: start, login-ok, login-failed, connection-lost, delay-elapsed, replacement-timeout, logout, ... */
  trigger: z.string().optional(),
  attempts: z.number().int().optional(),
  /** Error code of the last failure. */
  cause: z.string().optional(),
});

export const sessionRecoveredEvent = z.object({
  type: z.literal(EVENT_TYPES.sessionRecovered),
  ...where,
  /** Login attempts it took. */
  attempts: z.number().int(),
  /** From the connection failure to logged in again. */
  downMs: z.number().int(),
});

export const sessionReplacementTimeoutEvent = z.object({
  type: z.literal(EVENT_TYPES.sessionReplacementTimeout),
  ...where,
  replacementTimeoutMs: z.number().int(),
});

export const sessionGaveUpEvent = z.object({
  type: z.literal(EVENT_TYPES.sessionGaveUp),
  ...where,
  why: z.string(),
  code: z.string(),
  errno: z.number().int(),
  message: z.string(),
  action: z.string(),
});

export const sessionAsyncEvent = z.object({
  type: z.literal(EVENT_TYPES.sessionAsync),
  ...where,
  asyncEvent: z.number().int(),
  /** The `iSCSI Extended:` counter it was counted in (`async_scsi_event`, ...). */
  kind: z.string(),
  vcode: z.number().int(),
  parameter1: z.number().int(),
  parameter2: z.number().int(),
  parameter3: z.number().int(),
});

export const sessionRemovedEvent = z.object({
  type: z.literal(EVENT_TYPES.sessionRemoved),
  ...where,
  reason: z.enum(['logout', 'login-failed', 'shutdown', 'detached']),
});

export const connectionErrorEvent = z.object({
  type: z.literal(EVENT_TYPES.connectionError),
  ...where,
  code: z.string(),
  errno: z.number().int(),
  message: z.string(),
});

export const loginFailedEvent = z.object({
  type: z.literal(EVENT_TYPES.loginFailed),
  ...where,
  attempt: z.number().int(),
  final: z.boolean(),
  code: z.string(),
  errno: z.number().int(),
  cause: z.string(),
  action: z.string(),
});

export const loginEvent = z.object({
  type: z.literal(EVENT_TYPES.login),
  node: nodeKey,
  sids: z.array(sid),
  error: itemError.optional(),
});

export const discoveryChangedEvent = z.object({
  type: z.literal(EVENT_TYPES.discoveryChanged),
  source: discoverySource,
  created: z.array(nodeKey),
  updated: z.array(nodeKey),
  deleted: z.array(nodeKey),
});

/** Any daemon event. */
export const daemonEvent = z.discriminatedUnion('type', [
  sessionStateEvent, sessionRemovedEvent, connectionErrorEvent, loginFailedEvent, loginEvent, discoveryChangedEvent,
  sessionRecoveredEvent, sessionReplacementTimeoutEvent, sessionGaveUpEvent, sessionAsyncEvent,
]);
export type DaemonEvent = z.infer<typeof daemonEvent>;
