/**
 * `-m session` (reference §6.5): listings at -P 0..3, `-s`, `-R`, `-u`, and with `-r N`
 * the same on one session plus its node record (`-P 0`: the record dump; `-o
 * update|delete`; `-o new`: one more login like it). Every `-r` command first looks the
 * session up; an unknown sid prints iscsiadm's two lines and exits 22.
 */
import type { SessionCommand } from '../argv/types.js';
import { recordsJson, sessionsJson, sessionStatsJson, actionJson } from '../render/json.js';
import * as msg from '../render/messages.js';
import { renderRecords } from '../render/record.js';
import { renderSessionFlat, renderSessionTree } from '../render/session.js';
import { renderSessionStats } from '../render/stats.js';
import { concat, NOTHING } from '../render/text.js';
import type { Result } from './api.js';
import type { ExecContext } from './context.js';
import { reportLogins, reportLogouts } from './outcomes.js';
import { deleteNodes, updateNodes, type Selector } from './records.js';
import { cliFailure, codeOf, fail, unexpected } from './report.js';
import {
  ISCSIADM_VERSION, isFull, listedView, recordView, sessionRef, sessionView, statsView, versionsView, type ListedSession, type SessionInfo,
} from './views.js';

type Rescan = Result<'session.rescan'>;

/** Print sessions at `level` (-1/0 flat, 1..3 tree). */
function printSessions(ctx: ExecContext, sessions: readonly ListedSession[], level: number, show: boolean, transportClass: string | null): number {
  const views = sessions.map((s) => (isFull(s) ? sessionView(s) : listedView(s)));
  const versions = versionsView({ transportClass });
  if (level >= 1 && level <= 3) ctx.io.text(renderSessionTree(views, { level: level as 1 | 2 | 3, showSecrets: show, versions }));
  else ctx.io.text(renderSessionFlat(views));
  ctx.io.doc(() => sessionsJson(views, { showSecrets: show, versions }));
  return 0;
}

/**
 * How much of each session a listing needs: `-P 0` and `-P 1` print a few fields, so
 * only those cross the socket (a tenth of the full form); `--json` and `-P 2/3` want all.
 */
export function listDetail(cmd: Pick<SessionCommand, 'json' | 'printLevel' | 'deferredError'>): 'flat' | 'brief' | 'full' {
  if (cmd.json || cmd.deferredError) return 'full';
  return cmd.printLevel <= 0 ? 'flat' : cmd.printLevel === 1 ? 'brief' : 'full';
}

/** `-m session [-P n]` (and the deferred -P error after "sessions exist"). */
async function list(ctx: ExecContext, cmd: SessionCommand): Promise<number> {
  const detail = listDetail(cmd);
  const r = await ctx.api.call('session.list', detail === 'full' ? { showSecrets: cmd.show } : { showSecrets: cmd.show, detail });
  if (r.sessions.length === 0) {
    ctx.io.doc(() => sessionsJson([], { versions: versionsView(r.versions) }));
    ctx.io.text(msg.noActiveSessions());
    return 21;
  }
  if (cmd.deferredError) return cliFailure(ctx, cmd.deferredError.error);
  return printSessions(ctx, r.sessions, cmd.printLevel, cmd.show, r.versions.transportClass);
}

/** `-s`: statistics of `sid` or of every session. */
async function stats(ctx: ExecContext, sid: number | undefined): Promise<number> {
  const r = await ctx.api.call('session.stats', sid === undefined ? {} : { sid });
  if (r.stats.length === 0) {
    ctx.io.doc(() => sessionStatsJson([]));
    return fail(ctx, 21, msg.noSessionFound());
  }
  const views = r.stats.map(statsView);
  ctx.io.text(renderSessionStats(views));
  ctx.io.doc(() => sessionStatsJson(views));
  return 0;
}

/** Print rescan results (`Rescanning session [...]`, `Could not rescan session sid N.`). */
export function reportRescan(ctx: ExecContext, results: Rescan['results'], firstErrno: number): number {
  ctx.io.text(concat(...results.map((x) => msg.rescanning(sessionRef(x)))));
  ctx.io.text(concat(...results.map((x) => (x.error ? msg.error(`Could not rescan session sid ${x.sid}.`) : NOTHING))));
  ctx.io.doc(() => actionJson('rescan', results.map((x) => ({
    object: { ...sessionRef(x), luns: x.luns }, ok: !x.error, errno: x.error?.errno ?? 0, error: x.error ? msg.errText(x.error.errno) : '',
  })), firstErrno));
  return firstErrno;
}

