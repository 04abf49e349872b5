/**
 * RecordStore: the persistent record database of tsiscsid, in open-iscsi's layout and
 * format (reference §5) under one root directory (`/var/lib/tsiscsi`).
 *
 * - Every mutation runs under the DB lock (lock.ts: in-process mutex + cross-process
 *   lock file), as one read-modify-write, so concurrent writers never lose updates.
 * - Every file is replaced atomically (atomic.ts); files holding a password are 0600.
 * - Reads need no lock (files are only ever replaced whole) and never throw for bad
 *   content: problems come back as warnings naming file and line, and every other
 *   record is still returned.
 * - Updates are validated against the key tables: unknown, read-only and iface-owned
 *   keys and bad values are refused with ConfigError (errno 7) naming the key.
 */
import { realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ConfigError } from '../shared/errors.js';
import { ensureDir, sweepTemps } from './atomic.js';
import { compiledRecordDefaults, type RecordDefaults } from './defaults.js';
import { applyDiscoveryOps, type ApplyDiscoveryOptions, type DiscoveryResult } from './discovery-ops.js';
import { DiscoveryRepo, discoveryTable, type DiscoveryEntry, type EntryFor, type RecordSource } from './discovery-repo.js';
import { IfaceStore } from './iface-store.js';
import { NODE_TABLE, type IsnsRecord, type NodeRecord, type SendTargetsRecord } from './keys/index.js';
import { DbLock, type LockOptions } from './lock.js';
import { freshNodeRecord, inferEdited } from './merge-rules.js';
import { matchesNodePattern, type NodePattern, type Resolver } from './node-match.js';
import { NodeRepo, type Listing, type NodeEntry, type NodeFilter } from './node-repo.js';
import { checkComponent, DB_DIRS, DbPaths, sameSource, sourceOfNode, type DiscoverySource, type NodeKey } from './paths.js';
import { invalidRecord, IsnsRecordSchema, NodeRecordSchema, SendTargetsRecordSchema, validatePatch, type PatchValue } from './schema.js';
import { notFound, recordExists, sessionExists, type BusyCheck } from './warnings.js';

export type { BusyCheck } from './warnings.js';

/** Options of `RecordStore.open`. */
export interface RecordStoreOptions {
  /** Database directory (created 0770 if missing). */
  readonly root: string;
  /** Defaults for new records (compiled-in + iscsid.conf); default: compiled-in only. */
  readonly defaults?: RecordDefaults;
  readonly lock?: LockOptions;
  /** Version written in `# BEGIN RECORD` (default format.RECORD_VERSION). */
  readonly version?: string;
}

/** Options of `createNode`. */
export interface CreateNodeOptions {
  /** Where the node came from (default `static`, i.e. `-o new`). */
  readonly source?: DiscoverySource;
  /** Initial values of editable keys (recorded as user edits). */
  readonly values?: Readonly<Record<string, PatchValue>>;
  /** Replace an existing record (open-iscsi's `-o new` does). */
  readonly overwrite?: boolean;
}

/** The persistent record database. Create with `RecordStore.open`. */
export class RecordStore {
  readonly paths: DbPaths;
  /** iface records (`ifaces/`, built-ins `default` and `iser`). */
  readonly ifaces: IfaceStore;
  private readonly nodes: NodeRepo;
  private readonly discovery: DiscoveryRepo;
  private current: RecordDefaults;

  private constructor(readonly root: string, private readonly lock: DbLock, opts: RecordStoreOptions) {
    this.paths = new DbPaths(root);
    this.current = opts.defaults ?? compiledRecordDefaults();
    this.nodes = new NodeRepo(this.paths, () => this.current, opts.version);
    this.discovery = new DiscoveryRepo(this.paths, opts.version);
    this.ifaces = new IfaceStore(this.paths, lock, this.nodes, opts.version);
  }

  /** Open (and create if needed) a database: makes the directories, removes dead writers' temp files. */
  static async open(opts: RecordStoreOptions): Promise<RecordStore> {
    await ensureDir(opts.root);
    const root = await realpath(resolve(opts.root));
    for (const d of DB_DIRS) await ensureDir(`${root}/${d}`);
    const lock = new DbLock(root, opts.lock);
    await lock.run(() => sweepTemps(root));
    return new RecordStore(root, lock, opts);
  }

  /** Defaults for new records. */
  get defaults(): RecordDefaults {
    return this.current;
  }

