/**
 * Events the daemon publishes on `subscribe` (docs/control-api.md §7). Each has a string
 * `type`; the schemas here document the fields (the CLI may use them for progress on a
 * TTY). Events never carry secrets.
 */
import { z } from 'zod';
import { connectionStateWord, internalStateWord, sessionStateWord } from './session-schemas.js';
import { discoverySource, ifaceName, iscsiName, itemError, nodeKey, portalAddress, sid } from './schemas.js';

const where = { sid, target: iscsiName, address: portalAddress, port: z.number().int(), iface: ifaceName };

export const EVENT_TYPES = {
  /** A session's state words changed (login, failure, logout). */
  sessionState: 'session.state',
  /** A session left the table (logged out, first login failed, daemon stopping). */
  sessionRemoved: 'session.removed',
  /** A logged-in session's connection failed (the session becomes FAILED). */
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
]);
export type DaemonEvent = z.infer<typeof daemonEvent>;
