/**
 * Which node keys belong to the user, and how re-discovery treats them.
 *
 * open-iscsi's `-o update` (part of the default discovery ops) rewrites existing node
 * records from iscsid.conf, silently resetting per-node edits such as `node.startup`
 * (open-iscsi issues #58, #286). tsiscsi tracks the keys a user edited (through
 * `updateNode` or `createNode` values) and keeps their values when re-discovery
 * rewrites the record; every other key is refreshed from the current defaults.
 *
 * Tracking is stored inside the record file as `# tsiscsi-edited: <key>` comment lines
 * (written atomically with the record; open-iscsi ignores comments). A record without
 * any such line (imported from open-iscsi, or written by hand) has its edited keys
 * inferred: every editable key whose value differs from the new-record defaults.
 */
import { IFACE_KEYS, NODE_TABLE, type IfaceRecord, type NodeRecord } from './keys/index.js';
import { nodeDiscoveryType, type DiscoverySource, type NodeKey } from './paths.js';
import { sameValue, type KeyValue } from './values.js';

let editable: ReadonlySet<string> | undefined;

/** Node keys changeable in node mode: not read-only, not hidden, not owned by iface mode. */
export function editableNodeKeys(): ReadonlySet<string> {
  if (!editable) {
    const lock = NODE_TABLE.modeLock;
    editable = new Set(
      NODE_TABLE.keys
        .filter((d) => !d.ro && !d.hidden && !(lock && d.key.startsWith(lock.prefix) && !lock.except.includes(d.key)))
        .map((d) => d.key),
    );
  }
  return editable;
}

/** Editable keys whose value differs from `defaults` (for records without tracking). */
export function inferEdited(record: Readonly<NodeRecord>, defaults: Readonly<NodeRecord>): string[] {
  const r = record as Readonly<Record<string, unknown>>;
  const d = defaults as Readonly<Record<string, unknown>>;
  return [...editableNodeKeys()].filter((k) => !sameValue(r[k], d[k]));
}

function copyValue(v: unknown): KeyValue {
  return Array.isArray(v) ? [...(v as string[])] : (v as KeyValue);
}

/**
 * A new node record: new-record defaults, the iface binding copied from the iface
 * record, identity from `key`, discovery fields from `source`. Firmware nodes start
 * `onboot` (open-iscsi ≥ 2.1.10).
 */
export function freshNodeRecord(defaults: Readonly<NodeRecord>, key: NodeKey, source: DiscoverySource, iface: Readonly<IfaceRecord>): NodeRecord {
  const rec = Object.fromEntries(Object.entries(defaults).map(([k, v]) => [k, copyValue(v)])) as Record<string, KeyValue>;
  for (const def of IFACE_KEYS) rec[def.key] = copyValue((iface as Readonly<Record<string, unknown>>)[def.key]);
  rec['iface.iscsi_ifacename'] = key.iface;
  rec['node.name'] = key.target;
  rec['node.tpgt'] = key.tpgt;
  rec['node.conn[0].address'] = key.address;
  rec['node.conn[0].port'] = key.port;
  rec['node.discovery_type'] = nodeDiscoveryType(source);
  rec['node.discovery_address'] = 'address' in source ? source.address : '';
  rec['node.discovery_port'] = 'port' in source ? source.port : 0;
  if (source.type === 'fw') rec['node.startup'] = 'onboot';
  return rec as NodeRecord;
}

/** Re-discovery update: the fresh record with the user's edited keys carried over. */
export function mergeRediscovered(fresh: Readonly<NodeRecord>, existing: Readonly<NodeRecord>, edited: readonly string[]): NodeRecord {
  const out = { ...(fresh as Record<string, KeyValue>) };
  const ex = existing as Readonly<Record<string, unknown>>;
  for (const k of edited) if (k in out) out[k] = copyValue(ex[k]);
  return out as NodeRecord;
}

/** Whether two records hold the same values. */
export function sameRecord(a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if (!sameValue(a[k], b[k])) return false;
  return true;
}