  /** Replace the new-record defaults (after iscsid.conf was re-read). */
  setDefaults(defaults: RecordDefaults): void {
    this.current = defaults;
  }

  /** Run several operations as one critical section (re-entrant). */
  transaction<T>(fn: () => Promise<T>): Promise<T> {
    return this.lock.run(fn);
  }

  // ---- nodes ---------------------------------------------------------------------

  /** Node records matching `filter`, sorted as `iscsiadm -m node` lists them. */
  listNodes(filter: NodeFilter = {}): Promise<Listing<NodeEntry>> {
    return this.nodes.list(filter);
  }

  /** Node records matching an open-iscsi pattern (Appendix B rule, node-match.ts). */
  async findNodes(pattern: NodePattern, resolve?: Resolver): Promise<Listing<NodeEntry>> {
    const all = await this.nodes.list(pattern.target === undefined ? {} : { target: pattern.target });
    const items: NodeEntry[] = [];
    for (const e of all.items) if (await matchesNodePattern(pattern, e.key, e.record['iface.transport_name'], resolve)) items.push(e);
    return { items, warnings: all.warnings };
  }

  /** One node record, or undefined. */
  getNode(key: NodeKey): Promise<NodeEntry | undefined> {
    return this.nodes.get(key);
  }

  /** Create a node record from the new-record defaults, bound to iface `key.iface`. */
  async createNode(key: NodeKey, opts: CreateNodeOptions = {}): Promise<NodeEntry> {
    return this.lock.run(async () => {
      const values = validatePatch(NODE_TABLE, opts.values ?? {});
      const existing = await this.nodes.get(key);
      if (existing && !opts.overwrite) throw recordExists('node record', { ...key });
      const iface = await this.ifaces.get(key.iface);
      if (!iface) throw new ConfigError('IFACE_NOT_FOUND', `iface '${key.iface}' does not exist`, { details: { iface: key.iface } });
      const record = { ...freshNodeRecord(this.current.node, key, opts.source ?? { type: 'static' }, iface.record), ...values } as NodeRecord;
      return this.nodes.write(key, record, Object.keys(values), existing);
    });
  }

  /**
   * Update keys of a node record (`-o update`). The keys become user edits, kept across
   * re-discovery. `iface.transport_name` is refused while a session uses the record.
   */
  async updateNode(key: NodeKey, patch: Readonly<Record<string, PatchValue>>, opts: BusyCheck = {}): Promise<NodeEntry> {
    return this.lock.run(async () => {
      const values = validatePatch(NODE_TABLE, patch);
      const entry = await this.nodes.get(key);
      if (!entry) throw notFound('node record', { ...key });
      if ('iface.transport_name' in values && opts.isBusy?.(entry.key)) throw sessionExists('cannot change the transport', entry.key);
      const edited = [...new Set([...entry.edited, ...Object.keys(values)])];
      return this.nodes.write(entry.key, { ...entry.record, ...values } as NodeRecord, edited, entry);
    });
  }

  /** Delete a node record (refused with errno 15 while a session uses it). */
  async deleteNode(key: NodeKey, opts: BusyCheck = {}): Promise<void> {
    return this.lock.run(async () => {
      const entry = await this.nodes.get(key);
      if (!entry) throw notFound('node record', { ...key });
      if (opts.isBusy?.(entry.key)) throw sessionExists('cannot delete the record', entry.key);
      await this.nodes.remove(entry);
    });
  }

  /**
   * Store a complete typed record (import, session adoption). Identity comes from the
   * record; `edited` defaults to the keys that differ from the new-record defaults.
   * @throws ConfigError `INVALID_RECORD` naming the first bad key.
   */
  async putNode(record: NodeRecord, opts: { edited?: readonly string[]; overwrite?: boolean } = {}): Promise<NodeEntry> {
    const checked = NodeRecordSchema.safeParse(record);
    if (!checked.success) throw invalidRecord('node', checked.error.issues[0]);
    const key: NodeKey = {
      target: record['node.name'], address: record['node.conn[0].address'], port: record['node.conn[0].port'],
      tpgt: record['node.tpgt'], iface: record['iface.iscsi_ifacename'],
    };
    return this.lock.run(async () => {
      const existing = await this.nodes.get(key);
      if (existing && !opts.overwrite) throw recordExists('node record', { ...key });
      return this.nodes.write(key, checked.data, opts.edited ?? inferEdited(checked.data, this.current.node), existing);
    });
  }

