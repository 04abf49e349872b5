/**
 * iface records on disk (`ifaces/<name>`, reference §5.4). `default` (tcp) and `iser`
 * (iser) are built in: never stored, synthesized on read. A stored file named like a
 * built-in, or the sample `iface.example`, is skipped with a warning.
 */
import { join } from 'node:path';
import { ensureDir, removeFile } from './atomic.js';
import { BUILTIN_IFACES, IFACE_TABLE, type IfaceRecord } from './keys/index.js';
import { listNames, type Listing } from './node-repo.js';
import type { DbPaths } from './paths.js';
import { orWarn, readRecordFile, writeRecordFile } from './record-io.js';
import { ifaceDefaults } from './schema.js';
import type { DbWarning } from './warnings.js';

/** An iface record. */
export interface IfaceEntry {
  readonly name: string;
  readonly record: IfaceRecord;
  readonly builtin: boolean;
  /** Absent for built-ins. */
  readonly file?: string;
  readonly warnings: readonly DbWarning[];
}

/** The record of a built-in iface, or undefined if `name` is not one. */
export function builtinIface(name: string): IfaceRecord | undefined {
  const transport = BUILTIN_IFACES[name];
  if (transport === undefined) return undefined;
  return { ...ifaceDefaults(), 'iface.iscsi_ifacename': name, 'iface.transport_name': transport };
}

/** iface records under one database root. */
export class IfaceRepo {
  constructor(private readonly paths: DbPaths, private readonly version?: string) {}

  /** Stored iface records in name order (built-ins not included). */
  async list(): Promise<Listing<IfaceEntry>> {
    const items: IfaceEntry[] = [];
    const warnings: DbWarning[] = [];
    for (const name of await listNames(this.paths.dir('ifaces'))) {
      const file = this.paths.ifaceFile(name);
      if (name === 'iface.example' || BUILTIN_IFACES[name] !== undefined) {
        warnings.push({ code: 'SKIPPED', file, message: `'${name}' is ${name === 'iface.example' ? 'a sample' : 'a built-in iface'}; file ignored` });
        continue;
      }
      const entry = await orWarn(warnings, file, () => this.load(name, file));
      if (entry) {
        items.push(entry);
        warnings.push(...entry.warnings);
      }
    }
    return { items, warnings };
  }

  /** One iface (built-ins included). */
  async get(name: string): Promise<IfaceEntry | undefined> {
    const builtin = builtinIface(name);
    if (builtin) return { name, record: builtin, builtin: true, warnings: [] };
    return this.load(name, this.paths.ifaceFile(name));
  }

  /** Write a stored iface record. */
  async write(name: string, record: IfaceRecord): Promise<IfaceEntry> {
    const file = this.paths.ifaceFile(name);
    await ensureDir(this.paths.dir('ifaces'));
    await writeRecordFile(IFACE_TABLE, file, record, this.version === undefined ? {} : { version: this.version });
    return { name, record, builtin: false, file, warnings: [] };
  }

  /** Remove a stored iface record. */
  async remove(name: string): Promise<boolean> {
    return removeFile(join(this.paths.dir('ifaces'), name));
  }

  private async load(name: string, file: string): Promise<IfaceEntry | undefined> {
    const loaded = await readRecordFile(IFACE_TABLE, file);
    if (!loaded) return undefined;
    const record = loaded.record as IfaceRecord;
    const warnings = [...loaded.warnings];
    if (loaded.seen.has('iface.iscsi_ifacename') && record['iface.iscsi_ifacename'] !== name) {
      warnings.push({
        code: 'IDENTITY_MISMATCH', file, key: 'iface.iscsi_ifacename',
        message: `iface.iscsi_ifacename = ${record['iface.iscsi_ifacename']} disagrees with the file name; using '${name}'`,
      });
    }
    record['iface.iscsi_ifacename'] = name;
    return { name, record, builtin: false, file, warnings };
  }
}
