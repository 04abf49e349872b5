/**
 * iface mode of the record database (reference §5.4, §6.6): list/get/create/update/
 * delete of `ifaces/<name>`. Built-ins (`default`, `iser`) cannot be created, updated or
 * deleted. Updating an iface rewrites the iface block of every node record bound to it
 * (except keys the user edited in node mode); deleting one deletes its node records
 * first (refused, errno 15, if a session uses any of them).
 */
import { ConfigError } from '../shared/errors.js';
import { IfaceRepo, type IfaceEntry } from './iface-repo.js';
import { BUILTIN_IFACES, IFACE_KEYS, IFACE_NAME_MAX, IFACE_TABLE, type IfaceRecord, type NodeRecord } from './keys/index.js';
import type { DbLock } from './lock.js';
import type { Listing, NodeRepo } from './node-repo.js';
import { checkComponent, type DbPaths } from './paths.js';
import { ifaceDefaults, IfaceRecordSchema, invalidRecord, validatePatch, type PatchValue } from './schema.js';
import { notFound, recordExists, sessionExists, type BusyCheck } from './warnings.js';

/** Check an iface name (1..64 chars, usable as a file name). */
export function checkIfaceName(name: string): void {
  checkComponent(name, 'iface name');
  if (name.length > IFACE_NAME_MAX) throw new ConfigError('INVALID_NAME', `iface name longer than ${IFACE_NAME_MAX} characters`, { details: { value: name } });
}

function refuseBuiltin(name: string, op: string): void {
  if (BUILTIN_IFACES[name] !== undefined) throw new ConfigError('BUILTIN_IFACE', `iface '${name}' is built in and cannot be ${op}`, { details: { iface: name } });
}

/** How a record binds to hardware: by MAC (hwaddress) or by network interface name. */
function binding(rec: Readonly<IfaceRecord>): 'hw' | 'netdev' | undefined {
  const set = (v: string): boolean => v !== '' && v !== 'default';
  if (set(rec['iface.hwaddress'])) return 'hw';
  if (set(rec['iface.net_ifacename'])) return 'netdev';
  return undefined;
}

/** iface records, with the DB lock around every mutation. */
export class IfaceStore {
  /** Unlocked access (for callers already holding the lock). */
  readonly repo: IfaceRepo;

  constructor(paths: DbPaths, private readonly lock: DbLock, private readonly nodes: NodeRepo, version?: string) {
    this.repo = new IfaceRepo(paths, version);
  }

  /** Stored ifaces in name order, then (if asked) the built-ins `default` and `iser`. */
  async list(opts: { includeBuiltins?: boolean } = {}): Promise<Listing<IfaceEntry>> {
    const stored = await this.repo.list();
    if (!opts.includeBuiltins) return stored;
    const builtins = await Promise.all(Object.keys(BUILTIN_IFACES).map((n) => this.repo.get(n)));
    return { items: [...stored.items, ...builtins.filter((b): b is IfaceEntry => b !== undefined)], warnings: stored.warnings };
  }

  /** One iface (built-ins included), or undefined. */
  get(name: string): Promise<IfaceEntry | undefined> {
    return this.repo.get(name);
  }

  /** Create an iface record: transport `tcp`, everything else empty/0, plus `values`. */
  async create(name: string, values: Readonly<Record<string, PatchValue>> = {}): Promise<IfaceEntry> {
    checkIfaceName(name);
    refuseBuiltin(name, 'created');
    return this.lock.run(async () => {
      const patch = validatePatch(IFACE_TABLE, values);
      if (await this.repo.get(name)) throw recordExists(`iface ${name}`, { iface: name });
      return this.repo.write(name, { ...ifaceDefaults(), ...patch, 'iface.iscsi_ifacename': name } as IfaceRecord);
    });
  }

  /** Store a complete iface record (import). */
  async put(record: IfaceRecord, opts: { overwrite?: boolean } = {}): Promise<IfaceEntry> {
    const name = record['iface.iscsi_ifacename'];
    checkIfaceName(name);
    refuseBuiltin(name, 'stored');
    const checked = IfaceRecordSchema.safeParse(record);
    if (!checked.success) throw invalidRecord('iface', checked.error.issues[0]);
    return this.lock.run(async () => {
      if (!opts.overwrite && (await this.repo.get(name))) throw recordExists(`iface ${name}`, { iface: name });
      return this.repo.write(name, checked.data);
    });
  }

  /** Update keys of an iface; also rewrites the iface block of its node records. */
  async update(name: string, values: Readonly<Record<string, PatchValue>>): Promise<IfaceEntry> {
    refuseBuiltin(name, 'updated');
    return this.lock.run(async () => {
      const patch = validatePatch(IFACE_TABLE, values);
      const entry = await this.repo.get(name);
      if (!entry) throw notFound(`iface ${name}`, { iface: name });
      const record = { ...entry.record, ...patch } as IfaceRecord;
      const before = binding(entry.record);
      const after = binding(record);
      if (before !== undefined && after !== undefined && before !== after) {
        throw new ConfigError('IFACE_BINDING_SWITCH', `iface '${name}' is bound by ${before}; cannot switch it to ${after}`, { details: { iface: name } });
      }
      const saved = await this.repo.write(name, record);
      for (const node of (await this.nodes.list({ iface: name })).items) {
        const rec = { ...node.record } as Record<string, unknown>;
        for (const d of IFACE_KEYS) if (!node.edited.includes(d.key)) rec[d.key] = (record as Record<string, unknown>)[d.key];
        await this.nodes.write(node.key, rec as NodeRecord, node.edited, node);
      }
      return saved;
    });
  }

  /** Delete an iface and its node records (errno 15 if a session uses one of them). */
  async delete(name: string, opts: BusyCheck = {}): Promise<void> {
    refuseBuiltin(name, 'deleted');
    return this.lock.run(async () => {
      if (!(await this.repo.get(name))) throw notFound(`iface ${name}`, { iface: name });
      const nodes = (await this.nodes.list({ iface: name })).items;
      const busy = nodes.find((n) => opts.isBusy?.(n.key));
      if (busy) throw sessionExists(`cannot delete iface ${name}`, busy.key);
      for (const n of nodes) await this.nodes.remove(n);
      await this.repo.remove(name);
    });
  }
}
