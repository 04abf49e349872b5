/**
 * Discovery records: discovery.list / show / new / update / delete (RecordStore), and
 * discovery.sendtargets (sendtargets.ts).
 */
import { discoveryDelete } from '../../control/methods/discovery-delete.js';
import { discoveryList } from '../../control/methods/discovery-list.js';
import { discoveryNew } from '../../control/methods/discovery-new.js';
import { discoveryShow } from '../../control/methods/discovery-show.js';
import { discoveryUpdate } from '../../control/methods/discovery-update.js';
import type { AnyMethod } from '../../control/method.js';
import { ISNS_PORT, ISNS_TABLE, ISCSI_PORT, SENDTARGETS_TABLE, sourceOfNode, type NodeKey, type RecordSource } from '../../db/index.js';
import { notFound } from '../../db/warnings.js';
import { dumpRecord } from '../record-view.js';
import { bind, type HandlerContext } from './context.js';
import { isnsMethod } from './isns.js';
import { sendTargetsMethod } from './sendtargets.js';

/** The record source of a request (type defaults to sendtargets, port to the type's default). */
function sourceOf(p: { type?: 'sendtargets' | 'isns' | undefined; address: string; port?: number | undefined }): RecordSource {
  const type = p.type ?? 'sendtargets';
  return { type, address: p.address, port: p.port ?? (type === 'isns' ? ISNS_PORT : ISCSI_PORT) };
}

export function discoveryMethods(ctx: HandlerContext): AnyMethod[] {
  return [
    sendTargetsMethod(ctx),
    isnsMethod(ctx),
    bind(discoveryList, async () => {
      const [records, nodes] = await Promise.all([ctx.store.listDiscovery(), ctx.store.listNodes()]);
      const bySource = new Map<string, NodeKey[]>();
      for (const e of nodes.items) {
        const s = sourceOfNode(e.record);
        const id = 'address' in s ? `${s.type}|${s.address}|${s.port}` : s.type;
        bySource.set(id, [...(bySource.get(id) ?? []), e.key]);
      }
      const nodesOf = (type: string, address: string, port: number): NodeKey[] => bySource.get(`${type === 'sendtargets' ? 'sendtargets' : type}|${address}|${port}`) ?? [];
      return {
        records: records.items.map((r) => ({ type: r.source.type, address: r.source.address, port: r.source.port, nodes: nodesOf(r.source.type, r.source.address, r.source.port) })),
        static: bySource.get('static') ?? [],
        firmware: bySource.get('fw') ?? [],
        isnsUnlisted: [...bySource].filter(([id]) => id.startsWith('isns|') && !records.items.some((r) => `isns|${r.source.address}|${r.source.port}` === id)).flatMap(([, keys]) => keys),
        warnings: [...records.warnings, ...nodes.warnings],
      };
    }),
    bind(discoveryShow, async (p) => {
      const source = sourceOf(p);
      const entry = await ctx.store.getDiscovery(source);
      if (!entry) throw notFound('discovery record', { ...source });
      const table = source.type === 'isns' ? ISNS_TABLE : SENDTARGETS_TABLE;
      return { ...source, record: dumpRecord(table, entry.record, p), warnings: [...entry.warnings] };
    }),
    bind(discoveryNew, async (p) => {
      const source = sourceOf(p);
      await ctx.store.createDiscovery(source, p.values ?? {});
      return source;
    }),
    bind(discoveryUpdate, async (p) => {
      const source = sourceOf(p);
      await ctx.store.updateDiscovery(source, p.values);
      return { ...source, keys: Object.keys(p.values) };
    }),
    bind(discoveryDelete, async (p) => {
      const source = sourceOf(p);
      const deletedNodes = await ctx.store.deleteDiscovery(source, { isBusy: (k) => ctx.sessions.isBusy(k) });
      if (deletedNodes.length > 0) ctx.emit({ type: 'discovery.changed', source, created: [], updated: [], deleted: deletedNodes });
      return { ...source, deletedNodes };
    }),
  ];
}
