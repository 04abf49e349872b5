/**
 * Records as the API returns them: the display form `-o show` prints (`<empty>`
 * placeholders, passwords `********` unless secrets are asked for) both as ordered
 * `[key, value]` pairs and as the rendered text.
 */
import { renderRecord, type KeyTable } from '../db/index.js';

/** A record dump (control/methods/schemas.ts `recordDump`). */
export interface RecordDump {
  entries: [string, string][];
  text: string;
}

/** Options of a dump: `-S` and the open-iscsi version to mimic. */
export interface DumpOptions {
  showSecrets?: boolean | undefined;
  recordVersion?: string | undefined;
}

/** Render `record` in display form and split it into entries. */
export function dumpRecord(table: KeyTable, record: Readonly<Record<string, unknown>>, opts: DumpOptions = {}): RecordDump {
  const text = renderRecord(table, record, {
    form: 'display',
    showSecrets: opts.showSecrets === true,
    ...(opts.recordVersion === undefined ? {} : { version: opts.recordVersion, compat: opts.recordVersion }),
  });
  return { entries: entriesOf(text), text };
}

/** `key = value` lines of rendered text (comments skipped). */
export function entriesOf(text: string): [string, string][] {
  const out: [string, string][] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.indexOf(' = ');
    if (at > 0) out.push([line.slice(0, at), line.slice(at + 3)]);
  }
  return out;
}
