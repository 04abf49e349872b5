/**
 * What the API reports about a managed session (src/control/methods/session-schemas.ts):
 * the `-P 0..3` fields, statistics in open-iscsi's print order, LUNs. CHAP passwords
 * are masked unless the caller asked for secrets.
 */
import type { z } from 'zod';
import type { logoutOutcome } from '../control/methods/outcome-schemas.js';
import type { lunInfo, sessionInfo, sessionRecovery } from '../control/methods/session-schemas.js';
import type { sessionStatsEntry } from '../control/methods/session-stats.js';
import { MASKED_PASSWORD } from '../db/index.js';
import { deviceTypeName } from '../iscsi/scsi/names.js';
import { STATS_FIELDS } from '../iscsi/stats.js';
import type { LunInfo } from '../session/scsi-ops.js';
import type { ManagedSession } from './managed-session.js';

export type SessionInfo = z.infer<typeof sessionInfo>;
export type LunView = z.infer<typeof lunInfo>;
export type RecoveryView = z.infer<typeof sessionRecovery>;
export type StatsEntry = z.infer<typeof sessionStatsEntry>;
export type LogoutOutcome = z.infer<typeof logoutOutcome>;

/** A password as shown: '' when unset, `********` unless secrets are wanted. */
function secret(value: string, show: boolean): string {
  return value === '' || show ? value : MASKED_PASSWORD;
}

/** One LUN for `-P 3` / --json. */
export function lunView(l: LunInfo): LunView {
  const cap = l.capacity;
  return {
    lun: l.lun,
    channel: 0,
    targetId: 0,
    deviceType: l.inquiry.peripheralDeviceType,
    deviceTypeName: deviceTypeName(l.inquiry.peripheralDeviceType),
    vendor: l.inquiry.vendor,
    product: l.inquiry.product,
    revision: l.inquiry.revision,
    ...(cap ? { sizeBytes: Number(cap.sizeBytes), blocks: Number(cap.blocks), blockLength: cap.blockLength } : {}),
    ...(l.serial !== undefined ? { serial: l.serial } : {}),
    blockDevice: null,
    state: 'running',
  };
}

/** Persistent (record) and current (connected) portals. */
export function portalsOf(ms: ManagedSession): { persistentPortal: { address: string; port: number }; currentPortal: { address: string; port: number } } {
  const to = ms.connectedTo;
  return {
    persistentPortal: { address: ms.key.address, port: ms.key.port },
    currentPortal: to ? { address: to.portal.host, port: to.portal.port } : { address: ms.key.address, port: ms.key.port },
  };
}

/** The Interface block of `-P 1..3`: the iface record, with the socket's local address when connected. */
export function ifaceOf(ms: ManagedSession): SessionInfo['iface'] {
  const rec = ms.record;
  const local = ms.connectedTo?.localAddress ?? '';
  return {
    name: ms.key.iface,
    transport: rec['iface.transport_name'],
    initiatorName: ms.config.initiatorName,
    ipAddress: local !== '' ? local : rec['iface.ipaddress'],
    hwAddress: rec['iface.hwaddress'],
    netdev: rec['iface.net_ifacename'],
  };
}

/** Everything `-m session -P 3` (and --json) shows about one session. */
export function sessionInfoOf(ms: ManagedSession, showSecrets: boolean): SessionInfo {
  const rec = ms.record;
  const p = ms.session.params;
  return {
    sid: ms.sid,
    target: ms.key.target,
    tpgt: p?.targetPortalGroupTag ?? ms.key.tpgt,
    transport: rec['iface.transport_name'],
    dataPath: ms.session.opts.transport.name,
    flash: false,
    ...portalsOf(ms),
    iface: ifaceOf(ms),
    states: { ...ms.states },
    timeouts: { ...ms.config.timeouts },
    recovery: recoveryOf(ms),
    chap: {
      username: rec['node.session.auth.username'],
      password: secret(rec['node.session.auth.password'], showSecrets),
      usernameIn: rec['node.session.auth.username_in'],
      passwordIn: secret(rec['node.session.auth.password_in'], showSecrets),
    },
    negotiated: p ? {
      headerDigest: p.headerDigest,
      dataDigest: p.dataDigest,
      maxRecvDataSegmentLength: p.maxRecvDataSegmentLength,
      maxXmitDataSegmentLength: p.maxXmitDataSegmentLength,
      firstBurstLength: p.firstBurstLength,
      maxBurstLength: p.maxBurstLength,
      immediateData: p.immediateData,
      initialR2T: p.initialR2T,
      maxOutstandingR2T: p.maxOutstandingR2T,
      maxConnections: p.maxConnections,
      defaultTime2Wait: p.defaultTime2Wait,
      defaultTime2Retain: p.defaultTime2Retain,
      errorRecoveryLevel: p.errorRecoveryLevel,
      dataPDUInOrder: p.dataPDUInOrder,
      dataSequenceInOrder: p.dataSequenceInOrder,
      ...(p.targetAlias !== undefined ? { targetAlias: p.targetAlias } : {}),
    } : null,
    node: { ...ms.key },
    startup: rec['node.startup'],
    isid: ms.config.isid.toString('hex'),
    tsih: ms.session.tsih,
    loggedInAt: ms.loggedInAt?.toISOString() ?? null,
    scsi: {
      hostNumber: null,
      hostState: ms.phase === 'logged-in' ? 'running' : ms.phase === 'failed' || ms.phase === 'reopen' ? 'recovery' : 'Unknown',
      luns: ms.luns.map(lunView),
      scannedAt: ms.scannedAt?.toISOString() ?? null,
      ...(ms.scanError !== undefined ? { scanError: ms.scanError } : {}),
    },
  };
}

/** `-s` statistics: the 21 counters in print order (octets as numbers). */
export function statsOf(ms: ManagedSession): StatsEntry {
  const stats = ms.session.stats;
  return {
    sid: ms.sid,
    target: ms.key.target,
    ...portalsOf(ms),
    counters: STATS_FIELDS.map((f) => [f, stats ? Number(stats[f]) : 0] as [string, number]),
    extended: ms.extendedStats(),
  };
}

/** The recovery block: supervisor state, effective recovery timers, counters. */
export function recoveryOf(ms: ManagedSession): RecoveryView {
  const r = ms.recovery;
  const c = r.config;
  return {
    state: r.state, step: r.step, io: r.io, attempts: r.attempts, held: r.held, replacementExpired: r.replacementExpired, delayMs: r.delayMs,
    ...(r.cause ? { cause: { ...r.cause } } : {}),
    replacementTimeoutMs: c.replacementTimeoutMs, reopenMax: c.reopenMax, loginTimeoutMs: c.loginTimeoutMs,
    initialLoginRetryMax: c.initialLoginRetryMax, defaultTime2WaitMs: c.defaultTime2WaitMs,
    profile: ms.profile ?? null,
    connectionErrors: ms.counters.connectionErrors, recoveries: ms.counters.recoveries,
    lastRecoveredAt: ms.lastRecoveredAt?.toISOString() ?? null,
  };
}

/** The identity part of a logout outcome. */
export function logoutHead(ms: ManagedSession): Omit<LogoutOutcome, 'response' | 'error'> {
  return { sid: ms.sid, target: ms.key.target, ...portalsOf(ms), iface: ms.key.iface };
}
