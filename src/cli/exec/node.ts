/**
 * `-m node` (reference §6.2, §6.4): listings, record dumps, `-o new|update|delete`,
 * login/logout of matching records, `--loginall/--logoutall`, and `-R`/`-s` on the
 * sessions of matching records. With `-I`, iscsiadm reads that iface record first and
 * stops with "Could not read iface info for X." (exit 3) when it cannot.
 */
import type { NodeCommand, StartupFilter } from '../argv/types.js';
import { actionJson, nodesJson, recordsJson, sessionStatsJson } from '../render/json.js';
import * as msg from '../render/messages.js';
import { renderNodeFlat, renderNodeTree } from '../render/node.js';
import { renderRecords } from '../render/record.js';
import { renderSessionStats } from '../render/stats.js';
import { isConnectError, type Result } from './api.js';
import type { ExecContext } from './context.js';
import { createNodes } from './node-new.js';
import { loginsJson, loginStarts, reportLogins, reportLogouts } from './outcomes.js';
import { withLoginProgress } from './progress.js';
import { deleteNodes, updateNodes, type Selector } from './records.js';
import { cliFailure, codeOf, fail, failWith, unexpected } from './report.js';
import { reportRescan } from './session.js';
import { ISCSIADM_VERSION, nodeView, recordView, statsView, type ListedSession, type RecordDump } from './views.js';

/** The records a command names (absent fields match anything; `-p ''` matches any portal). */
export function selectorOf(cmd: Pick<NodeCommand, 'targetName' | 'portal' | 'ifaces'>): Selector {
  const p = cmd.portal;
  return {
    ...(cmd.targetName === undefined ? {} : { target: cmd.targetName }),
    ...(p === undefined || p.address === '' ? {} : { address: p.address, port: p.port }),
    ...(cmd.ifaces[0] === undefined ? {} : { iface: cmd.ifaces[0] }),
  };
}

/** Whether a session's record matches a selector. */
export function matches(s: Pick<ListedSession, 'node' | 'persistentPortal'>, sel: Selector): boolean {
  const n = s.node;
  return (sel.target === undefined || sel.target === n.target)
    && (sel.address === undefined || sel.address === n.address || sel.address === s.persistentPortal.address)
    && (sel.port === undefined || sel.port === -1 || sel.port === n.port)
    && (sel.iface === undefined || sel.iface === n.iface);
}

async function list(ctx: ExecContext, cmd: NodeCommand): Promise<number> {
  const r = await ctx.api.call('node.list', {});
  const nodes = r.nodes.map((n) => nodeView(n.node));
  ctx.io.doc(() => nodesJson(nodes));
  if (nodes.length === 0) return (ctx.io.text(msg.noRecordsFound()), 21);
  ctx.io.text(cmd.printLevel === 1 ? renderNodeTree(nodes) : renderNodeFlat(nodes));
  return 0;
}

async function show(ctx: ExecContext, cmd: NodeCommand): Promise<number> {
  try {
    const r = await ctx.api.call('node.show', { ...selectorOf(cmd), showSecrets: cmd.show, recordVersion: ISCSIADM_VERSION });
    const records = r.records.map((x) => recordView('node', x.record));
    ctx.io.text(renderRecords(records, { showSecrets: cmd.show }));
    ctx.io.doc(() => recordsJson(records, { showSecrets: cmd.show }));
    return 0;
  } catch (err) {
    if (codeOf(err) === 'NO_RECORDS_FOUND') return fail(ctx, 21, msg.noRecordsFound());
    throw err;
  }
}

type Listed = Result<'node.list'>['nodes'];

/**
 * A login call's connect failure, as iscsiadm 2.1.8 prints it without iscsid: the
 * `Logging in to` line of every record (before the daemon lines), then per record
 * `Could not login to [...]` + `initiator reported error (20 - ...)`, and the summary.
 */
function loginUnreachable(ctx: ExecContext, err: unknown, nodes: Listed): number {
  if (!isConnectError(err)) throw err;
  const outcomes = nodes.map((n) => ({ node: n.node, sids: [], multiple: false, completedAfterMs: 0, error: { errno: err.errno, code: err.code, message: err.message } }));
  return reportLogins(ctx, outcomes, err.errno);
}

async function login(ctx: ExecContext, sel: Selector): Promise<number> {
  // The records first (from the DB even without the daemon): "No records found" needs no daemon.
  let nodes: Listed = [];
  try {
    nodes = (await ctx.api.call('node.list', sel)).nodes;
    if (nodes.length === 0) return fail(ctx, 21, msg.noRecordsFound());
    const r = await withLoginProgress(ctx.api, ctx.progress, async () => nodes.length, () => ctx.api.call('node.login', sel, { timeoutMs: 0 }));
    return reportLogins(ctx, r.results, r.firstErrno);
  } catch (err) {
    if (codeOf(err) === 'NO_RECORDS_FOUND') return fail(ctx, 21, msg.noRecordsFound());
    return loginUnreachable(ctx, err, nodes);
  }
}

/** Records of startup mode `startup` (node.startup or node.conn[0].startup, reference §5.3), from their dumps. */
async function startupRecords(ctx: ExecContext, startup: StartupFilter): Promise<Listed> {
  const r = await ctx.api.call('node.show', {});
  const has = (rec: RecordDump, key: string): boolean => rec.entries.some(([k, v]) => k === key && v === startup);
  return r.records
    .filter((x) => startup === 'all' || has(x.record, 'node.startup') || has(x.record, 'node.conn[0].startup'))
    .map((x) => ({ node: x.node, startup: '', transport: '', source: { type: 'static' as const }, inUse: false }) as unknown as Listed[number]);
}

