/**
 * iscsid.conf and initiatorname.iscsi.
 *
 * iscsid.conf (reference §5.2, §8) uses the record format. Its `node.*`/`iface.*`,
 * `discovery.*` and `node.session.auth.chap_algs` lines are defaults for *new* records
 * (existing records are not affected); `iscsid.*` lines are daemon settings. Unknown
 * keys, bad values and read-only keys are reported with file and line and otherwise
 * ignored; the rest of the file still applies.
 *
 * initiatorname.iscsi holds `InitiatorName=<iqn>` and optionally `InitiatorAlias=`.
 * `ensureInitiatorName` creates it once with a generated name and never overwrites an
 * existing file (like open-iscsi's iscsi-init.service).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigError } from '../shared/errors.js';
import { atomicCreateFile, errCode } from './atomic.js';
import type { RecordDefaults } from './defaults.js';
import { parseRecordText, type RecordLine } from './format.js';
import {
  ISCSID_TABLE, ISNS_TABLE, NODE_TABLE, SENDTARGETS_TABLE,
  type IscsidKeys, type IsnsRecord, type KeyTable, type NodeRecord, type SendTargetsRecord,
} from './keys/index.js';
import { decodeEntries, defaultsOf, resolveKey } from './schema.js';
import { dbError, type DbWarning } from './warnings.js';

/** Daemon settings from `iscsid.*` keys (open-iscsi tests the words literally, §8.1). */
export interface IscsidSettings {
  /** Command run when the daemon is not listening (`iscsid.startup`); '' when unset. */
  readonly startup: string;
  /** `iscsid.safe_logout = Yes` exactly. */
  readonly safeLogout: boolean;
  /** false only for `iscsid.ipc_auth_uid = No` exactly. */
  readonly ipcAuthUid: boolean;
  readonly raw: IscsidKeys;
}

/** A parsed iscsid.conf. */
export interface IscsidConf {
  readonly file: string;
  readonly exists: boolean;
  readonly defaults: RecordDefaults;
  readonly iscsid: IscsidSettings;
  readonly warnings: DbWarning[];
}

const CONF_TABLES: readonly KeyTable[] = [NODE_TABLE, SENDTARGETS_TABLE, ISNS_TABLE, ISCSID_TABLE];

/** Parse iscsid.conf text (pure). */
export function parseIscsidConf(text: string, file: string): IscsidConf {
  const parsed = parseRecordText(text, file);
  const warnings: DbWarning[] = [...parsed.warnings];
  const decoded = CONF_TABLES.map((table) => {
    const entries = parsed.entries.filter((e) => resolveKey(table, e.key) !== undefined);
    return decodeEntries(table, entries, file, defaultsOf(table), { skipReadOnly: true, reportUnknown: false });
  });
  for (const e of parsed.entries) {
    if (!CONF_TABLES.some((t) => resolveKey(t, e.key))) warnings.push(unknownKey(e, file));
  }
  const seen = new Set<string>();
  for (const w of decoded.flatMap((d) => d.warnings)) {
    const id = `${w.code}:${w.line}:${w.key}:${w.message}`; // chap_algs is decoded by two tables
    if (seen.has(id)) continue;
    seen.add(id);
    warnings.push(w);
  }
  warnings.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  const [node, st, isns, iscsid] = decoded.map((d) => d.record) as [NodeRecord, SendTargetsRecord, IsnsRecord, IscsidKeys];
  return {
    file, exists: true, warnings,
    defaults: { node, sendtargets: st, isns },
    iscsid: {
      startup: iscsid['iscsid.startup'],
      safeLogout: iscsid['iscsid.safe_logout'] === 'Yes',
      ipcAuthUid: iscsid['iscsid.ipc_auth_uid'] !== 'No',
      raw: iscsid,
    },
  };
}

function unknownKey(e: RecordLine, file: string): DbWarning {
  return { code: 'UNKNOWN_KEY', file, line: e.line, key: e.key, message: `unknown key '${e.key}' ignored` };
}