/** `-R`: rescan `sid` or every session. */
async function rescan(ctx: ExecContext, sid: number | undefined): Promise<number> {
  const r = await ctx.api.call('session.rescan', sid === undefined ? {} : { sid }, { timeoutMs: 0 });
  if (r.results.length === 0) {
    ctx.io.doc(() => actionJson('rescan', [], 21));
    ctx.io.text(msg.noSessionFound());
    return 21;
  }
  return reportRescan(ctx, r.results, r.firstErrno);
}

/** `-u`: log out `sid` or every session. */
async function logout(ctx: ExecContext, sid: number | undefined): Promise<number> {
  try {
    const r = await ctx.api.call('session.logout', sid === undefined ? {} : { sid }, { timeoutMs: 0 });
    return reportLogouts(ctx, r.results, r.firstErrno);
  } catch (err) {
    if (codeOf(err) === 'NO_MATCHING_SESSIONS') return fail(ctx, 21, msg.noMatchingSessions());
    throw err;
  }
}

function selectorOf(s: SessionInfo): Selector {
  return { target: s.node.target, address: s.node.address, port: s.node.port, iface: s.node.iface };
}

/**
 * `-r SID -o new`: one more session from that session's node record, whatever
 * nr_sessions says (iscsiadm sets `session.multiple`): `Logging in to [...] (multiple)`.
 */
async function loginNew(ctx: ExecContext, sid: number): Promise<number> {
  try {
    const r = await ctx.api.call('session.loginNew', { sid }, { timeoutMs: 0 });
    return reportLogins(ctx, r.results, r.firstErrno, true);
  } catch (err) {
    if (codeOf(err) === 'NO_RECORDS_FOUND') return fail(ctx, 21, msg.noRecordsFound());
    if (codeOf(err) === 'SESSION_NOT_FOUND') return fail(ctx, 22, msg.sessionInfoNotFound(sid));
    throw err;
  }
}

/** Everything with `-r SID`. */
async function withSid(ctx: ExecContext, cmd: SessionCommand, sid: number): Promise<number> {
  let info;
  try {
    info = await ctx.api.call('session.info', { sid, showSecrets: cmd.show, recordVersion: ISCSIADM_VERSION });
  } catch (err) {
    if (codeOf(err) === 'SESSION_NOT_FOUND') return fail(ctx, 22, msg.sessionInfoNotFound(sid));
    throw err;
  }
  const s = info.session;
  switch (cmd.action) {
    case 'error': return cliFailure(ctx, cmd.deferredError!.error);
    case 'info': return printSessions(ctx, [s], cmd.printLevel, cmd.show, info.versions.transportClass);
    case 'show': {
      const records = info.records.map((r) => recordView('node', r.record));
      if (records.length === 0) return fail(ctx, 21, msg.noRecordsFound());
      ctx.io.text(renderRecords(records, { showSecrets: cmd.show }));
      ctx.io.doc(() => recordsJson(records, { showSecrets: cmd.show }));
      return 0;
    }
    case 'stats': return stats(ctx, sid);
    case 'rescan': return rescan(ctx, sid);
    case 'logout': return logout(ctx, sid);
    case 'login-new': return loginNew(ctx, sid);
    case 'update': return updateNodes(ctx, selectorOf(s), cmd.params);
    case 'delete': return deleteNodes(ctx, selectorOf(s));
    case 'list': return printSessions(ctx, [s], cmd.printLevel, cmd.show, info.versions.transportClass);
  }
}

/** Run a `-m session` command; returns the exit status. */
export async function execSession(cmd: SessionCommand, ctx: ExecContext): Promise<number> {
  try {
    if (cmd.sid !== undefined) {
      if (cmd.sid.kind === 'path') return fail(ctx, 1, msg.error(`${cmd.sid.path} is an invalid session ID or path`));
      return await withSid(ctx, cmd, cmd.sid.sid);
    }
    switch (cmd.action) {
      case 'stats': return await stats(ctx, undefined);
      case 'rescan': return await rescan(ctx, undefined);
      case 'logout': return await logout(ctx, undefined);
      default: return await list(ctx, cmd);
    }
  } catch (err) {
    return unexpected(ctx, err);
  }
}
