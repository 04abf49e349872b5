/**
 * Node mode: node.list / show / new / update / delete (RecordStore) and node.login /
 * logout / loginAll / logoutAll (SessionManager). Many-object actions go on after a
 * failure and report one outcome per object (iscsiadm's "first error, continue").
 */
import { nodeDelete } from '../../control/methods/node-delete.js';
import { nodeList } from '../../control/methods/node-list.js';
import { nodeLogin } from '../../control/methods/node-login.js';
import { nodeLoginAll } from '../../control/methods/node-login-all.js';
import { nodeLogout } from '../../control/methods/node-logout.js';
import { nodeLogoutAll } from '../../control/methods/node-logout-all.js';
import { nodeNew } from '../../control/methods/node-new.js';
import { nodeShow } from '../../control/methods/node-show.js';
import { nodeUpdate } from '../../control/methods/node-update.js';
import type { AnyMethod } from '../../control/method.js';
import { NODE_TABLE, sourceOfNode, validatePatch, type NodeEntry, type NodeKey, type NodePattern, type PatchValue } from '../../db/index.js';
import { ISCSI_ERR, IscsiError } from '../../shared/errors.js';
import { firstErrnoOf, itemErrorOf } from '../outcomes.js';
import { dumpRecord } from '../record-view.js';
import { hasStartup, isOnboot } from '../session-manager.js';
import { bind, type HandlerContext } from './context.js';

/** Selector fields of a request. */
export interface SelectorParams {
  target?: string | undefined;
  address?: string | undefined;
  port?: number | undefined;
  iface?: string | undefined;
  transport?: string | undefined;
}

/** The matching pattern of selector params (absent fields match anything). */
export function patternOf(p: SelectorParams): NodePattern {
  return {
    ...(p.target === undefined ? {} : { target: p.target }),
    ...(p.address === undefined ? {} : { address: p.address }),
    ...(p.port === undefined ? {} : { port: p.port }),
    ...(p.iface === undefined ? {} : { iface: p.iface }),
    ...(p.transport === undefined ? {} : { transport: p.transport }),
  };
}

/** Records matching a selector; 21 when none. */
export async function findOrFail(ctx: HandlerContext, p: SelectorParams): Promise<NodeEntry[]> {
  const found = await ctx.store.findNodes(patternOf(p), ctx.resolve);
  if (found.items.length === 0) {
    throw new IscsiError('NO_RECORDS_FOUND', 'no node records found matching the given target/portal/iface', { errno: ISCSI_ERR.NO_OBJS_FOUND, details: { ...patternOf(p) } });
  }
  return found.items;
}

/** `-n/-v` values as the store takes them. */
function patchOf(values: Readonly<Record<string, PatchValue>> | undefined): Record<string, PatchValue> {
  return { ...(values ?? {}) };
}

