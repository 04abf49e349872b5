/**
 * host.chap.list/set/delete, host.flashnode.list/op, host.stats: the offload host
 * tables of `iscsiadm -m host -H N -C chap|flashnode|stats` (reference §6.7), driven
 * through NETLINK_ISCSI (src/transport/kernel/host-chap.ts, flashnode.ts, host-stats.ts).
 * CHAP secrets never reach the log: only indexes and types are logged.
 */
import { hostChapDelete } from '../../control/methods/host-chap-delete.js';
import { hostChapList } from '../../control/methods/host-chap-list.js';
import { hostChapSet } from '../../control/methods/host-chap-set.js';
import { hostFlashnodeList } from '../../control/methods/host-flashnode-list.js';
import { hostFlashnodeOp } from '../../control/methods/host-flashnode-op.js';
import { hostStats } from '../../control/methods/host-stats.js';
import type { AnyMethod } from '../../control/method.js';
import { ConfigError, IscsiError, ISCSI_ERR, ISCSI_ERR_TEXT } from '../../shared/errors.js';
import { flashnodeIndexes, flashnodeOp, flashnodeParams, flashnodeValue, newFlashnode, readFlashnode } from '../../transport/kernel/flashnode.js';
import { chapEntryFromParams, chapRecordEntries, deleteChapEntry, readChapTable, writeChapEntry } from '../../transport/kernel/host-chap.js';
import { hostStatsRows, readHostStats } from '../../transport/kernel/host-stats.js';
import { bind, type HandlerContext } from './context.js';
import { realHostKernel, withHostDriver, type HostKernelAccess } from './host-kernel.js';

const MASK = '********';
const shown = (show: boolean) => (e: { key: string; value: string; secret: boolean }) => (e.secret && !show && e.value !== '' ? { ...e, value: MASK } : e);

export function hostOffloadMethods(ctx: HandlerContext, access: HostKernelAccess = realHostKernel()): AnyMethod[] {
  const log = ctx.log.child({ component: 'host-offload' });
  return [
    bind(hostChapList, (p) => withHostDriver(access, p.hostNo, log, async (driver, transport) => {
      const table = await readChapTable(driver, p.hostNo);
      return {
        hostNo: p.hostNo, transport,
        entries: table.map((r) => ({ index: r.chapTblIdx, type: r.type, record: chapRecordEntries(r).map(shown(p.showSecrets === true)) })),
      };
    })),
    bind(hostChapSet, (p) => withHostDriver(access, p.hostNo, log, async (driver) => {
      const entry = chapEntryFromParams(p.index, p.params);
      await writeChapEntry(driver, p.hostNo, entry);
      log.info({ hostNo: p.hostNo, index: entry.index, type: entry.type }, `host${p.hostNo}: CHAP entry ${entry.index} written`);
      return { hostNo: p.hostNo, index: entry.index, type: entry.type };
    })),
    bind(hostChapDelete, (p) => withHostDriver(access, p.hostNo, log, async (driver) => {
      await deleteChapEntry(driver, p.hostNo, p.index);
      log.info({ hostNo: p.hostNo, index: p.index }, `host${p.hostNo}: CHAP entry ${p.index} deleted`);
      return { hostNo: p.hostNo, index: p.index };
    })),
    bind(hostStats, (p) => withHostDriver(access, p.hostNo, log, async (driver, transport) => {
      const { stats } = await readHostStats(driver, p.hostNo);
      return { hostNo: p.hostNo, transport, counters: hostStatsRows(stats) };
    })),
    bind(hostFlashnodeList, (p) => withHostDriver(access, p.hostNo, log, async (_driver, transport) => {
      const indexes = p.index === undefined ? await flashnodeIndexes(access.sysfsRoot, p.hostNo) : [p.index];
      const flashnodes = [];
      for (const index of indexes) {
        const rec = await readFlashnode(access.sysfsRoot, p.hostNo, index);
        if (rec === undefined) {
          if (p.index === undefined) continue;
          throw new IscsiError('FLASHNODE_NOT_FOUND', `Could not read info for flashnode ${index} of host ${p.hostNo}, ${ISCSI_ERR_TEXT[ISCSI_ERR.NO_OBJS_FOUND] ?? ''}`, {
            errno: ISCSI_ERR.NO_OBJS_FOUND, details: { hostNo: p.hostNo, index },
          });
        }
        flashnodes.push({ index, record: rec.entries.map(shown(p.showSecrets === true)) });
      }
      return { hostNo: p.hostNo, transport, flashnodes };
    })),
    bind(hostFlashnodeOp, (p) => withHostDriver(access, p.hostNo, log, async (driver) => {
      if (p.op === 'new') {
        const index = await newFlashnode(driver, p.hostNo, p.portalType ?? 'ipv4');
        log.info({ hostNo: p.hostNo, index }, `host${p.hostNo}: flashnode ${index} created`);
        return { hostNo: p.hostNo, index, outcome: 'done' as const };
      }
      if (p.index === undefined) throw new ConfigError('FLASHNODE_INDEX_REQUIRED', 'Invalid flashnode index', { details: { field: 'index' } });
      const index = p.index;
      const rec = await readFlashnode(access.sysfsRoot, p.hostNo, index);
      if (p.op === 'login' || p.op === 'logout') {
        await flashnodeOp(driver, p.hostNo, index, { kind: p.op });
      } else if (p.op === 'update') {
        const portal = rec === undefined ? 'ipv4' : flashnodeValue(rec, 'session.portal_type') === 'ipv6' ? 'ipv6' : 'ipv4';
        await flashnodeOp(driver, p.hostNo, index, { kind: 'update', params: flashnodeParams(p.params ?? [], portal) });
      } else {
        await flashnodeOp(driver, p.hostNo, index, { kind: 'delete' });
      }
      log.info({ hostNo: p.hostNo, index, op: p.op }, `host${p.hostNo}: flashnode ${index} ${p.op}`);
      return { hostNo: p.hostNo, index, outcome: 'done' as const };
    })),
  ];
}

