/**
 * How the Daemon plugs the kernel data path in (issue 6): the session factory that picks
 * kernel iscsi_tcp or usertcp per login (KernelPath.choose), and adoption at start.
 * Kept out of daemon.ts, which only calls these.
 *
 * The kernel path is on by default for the real daemon (no injected transport) and can
 * be switched off with TSISCSI_KERNEL=off (every login then uses usertcp).
 */
import type { NodeKey, NodeRecord, RecordStore } from '../db/index.js';
import { freshNodeRecord } from '../db/merge-rules.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { adoptKernelSessions, type AdoptOutcome } from './kernel-adopt.js';
import { KernelManagedSession } from './kernel-managed-session.js';
import { KernelPath, type KernelPathOptions } from './kernel-path.js';
import { ManagedSession, type RemovalReason } from './managed-session.js';
import { OffloadManagedSession } from './kernel-offload-session.js';
import type { SessionManager, SessionParts } from './session-manager.js';

/** The daemon's KernelPath, or undefined when the kernel path is off. */
export function kernelPathFor(opt: KernelPathOptions | false | undefined, injectedTransport: boolean, log: Logger, clock: Clock): KernelPath | undefined {
  if (opt === false || process.env.TSISCSI_KERNEL === 'off') return undefined;
  if (opt === undefined && injectedTransport) return undefined; // tests with their own transport stay on it
  return new KernelPath(opt ?? {}, log.child({ component: 'kernel' }), clock);
}

/**
 * SessionManagerOptions.makeSession: a kernel iscsi_tcp session when the iface asks for tcp
 * and the kernel can, an offload session for an offload transport present in sysfs, usertcp
 * otherwise; an offload (or unknown) transport that is absent throws TRANSPORT_NOT_FOUND (12).
 */
export function kernelSessionFactory(kernel: KernelPath): (p: SessionParts) => ManagedSession {
  return (p) => {
    const c = kernel.chooseForLogin(p.record['iface.transport_name'], p.key.iface);
    const gone = (ms: ManagedSession, reason: RemovalReason): void => p.remove(ms, reason);
    switch (c.path) {
      case 'kernel': return new KernelManagedSession(p.sid, p.key, p.record, p.config, p.deps, kernel, gone);
      case 'offload': return new OffloadManagedSession(p.sid, p.key, p.record, p.config, p.deps, kernel, c.behaviour, gone);
      case 'usertcp': return new ManagedSession(p.sid, p.key, p.record, p.config, p.deps);
    }
  };
}

/** Adopts the kernel sessions present at start (nothing when the kernel path is unavailable). */
export async function adoptAtStart(kernel: KernelPath, sessions: SessionManager, store: RecordStore, log: Logger): Promise<AdoptOutcome[]> {
  const a = kernel.available();
  // NO_KERNEL_ISCSI: netlink works but iscsi_tcp is absent; offload sessions may still exist.
  if (!a.available && a.code !== 'NO_KERNEL_ISCSI') {
    log.info({ code: a.code }, `kernel iscsi_tcp unavailable (${a.reason}); iface transport tcp is served by usertcp; nothing to adopt`);
    return [];
  }
  const recordFor = async (key: NodeKey): Promise<Readonly<NodeRecord>> => {
    const entry = await store.getNode(key);
    if (entry) return entry.record;
    const iface = (await store.ifaces.get(key.iface)) ?? (await store.ifaces.get('default'));
    if (!iface) throw new Error(`no iface ${key.iface} to build a record for ${key.target}`);
    return { ...freshNodeRecord(store.defaults.node, key, { type: 'static' }, iface.record), 'iface.transport_name': 'tcp' } as NodeRecord;
  };
  const out = await adoptKernelSessions({ kernel, register: (rec, sid) => sessions.adopt(rec, sid), recordFor, log });
  const attached = out.filter((o) => o.result !== 'skipped').length;
  log.info({ found: out.length, attached, relogin: out.filter((o) => o.result === 'relogin').length }, `kernel sessions found at start: ${out.length}, adopted: ${attached}`);
  return out;
}
