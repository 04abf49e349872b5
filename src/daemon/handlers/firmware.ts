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
import type { DiscoveryOp, NodeRecord } from '../../db/index.js';
import { nodeKeyId } from '../../db/discovery-ops.js';
import { BOOT_LOGIN_OVERRIDES, firmwareNodeKey, firmwareRecordValues, type FirmwareTarget } from '../../discovery/firmware.js';
import { firstErrnoOf, itemErrorOf } from '../outcomes.js';
import { bind, type HandlerContext } from './context.js';

const FW = { type: 'fw' } as const;

/** The firmware's records with the discovery ops (db/discovery-ops.ts), firmware values in the fresh record. */
async function applyFirmware(ctx: HandlerContext, targets: readonly FirmwareTarget[], ops: readonly DiscoveryOp[]) {
  const values = new Map<string, Record<string, string>>();
  for (const t of targets) {
    const id = nodeKeyId(firmwareNodeKey(t));
    if (!values.has(id)) values.set(id, firmwareRecordValues(t));
  }
  const applied = await ctx.store.applyDiscovery(FW, targets.map(firmwareNodeKey), {
    ops, isBusy: (k) => ctx.sessions.isBusy(k), values: (k) => values.get(nodeKeyId(k)),
  });
  return { ...applied, failed: applied.failed.map((f) => ({ node: f.key, error: itemErrorOf(f.error) })) };
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
