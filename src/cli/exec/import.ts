/**
 * `--import-open-iscsi[=ROOT]` (our extension): copy an existing open-iscsi record
 * database (ifaces, discovery records, node records) into tsiscsid's. The records
 * belong to the daemon, so the daemon does the copy; this asks for its import method
 * (`db.import`, params `{source}`) and reports clearly when the daemon has none.
 * ROOT defaults to /var/lib/iscsi when it holds a database, else /etc/iscsi (Debian).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { jsonDocument } from '../render/json.js';
import type { ExecContext } from './context.js';
import { failWith, unexpected } from './report.js';

/** Daemon methods that can import an open-iscsi database, in order of preference. */
export const IMPORT_METHODS = ['db.import', 'import.openIscsi'] as const;

/** The open-iscsi database to read when none is named. */
export function defaultImportRoot(exists: (p: string) => boolean = existsSync): string {
  const meson = '/var/lib/iscsi';
  return ['nodes', 'send_targets', 'ifaces'].some((d) => exists(join(meson, d))) ? meson : '/etc/iscsi';
}

interface ImportAnswer {
  readonly imported?: readonly unknown[];
  readonly skipped?: ReadonlyArray<{ id?: string; reason?: string }>;
  readonly warnings?: ReadonlyArray<{ message?: string }>;
}

/** Run the import; returns the exit status. */
export async function importOpenIscsi(ctx: ExecContext, source = defaultImportRoot()): Promise<number> {
  try {
    const offered = await ctx.api.methods();
    const method = IMPORT_METHODS.find((m) => offered.includes(m));
    if (method === undefined) {
      return failWith(ctx, 27, `--import-open-iscsi: this tsiscsid has no import method (${IMPORT_METHODS[0]}); nothing was imported from ${source}`);
    }
    const r = (await ctx.api.callAny(method, { source }, { timeoutMs: 0 })) as ImportAnswer;
    const imported = r.imported?.length ?? 0;
    const skipped = r.skipped ?? [];
    ctx.io.text({
      stdout: [`Imported ${imported} record${imported === 1 ? '' : 's'} from ${source}${skipped.length > 0 ? `, skipped ${skipped.length}` : ''}.`],
      stderr: [...skipped.map((s) => `iscsiadm: skipped ${s.id ?? '?'}: ${s.reason ?? 'unknown reason'}`), ...(r.warnings ?? []).map((w) => `iscsiadm: ${w.message ?? 'warning'}`)],
    });
    ctx.io.doc(() => jsonDocument('import', { source, ...r }));
    return 0;
  } catch (err) {
    return unexpected(ctx, err);
  }
}
