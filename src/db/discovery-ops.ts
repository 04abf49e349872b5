/**
 * Applying a discovery result to the node records, with open-iscsi's ops (reference
 * §5.6) and one deliberate change, the merge of user edits (open-iscsi #58/#286):
 *
 * - `new`: create records for returned portals that have none.
 * - `update`: rewrite existing records of returned portals from the current defaults
 *   (compiled-in + iscsid.conf) and the iface record — but keep every key the user
 *   edited (merge-rules.ts); open-iscsi resets those.
 * - `delete`: delete records of this discovery source that were not returned; records
 *   with a running session (per `isBusy`) are kept and reported.
 * - `nonpersistent`: touch nothing on disk; only compute the records (for `--login`).
 * - no op given: `new` + `update` + `delete`, as iscsiadm.
 *
 * Runs with the DB lock held by the caller (RecordStore.applyDiscovery).
 */
import type { IscsiError } from '../shared/errors.js';
import type { RecordDefaults } from './defaults.js';
import type { IfaceRepo } from './iface-repo.js';
import type { NodeRecord } from './keys/index.js';
import { freshNodeRecord, mergeRediscovered, sameRecord } from './merge-rules.js';
import type { NodeEntry, NodeRepo } from './node-repo.js';
import { sameSource, sourceOfNode, type DiscoverySource, type NodeKey } from './paths.js';
import { notFound } from './warnings.js';

/** A discovery op (`-o`), OR-ed together when several are given. */
export type DiscoveryOp = 'new' | 'update' | 'delete' | 'nonpersistent';

/** Options of a discovery apply. */
export interface ApplyDiscoveryOptions {
  /** Ops; empty or absent = new + update + delete. */
  readonly ops?: readonly DiscoveryOp[];
  /** Whether a session uses a node record (such records are never deleted). */
  readonly isBusy?: (key: NodeKey) => boolean;
  /** Limit `delete` to records bound to these ifaces (the ifaces discovery ran on). */
  readonly ifaces?: readonly string[];
  /**
   * Values the source itself gives a record (firmware: CHAP, startup, initiator name), laid
   * over the new-record defaults: an unchanged source then leaves the record unchanged.
   */
  readonly values?: (key: NodeKey) => Readonly<Record<string, string>> | undefined;
}

/** What a discovery apply did. Every returned portal is in exactly one of created/updated/unchanged/skipped/failed. */
export interface DiscoveryResult {
  /** Effective record of each returned portal, in the order given (what `--login` uses). */
  readonly records: NodeRecord[];
  readonly created: NodeKey[];
  readonly updated: NodeKey[];
  readonly unchanged: NodeKey[];
  /** Not stored (no `new` op, or `nonpersistent`). */
  readonly skipped: NodeKey[];
  readonly deleted: NodeKey[];
  /** Stale but kept because a session uses them. */
  readonly kept: NodeKey[];
  /** Portals whose record could not be built (e.g. unknown iface). */
  readonly failed: { key: NodeKey; error: IscsiError }[];
}

/** Canonical string of a node key. */
export function nodeKeyId(k: NodeKey): string {
  return JSON.stringify([k.target, k.address, k.port, k.tpgt, k.iface]);
}

interface Ctx {
  readonly nodes: NodeRepo;
  readonly ifaces: IfaceRepo;
  readonly defaults: RecordDefaults;
}

/** Apply discovered portals from `source` (see module comment). Caller holds the lock. */
export async function applyDiscoveryOps(ctx: Ctx, source: DiscoverySource, found: readonly NodeKey[], opts: ApplyDiscoveryOptions = {}): Promise<DiscoveryResult> {
  const ops = new Set<DiscoveryOp>(opts.ops && opts.ops.length > 0 ? opts.ops : ['new', 'update', 'delete']);
  const persist = !ops.has('nonpersistent');
  const result: DiscoveryResult = { records: [], created: [], updated: [], unchanged: [], skipped: [], deleted: [], kept: [], failed: [] };
  const all = (await ctx.nodes.list()).items;
  const byKey = new Map(all.map((e) => [nodeKeyId(e.key), e]));
  const seen = new Set<string>();
  for (const key of found) {
    const id = nodeKeyId(key);
    if (seen.has(id)) continue;
    seen.add(id);
    const iface = await ctx.ifaces.get(key.iface);
    if (!iface) {
      result.failed.push({ key, error: notFound(`iface ${key.iface}`, { iface: key.iface }) });
      continue;
    }
    const base = freshNodeRecord(ctx.defaults.node, key, source, iface.record);
    const own = opts.values?.(key);
    const fresh = own ? ({ ...base, ...own } as NodeRecord) : base;
    await applyOne(ctx, result, key, fresh, byKey.get(id), ops, persist);
  }
  if (persist && ops.has('delete')) await deleteStale(ctx, result, all, source, seen, opts);
  return result;
}

async function applyOne(
  ctx: Ctx, result: DiscoveryResult, key: NodeKey, fresh: NodeRecord, existing: NodeEntry | undefined, ops: ReadonlySet<DiscoveryOp>, persist: boolean,
): Promise<void> {
  if (!existing) {
    result.records.push(fresh);
    if (persist && ops.has('new')) {
      await ctx.nodes.write(key, fresh, []);
      result.created.push(key);
    } else result.skipped.push(key);
    return;
  }
  if (!ops.has('update') && persist) {
    result.records.push(existing.record);
    result.unchanged.push(key);
    return;
  }
  const merged = mergeRediscovered(fresh, existing.record, existing.edited);
  result.records.push(merged);
  if (!persist) result.skipped.push(key);
  else if (existing.legacy || !sameRecord(merged, existing.record)) {
    await ctx.nodes.write(key, merged, existing.edited, existing);
    result.updated.push(key);
  } else result.unchanged.push(key);
}

async function deleteStale(
  ctx: Ctx, result: DiscoveryResult, all: readonly NodeEntry[], source: DiscoverySource, found: ReadonlySet<string>, opts: ApplyDiscoveryOptions,
): Promise<void> {
  for (const e of all) {
    if (found.has(nodeKeyId(e.key)) || !sameSource(sourceOfNode(e.record), source)) continue;
    if (opts.ifaces && !opts.ifaces.includes(e.key.iface)) continue;
    if (opts.isBusy?.(e.key)) {
      result.kept.push(e.key);
      continue;
    }
    await ctx.nodes.remove(e);
    result.deleted.push(e.key);
  }
}
