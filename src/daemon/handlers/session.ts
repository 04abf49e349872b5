/**
 * Session mode: session.list / info / stats / logout / rescan, from the SessionManager.
 * A sid that is not ours is ISCSI_ERR 2 (session not found), as iscsid answers.
 */
import { sessionInfoMethod } from '../../control/methods/session-info.js';
import { sessionList } from '../../control/methods/session-list.js';
import { sessionLoginNew } from '../../control/methods/session-login-new.js';
import { sessionLogout } from '../../control/methods/session-logout.js';
import { sessionRescan } from '../../control/methods/session-rescan.js';
import { sessionStats } from '../../control/methods/session-stats.js';
import type { AnyMethod } from '../../control/method.js';
import { NODE_TABLE } from '../../db/index.js';
import { IscsiError, ISCSI_ERR } from '../../shared/errors.js';
import { VERSION } from '../../shared/version.js';
import type { ManagedSession } from '../managed-session.js';
import { firstErrnoOf, itemErrorOf } from '../outcomes.js';
import { kernelStatsOf, transportClassOf, withKernelTpgt, withKernelView } from '../kernel-session-view.js';
import { dumpRecord } from '../record-view.js';
import { lunView, portalsOf, sessionInfoOf, statsOf } from '../session-view.js';
import { bind, type HandlerContext } from './context.js';
import { findOrFail, noMatchingSessions, patternOf } from './node.js';
import { sessionBriefOf, sessionFlatOf } from './session-brief.js';

/** No kernel transport class on a usertcp-only host. */
const VERSIONS = { transportClass: null, daemon: VERSION };

/** The session `sid`, or errno 2. */
export function sessionOrFail(ctx: HandlerContext, sid: number): ManagedSession {
  const ms = ctx.sessions.get(sid);
  if (!ms) throw new IscsiError('SESSION_NOT_FOUND', `session ${sid} not found`, { errno: ISCSI_ERR.SESS_NOT_FOUND, details: { sid } });
  return ms;
}

export function sessionMethods(ctx: HandlerContext): AnyMethod[] {
  return [
    bind(sessionList, async (p) => {
      const all = ctx.sessions.list();
      const show = p.showSecrets === true;
      const sessions = p.detail === 'flat' ? all.map((ms) => withKernelTpgt(ms, sessionFlatOf(ms))) : p.detail === 'brief' ? all.map((ms) => withKernelTpgt(ms, sessionBriefOf(ms)))
        : await Promise.all(all.map((ms) => withKernelView(ms, sessionInfoOf(ms, show))));
      return { sessions, versions: { ...VERSIONS, transportClass: await transportClassOf(all) } };
    }),
    bind(sessionLoginNew, async (p) => {
      const ms = sessionOrFail(ctx, p.sid);
      // iscsiadm matches DB records by the session's target, persistent portal and iface.
      const entries = await findOrFail(ctx, { target: ms.key.target, address: ms.key.address, port: ms.key.port, iface: ms.key.iface });
      const results = await ctx.sessions.loginRecords(entries.map((e) => e.record), undefined, { extra: 1 });
      return { results, firstErrno: firstErrnoOf(results) };
    }),
    bind(sessionInfoMethod, async (p) => {
      const ms = sessionOrFail(ctx, p.sid);
      const entry = await ctx.store.getNode(ms.key);
      return {
        session: await withKernelView(ms, sessionInfoOf(ms, p.showSecrets === true)),
        versions: { ...VERSIONS, transportClass: await transportClassOf([ms]) },
        records: entry ? [{ node: entry.key, record: dumpRecord(NODE_TABLE, entry.record, p) }] : [],
        warnings: entry ? [...entry.warnings] : [],
      };
    }),
    bind(sessionStats, async (p) => {
      const targets = p.sid === undefined ? ctx.sessions.list() : [sessionOrFail(ctx, p.sid)];
      return { stats: await Promise.all(targets.map((ms) => kernelStatsOf(ms, statsOf(ms)))) };
    }),
    bind(sessionLogout, async (p) => {
      let targets: ManagedSession[];
      if (p.sid !== undefined) targets = [sessionOrFail(ctx, p.sid)];
      else {
        targets = await ctx.sessions.matching(patternOf(p));
        if (targets.length === 0) throw noMatchingSessions(patternOf(p));
      }
      const results = await ctx.sessions.logout(targets, 'logout', { force: p.force === true });
      return { results, firstErrno: firstErrnoOf(results) };
    }),
    bind(sessionRescan, async (p) => {
      const targets = p.sid === undefined ? ctx.sessions.list() : [sessionOrFail(ctx, p.sid)];
      const results = await Promise.all(targets.map(async (ms) => {
        const head = { sid: ms.sid, target: ms.key.target, ...portalsOf(ms) };
        try {
          return { ...head, luns: (await ms.rescan()).map(lunView) };
        } catch (err) {
          return { ...head, luns: ms.luns.map(lunView), error: itemErrorOf(err) };
        }
      }));
      return { results, firstErrno: firstErrnoOf(results) };
    }),
  ];
}