/** Read iscsid.conf. A missing file gives the compiled-in defaults and a CONFIG_MISSING warning. */
export async function readIscsidConf(file: string): Promise<IscsidConf> {
  const text = await readOptional(file);
  if (text === undefined) {
    const conf = parseIscsidConf('', file);
    return { ...conf, exists: false, warnings: [{ code: 'CONFIG_MISSING', file, message: 'no config file; using compiled-in defaults' }] };
  }
  return parseIscsidConf(text, file);
}

/** Contents of initiatorname.iscsi. */
export interface InitiatorNameFile {
  readonly file: string;
  readonly exists: boolean;
  readonly name?: string;
  readonly alias?: string;
  readonly warnings: DbWarning[];
}

/** Parse initiatorname.iscsi text: `InitiatorName=`, `InitiatorAlias=`, `#` comments. */
export function parseInitiatorName(text: string, file: string): InitiatorNameFile {
  const warnings: DbWarning[] = [];
  const found: Record<'InitiatorName' | 'InitiatorAlias', string | undefined> = { InitiatorName: undefined, InitiatorAlias: undefined };
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^(InitiatorName|InitiatorAlias)\s*=\s*(.*)$/.exec(line);
    if (!m) {
      warnings.push({ code: 'SYNTAX', file, line: i + 1, message: 'expected InitiatorName= or InitiatorAlias=; line ignored' });
      return;
    }
    const key = m[1] as keyof typeof found;
    const value = m[2] ?? '';
    if (value === '') warnings.push({ code: 'EMPTY_VALUE', file, line: i + 1, key, message: `${key}= has no value` });
    else if (found[key] !== undefined) warnings.push({ code: 'DUPLICATE_KEY', file, line: i + 1, key, message: `${key} set again; the first one is used` });
    else found[key] = value;
  });
  return {
    file, exists: true, warnings,
    ...(found.InitiatorName === undefined ? {} : { name: found.InitiatorName }),
    ...(found.InitiatorAlias === undefined ? {} : { alias: found.InitiatorAlias }),
  };
}

/** Read initiatorname.iscsi (`exists: false` when missing). */
export async function readInitiatorName(file: string): Promise<InitiatorNameFile> {
  const text = await readOptional(file);
  return text === undefined ? { file, exists: false, warnings: [] } : parseInitiatorName(text, file);
}

/** Result of `ensureInitiatorName`. */
export interface EnsuredInitiatorName {
  readonly name: string;
  readonly alias?: string;
  /** Whether this call created the file. */
  readonly created: boolean;
  readonly warnings: DbWarning[];
}

/**
 * Return the initiator name, creating initiatorname.iscsi (0644) with `generateName()`
 * if the file does not exist. An existing file is never rewritten: one without an
 * InitiatorName is an error. Safe against a concurrent creator (exclusive link).
 * @param validate optional check of the name (e.g. src/iscsi/names validateName).
 * @throws ConfigError `NO_INITIATOR_NAME` (errno 7) when the file exists without a name.
 */
export async function ensureInitiatorName(file: string, generateName: () => string, validate?: (name: string) => void): Promise<EnsuredInitiatorName> {
  let current = await readInitiatorName(file);
  if (!current.exists) {
    const name = generateName();
    validate?.(name);
    await mkdir(dirname(file), { recursive: true, mode: 0o755 });
    const text = `## Generated by tsiscsid on first start. Kept across restarts; edit with care:\n## every target ACL that names this initiator must change with it.\nInitiatorName=${name}\n`;
    if (await atomicCreateFile(file, text, 0o644)) return { name, created: true, warnings: [] };
    current = await readInitiatorName(file); // lost a race with another creator: use theirs
  }
  if (current.name === undefined) {
    throw new ConfigError('NO_INITIATOR_NAME', `${file} has no InitiatorName= line; not overwriting it`, { details: { file } });
  }
  validate?.(current.name);
  return { name: current.name, ...(current.alias === undefined ? {} : { alias: current.alias }), created: false, warnings: current.warnings };
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if (errCode(err) === 'ENOENT') return undefined;
    throw dbError('DB_READ_FAILED', `cannot read ${file}: ${errCode(err) ?? String(err)}`, { file }, err);
  }
}
