/**
 * Firmware (iBFT) methods (src/control/methods/firmware.ts): `firmware.login` and
 * `discovery.firmware`. The CLI sends the targets it read from sysfs; records follow
 * src/discovery/firmware.ts (TPGT 1, iface default, fw discovery type, onboot, CHAP and
 * initiator name from the firmware), logins add the boot overrides.
 *
 * Records get open-iscsi's discovery ops (reference §5.6) like SendTargets does
 * (db/discovery-ops.ts), with the firmware values part of the fresh record so that an
 * unchanged firmware leaves the records unchanged: `new` creates missing records,
 * `update` refreshes existing ones (keeping keys the user edited, merge-rules.ts),
 * `delete` removes fw records the firmware no longer names (unless a session uses them),
 * `nonpersistent` only computes the records.
 */
import { discoveryFirmware, firmwareLogin } from '../../control/methods/firmware.js';
import type { AnyMethod } from '../../control/method.js';
import type { NodeKey, NodeRecord } from '../../db/index.js';
import { freshNodeRecord, mergeRediscovered, sameRecord } from '../../db/merge-rules.js';
import { BOOT_LOGIN_OVERRIDES, firmwareNodeKey, firmwareRecordValues, type FirmwareTarget } from '../../discovery/firmware.js';
import { ConfigError } from '../../shared/errors.js';
import { firstErrnoOf, itemErrorOf, type ItemError } from '../outcomes.js';
import { bind, type HandlerContext } from './context.js';

const FW = { type: 'fw' } as const;
type Op = 'new' | 'update' | 'delete' | 'nonpersistent';

const idOf = (k: NodeKey): string => JSON.stringify([k.target, k.address, k.port, k.tpgt, k.iface]);

interface Applied {
  /** Effective record per target, firmware order (what logins use). */
  records: NodeRecord[];
  created: NodeKey[];
  updated: NodeKey[];
  unchanged: NodeKey[];
  skipped: NodeKey[];
  deleted: NodeKey[];
  kept: NodeKey[];
  failed: { node: NodeKey; error: ItemError }[];
}

/** The fresh record of a firmware target: new-record defaults, the iface, the firmware's values. */
async function freshRecord(ctx: HandlerContext, t: FirmwareTarget): Promise<NodeRecord> {
  const key = firmwareNodeKey(t);
  const iface = await ctx.store.ifaces.get(key.iface);
  if (!iface) throw new ConfigError('IFACE_NOT_FOUND', `iface '${key.iface}' does not exist`, { details: { iface: key.iface } });
  return { ...freshNodeRecord(ctx.store.defaults.node, key, FW, iface.record), ...firmwareRecordValues(t) } as NodeRecord;
}

/** Apply `ops` to the firmware records of `targets` (see module comment). */
async function applyFirmware(ctx: HandlerContext, targets: readonly FirmwareTarget[], opList: readonly Op[]): Promise<Applied> {
  const ops = new Set<Op>(opList.length > 0 ? opList : ['new', 'update', 'delete']);
  const persist = !ops.has('nonpersistent');
  const out: Applied = { records: [], created: [], updated: [], unchanged: [], skipped: [], deleted: [], kept: [], failed: [] };
  const seen = new Set<string>();
  for (const t of targets) {
    const key = firmwareNodeKey(t);
    if (seen.has(idOf(key))) continue;
    seen.add(idOf(key));
    try {
      const fresh = await freshRecord(ctx, t);
      const existing = await ctx.store.getNode(key);
      if (!existing) {
        out.records.push(fresh);
        if (persist && ops.has('new')) {
          await ctx.store.putNode(fresh, { edited: [] });
          out.created.push(key);
        } else out.skipped.push(key);
        continue;
      }
      if (persist && !ops.has('update')) {
        out.records.push(existing.record);
        out.unchanged.push(key);
        continue;
      }
      const merged = mergeRediscovered(fresh, existing.record, existing.edited);
      out.records.push(merged);
      if (!persist) out.skipped.push(key);
      else if (sameRecord(merged, existing.record)) out.unchanged.push(key);
      else {
        await ctx.store.putNode(merged, { overwrite: true, edited: existing.edited });
        out.updated.push(key);
      }
    } catch (err) {
      out.failed.push({ node: key, error: itemErrorOf(err) });
    }
  }
  if (persist && ops.has('delete')) {
    for (const e of (await ctx.store.listSourceNodes(FW)).items) {
      if (seen.has(idOf(e.key))) continue;
      if (ctx.sessions.isBusy(e.key)) {
        out.kept.push(e.key);
        continue;
      }
      try {
        await ctx.store.deleteNode(e.key);
        out.deleted.push(e.key);
      } catch (err) {
        out.failed.push({ node: e.key, error: itemErrorOf(err) });
      }
    }
  }
  return out;
}

/** The record a boot login uses: firmware values plus the boot overrides. */
function bootRecord(rec: Readonly<NodeRecord>): NodeRecord {
  return { ...rec, ...BOOT_LOGIN_OVERRIDES } as NodeRecord;
}

export function firmwareMethods(ctx: HandlerContext): AnyMethod[] {
  return [
    bind(firmwareLogin, async (p) => {
      // `-m fw -l` does not touch the record database (open-iscsi's exec_fw_op).
      const { records } = await applyFirmware(ctx, p.targets, ['nonpersistent']);
      const results = await ctx.sessions.loginRecords(records.map(bootRecord));
      return { results, firstErrno: firstErrnoOf(results) };
    }),
    bind(discoveryFirmware, async (p) => {
      const a = await applyFirmware(ctx, p.targets, p.ops ?? []);
      if (a.created.length + a.updated.length + a.deleted.length > 0) {
        ctx.emit({ type: 'discovery.changed', source: FW, created: a.created, updated: a.updated, deleted: a.deleted });
      }
      const logins = p.login ? await ctx.sessions.loginRecords(a.records) : undefined;
      return {
        portals: p.targets.map(firmwareNodeKey),
        created: a.created, updated: a.updated, unchanged: a.unchanged, skipped: a.skipped, deleted: a.deleted, kept: a.kept, failed: a.failed,
        ...(logins ? { logins } : {}),
        firstErrno: firstErrnoOf([...a.failed, ...(logins ?? [])]),
        warnings: [],
      };
    }),
  ];
}
