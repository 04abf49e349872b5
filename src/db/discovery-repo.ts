/**
 * Discovery records on disk (reference §5.1, §5.5): SendTargets in
 * `send_targets/<addr>,<port>/st_config`, iSNS in `isns/<addr>,<port>/isns_config`.
 * The address/port come from the directory name; record keys that disagree are
 * reported and corrected.
 */
import { join } from 'node:path';
import { ensureDir, removeFile } from './atomic.js';
import { ISNS_TABLE, SENDTARGETS_TABLE, type IsnsRecord, type KeyTable, type SendTargetsRecord } from './keys/index.js';
import { listNames, type Listing } from './node-repo.js';
import { parsePortalName, type DbPaths, type DiscoverySource } from './paths.js';
import { orWarn, readRecordFile, writeRecordFile } from './record-io.js';
import type { DbWarning } from './warnings.js';

/** A discovery source that has a record file. */
export type RecordSource = Extract<DiscoverySource, { address: string }> & { readonly type: 'sendtargets' | 'isns' };

/** A SendTargets record. */
export interface SendTargetsEntry {
  readonly source: RecordSource & { type: 'sendtargets' };
  readonly record: SendTargetsRecord;
  readonly file: string;
  readonly warnings: readonly DbWarning[];
}

/** An iSNS record. */
export interface IsnsEntry {
  readonly source: RecordSource & { type: 'isns' };
  readonly record: IsnsRecord;
  readonly file: string;
  readonly warnings: readonly DbWarning[];
}

/** A discovery record. */
export type DiscoveryEntry = SendTargetsEntry | IsnsEntry;

/** The entry type for a source type. */
export type EntryFor<S extends RecordSource> = S['type'] extends 'isns' ? IsnsEntry : SendTargetsEntry;

/** Key table of a discovery record kind. */
export function discoveryTable(type: RecordSource['type']): KeyTable {
  return type === 'isns' ? ISNS_TABLE : SENDTARGETS_TABLE;
}

/** Discovery records under one database root. */
export class DiscoveryRepo {
  constructor(private readonly paths: DbPaths, private readonly version?: string) {}

  /** SendTargets records, then iSNS records, each in directory-name order. */
  async list(): Promise<Listing<DiscoveryEntry>> {
    const items: DiscoveryEntry[] = [];
    const warnings: DbWarning[] = [];
    for (const type of ['sendtargets', 'isns'] as const) {
      const dir = this.paths.dir(type === 'isns' ? 'isns' : 'send_targets');
      for (const name of await listNames(dir)) {
        const portal = parsePortalName(name);
        if (!portal || portal.tpgt !== undefined) {
          // Legacy iSNS layout keeps node links directly under isns/: not records.
          if (type === 'sendtargets') warnings.push({ code: 'BAD_ENTRY_NAME', file: join(dir, name), message: `'${name}' is not <addr>,<port>; ignored` });
          continue;
        }
        const source = { type, address: portal.address, port: portal.port };
        const entry = await orWarn(warnings, this.paths.discoveryFile(source), () => this.get(source));
        if (entry) {
          items.push(entry);
          warnings.push(...entry.warnings);
        }
      }
    }
    return { items, warnings };
  }

  /** One discovery record, or undefined. */
  async get<S extends RecordSource>(source: S): Promise<EntryFor<S> | undefined> {
    const file = this.paths.discoveryFile(source);
    const loaded = await readRecordFile(discoveryTable(source.type), file);
    if (!loaded) return undefined;
    const record = loaded.record as Record<string, unknown>;
    const warnings = [...loaded.warnings];
    const want: Record<string, unknown> = {
      'discovery.type': source.type, 'discovery.sendtargets.address': source.address, 'discovery.sendtargets.port': source.port,
    };
    for (const [k, v] of Object.entries(want)) {
      if (loaded.seen.has(k) && record[k] !== v) {
        warnings.push({ code: 'IDENTITY_MISMATCH', file, key: k, message: `${k} = ${String(record[k])} disagrees with the path (${String(v)}); using the path` });
      }
      record[k] = v;
    }
    return { source, record, file, warnings } as unknown as EntryFor<S>;
  }

  /** Write a discovery record. */
  async write(source: RecordSource, record: SendTargetsRecord | IsnsRecord): Promise<DiscoveryEntry> {
    const file = this.paths.discoveryFile(source);
    await ensureDir(this.paths.sourceDir(source));
    await writeRecordFile(discoveryTable(source.type), file, record, this.version === undefined ? {} : { version: this.version });
    return { source, record, file, warnings: [] } as DiscoveryEntry;
  }

  /** Remove a discovery record file (the caller removes the linked nodes first). */
  async remove(source: RecordSource): Promise<boolean> {
    return removeFile(this.paths.discoveryFile(source));
  }
}
