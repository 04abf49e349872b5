/**
 * Control-API results → renderer view models (src/cli/render/types.ts). Pure mapping:
 * record dumps come back in display form (`<empty>`, `********`) and become
 * `key/value/secret` entries; sessions keep every field the renderers know and pass
 * the rest through as JSON-only extras.
 */
import type { LoginTarget, SessionRef } from '../render/messages.js';
import type {
  LunView, NodeView, RecordView, SessionStatsView, SessionView, VersionsView,
} from '../render/types.js';
import type { Result } from './api.js';

/** The iscsiadm release whose output tsiscsiadm reproduces (`# BEGIN RECORD`, `-P 3` version line). */
export const ISCSIADM_VERSION = '2.1.8';

/** One session as the daemon reports it in full (`session.info`, `session.list` default). */
export type SessionInfo = Result<'session.info'>['session'];
/** One session of `session.list`: full, or the `-P 1` (`brief`) / `-P 0` (`flat`) subset. */
export type ListedSession = Result<'session.list'>['sessions'][number];
type BriefSession = Extract<ListedSession, { states: unknown }>;

/** Whether a listed session carries every field (`detail: 'full'`). */
export function isFull(s: ListedSession): s is SessionInfo {
  return 'scsi' in s;
}
/** One record dump. */
export type RecordDump = Result<'node.show'>['records'][number]['record'];
/** A node record identity. */
export type NodeKey = Result<'node.show'>['records'][number]['node'];
/** One `session.stats` entry. */
export type StatsEntry = Result<'session.stats'>['stats'][number];
type Lun = SessionInfo['scsi']['luns'][number];

const UNSET = '<empty>';
const BEGIN = '# BEGIN RECORD ';

/** A node identity as the renderers take it. */
export function nodeView(k: NodeKey): NodeView {
  return { target: k.target, address: k.address, port: k.port, tpgt: k.tpgt, iface: k.iface };
}

/** What login messages name for a node record. */
export function loginTarget(k: NodeKey): LoginTarget {
  return { iface: k.iface, target: k.target, address: k.address, port: k.port };
}

/** What session messages name: the persistent address with the current port (iscsiadm's choice). */
export function sessionRef(s: { sid: number; target: string; persistentPortal: { address: string }; currentPortal: { port: number } }): SessionRef {
  return { sid: s.sid, target: s.target, address: s.persistentPortal.address, port: s.currentPortal.port };
}

/** CHAP password keys (`...password`, `...password_in`): masked unless `-S`. */
export function isSecretKey(key: string): boolean {
  return /(^|\.)password(_in)?$/.test(key);
}

/** A record dump (display form) as a RecordView. */
export function recordView(kind: RecordView['kind'], dump: RecordDump): RecordView {
  const first = dump.text.split('\n', 1)[0] ?? '';
  const version = first.startsWith(BEGIN) ? first.slice(BEGIN.length) : ISCSIADM_VERSION;
  return {
    kind,
    version,
    entries: dump.entries.map(([key, value]) => ({
      key,
      value: value === UNSET ? '' : value,
      ...(isSecretKey(key) ? { secret: true } : {}),
    })),
  };
}

function lunView(l: Lun): LunView {
  return {
    lun: l.lun, targetId: l.targetId, blockDevice: l.blockDevice, state: l.state,
    deviceType: l.deviceType, deviceTypeName: l.deviceTypeName, vendor: l.vendor, product: l.product, revision: l.revision,
    ...(l.serial === undefined ? {} : { serial: l.serial }),
    ...(l.sizeBytes === undefined ? {} : { sizeBytes: l.sizeBytes }),
    ...(l.blocks === undefined ? {} : { blocks: l.blocks }),
    ...(l.blockLength === undefined ? {} : { blockLength: l.blockLength }),
  };
}

/** One session for the session renderers (and `--json`, with the daemon's extra fields). */
export function sessionView(s: SessionInfo): SessionView {
  const t = s.timeouts;
  return {
    sid: s.sid, target: s.target, tpgt: s.tpgt, transport: s.transport, flash: s.flash,
    currentPortal: { ...s.currentPortal }, persistentPortal: { ...s.persistentPortal },
    iface: { ...s.iface }, states: { ...s.states },
    timeouts: { recovery: t.recovery, targetReset: t.targetReset, lunReset: t.lunReset, abort: t.abort },
    chap: { ...s.chap },
    negotiated: s.negotiated === null ? null : { ...s.negotiated },
    scsi: { hostNumber: s.scsi.hostNumber, hostState: s.scsi.hostState, luns: s.scsi.luns.map(lunView) },
    extra: {
      dataPath: s.dataPath, node: s.node, startup: s.startup, isid: s.isid, tsih: s.tsih, loggedInAt: s.loggedInAt,
      scannedAt: s.scsi.scannedAt, ...(s.scsi.scanError === undefined ? {} : { scanError: s.scsi.scanError }),
      effectiveTimeouts: { ...t },
    },
  };
}

/** What a brief/flat session does not carry: never printed at -P 0/1 (and --json asks for full). */
const NOT_LISTED = {
  timeouts: { recovery: -1, targetReset: -1, lunReset: -1, abort: -1 },
  chap: { username: '', password: '', usernameIn: '', passwordIn: '' },
  negotiated: null,
  scsi: { hostNumber: null, hostState: 'Unknown', luns: [] },
} as const;

/** A listed session for the `-P 0`/`-P 1` renderers, whatever its detail. */
export function listedView(s: ListedSession): SessionView {
  if (isFull(s)) return sessionView(s);
  const brief = 'states' in s ? (s as BriefSession) : undefined;
  return {
    sid: s.sid, target: s.target, tpgt: s.tpgt, transport: s.transport, flash: s.flash,
    persistentPortal: { ...s.persistentPortal },
    currentPortal: { ...(brief?.currentPortal ?? s.persistentPortal) },
    iface: brief ? { ...brief.iface } : { name: s.node.iface, transport: s.transport, initiatorName: '', ipAddress: '', hwAddress: '', netdev: '' },
    states: brief ? { ...brief.states } : { connection: 'Unknown', session: 'Unknown', internal: 'Unknown' },
    ...NOT_LISTED,
    scsi: { ...NOT_LISTED.scsi, luns: [] },
    extra: { node: s.node },
  };
}

/** The `-P 3` version lines: the kernel transport class (none for usertcp) and our iscsiadm level. */
export function versionsView(v: { transportClass: string | null }): VersionsView {
  return { transportClass: v.transportClass, version: ISCSIADM_VERSION };
}

/** One `-s` block. */
export function statsView(e: StatsEntry): SessionStatsView {
  return {
    sid: e.sid, target: e.target, persistentPortal: { ...e.persistentPortal }, currentPortal: { ...e.currentPortal },
    counters: e.counters.map(([n, v]) => [n, v] as const), extended: e.extended.map(([n, v]) => [n, v] as const),
  };
}

/** `-n/-v` pairs as a patch (a later pair for the same key wins, as iscsiadm applies them in order). */
export function patchOf(params: ReadonlyArray<{ name: string; value: string }>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of params) out[p.name] = p.value;
  return out;
}