async function logout(ctx: ExecContext, sel: Selector | { startup: Exclude<StartupFilter, 'onboot'> }): Promise<number> {
  try {
    const r = 'startup' in sel
      ? await ctx.api.call('node.logoutAll', sel, { timeoutMs: 0 })
      : await ctx.api.call('node.logout', sel, { timeoutMs: 0 });
    return reportLogouts(ctx, r.results, r.firstErrno);
  } catch (err) {
    if (codeOf(err) === 'NO_MATCHING_SESSIONS') return fail(ctx, 21, msg.noMatchingSessions());
    throw err;
  }
}

async function loginAll(ctx: ExecContext, startup: StartupFilter, wait: boolean): Promise<number> {
  let nodes: Listed;
  try {
    // The daemon decides which records match (node.startup or node.conn[0].startup); this
    // list serves the progress count and the output when the daemon is not running.
    nodes = (await ctx.api.call('node.list', {})).nodes.filter((n) => startup === 'all' || n.startup === startup);
    const r = await withLoginProgress(ctx.api, ctx.progress, async () => nodes.length, () => ctx.api.call('node.loginAll', { startup, wait }, { timeoutMs: 0 }));
    if (wait) return reportLogins(ctx, r.results, r.firstErrno);
    // -W: the requests are queued; iscsiadm prints the "Logging in" lines and returns.
    const queued = r.nodes.map((node) => ({ node, sids: [], multiple: false, completedAfterMs: 0 }));
    ctx.io.text(loginStarts(queued));
    ctx.io.doc(() => loginsJson(queued, 0));
    return 0;
  } catch (err) {
    if (codeOf(err) === 'NO_RECORDS_FOUND') return fail(ctx, 21, msg.noRecordsFound());
    if (!isConnectError(err)) throw err;
    // Without the daemon: the records the daemon would have chosen, from the DB.
    let chosen: Listed = [];
    try {
      chosen = await startupRecords(ctx, startup);
    } catch (e) {
      if (codeOf(e) !== 'NO_RECORDS_FOUND') throw e;
    }
    if (chosen.length === 0) return fail(ctx, 21, msg.noRecordsFound());
    return loginUnreachable(ctx, err, chosen);
  }
}

/** Live sessions of the matching records ("No session found." when none). */
async function sessionsOf(ctx: ExecContext, sel: Selector): Promise<ListedSession[]> {
  const r = await ctx.api.call('session.list', { detail: 'flat' });
  return r.sessions.filter((s) => matches(s, sel));
}

async function stats(ctx: ExecContext, sel: Selector): Promise<number> {
  const sids = new Set((await sessionsOf(ctx, sel)).map((s) => s.sid));
  const all = sids.size === 0 ? [] : (await ctx.api.call('session.stats', {})).stats.filter((e) => sids.has(e.sid));
  const views = all.map(statsView);
  ctx.io.doc(() => sessionStatsJson(views));
  if (views.length === 0) return (ctx.io.text(msg.noSessionFound()), 21);
  ctx.io.text(renderSessionStats(views));
  return 0;
}

async function rescan(ctx: ExecContext, sel: Selector): Promise<number> {
  const sessions = await sessionsOf(ctx, sel);
  if (sessions.length === 0) {
    ctx.io.doc(() => actionJson('rescan', [], 21));
    return (ctx.io.text(msg.noSessionFound()), 21);
  }
  const each = await Promise.all(sessions.map((s) => ctx.api.call('session.rescan', { sid: s.sid }, { timeoutMs: 0 })));
  const results = each.flatMap((r) => r.results);
  return reportRescan(ctx, results, results.find((x) => x.error)?.error?.errno ?? 0);
}

/** With -I: the iface record must be readable before anything else happens. */
async function ifaceReadable(ctx: ExecContext, name: string | undefined): Promise<number | undefined> {
  if (name === undefined) return undefined;
  try {
    await ctx.api.call('iface.show', { name });
    return undefined;
  } catch (err) {
    if (codeOf(err) === 'RECORD_NOT_FOUND') return failWith(ctx, 3, `Could not read iface info for ${name}.`);
    throw err;
  }
}

async function dispatch(ctx: ExecContext, cmd: NodeCommand): Promise<number> {
  const sel = selectorOf(cmd);
  switch (cmd.action) {
    case 'loginall': return loginAll(ctx, cmd.startupFilter ?? 'all', !cmd.noWait);
    case 'logoutall': return logout(ctx, { startup: cmd.startupFilter === 'onboot' || cmd.startupFilter === undefined ? 'all' : cmd.startupFilter });
    default: break;
  }
  const stop = await ifaceReadable(ctx, cmd.ifaces[0]);
  if (stop !== undefined) return stop;
  switch (cmd.action) {
    case 'error': return cliFailure(ctx, cmd.deferredError!.error);
    case 'list': return list(ctx, cmd);
    case 'show': return show(ctx, cmd);
    case 'new': return createNodes(ctx, cmd);
    case 'update': return updateNodes(ctx, sel, cmd.params);
    case 'delete': return deleteNodes(ctx, sel);
    case 'login': return login(ctx, sel);
    case 'logout': return logout(ctx, sel);
    case 'rescan': return rescan(ctx, sel);
    case 'stats': return stats(ctx, sel);
    default: return failWith(ctx, 7, 'operation is not supported.');
  }
}

/** Run a `-m node` command; returns the exit status. */
export async function execNode(cmd: NodeCommand, ctx: ExecContext): Promise<number> {
  try {
    return await dispatch(ctx, cmd);
  } catch (err) {
    return unexpected(ctx, err);
  }
}
