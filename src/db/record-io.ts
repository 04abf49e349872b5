/**
 * Reading and writing one record file of any kind. Reading never throws for bad
 * content: the record starts from the compiled-in defaults (as open-iscsi, §5.2), the
 * file's valid lines are overlaid, and every problem is returned as a warning.
 * Writing is atomic (atomic.ts) with mode 0600 when the record holds a password.
 */
import { readFile } from 'node:fs/promises';
import { atomicWriteFile, errCode, PUBLIC_FILE_MODE, SECRET_FILE_MODE } from './atomic.js';
import { parseRecordText, renderRecord, type ParsedText } from './format.js';
import type { KeyTable } from './keys/index.js';
import { decodeEntries, defaultsOf } from './schema.js';
import type { KeyValue } from './values.js';
import { dbError, type DbWarning } from './warnings.js';

/** A record read from disk. */
export interface LoadedRecord {
  readonly record: Record<string, KeyValue>;
  readonly warnings: DbWarning[];
  /** Keys the file set successfully. */
  readonly seen: Set<string>;
  /** Syntax-level view (version, edited annotations). */
  readonly parsed: ParsedText;
}

/** Decode record text (pure). */
export function decodeRecordText(table: KeyTable, text: string, file: string): LoadedRecord {
  const parsed = parseRecordText(text, file);
  const warnings = [...parsed.warnings];
  if (text.length === 0) warnings.push({ code: 'RECORD_EMPTY', file, message: 'record file is empty; using defaults' });
  else if (parsed.hasBegin && !parsed.hasEnd) {
    warnings.push({ code: 'RECORD_TRUNCATED', file, message: "record has '# BEGIN RECORD' but no '# END RECORD' (truncated?)" });
  }
  const decoded = decodeEntries(table, parsed.entries, file, defaultsOf(table));
  const all = [...warnings, ...decoded.warnings].sort((a, b) => (a.line ?? 0) - (b.line ?? 0)); // file order
  return { record: decoded.record, warnings: all, seen: decoded.seen, parsed };
}

/**
 * Read a record file. Returns undefined when the file does not exist.
 * @throws IscsiError `DB_READ_FAILED` (errno 6) for other I/O errors.
 */
export async function readRecordFile(table: KeyTable, file: string): Promise<LoadedRecord | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (errCode(err) === 'ENOENT') return undefined;
    throw dbError('DB_READ_FAILED', `cannot read ${file}: ${errCode(err) ?? String(err)}`, { file }, err);
  }
  return decodeRecordText(table, text, file);
}

/** File mode for a record: 0600 when any password key is set, else 0644. */
export function modeFor(table: KeyTable, record: Readonly<Record<string, unknown>>): number {
  const secret = table.keys.some((d) => d.type === 'password' && typeof record[d.key] === 'string' && record[d.key] !== '');
  return secret ? SECRET_FILE_MODE : PUBLIC_FILE_MODE;
}

/** Options of `writeRecordFile`. */
export interface WriteOptions {
  /** `# tsiscsi-edited:` annotations (node records). */
  readonly edited?: readonly string[];
  /** Version written in `# BEGIN RECORD`. */
  readonly version?: string;
}

/** Atomically write a record file in file form. */
export async function writeRecordFile(table: KeyTable, file: string, record: Readonly<Record<string, unknown>>, opts: WriteOptions = {}): Promise<void> {
  const text = renderRecord(table, record, {
    form: 'file',
    ...(opts.version === undefined ? {} : { version: opts.version }),
    ...(opts.edited === undefined ? {} : { edited: opts.edited.length === 0 ? [''] : opts.edited }),
  });
  try {
    await atomicWriteFile(file, text, modeFor(table, record));
  } catch (err) {
    throw dbError('DB_WRITE_FAILED', `cannot write ${file}: ${errCode(err) ?? String(err)}`, { file }, err);
  }
}

/**
 * Run a per-record read inside a listing: an I/O failure (EACCES, EISDIR...) becomes an
 * `UNREADABLE` warning for that file and the listing goes on with the other records.
 */
export async function orWarn<T>(warnings: DbWarning[], file: string, read: () => Promise<T | undefined>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    warnings.push({ code: 'UNREADABLE', file, message: err instanceof Error ? err.message : String(err) });
    return undefined;
  }
}
