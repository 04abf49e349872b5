/**
 * The record database opened by tsiscsiadm itself, for when tsiscsid is not running
 * (open-iscsi's iscsiadm always edits its DB itself, reference §1.4). Same store, same
 * lock (src/db/lock.ts: in-process mutex + `<db>/.lock` across processes) as the
 * daemon, so a daemon starting meanwhile never sees a half-written record. New records
 * take their defaults from iscsid.conf, as the daemon's do.
 */
import { readIscsidConf, RecordStore, renderRecord, type KeyTable } from '../../db/index.js';
import type { DaemonPaths } from '../../shared/paths.js';

/** Open the store under `paths` (reads iscsid.conf for new-record defaults). */
export async function openLocalStore(paths: Pick<DaemonPaths, 'config' | 'db'>): Promise<RecordStore> {
  const conf = await readIscsidConf(paths.config);
  return RecordStore.open({ root: paths.db, defaults: conf.defaults });
}

/** A record dump as the API returns it (display form; same as src/daemon/record-view.ts). */
export interface RecordDump {
  entries: [string, string][];
  text: string;
}

/** Render `record` in display form and split it into `[key, value]` entries. */
export function dumpRecord(table: KeyTable, record: Readonly<Record<string, unknown>>, opts: { showSecrets?: boolean | undefined; recordVersion?: string | undefined } = {}): RecordDump {
  const text = renderRecord(table, record, {
    form: 'display',
    showSecrets: opts.showSecrets === true,
    ...(opts.recordVersion === undefined ? {} : { version: opts.recordVersion, compat: opts.recordVersion }),
  });
  const entries: [string, string][] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.indexOf(' = ');
    if (at > 0) entries.push([line.slice(0, at), line.slice(at + 3)]);
  }
  return { entries, text };
}
