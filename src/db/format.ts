/**
 * The open-iscsi record text format (reference §5.2), used for node/iface/discovery
 * records and for iscsid.conf:
 *
 *   # BEGIN RECORD 2.1.11          <- a comment; carries the writer's version
 *   node.name = iqn.2001-04.com.example:disk1
 *   node.tpgt = 1
 *   ...
 *   # END RECORD                   <- a comment; its absence means a truncated file
 *
 * Parser rules: lines longer than 2047 bytes are skipped; surrounding whitespace is
 * stripped; `#` starts a comment line; the key runs to the first whitespace or `=`;
 * then optional blanks, `=`, optional blanks, and the value is the rest of the line
 * (must be non-empty); keys over 127 and values over 255 bytes are refused (open-iscsi
 * would truncate them). Every skipped line yields a `DbWarning` with file and line.
 *
 * tsiscsi keeps one private annotation inside its own files, as comment lines that
 * open-iscsi ignores: `# tsiscsi-edited: <key>` marks a key the user edited (see
 * store-merge.ts).
 */
import type { KeyDef, KeyTable, ShowItem } from './keys/types.js';
import { compareVersions, displayValue, formatValue, isEmptyString, sameValue } from './values.js';
import type { DbWarning } from './warnings.js';

/** Record parser limits (Appendix B). */
export const LIMITS = { lineBytes: 2047, keyBytes: 127, valueBytes: 255 } as const;

/** The version written in `# BEGIN RECORD <version>` by default. */
export const RECORD_VERSION = '2.1.11';

const BEGIN = '# BEGIN RECORD';
const END = '# END RECORD';
const EDITED = '# tsiscsi-edited:';

/** One `key = value` line. */
export interface RecordLine {
  readonly key: string;
  readonly value: string;
  readonly line: number;
}

/** Syntax-level result of reading a record or config file. */
export interface ParsedText {
  readonly entries: RecordLine[];
  /** Keys listed by `# tsiscsi-edited:` annotations. */
  readonly edited: string[];
  /** Version from `# BEGIN RECORD <version>`, when present. */
  readonly version?: string;
  readonly hasBegin: boolean;
  readonly hasEnd: boolean;
  readonly warnings: DbWarning[];
}

/** Split record text into `key = value` entries; problems become warnings (never thrown). */
export function parseRecordText(text: string, file: string): ParsedText {
  const entries: RecordLine[] = [];
  const edited: string[] = [];
  const warnings: DbWarning[] = [];
  let version: string | undefined;
  let hasBegin = false;
  let hasEnd = false;
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((rawLine, index) => {
    const line = index + 1;
    if (Buffer.byteLength(rawLine, 'utf8') > LIMITS.lineBytes) {
      warnings.push({ code: 'LINE_TOO_LONG', file, line, message: `line longer than ${LIMITS.lineBytes} bytes skipped` });
      return;
    }
    const text = rawLine.trim();
    if (text === '') return;
    if (text.includes('\0')) {
      warnings.push({ code: 'BINARY_DATA', file, line, message: 'line contains NUL bytes; skipped' });
      return;
    }
    if (text.startsWith('#')) {
      if (text.startsWith(BEGIN)) {
        hasBegin = true;
        version = text.slice(BEGIN.length).trim() || undefined;
      } else if (text.startsWith(END)) hasEnd = true;
      else if (text.startsWith(EDITED)) edited.push(text.slice(EDITED.length).trim());
      return;
    }
    const parsed = splitLine(text, file, line);
    if ('code' in parsed) warnings.push(parsed);
    else entries.push(parsed);
  });
  return { entries, edited, ...(version === undefined ? {} : { version }), hasBegin, hasEnd, warnings };
}