  // ---- discovery -----------------------------------------------------------------

  /** SendTargets and iSNS discovery records. */
  listDiscovery(): Promise<Listing<DiscoveryEntry>> {
    return this.discovery.list();
  }

  /** One discovery record. */
  getDiscovery<S extends RecordSource>(source: S): Promise<EntryFor<S> | undefined> {
    return this.discovery.get(source);
  }

  /** Create a discovery record from the new-record defaults plus `values`. */
  async createDiscovery(source: RecordSource, values: Readonly<Record<string, PatchValue>> = {}, opts: { overwrite?: boolean } = {}): Promise<DiscoveryEntry> {
    checkComponent(source.address, 'discovery address');
    return this.lock.run(async () => {
      const patch = validatePatch(discoveryTable(source.type), values);
      if (!opts.overwrite && (await this.discovery.get(source))) throw recordExists('discovery record', { ...source });
      const base = source.type === 'isns' ? this.current.isns : this.current.sendtargets;
      const record = {
        ...base, ...patch,
        'discovery.type': source.type, 'discovery.sendtargets.address': source.address, 'discovery.sendtargets.port': source.port,
      } as SendTargetsRecord | IsnsRecord;
      return this.discovery.write(source, record);
    });
  }

  /** Store a complete discovery record (import). */
  async putDiscovery(source: RecordSource, record: SendTargetsRecord | IsnsRecord, opts: { overwrite?: boolean } = {}): Promise<DiscoveryEntry> {
    checkComponent(source.address, 'discovery address');
    const schema = source.type === 'isns' ? IsnsRecordSchema : SendTargetsRecordSchema;
    const checked = schema.safeParse(record);
    if (!checked.success) throw invalidRecord(source.type, checked.error.issues[0]);
    return this.lock.run(async () => {
      if (!opts.overwrite && (await this.discovery.get(source))) throw recordExists('discovery record', { ...source });
      return this.discovery.write(source, { ...checked.data, 'discovery.sendtargets.address': source.address, 'discovery.sendtargets.port': source.port });
    });
  }

  /** Update keys of a discovery record (`discoverydb -o update`). */
  async updateDiscovery(source: RecordSource, patch: Readonly<Record<string, PatchValue>>): Promise<DiscoveryEntry> {
    return this.lock.run(async () => {
      const values = validatePatch(discoveryTable(source.type), patch);
      const entry = await this.discovery.get(source);
      if (!entry) throw notFound('discovery record', { ...source });
      return this.discovery.write(source, { ...entry.record, ...values } as SendTargetsRecord | IsnsRecord);
    });
  }

  /**
   * Delete a discovery record and every node record that came from it (§5.1). Refused
   * as a whole (errno 15) if a session uses any of those nodes.
   */
  async deleteDiscovery(source: RecordSource, opts: BusyCheck = {}): Promise<NodeKey[]> {
    return this.lock.run(async () => {
      const entry = await this.discovery.get(source);
      const nodes = (await this.nodes.list()).items.filter((e) => sameSource(sourceOfNode(e.record), source));
      if (!entry && nodes.length === 0) throw notFound('discovery record', { ...source });
      const busy = nodes.find((e) => opts.isBusy?.(e.key));
      if (busy) throw sessionExists('cannot delete the discovery record', busy.key);
      for (const e of nodes) await this.nodes.remove(e);
      await this.discovery.remove(source);
      await this.nodes.pruneSourceDir(source);
      return nodes.map((e) => e.key);
    });
  }

  /** Node records that came from `source` (including static and fw). */
  async listSourceNodes(source: DiscoverySource): Promise<Listing<NodeEntry>> {
    const all = await this.nodes.list();
    return { items: all.items.filter((e) => sameSource(sourceOfNode(e.record), source)), warnings: all.warnings };
  }

  /** Apply a discovery result with open-iscsi's ops and edit-preserving merge (discovery-ops.ts). */
  async applyDiscovery(source: DiscoverySource, found: readonly NodeKey[], opts: ApplyDiscoveryOptions = {}): Promise<DiscoveryResult> {
    return this.lock.run(() => applyDiscoveryOps({ nodes: this.nodes, ifaces: this.ifaces.repo, defaults: this.current }, source, found, opts));
  }
}
