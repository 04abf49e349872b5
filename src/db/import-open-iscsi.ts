/**
 * Import an existing open-iscsi database (`/etc/iscsi` on Debian, `/var/lib/iscsi`
 * elsewhere) into a tsiscsi RecordStore: ifaces, SendTargets/iSNS records, node records
 * (current and legacy `<addr>,<port>` form). The source tree is only read; it has the
 * same layout, so the same readers are used on it. Links are not copied: the store
 * recreates them (relative) from each node's discovery fields. Existing records are
 * never overwritten unless `overwrite` is set. Every record is either imported or
 * listed as skipped with a reason; every reader problem is in `warnings`.
 *
 * Per-node edits: open-iscsi records carry no edit tracking, so the keys whose values
 * differ from the store's new-record defaults are taken as user edits (kept when
 * re-discovery later updates the record).
 */
import { readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { atomicCreateFile, errCode } from './atomic.js';
import { DiscoveryRepo } from './discovery-repo.js';
import { IfaceRepo } from './iface-repo.js';
import type { NodeRecord } from './keys/index.js';
import { listNames, NodeRepo, type NodeEntry } from './node-repo.js';
import { DbPaths, nodeLinkName, sourceOfNode } from './paths.js';
import type { RecordStore } from './store.js';
import type { DbWarning } from './warnings.js';

/** Options of `importOpenIscsi`. */
export interface ImportOptions {
  /** open-iscsi database root. */
  readonly source: string;
  readonly store: RecordStore;
  /** Replace records that already exist in the store. */
  readonly overwrite?: boolean;
}

/** One imported or skipped record. */
export interface ImportItem {
  readonly kind: 'node' | 'iface' | 'sendtargets' | 'isns';
  /** Human-readable identity, e.g. `iqn...,10.0.0.5,3260,1,default`. */
  readonly id: string;
  readonly file: string;
  /** Why it was skipped (`exists`, or the error code). */
  readonly reason?: string;
}

/** What an import did. */
export interface ImportReport {
  readonly imported: ImportItem[];
  readonly skipped: ImportItem[];
  readonly warnings: DbWarning[];
}

/** Copy an open-iscsi database into `store` (see module comment). */
export async function importOpenIscsi(opts: ImportOptions): Promise<ImportReport> {
  const src = new DbPaths(opts.source);
  const report: ImportReport = { imported: [], skipped: [], warnings: [] };
  const put = async (item: ImportItem, fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
      report.imported.push(item);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      report.skipped.push({ ...item, reason: code === 'RECORD_EXISTS' ? 'exists' : String(code ?? err) });
    }
  };
  const overwrite = { overwrite: opts.overwrite ?? false };

  const ifaces = await new IfaceRepo(src).list();
  report.warnings.push(...ifaces.warnings);
  for (const e of ifaces.items) await put({ kind: 'iface', id: e.name, file: e.file ?? '' }, () => opts.store.ifaces.put(e.record, overwrite));

  const discovery = await new DiscoveryRepo(src).list();
  report.warnings.push(...discovery.warnings);
  for (const e of discovery.items) {
    const item: ImportItem = { kind: e.source.type, id: `${e.source.address},${e.source.port}`, file: e.file };
    await put(item, () => opts.store.putDiscovery(e.source, e.record, overwrite));
  }

  const nodes = await new NodeRepo(src, () => opts.store.defaults).list();
  report.warnings.push(...nodes.warnings);
  const linkTypes = await readLinkDirs(src, report.warnings);
  for (const e of nodes.items) {
    const record = applyLinkType(e, linkTypes, report.warnings);
    if (!(await opts.store.ifaces.get(e.key.iface))) {
      report.warnings.push({ code: 'SKIPPED', file: e.file, message: `node is bound to iface '${e.key.iface}', which does not exist` });
    }
    const item: ImportItem = { kind: 'node', id: nodeLinkName(e.key), file: e.file };
    await put(item, () => opts.store.putNode(record, { edited: e.edited, ...overwrite }));
  }
  return report;
}

/** Node link names found in `static/` and `fw/` (which source type linked them). */
async function readLinkDirs(src: DbPaths, warnings: DbWarning[]): Promise<Map<string, 'static' | 'fw'>> {
  const out = new Map<string, 'static' | 'fw'>();
  for (const type of ['static', 'fw'] as const) {
    for (const name of await listNames(src.dir(type))) {
      const path = join(src.dir(type), name);
      if ((await readlink(path).catch(() => undefined)) === undefined) {
        warnings.push({ code: 'BAD_ENTRY_NAME', file: path, message: `'${name}' in ${type}/ is not a link; ignored` });
      } else out.set(name, type);
    }
  }
  return out;
}

/**
 * A node linked from `static/` or `fw/` belongs to that source even if its record says
 * otherwise (open-iscsi ≤ 2.1.11 mis-parsed those words, issue #463); reported.
 */
function applyLinkType(e: NodeEntry, links: ReadonlyMap<string, 'static' | 'fw'>, warnings: DbWarning[]): NodeRecord {
  const linked = links.get(nodeLinkName(e.key));
  if (linked === undefined || sourceOfNode(e.record).type === linked) return e.record;
  warnings.push({
    code: 'IDENTITY_MISMATCH', file: e.file, key: 'node.discovery_type',
    message: `record says ${e.record['node.discovery_type']} but it is linked from ${linked}/; importing as ${linked}`,
  });
  return { ...e.record, 'node.discovery_type': linked, 'node.discovery_address': '', 'node.discovery_port': 0 };
}

/**
 * Copy open-iscsi's initiatorname.iscsi to `dest` unless `dest` exists (the initiator
 * keeps its identity, so target ACLs keep working). Returns whether it was copied.
 */
export async function importInitiatorName(sourceFile: string, dest: string): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(sourceFile, 'utf8');
  } catch (err) {
    if (errCode(err) === 'ENOENT') return false;
    throw err;
  }
  return atomicCreateFile(dest, text, 0o644);
}
