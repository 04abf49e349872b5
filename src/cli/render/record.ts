/**
 * Record dumps (reference §5.2, §6.3): `-m node ... -o show`, `-m iface -I x`,
 * `-m discoverydb ... -o show`, `-m fw`, `-m host -C chap`, `-m session -r N` (-P 0):
 *
 *   # BEGIN RECORD 2.1.8
 *   node.name = iqn.2024-01.org.example:disk1
 *   iface.net_ifacename = <empty>                <- unset string
 *   node.session.auth.password = ********        <- set password, no -S
 *   # END RECORD
 *
 * Several records are dumped back to back (no blank line between them). Which keys
 * exist and their order come from the producer (the daemon's key tables).
 */
import { EMPTY, MASKED } from './text.js';
import type { RecordEntryView, RecordView, Rendered } from './types.js';

/** Options of a dump. */
export interface RecordDumpOptions {
  /** `-S/--show`: print passwords instead of `********`. */
  readonly showSecrets?: boolean;
}

/** The printed value of one entry: `<empty>` first, then masking of set secrets. */
export function displayValue(entry: RecordEntryView, showSecrets: boolean): string {
  if (entry.value === '') return EMPTY;
  return entry.secret && !showSecrets ? MASKED : entry.value;
}

/** Lines of one record. */
export function recordLines(record: RecordView, opts: RecordDumpOptions = {}): string[] {
  const show = opts.showSecrets ?? false;
  return [
    `# BEGIN RECORD ${record.version}`,
    ...record.entries.map((e) => `${e.key} = ${displayValue(e, show)}`),
    '# END RECORD',
  ];
}

/** Dump records one after the other on stdout. */
export function renderRecords(records: readonly RecordView[], opts: RecordDumpOptions = {}): Rendered {
  return { stdout: records.flatMap((r) => recordLines(r, opts)), stderr: [] };
}
