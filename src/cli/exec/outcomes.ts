/**
 * Printing the per-object outcomes of logins and logouts the way iscsiadm 2.1.8 does
 * (reference §6.4). iscsiadm sends every request first, printing `Logging in to [...]`
 * (or, for a record whose sessions already exist, `<iface>: 1 session requested, but 1
 * already present.`), then waits for each in order and prints `Login to [...]
 * successful.` or the two error lines; any failure ends with `Could not log into all
 * portals`. The exit status is the first error. Logouts follow the same pattern.
 */
import { actionJson, type ActionItemJson } from '../render/json.js';
import * as msg from '../render/messages.js';
import { concat, NOTHING } from '../render/text.js';
import type { Rendered } from '../render/types.js';
import type { Result } from './api.js';
import type { ExecContext } from './context.js';
import { loginTarget, sessionRef } from './views.js';

/** One record's login. */
export type LoginOutcome = Result<'node.login'>['results'][number];
/** One session's logout. */
export type LogoutOutcome = Result<'node.logout'>['results'][number];

type ItemError = { errno: number; code: string; message: string };

const EXISTS = /(\d+) sessions? requested, but (\d+) already present/;

function isExisting(e: ItemError | undefined): boolean {
  return e !== undefined && e.errno === 15 && e.code === 'SESSION_EXISTS';
}

/** `<iface>: N session(s) requested, but M already present.` (numbers from the daemon's message). */
function alreadyPresent(o: LoginOutcome): Rendered {
  const m = EXISTS.exec(o.error?.message ?? '');
  return msg.sessionsAlreadyPresent(o.node.iface, Number(m?.[1] ?? 1), Number(m?.[2] ?? 1));
}

function item(object: Record<string, unknown>, e: ItemError | undefined): ActionItemJson & { message?: string } {
  if (!e) return { object, ok: true, errno: 0, error: '' };
  return { object, ok: false, errno: e.errno, error: msg.errText(e.errno), message: e.message };
}

/**
 * Sessions a login outcome stands for: iscsiadm sends one request per missing session
 * (nr_sessions > 1) and prints a `Logging in` line for each, then one result line each.
 * The daemon reports the sessions that logged in and the first failure.
 */
function attempts(o: LoginOutcome): number {
  return Math.max(1, o.sids.length + (o.error ? 1 : 0));
}

function repeat(r: Rendered, n: number): Rendered {
  return concat(...Array.from({ length: n }, () => r));
}

/** The login lines before the waits (`Logging in to` / already present). */
export function loginStarts(outcomes: readonly LoginOutcome[], forceMultiple = false): Rendered {
  return concat(...outcomes.map((o) => (isExisting(o.error)
    ? alreadyPresent(o)
    : repeat(msg.loggingIn(loginTarget(o.node), forceMultiple || o.multiple), attempts(o)))));
}

/** The result lines after the waits. */
export function loginEnds(outcomes: readonly LoginOutcome[]): Rendered {
  const lines = outcomes.map((o) => {
    if (isExisting(o.error)) return NOTHING;
    const ok = repeat(msg.loginSucceeded(loginTarget(o.node)), o.error ? o.sids.length : attempts(o));
    return o.error ? concat(ok, msg.loginFailed(loginTarget(o.node), o.error.errno)) : ok;
  });
  return concat(...lines, outcomes.some((o) => o.error) ? msg.loginSomeFailed() : NOTHING);
}

/** The `--json` items of logins (`object` is the node plus the sessions it got). */
export function loginItems(outcomes: readonly LoginOutcome[]): ActionItemJson[] {
  return outcomes.map((o) => item({ ...o.node, sids: o.sids }, o.error));
}

/** The `--json` document of logins. */
export function loginsJson(outcomes: readonly LoginOutcome[], firstErrno: number): Rendered {
  return actionJson('login', loginItems(outcomes), firstErrno);
}

/** Print login outcomes; returns the exit status. */
export function reportLogins(ctx: ExecContext, outcomes: readonly LoginOutcome[], firstErrno: number, forceMultiple = false): number {
  ctx.io.text(loginStarts(outcomes, forceMultiple));
  ctx.io.text(loginEnds(outcomes));
  ctx.io.doc(() => loginsJson(outcomes, firstErrno));
  return firstErrno;
}

/** Print logout outcomes; returns the exit status. */
export function reportLogouts(ctx: ExecContext, outcomes: readonly LogoutOutcome[], firstErrno: number): number {
  ctx.io.text(concat(...outcomes.map((o) => msg.loggingOut(sessionRef(o)))));
  const ends = outcomes.map((o) => (o.error ? msg.logoutFailed(sessionRef(o), o.error.errno) : msg.logoutSucceeded(sessionRef(o))));
  ctx.io.text(concat(...ends, outcomes.some((o) => o.error) ? msg.logoutSomeFailed() : NOTHING));
  const items = outcomes.map((o) => item({ ...sessionRef(o), iface: o.iface }, o.error));
  ctx.io.doc(() => actionJson('logout', items, firstErrno));
  return firstErrno;
}
