/**
 * Test-only reader of a captured open-iscsi database (Capture.db, in directory order):
 * builds the renderers' view models from the same state the real iscsiadm printed.
 * Node/iface/discovery identities and the few keys listings need are read with a tiny
 * `key = value` parser; record dumps go through tsiscsi's src/db (its key tables decide
 * the print order), so a mismatch there shows up here too.
 */
import {
  decodeRecordText, IFACE_TABLE, ifaceDefaults, NODE_TABLE, renderRecord, SENDTARGETS_TABLE, type KeyTable,
} from '../../../src/db/index.js';
import type {
  DiscoveryRecordView, DiscoverySourceView, DiscoveryTreeView, IfaceTreeView, IfaceView, NodeView, RecordView,
} from '../../../src/cli/render/types.js';
import type { DbEntry } from './capture.js';

/** `key = value` lines of a record file (comments skipped). */
export function parseKeys(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*([^#\s=][^\s=]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

/** `<addr>,<port>[,<tpgt>]` → parts (the address may hold `:` but never `,`). */
function splitPortal(name: string): { address: string; port: number; tpgt?: number } {
  const parts = name.split(',');
  if (parts.length === 2) return { address: parts[0]!, port: Number(parts[1]) };
  return { address: parts.slice(0, -2).join(','), port: Number(parts.at(-2)), tpgt: Number(parts.at(-1)) };
}

/** A node record of the snapshot. */
export interface SnapNode extends NodeView {
  readonly path: string;
  readonly keys: Map<string, string>;
}

const BUILTINS: readonly IfaceView[] = [
  { name: 'default', builtin: true, transport: 'tcp', hwAddress: '', ipAddress: '', netIfacename: '', initiatorName: '' },
  { name: 'iser', builtin: true, transport: 'iser', hwAddress: '', ipAddress: '', netIfacename: '', initiatorName: '' },
];

export class SnapshotDb {
  constructor(private readonly entries: readonly DbEntry[]) {}

  /** Content of a file (throws when absent: the scenario and the capture disagree). */
  file(path: string): string {
    const e = this.entries.find((x) => x.path === path && x.type === 'f');
    if (e?.content === undefined) throw new Error(`snapshot has no file ${path}`);
    return e.content;
  }

  /** Every node record, in directory order (what idbm's readdir loops see). */
  nodesInDirOrder(): SnapNode[] {
    return this.entries.flatMap((e): SnapNode[] => {
      const parts = e.path.split('/');
      if (e.type !== 'f' || parts[0] !== 'nodes' || (parts.length !== 3 && parts.length !== 4)) return [];
      const keys = parseKeys(e.content ?? '');
      const p = splitPortal(parts[2]!);
      return [{
        path: e.path, keys, target: parts[1]!, address: p.address, port: p.port,
        tpgt: p.tpgt ?? Number(keys.get('node.tpgt') ?? -1),
        iface: parts[3] ?? keys.get('iface.iscsi_ifacename') ?? 'default',
      }];
    });
  }

  /** Stored iface names in directory order. */
  ifaceNamesInDirOrder(): string[] {
    return this.entries.filter((e) => e.type === 'f' && e.path.startsWith('ifaces/')).map((e) => e.path.slice('ifaces/'.length));
  }

  /** Stored ifaces (directory order) plus the built-ins. */
  ifaces(): IfaceView[] {
    const stored = this.ifaceNamesInDirOrder().map((name): IfaceView => {
      const k = parseKeys(this.file(`ifaces/${name}`));
      return {
        name, builtin: false, transport: k.get('iface.transport_name') ?? '', hwAddress: k.get('iface.hwaddress') ?? '',
        ipAddress: k.get('iface.ipaddress') ?? '', netIfacename: k.get('iface.net_ifacename') ?? '', initiatorName: k.get('iface.initiatorname') ?? '',
      };
    });
    return [...stored, ...BUILTINS];
  }

  /** Ifaces with their node records. */
  ifaceTree(): IfaceTreeView[] {
    const nodes = this.nodesInDirOrder();
    return this.ifaces().map((i) => ({ ...i, nodes: nodes.filter((n) => n.iface === i.name) }));
  }

  /** Stored discovery records (SendTargets, then iSNS), directory order. */
  discoveryRecords(): DiscoveryRecordView[] {
    const of = (dir: string, type: DiscoveryRecordView['type']): DiscoveryRecordView[] =>
      this.entries
        .filter((e) => e.type === 'd' && e.path.startsWith(`${dir}/`) && e.path.split('/').length === 2)
        .map((e) => ({ type, ...splitPortal(e.path.slice(dir.length + 1)) }))
        .map(({ type: t, address, port }) => ({ type: t, address, port }));
    return [...of('send_targets', 'sendtargets'), ...of('isns', 'isns')];
  }

  /** Nodes of one discovery type (and source), directory order. */
  private nodesFrom(type: string, source?: { address: string; port: number }): NodeView[] {
    return this.nodesInDirOrder().filter((n) =>
      n.keys.get('node.discovery_type') === type &&
      (!source || (n.keys.get('node.discovery_address') === source.address && Number(n.keys.get('node.discovery_port')) === source.port)));
  }

  /** `-m discovery -P 1` sections. */
  discoveryTree(): DiscoveryTreeView {
    const recs = this.discoveryRecords();
    const src = (type: 'sendtargets' | 'isns', nodeType: string): DiscoverySourceView[] =>
      recs.filter((r) => r.type === type).map((r) => ({ ...r, nodes: this.nodesFrom(nodeType, r) }));
    return {
      sendtargets: src('sendtargets', 'send_targets'),
      isns: src('isns', 'isns'),
      isnsUnlisted: this.nodesFrom('isns'),
      static: this.nodesFrom('static'),
      firmware: this.nodesFrom('fw'),
    };
  }
}

/**
 * A record dump view from record text, via src/db: decode, render in display form with
 * secrets shown, then split back into entries (`<empty>` → '', passwords flagged).
 */
export function recordViewFromText(kind: RecordView['kind'], table: KeyTable, text: string, version: string): RecordView {
  const { record } = decodeRecordText(table, text, 'snapshot');
  return recordViewFromRecord(kind, table, record, version);
}

/** Same, from a typed record. */
export function recordViewFromRecord(kind: RecordView['kind'], table: KeyTable, record: Readonly<Record<string, unknown>>, version: string): RecordView {
  const shown = renderRecord(table, record, { form: 'display', showSecrets: true, version, compat: version });
  const secrets = new Set(table.keys.filter((d) => d.type === 'password').map((d) => d.key));
  const entries = shown.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => {
    const at = l.indexOf(' = ');
    const key = l.slice(0, at);
    const value = l.slice(at + 3);
    return { key, value: value === '<empty>' ? '' : value, secret: secrets.has(key) };
  });
  return { kind, version, entries };
}

/** Dump views for the node records at `paths`. */
export function nodeRecordViews(db: SnapshotDb, paths: readonly string[], version: string): RecordView[] {
  return paths.map((p) => recordViewFromText('node', NODE_TABLE, db.file(p), version));
}

/** Dump view of an iface (`default`/`iser` are built from the compiled-in defaults). */
export function ifaceRecordView(db: SnapshotDb, name: string, version: string): RecordView {
  if (name === 'default' || name === 'iser') {
    const rec = { ...ifaceDefaults(), 'iface.iscsi_ifacename': name, 'iface.transport_name': name === 'iser' ? 'iser' : 'tcp' };
    return recordViewFromRecord('iface', IFACE_TABLE, rec, version);
  }
  return recordViewFromText('iface', IFACE_TABLE, db.file(`ifaces/${name}`), version);
}

/** Dump view of a SendTargets record. */
export function sendTargetsRecordView(db: SnapshotDb, address: string, port: number, version: string): RecordView {
  return recordViewFromText('discovery', SENDTARGETS_TABLE, db.file(`send_targets/${address},${port}/st_config`), version);
}
