/**
 * Record methods answered by tsiscsiadm itself when tsiscsid is not running: the same
 * names, params and results as the daemon's (src/daemon/handlers/node.ts, iface.ts,
 * discovery.ts), over the same RecordStore. No session exists without the daemon, so
 * no record is busy.
 */
import {
  IFACE_TABLE, ISNS_PORT, ISNS_TABLE, ISCSI_PORT, NODE_TABLE, SENDTARGETS_TABLE, sourceOfNode, validatePatch,
  type NodeKey, type NodePattern, type PatchValue, type RecordSource, type RecordStore,
} from '../../db/index.js';
import { notFound } from '../../db/warnings.js';
import { IscsiError, ISCSI_ERR } from '../../shared/errors.js';
import { dumpRecord } from './store.js';

type P = Record<string, unknown>;
type Handler = (store: RecordStore, p: P) => Promise<unknown>;
type ItemError = { errno: number; code: string; message: string };

function itemError(err: unknown): ItemError {
  if (err instanceof IscsiError) return { errno: err.errno, code: err.code, message: err.message };
  return { errno: ISCSI_ERR.INTERNAL, code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}

function firstErrno(items: ReadonlyArray<object>): number {
  for (const i of items) if ('error' in i) return (i.error as ItemError).errno;
  return 0;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

function patternOf(p: P): NodePattern {
  const out: { -readonly [K in keyof NodePattern]: NodePattern[K] } = {};
  if (str(p.target) !== undefined) out.target = str(p.target)!;
  if (str(p.address) !== undefined) out.address = str(p.address)!;
  if (num(p.port) !== undefined) out.port = num(p.port)!;
  if (str(p.iface) !== undefined) out.iface = str(p.iface)!;
  if (str(p.transport) !== undefined) out.transport = str(p.transport)!;
  return out;
}

async function findOrFail(store: RecordStore, p: P) {
  const found = await store.findNodes(patternOf(p));
  if (found.items.length === 0) {
    throw new IscsiError('NO_RECORDS_FOUND', 'no node records found matching the given target/portal/iface', { errno: ISCSI_ERR.NO_OBJS_FOUND, details: { ...patternOf(p) } });
  }
  return found.items;
}

function values(p: P): Record<string, PatchValue> {
  return { ...((p.values ?? {}) as Record<string, PatchValue>) };
}

function sourceOf(p: P): RecordSource {
  const type = p.type === 'isns' ? 'isns' : 'sendtargets';
  return { type, address: String(p.address), port: num(p.port) ?? (type === 'isns' ? ISNS_PORT : ISCSI_PORT) };
}

const node: Record<string, Handler> = {
  'node.list': async (store, p) => {
    const found = await store.findNodes(patternOf(p));
    return {
      nodes: found.items.map((e) => ({ node: e.key, startup: e.record['node.startup'], transport: e.record['iface.transport_name'], source: sourceOfNode(e.record), inUse: false })),
      warnings: found.warnings,
    };
  },
  'node.show': async (store, p) => {
    const entries = await findOrFail(store, p);
    return { records: entries.map((e) => ({ node: e.key, record: dumpRecord(NODE_TABLE, e.record, p) })), warnings: entries.flatMap((e) => [...e.warnings]) };
  },
  'node.new': async (store, p) => {
    const vals = values(p);
    validatePatch(NODE_TABLE, vals);
    const nodes = [];
    for (const iface of (p.ifaces as string[] | undefined) ?? ['default']) {
      const key: NodeKey = { target: String(p.target), address: String(p.address), port: num(p.port) ?? 3260, tpgt: num(p.tpgt) ?? -1, iface };
      try {
        const e = await store.createNode(key, { values: vals, overwrite: true });
        const r = e.record;
        nodes.push({ node: e.key, transport: r['iface.transport_name'], hwAddress: r['iface.hwaddress'], ipAddress: r['iface.ipaddress'], netIfacename: r['iface.net_ifacename'] });
      } catch (err) {
        nodes.push({ node: key, transport: '', hwAddress: '', ipAddress: '', netIfacename: '', error: itemError(err) });
      }
    }
    return { nodes, firstErrno: firstErrno(nodes) };
  },
  'node.update': async (store, p) => {
    const vals = values(p);
    validatePatch(NODE_TABLE, vals);
    const results = [];
    for (const e of await findOrFail(store, p)) {
      try {
        await store.updateNode(e.key, vals);
        results.push({ node: e.key });
      } catch (err) {
        results.push({ node: e.key, error: itemError(err) });
      }
    }
    return { results, firstErrno: firstErrno(results) };
  },
  'node.delete': async (store, p) => {
    const results = [];
    for (const e of await findOrFail(store, p)) {
      try {
        await store.deleteNode(e.key);
        results.push({ node: e.key });
      } catch (err) {
        results.push({ node: e.key, error: itemError(err) });
      }
    }
    return { results, firstErrno: firstErrno(results) };
  },
};

const iface: Record<string, Handler> = {
  'iface.list': async (store) => {
    const [ifaces, nodes] = await Promise.all([store.ifaces.list({ includeBuiltins: true }), store.listNodes()]);
    const byIface = new Map<string, NodeKey[]>();
    for (const e of nodes.items) byIface.set(e.key.iface, [...(byIface.get(e.key.iface) ?? []), e.key]);
    return {
      ifaces: ifaces.items.map((i) => ({
        name: i.name, builtin: i.builtin, transport: i.record['iface.transport_name'], hwAddress: i.record['iface.hwaddress'], ipAddress: i.record['iface.ipaddress'],
        netIfacename: i.record['iface.net_ifacename'], initiatorName: i.record['iface.initiatorname'], nodes: byIface.get(i.name) ?? [],
      })),
      warnings: [...ifaces.warnings, ...nodes.warnings],
    };
  },
  'iface.show': async (store, p) => {
    const name = String(p.name);
    const e = await store.ifaces.get(name);
    if (!e) throw notFound(`iface ${name}`, { iface: name });
    return { name: e.name, builtin: e.builtin, record: dumpRecord(IFACE_TABLE, e.record, p), warnings: [...e.warnings] };
  },
  'iface.new': async (store, p) => ({ name: (await store.ifaces.create(String(p.name), values(p))).name }),
  'iface.update': async (store, p) => ({ name: (await store.ifaces.update(String(p.name), values(p))).name, keys: Object.keys(values(p)) }),
  'iface.delete': async (store, p) => {
    await store.ifaces.delete(String(p.name));
    return { name: p.name };
  },
};

const discovery: Record<string, Handler> = {
  'discovery.list': async (store) => {
    const [records, nodes] = await Promise.all([store.listDiscovery(), store.listNodes()]);
    const bySource = new Map<string, NodeKey[]>();
    for (const e of nodes.items) {
      const s = sourceOfNode(e.record);
      const id = 'address' in s ? `${s.type}|${s.address}|${s.port}` : s.type;
      bySource.set(id, [...(bySource.get(id) ?? []), e.key]);
    }
    return {
      records: records.items.map((r) => ({ type: r.source.type, address: r.source.address, port: r.source.port, nodes: bySource.get(`${r.source.type}|${r.source.address}|${r.source.port}`) ?? [] })),
      static: bySource.get('static') ?? [],
      firmware: bySource.get('fw') ?? [],
      isnsUnlisted: [...bySource].filter(([id]) => id.startsWith('isns|') && !records.items.some((r) => `isns|${r.source.address}|${r.source.port}` === id)).flatMap(([, keys]) => keys),
      warnings: [...records.warnings, ...nodes.warnings],
    };
  },
  'discovery.show': async (store, p) => {
    const source = sourceOf(p);
    const entry = await store.getDiscovery(source);
    if (!entry) throw notFound('discovery record', { ...source });
    return { ...source, record: dumpRecord(source.type === 'isns' ? ISNS_TABLE : SENDTARGETS_TABLE, entry.record, p), warnings: [...entry.warnings] };
  },
  'discovery.new': async (store, p) => {
    const source = sourceOf(p);
    await store.createDiscovery(source, values(p));
    return source;
  },
  'discovery.update': async (store, p) => {
    const source = sourceOf(p);
    await store.updateDiscovery(source, values(p));
    return { ...source, keys: Object.keys(values(p)) };
  },
  'discovery.delete': async (store, p) => {
    const source = sourceOf(p);
    return { ...source, deletedNodes: await store.deleteDiscovery(source) };
  },
};

/** Every record method tsiscsiadm answers itself. */
export const RECORD_HANDLERS: Readonly<Record<string, Handler>> = { ...node, ...iface, ...discovery };