export function nodeMethods(ctx: HandlerContext): AnyMethod[] {
  return [
    bind(nodeList, async (p) => {
      const found = await ctx.store.findNodes(patternOf(p), ctx.resolve);
      return {
        nodes: found.items.map((e) => ({
          node: e.key, startup: e.record['node.startup'], transport: e.record['iface.transport_name'],
          source: sourceOfNode(e.record), inUse: ctx.sessions.isBusy(e.key),
        })),
        warnings: found.warnings,
      };
    }),
    bind(nodeShow, async (p) => {
      const entries = await findOrFail(ctx, p);
      return {
        records: entries.map((e) => ({ node: e.key, record: dumpRecord(NODE_TABLE, e.record, p) })),
        warnings: entries.flatMap((e) => [...e.warnings]),
      };
    }),
    bind(nodeNew, async (p) => {
      const values = patchOf(p.values);
      validatePatch(NODE_TABLE, values); // bad key/value: errno 7 naming the key, nothing written
      const nodes = [];
      for (const iface of p.ifaces ?? ['default']) {
        const key: NodeKey = { target: p.target, address: p.address, port: p.port ?? 3260, tpgt: p.tpgt ?? -1, iface };
        try {
          const e = await ctx.store.createNode(key, { values, overwrite: true });
          const r = e.record;
          nodes.push({ node: e.key, transport: r['iface.transport_name'], hwAddress: r['iface.hwaddress'], ipAddress: r['iface.ipaddress'], netIfacename: r['iface.net_ifacename'] });
        } catch (err) {
          nodes.push({ node: key, transport: '', hwAddress: '', ipAddress: '', netIfacename: '', error: itemErrorOf(err) });
        }
      }
      return { nodes, firstErrno: firstErrnoOf(nodes) };
    }),
    bind(nodeUpdate, async (p) => {
      const values = patchOf(p.values);
      validatePatch(NODE_TABLE, values);
      const results = [];
      for (const e of await findOrFail(ctx, p)) {
        try {
          await ctx.store.updateNode(e.key, values, { isBusy: (k) => ctx.sessions.isBusy(k) });
          results.push({ node: e.key });
        } catch (err) {
          results.push({ node: e.key, error: itemErrorOf(err) });
        }
      }
      return { results, firstErrno: firstErrnoOf(results) };
    }),
    bind(nodeDelete, async (p) => {
      const results = [];
      for (const e of await findOrFail(ctx, p)) {
        try {
          await ctx.store.deleteNode(e.key, { isBusy: (k) => ctx.sessions.isBusy(k) });
          results.push({ node: e.key });
        } catch (err) {
          results.push({ node: e.key, error: itemErrorOf(err) });
        }
      }
      return { results, firstErrno: firstErrnoOf(results) };
    }),
    ...sessionActions(ctx),
  ];
}

/** Logins and logouts of node records. */
function sessionActions(ctx: HandlerContext): AnyMethod[] {
  return [
    bind(nodeLogin, async (p) => {
      const entries = await findOrFail(ctx, p);
      const results = await ctx.sessions.loginRecords(entries.map((e) => e.record));
      return { results, firstErrno: firstErrnoOf(results) };
    }),
    bind(nodeLogout, async (p) => {
      const matched = await ctx.sessions.matching(patternOf(p));
      if (matched.length === 0) throw noMatchingSessions(patternOf(p));
      const results = await ctx.sessions.logout(matched, 'logout', { force: p.force === true });
      return { results, firstErrno: firstErrnoOf(results) };
    }),
    bind(nodeLoginAll, async (p) => {
      const listing = await ctx.store.listNodes();
      const entries = listing.items.filter((e) => hasStartup(e.record, p.startup));
      if (entries.length === 0) {
        throw new IscsiError('NO_RECORDS_FOUND', `no node records with startup mode ${p.startup}`, { errno: ISCSI_ERR.NO_OBJS_FOUND, details: { startup: p.startup } });
      }
      const nodes = entries.map((e) => e.key);
      const running = ctx.sessions.loginRecords(entries.map((e) => e.record));
      if (p.wait === false) {
        running.catch((err: unknown) => ctx.log.error({ err }, 'background loginAll failed'));
        return { nodes, results: [], firstErrno: 0 };
      }
      const results = await running;
      return { nodes, results, firstErrno: firstErrnoOf(results) };
    }),
    bind(nodeLogoutAll, async (p) => {
      const selected = [];
      for (const ms of ctx.sessions.list()) {
        // The record as it is now decides (it may have been edited since login); the login snapshot otherwise.
        const rec = (await ctx.store.getNode(ms.key))?.record ?? ms.record;
        if (isOnboot(rec) || isOnboot(ms.record)) continue;
        if (hasStartup(rec, p.startup)) selected.push(ms);
      }
      if (selected.length === 0) throw noMatchingSessions({ startup: p.startup });
      const results = await ctx.sessions.logout(selected);
      return { results, firstErrno: firstErrnoOf(results) };
    }),
  ];
}

/** 21 "No matching sessions found". */
export function noMatchingSessions(details: object): IscsiError {
  return new IscsiError('NO_MATCHING_SESSIONS', 'no matching sessions found', { errno: ISCSI_ERR.NO_OBJS_FOUND, details: { ...details } });
}
