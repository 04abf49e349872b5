/**
 * What SendTargets (sendtargets.ts) and iSNS (isns.ts) discovery share once a server has
 * answered: the ifaces to ask through, the node keys of the portals it named, and the
 * result: open-iscsi's discovery ops on the node records (RecordStore.applyDiscovery,
 * reference §5.6), the `discovery.changed` event, NO_PORTALS_FOUND (errno 21) when
 * nothing usable came back, then the optional logins.
 */
import { ConfigError, IscsiError, ISCSI_ERR } from '../../shared/errors.js';
import type { DbWarning, IfaceEntry, NodeKey, RecordSource } from '../../db/index.js';
import { checkNodeKey } from '../../db/paths.js';
import { isValidTargetNameFromPeer } from '../../iscsi/names.js';
import { firstErrnoOf, itemErrorOf, type ItemError } from '../outcomes.js';
import type { HandlerContext } from './context.js';

const TCP_TRANSPORTS = new Set(['tcp', 'usertcp']);

/** A portal a discovery server named (target, address, port, portal group tag). */
export interface DiscoveredPortal {
  readonly target: string;
  readonly address: string;
  readonly port: number;
  readonly tpgt: number;
}

type NodeFailure = { node: NodeKey; error: ItemError };

/** The ifaces to discover through: the named ones, else every tcp iface, else `default`. */
export async function selectIfaces(ctx: HandlerContext, names: readonly string[] | undefined): Promise<IfaceEntry[]> {
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

/** Node keys of the portals found through `iface`; unusable names are reported, not stored. */
function keysOf(portals: readonly DiscoveredPortal[], iface: string, bad: NodeFailure[]): NodeKey[] {
  const keys: NodeKey[] = [];
  for (const p of portals) {
    const key: NodeKey = { target: p.target, address: p.address, port: p.port, tpgt: p.tpgt, iface };
    try {
      if (!isValidTargetNameFromPeer(p.target)) throw new ConfigError('INVALID_NAME', `target name '${p.target}' cannot be stored`, { details: { target: p.target } });
      checkNodeKey(key);
      keys.push(key);
    } catch (err) {
      bad.push({ node: key, error: itemErrorOf(err) });
    }
  }
  return keys;
}

/** One discovery call, as the handler received it. */
export interface DiscoveryRun<S extends RecordSource> {
  readonly source: S;
  readonly ops: readonly ('new' | 'update' | 'delete' | 'nonpersistent')[];
  readonly login: boolean;
  /** The stored discovery record, if any (its warnings are reported). */
  readonly entry: { readonly warnings: readonly DbWarning[] } | undefined;
  /** Create the discovery record when it is missing (and the ops are persistent). */
  readonly createRecord: boolean;
  /** `no portals found at <where>` (errno 21). */
  readonly where: string;
}

/**
 * Ask through each iface (`discoverOn`), then apply the ops to what was found and log in
 * when asked. Discovery failing on every iface throws the first failure; failing on some
 * is reported per iface (`ifaceErrors`).
 */
export async function runDiscovery<S extends RecordSource>(
  ctx: HandlerContext, run: DiscoveryRun<S>, ifaces: readonly IfaceEntry[],
  discoverOn: (iface: IfaceEntry) => Promise<readonly DiscoveredPortal[]>,
) {
  const { source, ops, entry } = run;
  const found: NodeKey[] = [];
  const bad: NodeFailure[] = [];
  const ifaceErrors: { iface: string; error: ItemError }[] = [];
  const worked: string[] = [];
  let firstFailure: unknown;
  for (const iface of ifaces) {
    try {
      found.push(...keysOf(await discoverOn(iface), iface.name, bad));
      worked.push(iface.name);
    } catch (err) {
      firstFailure ??= err;
      ifaceErrors.push({ iface: iface.name, error: itemErrorOf(err) });
    }
  }
  if (worked.length === 0) throw firstFailure;
  const recordCreated = !entry && !ops.includes('nonpersistent') && run.createRecord;
  if (recordCreated) await ctx.store.createDiscovery(source, {}, { overwrite: true });
  const applied = await ctx.store.applyDiscovery(source, found, { ops, isBusy: (k) => ctx.sessions.isBusy(k), ifaces: worked });
  if (applied.created.length + applied.updated.length + applied.deleted.length > 0) {
    ctx.emit({ type: 'discovery.changed', source, created: applied.created, updated: applied.updated, deleted: applied.deleted });
  }
  if (found.length === 0) {
    throw new IscsiError('NO_PORTALS_FOUND', `no portals found at ${run.where}`, {
      errno: ISCSI_ERR.NO_OBJS_FOUND, details: { ...source, deleted: applied.deleted.length },
    });
  }
  const logins = run.login ? await ctx.sessions.loginRecords(applied.records) : undefined;
  const failed = [...bad, ...applied.failed.map((f) => ({ node: f.key, error: itemErrorOf(f.error) }))];
  return {
    source, recordCreated, ifaces: ifaces.map((i) => i.name), portals: found,
    created: applied.created, updated: applied.updated, unchanged: applied.unchanged, skipped: applied.skipped,
    deleted: applied.deleted, kept: applied.kept, failed, ifaceErrors,
    ...(logins ? { logins } : {}),
    firstErrno: firstErrnoOf([...ifaceErrors, ...failed, ...(logins ?? [])]),
    warnings: entry?.warnings ? [...entry.warnings] : [],
  };
}
