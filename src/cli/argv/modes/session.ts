/**
 * `-m session`. With -r every outcome comes after the session lookup, so argument errors are
 * deferred behind 'session-found'. Without -r: `-o new` is refused at once; -u/-R/-s act on
 * all sessions; otherwise the sessions are listed, and the -P check comes after
 * 'sessions-found' (iscsiadm says "No active sessions." first).
 */
import { MSG } from '../messages.js';
import { OP_BITS, type RawArgs } from '../raw-args.js';
import type { CliError, SessionCommand } from '../types.js';
import { commonFields, deferred, fail, type BuildContext } from './common.js';
import { decideNodeOp } from './node-op.js';

function sessionBase(raw: RawArgs): Omit<SessionCommand, 'action'> {
  return {
    mode: 'session',
    ...commonFields(raw),
    ...(raw.sid === undefined ? {} : { sid: raw.sid }),
    logout: raw.logout,
    rescan: raw.rescan,
    stats: raw.stats,
    show: raw.show,
  };
}

/** With -r: the tree for that session, or node ops on its record (`-o new` = login again). */
function withSid(raw: RawArgs, ctx: BuildContext): SessionCommand {
  const base = sessionBase(raw);
  const level = raw.printLevel;
  const later = (message: string): SessionCommand =>
    ({ ...base, action: 'error', deferredError: deferred('session-found', fail(ctx, raw, 7, [message])) });
  if (!raw.logout && !raw.rescan && !raw.stats && raw.opMask === 0 && level > 0) {
    return level <= 3 ? { ...base, action: 'info' } : later(MSG.sessionLevel(level));
  }
  const again = raw.opMask === OP_BITS.new;
  const outcome = decideNodeOp({
    opMask: again ? 0 : raw.opMask, login: again, logout: raw.logout, rescan: raw.rescan, stats: raw.stats,
    printLevel: level, params: raw.params, listable: false,
  });
  if ('error' in outcome) return later(outcome.error);
  const action = outcome.action === 'login' ? 'login-new' : outcome.action;
  if (action === 'new' || action === 'list') return later(MSG.nodeOpNotSupported()); // unreachable: listable false, op cleared
  return { ...base, action, params: outcome.params };
}

/** Build the session command, or the error iscsiadm stops with. */
export function buildSession(raw: RawArgs, ctx: BuildContext): SessionCommand | CliError {
  if (raw.sid !== undefined) return withSid(raw, ctx);
  if (raw.opMask === OP_BITS.new) return fail(ctx, raw, 7, [MSG.sessionNewNeedsSid()]);
  const base = sessionBase(raw);
  if (raw.rescan) return { ...base, action: 'rescan' };
  if (raw.stats) return { ...base, action: 'stats' };
  if (raw.logout) {
    if (raw.opMask > 0) return fail(ctx, raw, 7, [MSG.loginWithOp()]);
    return { ...base, action: 'logout' };
  }
  const level = raw.printLevel;
  if (level < -1 || level > 3) {
    return { ...base, action: 'error', deferredError: deferred('sessions-found', fail(ctx, raw, 7, [MSG.sessionLevel(level)])) };
  }
  return { ...base, action: 'list' };
}