function splitLine(text: string, file: string, line: number): RecordLine | DbWarning {
  const m = /^([^\s=]+)\s*(=?)\s*(.*)$/.exec(text);
  const key = m?.[1] ?? '';
  if (!m || m[2] !== '=') return { code: 'SYNTAX', file, line, message: `expected 'key = value', got '${clip(text)}'` };
  const value = m[3] ?? '';
  if (Buffer.byteLength(key, 'utf8') > LIMITS.keyBytes) {
    return { code: 'KEY_TOO_LONG', file, line, message: `key longer than ${LIMITS.keyBytes} bytes skipped` };
  }
  if (value === '') return { code: 'EMPTY_VALUE', file, line, key, message: `no value for '${key}'` };
  if (Buffer.byteLength(value, 'utf8') > LIMITS.valueBytes) {
    return { code: 'VALUE_TOO_LONG', file, line, key, message: `value of '${key}' longer than ${LIMITS.valueBytes} bytes skipped` };
  }
  return { key, value, line };
}

function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** How to render a record. */
export interface RenderOptions {
  /** `file`: what is stored; `display`: what `-o show` prints. */
  readonly form: 'file' | 'display';
  /** Display form: print passwords instead of `********` (`-S/--show`). */
  readonly showSecrets?: boolean;
  /** Version for `# BEGIN RECORD`; default RECORD_VERSION. */
  readonly version?: string;
  /** Leave out keys newer than this open-iscsi version (e.g. `2.1.8`). */
  readonly compat?: string;
  /** File form: keys to list as `# tsiscsi-edited:` annotations. */
  readonly edited?: Iterable<string>;
}

/**
 * Render a typed record. File form omits empty strings and hidden keys and writes
 * passwords in clear; display form prints `<empty>` and masks passwords (§5.2, §6.3).
 * Keys of the iface block not selected for this record's address family are printed
 * only when they hold a non-default value, so nothing set is ever lost on rewrite.
 */
export function renderRecord(table: KeyTable, record: Readonly<Record<string, unknown>>, opts: RenderOptions): string {
  const out: string[] = [`${BEGIN} ${opts.version ?? RECORD_VERSION}`];
  // An empty key ('') writes a bare marker: "tracked, nothing edited".
  if (opts.form === 'file') for (const key of new Set(opts.edited ?? [])) out.push(key === '' ? EDITED : `${EDITED} ${key}`);
  const defs = new Map(table.keys.map((d) => [d.key, d]));
  const order: readonly ShowItem[] = opts.form === 'display' && table.show ? table.show : table.keys;
  const block = table.ipBlocks ? ipBlockOf(record, opts.form) : undefined;
  for (const item of order) {
    const def = defs.get(item.key);
    if (!def || def.hidden) continue;
    if (opts.compat !== undefined && def.since !== undefined && compareVersions(def.since, opts.compat) > 0) continue;
    const value = record[def.key];
    if (item.block !== undefined && item.block !== block && sameValue(value, def.def)) continue;
    if (opts.form === 'file') {
      if (!isEmptyString(def, value)) out.push(`${def.key} = ${formatValue(def, value)}`);
    } else out.push(`${def.key} = ${displayValue(def, value, opts.showSecrets ?? false)}`);
  }
  out.push(END);
  return `${out.join('\n')}\n`;
}

/**
 * Which iface block a record prints (reference §5.4). Files follow usr/idbm: with an
 * address set (not `default`/`<empty>`), IPv6 when it has no `.` and bootproto is not
 * `dhcp`; without one, by name (`ipv4` in the name wins, then `ipv6`, else IPv4). The screen follows
 * libopeniscsiusr: IPv6 when the iface name contains `ipv6`.
 */
export function ipBlockOf(record: Readonly<Record<string, unknown>>, form: 'file' | 'display'): 'ipv4' | 'ipv6' {
  const name = String(record['iface.iscsi_ifacename'] ?? '');
  const addr = String(record['iface.ipaddress'] ?? '');
  if (form === 'display') return name.includes('ipv6') ? 'ipv6' : 'ipv4';
  if (addr === '' || addr === 'default' || addr === '<empty>') {
    return !name.includes('ipv4') && name.includes('ipv6') ? 'ipv6' : 'ipv4';
  }
  return record['iface.bootproto'] !== 'dhcp' && !addr.includes('.') ? 'ipv6' : 'ipv4';
}

/** Every key of a table that is written or shown (not hidden). */
export function visibleKeys(table: KeyTable): KeyDef[] {
  return table.keys.filter((d) => !d.hidden);
}
