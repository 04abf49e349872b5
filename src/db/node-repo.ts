/**
 * Node records on disk (no locking here: RecordStore holds the DB lock around these).
 * Identity comes from the path (`nodes/<target>/<addr>,<port>,<tpgt>/<iface>`); a file
 * whose identity keys disagree with its path is reported and corrected to the path.
 * Legacy files (`nodes/<target>/<addr>,<port>` with no tpgt/iface) are read and
 * converted to the current form when written.
 */
import type { Dirent } from 'node:fs';
import { readdir, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { atomicSymlink, ensureDir, errCode, isTempName, pruneEmptyDirs, removeFile } from './atomic.js';
import type { RecordDefaults } from './defaults.js';
import { NODE_TABLE, type NodeRecord } from './keys/index.js';
import { editableNodeKeys, inferEdited } from './merge-rules.js';
import { checkNodeKey, parsePortalName, sameSource, sourceOfNode, type DbPaths, type DiscoverySource, type NodeKey } from './paths.js';
import { orWarn, readRecordFile, writeRecordFile, type LoadedRecord } from './record-io.js';
import { dbError, type DbWarning } from './warnings.js';

/** A node record as stored. */
export interface NodeEntry {
  readonly key: NodeKey;
  readonly record: NodeRecord;
  /** Keys the user edited: kept when re-discovery updates the record. */
  readonly edited: readonly string[];
  readonly file: string;
  /** Read from a legacy `<addr>,<port>` file (rewritten in the current form on update). */
  readonly legacy: boolean;
  readonly warnings: readonly DbWarning[];
}

/** Selects node records; absent fields match anything. */
export type NodeFilter = Partial<NodeKey>;

/** Records plus the problems met while reading them. */
export interface Listing<T> {
  readonly items: T[];
  readonly warnings: DbWarning[];
}

const IDENTITY: readonly [keyof NodeRecord, keyof NodeKey][] = [
  ['node.name', 'target'], ['node.tpgt', 'tpgt'], ['node.conn[0].address', 'address'],
  ['node.conn[0].port', 'port'], ['iface.iscsi_ifacename', 'iface'],
];

/** Whether a key matches a filter. */
export function matchesFilter(key: NodeKey, f: NodeFilter): boolean {
  return (Object.keys(f) as (keyof NodeKey)[]).every((k) => f[k] === undefined || f[k] === key[k]);
}

/** Node records under one database root. */
export class NodeRepo {
  constructor(private readonly paths: DbPaths, private readonly defaults: () => RecordDefaults, private readonly version?: string) {}

  /** Every node record matching `filter`, sorted by target, portal, iface (C collation). */
  async list(filter: NodeFilter = {}): Promise<Listing<NodeEntry>> {
    const items: NodeEntry[] = [];
    const warnings: DbWarning[] = [];
    for (const target of await listNames(this.paths.dir('nodes'))) {
      if (filter.target !== undefined && target !== filter.target) continue;
      const tdir = this.paths.targetDir(target);
      for (const ent of await listEntries(tdir)) {
        const portal = parsePortalName(ent.name);
        const path = join(tdir, ent.name);
        if (!portal) {
          warnings.push({ code: 'BAD_ENTRY_NAME', file: path, message: `'${ent.name}' is not <addr>,<port>[,<tpgt>]; ignored` });
        } else if (ent.isDirectory() && portal.tpgt !== undefined) {
          for (const iface of await listNames(path)) {
            const key = { target, address: portal.address, port: portal.port, tpgt: portal.tpgt, iface };
            if (!matchesFilter(key, filter)) continue;
            const entry = await orWarn(warnings, join(path, iface), () => this.load(key, join(path, iface), false));
            if (entry) items.push(entry);
          }
        } else if (ent.isFile()) {
          const entry = await orWarn(warnings, path, () => this.loadLegacy(target, portal, path));
          if (entry && matchesFilter(entry.key, filter)) items.push(entry);
        } else {
          warnings.push({ code: 'BAD_ENTRY_NAME', file: path, message: `unexpected entry '${ent.name}'; ignored` });
        }
      }
    }
    for (const item of items) warnings.push(...item.warnings);
    return { items, warnings };
  }

  /** One node record (current form first, then a legacy file with that identity). */
  async get(key: NodeKey): Promise<NodeEntry | undefined> {
    checkNodeKey(key);
    const current = await this.load(key, this.paths.nodeFile(key), false);
    if (current) return current;
    for (const name of [`${key.address},${key.port},${key.tpgt}`, `${key.address},${key.port}`]) {
      const path = join(this.paths.targetDir(key.target), name);
      const legacy = await this.loadLegacy(key.target, { address: key.address, port: key.port }, path).catch(() => undefined);
      if (legacy && matchesFilter(legacy.key, key)) return legacy;
    }
    return undefined;
  }

  /**
   * Write a node record in the current form, keep its discovery link right, and remove
   * the legacy file / stale link of `prev` (the entry it replaces, if any).
   */
  async write(key: NodeKey, record: NodeRecord, edited: readonly string[], prev?: NodeEntry): Promise<NodeEntry> {
    checkNodeKey(key);
    const file = this.paths.nodeFile(key);
    await ensureDir(this.paths.portalDir(key));
    await writeRecordFile(NODE_TABLE, file, record, { edited, ...(this.version === undefined ? {} : { version: this.version }) });
    const source = sourceOfNode(record);
    if (prev && !prev.legacy && !sameSource(sourceOfNode(prev.record), source)) {
      await removeFile(this.paths.linkFile(sourceOfNode(prev.record), prev.key));
    }
    await this.link(key, record);
    if (prev?.legacy) await removeFile(prev.file);
    return { key, record, edited: [...edited], file, legacy: false, warnings: [] };
  }

  /** Remove a node record, its discovery link, and its now-empty directories. */
  async remove(entry: NodeEntry): Promise<void> {
    await removeFile(entry.file);
    const source = sourceOfNode(entry.record);
    await removeFile(this.paths.linkFile(source, entry.key));
    await pruneEmptyDirs(entry.legacy ? this.paths.targetDir(entry.key.target) : this.paths.portalDir(entry.key), this.paths.dir('nodes'));
    if (source.type !== 'static' && source.type !== 'fw') {
      await pruneEmptyDirs(this.paths.sourceDir(source), this.paths.dir(source.type === 'isns' ? 'isns' : 'send_targets'));
    }
  }

  /** Remove dangling links of a discovery source directory, then the directory if empty. */
  async pruneSourceDir(source: DiscoverySource): Promise<void> {
    const dir = this.paths.sourceDir(source);
    for (const ent of await listEntries(dir)) {
      if (ent.isSymbolicLink() && !(await stat(join(dir, ent.name)).catch(() => undefined))) await removeFile(join(dir, ent.name));
    }
    if (source.type !== 'static' && source.type !== 'fw') {
      await pruneEmptyDirs(dir, this.paths.dir(source.type === 'isns' ? 'isns' : 'send_targets'));
    }
  }

  private async link(key: NodeKey, record: NodeRecord): Promise<void> {
    const source = sourceOfNode(record);
    const linkFile = this.paths.linkFile(source, key);
    const target = this.paths.linkTarget(source, key);
    if ((await readlink(linkFile).catch(() => undefined)) === target) return;
    await ensureDir(this.paths.sourceDir(source));
    await atomicSymlink(target, linkFile);
  }

  private async load(key: NodeKey, file: string, legacy: boolean): Promise<NodeEntry | undefined> {
    const loaded = await readRecordFile(NODE_TABLE, file);
    return loaded && this.toEntry(key, file, legacy, loaded);
  }

  private async loadLegacy(target: string, portal: { address: string; port: number; tpgt?: number }, file: string): Promise<NodeEntry | undefined> {
    const loaded = await readRecordFile(NODE_TABLE, file);
    if (!loaded) return undefined;
    const rec = loaded.record as NodeRecord;
    const key: NodeKey = {
      target, address: portal.address, port: portal.port,
      tpgt: portal.tpgt ?? rec['node.tpgt'], iface: rec['iface.iscsi_ifacename'] || 'default',
    };
    return this.toEntry(key, file, true, loaded);
  }

  private toEntry(key: NodeKey, file: string, legacy: boolean, loaded: LoadedRecord): NodeEntry {
    const record = loaded.record as Record<string, unknown>;
    const warnings = [...loaded.warnings];
    for (const [field, part] of IDENTITY) {
      if (loaded.seen.has(field) && record[field] !== key[part]) {
        warnings.push({ code: 'IDENTITY_MISMATCH', file, key: field, message: `${field} = ${String(record[field])} disagrees with the path (${String(key[part])}); using the path` });
      }
      record[field] = key[part];
    }
    const tracked = loaded.parsed.edited.length > 0;
    const editable = editableNodeKeys();
    const edited = tracked
      ? loaded.parsed.edited.filter((k) => editable.has(k))
      : inferEdited(record as NodeRecord, this.defaults().node);
    return { key, record: record as NodeRecord, edited, file, legacy, warnings };
  }
}

/** Names in a directory except dot-files and temp files, sorted (C collation); [] if missing. */
export async function listNames(dir: string): Promise<string[]> {
  return (await listEntries(dir)).map((e) => e.name);
}

async function listEntries(dir: string): Promise<Dirent[]> {
  try {
    const ents = await readdir(dir, { withFileTypes: true });
    return ents.filter((e) => !e.name.startsWith('.') && !isTempName(e.name)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch (err) {
    if (errCode(err) === 'ENOENT' || errCode(err) === 'ENOTDIR') return [];
    throw dbError('DB_READ_FAILED', `cannot list ${dir}: ${errCode(err) ?? String(err)}`, { dir }, err);
  }
}
