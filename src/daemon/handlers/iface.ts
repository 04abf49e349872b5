/** Iface mode: iface.list / show / new / update / delete (RecordStore.ifaces). */
import { ifaceDelete } from '../../control/methods/iface-delete.js';
import { ifaceList } from '../../control/methods/iface-list.js';
import { ifaceNew } from '../../control/methods/iface-new.js';
import { ifaceShow } from '../../control/methods/iface-show.js';
import { ifaceUpdate } from '../../control/methods/iface-update.js';
import type { AnyMethod } from '../../control/method.js';
import { IFACE_TABLE, type NodeKey } from '../../db/index.js';
import { notFound } from '../../db/warnings.js';
import { dumpRecord } from '../record-view.js';
import { bind, type HandlerContext } from './context.js';

export function ifaceMethods(ctx: HandlerContext): AnyMethod[] {
  return [
    bind(ifaceList, async () => {
      const [ifaces, nodes] = await Promise.all([ctx.store.ifaces.list({ includeBuiltins: true }), ctx.store.listNodes()]);
      const byIface = new Map<string, NodeKey[]>();
      for (const e of nodes.items) byIface.set(e.key.iface, [...(byIface.get(e.key.iface) ?? []), e.key]);
      return {
        ifaces: ifaces.items.map((i) => ({
          name: i.name, builtin: i.builtin,
          transport: i.record['iface.transport_name'], hwAddress: i.record['iface.hwaddress'], ipAddress: i.record['iface.ipaddress'],
          netIfacename: i.record['iface.net_ifacename'], initiatorName: i.record['iface.initiatorname'],
          nodes: byIface.get(i.name) ?? [],
        })),
        warnings: [...ifaces.warnings, ...nodes.warnings],
      };
    }),
    bind(ifaceShow, async (p) => {
      const e = await ctx.store.ifaces.get(p.name);
      if (!e) throw notFound(`iface ${p.name}`, { iface: p.name });
      return { name: e.name, builtin: e.builtin, record: dumpRecord(IFACE_TABLE, e.record, p), warnings: [...e.warnings] };
    }),
    bind(ifaceNew, async (p) => {
      const e = await ctx.store.ifaces.create(p.name, p.values ?? {});
      return { name: e.name };
    }),
    bind(ifaceUpdate, async (p) => {
      const e = await ctx.store.ifaces.update(p.name, p.values);
      return { name: e.name, keys: Object.keys(p.values) };
    }),
    bind(ifaceDelete, async (p) => {
      await ctx.store.ifaces.delete(p.name, { isBusy: (k) => ctx.sessions.isBusy(k) });
      return { name: p.name };
    }),
  ];
}
