/**
 * `discovery.isns`: iSNS discovery (src/discovery/isns.ts) through each selected iface,
 * then the node records by open-iscsi's ops (RecordStore.applyDiscovery, which keeps
 * user edits), then optionally logins (reference boot-and-isns.md §3.6).
 *
 * Like iscsiadm 2.1.8: discovery mode stores no `isns_config` record, discoverydb mode
 * (`record`) creates one when missing; a server that cannot be reached or refuses the
 * query fails with errno 25, a refused registration with 26; no portal groups → 21.
 */
import { discoveryIsns } from '../../control/methods/discovery-isns.js';
import type { AnyMethod } from '../../control/method.js';
import { ConfigError, IscsiError, ISCSI_ERR } from '../../shared/errors.js';
import { ISNS_PORT, type IfaceEntry, type NodeKey } from '../../db/index.js';
import { checkNodeKey } from '../../db/paths.js';
import { discoverIsns, type IsnsDiscoveryResult } from '../../discovery/isns.js';
import { isValidTargetNameFromPeer } from '../../iscsi/names.js';
import { firstErrnoOf, itemErrorOf, type ItemError } from '../outcomes.js';
import { bind, type HandlerContext } from './context.js';

const TCP_TRANSPORTS = new Set(['tcp', 'usertcp']);
/** Bound on connect and on each iSNS exchange. */
const ISNS_TIMEOUT_MS = 10_000;

type Source = { type: 'isns'; address: string; port: number };

/** The ifaces to discover through: the named ones, else every tcp iface, else `default`. */
async function selectIfaces(ctx: HandlerContext, names: readonly string[] | undefined): Promise<IfaceEntry[]> {
  if (names) {
    const out: IfaceEntry[] = [];
    for (const name of names) {
      const e = await ctx.store.ifaces.get(name);
      if (!e) throw new ConfigError('IFACE_NOT_FOUND', `iface '${name}' does not exist`, { details: { iface: name } });
      out.push(e);
    }
    return out;
  }
  const stored = (await ctx.store.ifaces.list()).items.filter((e) => TCP_TRANSPORTS.has(e.record['iface.transport_name']));
  if (stored.length > 0) return stored;
  return [(await ctx.store.ifaces.get('default'))!];
}

/** Node keys of the portal groups through `iface`; unusable names are reported, not stored. */
function keysOf(result: IsnsDiscoveryResult, iface: string, bad: { node: NodeKey; error: ItemError }[]): NodeKey[] {
  const keys: NodeKey[] = [];
  for (const pg of result.portalGroups) {
    const key: NodeKey = { target: pg.name, address: pg.address, port: pg.port, tpgt: pg.tag, iface };
    try {
      if (!isValidTargetNameFromPeer(pg.name)) throw new ConfigError('INVALID_NAME', `target name '${pg.name}' cannot be stored`, { details: { target: pg.name } });
      checkNodeKey(key);
      keys.push(key);
    } catch (err) {
      bad.push({ node: key, error: itemErrorOf(err) });
    }
  }
  return keys;
}

export function isnsMethod(ctx: HandlerContext): AnyMethod {
  return bind(discoveryIsns, async (p) => {
    const source: Source = { type: 'isns', address: p.address, port: p.port ?? ISNS_PORT };
    const ops = p.ops ?? [];
    const persist = !ops.includes('nonpersistent');
    const entry = await ctx.store.getDiscovery(source);
    const ifaces = await selectIfaces(ctx, p.ifaces);
    const found: NodeKey[] = [];
    const bad: { node: NodeKey; error: ItemError }[] = [];
    const ifaceErrors: { iface: string; error: ItemError }[] = [];
    const worked: string[] = [];
    let firstFailure: unknown;
    const me = ctx.initiator();
    for (const iface of ifaces) {
      const name = iface.record['iface.initiatorname'] !== '' ? iface.record['iface.initiatorname'] : me.name;
      const log = ctx.log.child({ discovery: `isns ${source.address}:${source.port}`, iface: iface.name });
      try {
        const result = await discoverIsns({
          server: { host: source.address, port: source.port }, initiatorName: name, timeoutMs: ISNS_TIMEOUT_MS, clock: ctx.clock, logger: log,
        });
        found.push(...keysOf(result, iface.name, bad));
        worked.push(iface.name);
      } catch (err) {
        const e = err instanceof IscsiError ? err : undefined;
        log.error({ code: e?.code, errno: e?.errno, err }, 'iSNS discovery failed');
        firstFailure ??= err;
        ifaceErrors.push({ iface: iface.name, error: itemErrorOf(err) });
      }
    }
    if (worked.length === 0) throw firstFailure;
    const recordCreated = !entry && persist && p.record === true;
    if (recordCreated) await ctx.store.createDiscovery(source, {}, { overwrite: true });
    const applied = await ctx.store.applyDiscovery(source, found, { ops, isBusy: (k) => ctx.sessions.isBusy(k), ifaces: worked });
    if (applied.created.length + applied.updated.length + applied.deleted.length > 0) {
      ctx.emit({ type: 'discovery.changed', source, created: applied.created, updated: applied.updated, deleted: applied.deleted });
    }
    if (found.length === 0) {
      throw new IscsiError('NO_PORTALS_FOUND', `no portals found at iSNS server ${source.address}:${source.port}`, {
        errno: ISCSI_ERR.NO_OBJS_FOUND, details: { ...source, deleted: applied.deleted.length },
      });
    }
    const logins = p.login ? await ctx.sessions.loginRecords(applied.records) : undefined;
    const failed = [...bad, ...applied.failed.map((f) => ({ node: f.key, error: itemErrorOf(f.error) }))];
    return {
      source, recordCreated, ifaces: ifaces.map((i) => i.name), portals: found,
      created: applied.created, updated: applied.updated, unchanged: applied.unchanged, skipped: applied.skipped,
      deleted: applied.deleted, kept: applied.kept, failed, ifaceErrors,
      ...(logins ? { logins } : {}),
      firstErrno: firstErrnoOf([...ifaceErrors, ...failed, ...(logins ?? [])]),
      warnings: entry?.warnings ? [...entry.warnings] : [],
    };
  });
}
