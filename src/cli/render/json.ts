/**
 * `--json` renderers: one JSON document per command on stdout, schema documented in
 * docs/cli-json.md. Every document is an object `{"schema": 1, "kind": "...", ...}`;
 * fields are only ever added within schema 1 (never renamed, retyped or removed).
 *
 * Values are data, not display text: unset strings are `""` (never `<empty>`),
 * addresses are unbracketed, TPGT -1 stays -1, 64-bit counters are exact JSON
 * integers (bigints are written as number literals, not strings), and a set CHAP
 * password is `"********"` unless secrets were asked for (`-S`).
 * Lists keep the order of the text output of the same command.
 */
import { compareIfaces } from './iface.js';
import { sortNodes } from './node.js';
import { displayValue } from './record.js';
import { sortSessions } from './session.js';
import { MASKED } from './text.js';
import type {
  Counter, DiscoveryRecordView, DiscoverySourceView, DiscoveryTreeView, HostStatsView, HostView, IfaceTreeView, IfaceView,
  NodeView, RecordView, Rendered, SessionStatsView, SessionView, VersionsView,
} from './types.js';

/** The JSON schema version every document carries. */
export const JSON_SCHEMA = 1;

const BIG = '\u0000bigint:';

/** JSON text with bigints as exact integer literals, 2-space indented. */
export function stringifyJson(value: unknown): string {
  const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${BIG}${v.toString()}` : v), 2);
  return text.replace(/"\\u0000bigint:(-?\d+)"/g, '$1');
}

/** One document `{"schema":1,"kind":kind,...payload}` as stdout lines. */
export function jsonDocument(kind: string, payload: Readonly<Record<string, unknown>>): Rendered {
  return { stdout: stringifyJson({ schema: JSON_SCHEMA, kind, ...payload }).split('\n'), stderr: [] };
}

const node = (n: NodeView) => ({ target: n.target, address: n.address, port: n.port, tpgt: n.tpgt, iface: n.iface });

/** `-m node [-P 1] --json`: kind `node.list`, sorted like the text. */
export function nodesJson(nodes: readonly NodeView[]): Rendered {
  return jsonDocument('node.list', { nodes: sortNodes(nodes).map(node) });
}

/** `-m discovery -t st -p P --json`: kind `discovery.results`, discovery order. */
export function discoveredJson(nodes: readonly NodeView[]): Rendered {
  return jsonDocument('discovery.results', { nodes: nodes.map(node) });
}

const record = (r: DiscoveryRecordView) => ({ type: r.type, address: r.address, port: r.port });
const source = (s: DiscoverySourceView) => ({ ...record(s), nodes: s.nodes.map(node) });

/** `-m discovery --json` (no portal, -P 0): kind `discovery.records`. */
export function discoveryRecordsJson(records: readonly DiscoveryRecordView[]): Rendered {
  return jsonDocument('discovery.records', { records: records.map(record) });
}

/** `-m discovery -P 1 --json`: kind `discovery.tree`. */
export function discoveryTreeJson(tree: DiscoveryTreeView): Rendered {
  return jsonDocument('discovery.tree', {
    sendtargets: tree.sendtargets.map(source),
    isns: tree.isns.map(source),
    isnsUnlisted: (tree.isnsUnlisted ?? []).map(node),
    static: tree.static.map(node),
    firmware: tree.firmware.map(node),
  });
}

/** Record dumps `--json`: kind `records`; values keyed by record key, in print order. */
export function recordsJson(records: readonly RecordView[], opts: { showSecrets?: boolean } = {}): Rendered {
  const show = opts.showSecrets ?? false;
  return jsonDocument('records', {
    records: records.map((r) => ({
      kind: r.kind,
      version: r.version,
      values: Object.fromEntries(r.entries.map((e) => [e.key, e.value === '' ? '' : displayValue(e, show)])),
    })),
  });
}

const iface = (i: IfaceView) => ({
  name: i.name, builtin: i.builtin ?? (i.name === 'default' || i.name === 'iser'), transport: i.transport,
  hwAddress: i.hwAddress, ipAddress: i.ipAddress, netIfacename: i.netIfacename, initiatorName: i.initiatorName,
});

/** `-m iface [-P 1] --json`: kind `iface.list`; `nodes` present when tree views are given. */
export function ifacesJson(ifaces: readonly (IfaceView | IfaceTreeView)[]): Rendered {
  const list = [...ifaces].sort(compareIfaces).map((i) => ('nodes' in i ? { ...iface(i), nodes: sortNodes(i.nodes).map(node) } : iface(i)));
  return jsonDocument('iface.list', { ifaces: list });
}

const tmo = (v: number | null): number | null => (v === null || v < 0 ? null : v);
const secret = (v: string, show: boolean): string => (v === '' || show ? v : MASKED);

/** One session as JSON (also used inside hosts). */
export function sessionJson(s: SessionView, showSecrets = false): Record<string, unknown> {
  // Extras first: they can add fields, never replace the documented ones.
  return {
    ...(s.extra ?? {}),
    sid: s.sid, target: s.target, tpgt: s.tpgt, transport: s.transport, flash: s.flash,
    currentPortal: { ...s.currentPortal }, persistentPortal: { ...s.persistentPortal },
    iface: { ...s.iface }, states: { ...s.states },
    timeouts: { recovery: s.timeouts.recovery, targetReset: tmo(s.timeouts.targetReset), lunReset: tmo(s.timeouts.lunReset), abort: tmo(s.timeouts.abort) },
    chap: {
      username: s.chap.username, password: secret(s.chap.password, showSecrets),
      usernameIn: s.chap.usernameIn, passwordIn: secret(s.chap.passwordIn, showSecrets),
    },
    negotiated: s.negotiated === null ? null : { ...s.negotiated },
    scsi: {
      hostNumber: s.scsi.hostNumber,
      hostState: s.scsi.hostState ?? null,
      luns: s.scsi.luns.map((l) => ({ ...l, blockDevice: l.blockDevice ?? null })),
    },
  };
}

/** `-m session [-P n] --json`: kind `session.list`, sysfs order, every field at every level. */
export function sessionsJson(sessions: readonly SessionView[], opts: { showSecrets?: boolean; versions?: VersionsView } = {}): Rendered {
  return jsonDocument('session.list', {
    versions: { transportClass: opts.versions?.transportClass ?? null, version: opts.versions?.version ?? null },
    sessions: sortSessions(sessions).map((s) => sessionJson(s, opts.showSecrets ?? false)),
  });
}

const counters = (rows: ReadonlyArray<readonly [string, Counter]>): Record<string, Counter> => Object.fromEntries(rows);

/** `-m session -s --json`: kind `session.stats`. */
export function sessionStatsJson(stats: readonly SessionStatsView[]): Rendered {
  return jsonDocument('session.stats', {
    stats: stats.map((s) => ({
      sid: s.sid, target: s.target, persistentPortal: { ...s.persistentPortal }, currentPortal: { ...s.currentPortal },
      counters: counters(s.counters), extended: counters(s.extended),
    })),
  });
}

/** `-m host [-P n] --json`: kind `host.list`. */
export function hostsJson(hosts: readonly HostView[], opts: { showSecrets?: boolean } = {}): Rendered {
  return jsonDocument('host.list', {
    hosts: hosts.map((h) => ({
      hostNumber: h.hostNumber, state: h.state ?? null, transport: h.transport, initiatorName: h.initiatorName,
      ipAddress: h.ipAddress, hwAddress: h.hwAddress, netdev: h.netdev,
      ifaces: h.ifaces.map((i) => ({ ...i })),
      sessions: sortSessions(h.sessions).map((s) => sessionJson(s, opts.showSecrets ?? false)),
    })),
  });
}

/** `-m host -H N -C stats --json`: kind `host.stats`. */
export function hostStatsJson(stats: HostStatsView): Rendered {
  return jsonDocument('host.stats', { hostNumber: stats.hostNumber, counters: counters(stats.counters) });
}

/** One object of an action (login, logout, rescan, new, delete, update...). */
export interface ActionItemJson {
  /** What was acted on: a node identity, a session (`sid` + portal), an iface or discovery record. */
  readonly object: Readonly<Record<string, unknown>>;
  readonly ok: boolean;
  /** ISCSI_ERR_* number; 0 on success. */
  readonly errno: number;
  /** iscsiadm's error text for errno (`""` on success). */
  readonly error: string;
}

/** Action results: kind `action`; `errno` is the exit status (first failure, 0 if none). */
export function actionJson(action: string, items: readonly ActionItemJson[], errno: number): Rendered {
  return jsonDocument('action', { action, errno, results: items.map((i) => ({ ...i })) });
}

/** A failed command: kind `error` (on stdout, so a `--json` consumer always gets a document). */
export function errorJson(errno: number, message: string): Rendered {
  return jsonDocument('error', { errno, message });
}
