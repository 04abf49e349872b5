/**
 * SessionManager: owns every live session of the daemon.
 *
 * - sids are allocated 1, 2, ... and never reused while the daemon runs (as the kernel
 *   does); the ISID is open-iscsi's 00 02 3D + 24-bit sid, so concurrent sessions to one
 *   target never share an ISID (B-03).
 * - Login dedup follows the session matching rule (reference Appendix B): a record gets
 *   at most `node.session.nr_sessions` sessions; asking for more is ISCSI_ERR 15.
 * - Logins run in a bounded pool (default 16 at once), so a dead portal holds one slot
 *   for its login timeout and never delays the others (open-iscsi #299).
 * - Logout by sid or by record pattern; shutdown logs out everything except sessions of
 *   `onboot` records, which are only detached.
 */
import type { z } from 'zod';
import type { ControlEvent } from '../control/events.js';
import type { loginOutcome } from '../control/methods/outcome-schemas.js';
import { IscsiError, ISCSI_ERR } from '../shared/errors.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { matchesNodePattern, type NodeKey, type NodePattern, type NodeRecord, type Resolver } from '../db/index.js';
import { validateChapConfig } from '../iscsi/security.js';
import type { Transport } from '../transport/types.js';
import { LoginPool } from './login-pool.js';
import { ManagedSession, type LogoutOptions, type RemovalReason } from './managed-session.js';
import { inheritProfile, type ProfileName } from './profiles.js';
import { itemErrorOf } from './outcomes.js';
import { sessionConfigFromRecord } from './session-options.js';
import { logoutHead, type LogoutOutcome } from './session-view.js';

export type LoginOutcome = z.infer<typeof loginOutcome>;

/** Default number of logins running at once. */
export const DEFAULT_LOGIN_CONCURRENCY = 16;

/** Transport names of iface records that usertcp serves. */
const USERTCP_NAMES = new Set(['tcp', 'usertcp']);

export interface SessionManagerOptions {
  transport: Transport;
  clock: Clock;
  logger: Logger;
  emit: (event: ControlEvent) => void;
  /** The daemon's InitiatorName/alias now (records may override the name). */
  initiator: () => { name: string; alias?: string };
  loginConcurrency?: number;
  retryDelayMs?: number;
  resolve?: Resolver;
  random?: (n: number) => Buffer;
  /**
   * The profile an iface gives its sessions at login (src/daemon/profiles.ts), and the
   * new-record defaults it is measured against; none when undefined.
   */
  ifaceProfile?: (iface: string) => ProfileName | undefined;
  recordDefaults?: () => Readonly<NodeRecord>;
}

/** The identity of a node record. */
export function keyOf(rec: Readonly<NodeRecord>): NodeKey {
  return { target: rec['node.name'], address: rec['node.conn[0].address'], port: rec['node.conn[0].port'], tpgt: rec['node.tpgt'], iface: rec['iface.iscsi_ifacename'] };
}

function sameKey(a: NodeKey, b: NodeKey): boolean {
  return a.target === b.target && a.address === b.address && a.port === b.port && a.tpgt === b.tpgt && a.iface === b.iface;
}

export class SessionManager {
  readonly pool: LoginPool;
  private readonly sessions = new Map<number, ManagedSession>();
  private nextSid = 1;
  private stopping = false;

  constructor(private readonly o: SessionManagerOptions) {
    this.pool = new LoginPool(o.loginConcurrency ?? DEFAULT_LOGIN_CONCURRENCY);
  }

  /** Live sessions in sid order. */
  list(): ManagedSession[] {
    return [...this.sessions.values()].sort((a, b) => a.sid - b.sid);
  }

  get(sid: number): ManagedSession | undefined {
    return this.sessions.get(sid);
  }

  /** Whether a session uses the node record `key` (such records are not deleted). */
  isBusy(key: NodeKey): boolean {
    for (const s of this.sessions.values()) if (sameKey(s.key, key)) return true;
    return false;
  }

  /** Sessions matching an open-iscsi pattern by their persistent portal (Appendix B). */
  async matching(pattern: NodePattern): Promise<ManagedSession[]> {
    const out: ManagedSession[] = [];
    for (const s of this.list()) {
      if (await matchesNodePattern(pattern, s.key, s.record['iface.transport_name'], this.o.resolve)) out.push(s);
    }
    return out;
  }

  /**
   * Log in to each record (all at once, bounded by the pool). Outcomes come back in
   * record order; `onDone` sees each as it completes.
   */
  loginRecords(records: readonly Readonly<NodeRecord>[], onDone?: (o: LoginOutcome) => void): Promise<LoginOutcome[]> {
    const started = this.o.clock.now();
    return Promise.all(records.map(async (rec) => {
      const outcome = await this.loginRecord(rec, started);
      this.o.emit({ type: 'login', node: outcome.node, sids: outcome.sids, ...(outcome.error ? { error: outcome.error } : {}) });
      onDone?.(outcome);
      return outcome;
    }));
  }

  /** Log in one record up to its nr_sessions; error 15 when they all exist already. */
  private async loginRecord(rec: Readonly<NodeRecord>, started: number): Promise<LoginOutcome> {
    const key = keyOf(rec);
    const wanted = Math.max(1, rec['node.session.nr_sessions']);
    const base = { node: key, multiple: wanted > 1 };
    const done = (sids: number[], error?: unknown): LoginOutcome => ({
      ...base, sids, completedAfterMs: Math.max(0, Math.round(this.o.clock.now() - started)), ...(error === undefined ? {} : { error: itemErrorOf(error) }),
    });
    const pattern: NodePattern = { target: key.target, address: key.address, port: key.port, iface: key.iface, transport: rec['iface.transport_name'] };
    const present = new Set((await this.matching(pattern)).map((s) => s.sid));
    for (const s of this.sessions.values()) if (sameKey(s.key, key)) present.add(s.sid);
    if (present.size >= wanted) {
      const msg = `${key.target}: ${wanted} session${wanted === 1 ? '' : 's'} requested, but ${present.size} already present`;
      return done([], new IscsiError('SESSION_EXISTS', msg, { errno: ISCSI_ERR.SESS_EXISTS, details: { ...key, present: present.size } }));
    }
    let created: ManagedSession[];
    try {
      created = Array.from({ length: wanted - present.size }, () => this.create(rec, key));
    } catch (err) {
      return done([], err);
    }
    const results = await Promise.allSettled(created.map((s) => this.pool.run(() => this.runLogin(s)).catch((err: unknown) => {
      this.remove(s, 'login-failed'); // also when the job never ran (queue cancelled at shutdown)
      throw err;
    })));
    const sids = created.filter((_, i) => results[i]!.status === 'fulfilled').map((s) => s.sid);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    return done(sids, failed?.reason);
  }

  /** Check the record, allocate a sid and register the session (synchronously: no duplicate can slip in). */
  private create(rec: Readonly<NodeRecord>, key: NodeKey): ManagedSession {
    if (this.stopping) throw new IscsiError('DAEMON_STOPPING', 'tsiscsid is stopping; no new logins', { errno: ISCSI_ERR.INTERNAL });
    const transportName = rec['iface.transport_name'];
    if (!USERTCP_NAMES.has(transportName) && transportName !== this.o.transport.name) {
      throw new IscsiError('TRANSPORT_NOT_SUPPORTED', `iface ${key.iface} uses transport '${transportName}', which this host cannot drive (only tcp via usertcp)`, {
        errno: ISCSI_ERR.TRANS_NOT_FOUND, details: { iface: key.iface, transport: transportName },
      });
    }
    const sid = this.nextSid;
    const inherited = this.inherit(rec);
    const config = sessionConfigFromRecord(inherited.record, sid, this.o.initiator());
    if (config.chap) validateChapConfig(config.chap);
    this.nextSid++;
    const ms = new ManagedSession(sid, key, rec, config, {
      transport: this.o.transport, clock: this.o.clock, logger: this.o.logger, emit: this.o.emit,
      retryDelayMs: this.o.retryDelayMs ?? 3000, ...(this.o.random ? { random: this.o.random } : {}),
      ...(inherited.profile ? { profile: inherited.profile } : {}),
    });
    for (const note of config.notes) ms.log.warn({ sid }, note);
    if (inherited.profile) ms.log.info({ profile: inherited.profile, keys: inherited.applied }, `iface ${key.iface} profile ${inherited.profile} applied to keys left at their defaults`);
    this.sessions.set(sid, ms);
    return ms;
  }

  /** The record with its iface's profile applied (keys the node left at the defaults only). */
  private inherit(rec: Readonly<NodeRecord>): { record: Readonly<NodeRecord>; profile?: ProfileName; applied: string[] } {
    const profile = this.o.ifaceProfile?.(rec['iface.iscsi_ifacename']);
    const defaults = this.o.recordDefaults?.();
    if (profile === undefined || defaults === undefined) return { record: rec, applied: [] };
    const r = inheritProfile(rec, profile, defaults);
    return { record: r.record, profile, applied: r.applied };
  }

  /** First login, then the first LUN scan when node.session.scan = auto (bounded by the login timeout). */
  private async runLogin(ms: ManagedSession): Promise<void> {
    await ms.loginFirst();
    if (ms.record['node.session.scan'] === 'auto') await this.firstScan(ms);
  }

  private async firstScan(ms: ManagedSession): Promise<void> {
    let timer: { cancel(): void } | undefined;
    const limit = new Promise<void>((resolve) => {
      timer = this.o.clock.setTimeout(resolve, ms.config.timeouts.login * 1000);
    });
    await Promise.race([ms.rescan().then(() => undefined, () => undefined), limit]);
    timer?.cancel();
  }

  /**
   * Log out sessions (concurrently); outcomes in the order given. Without `force` a
   * session that cannot be logged out now (first login or another logout running) gets
   * error 9; with it, such a session is torn down without a Logout PDU.
   */
  async logout(targets: readonly ManagedSession[], reason: RemovalReason = 'logout', opts: LogoutOptions = {}): Promise<LogoutOutcome[]> {
    return Promise.all(targets.map(async (ms) => {
      try {
        const r = await ms.logout(opts);
        this.remove(ms, reason);
        return { ...logoutHead(ms), ...(r ? { response: r.response } : {}) };
      } catch (err) {
        return { ...logoutHead(ms), error: itemErrorOf(err) };
      }
    }));
  }

  /**
   * Daemon stop: no new logins; queued ones fail; logins in progress are abandoned;
   * sessions of onboot records are detached (no Logout PDU); the rest are logged out.
   */
  async shutdown(): Promise<void> {
    this.stopping = true;
    this.pool.cancelQueued(new IscsiError('DAEMON_STOPPING', 'tsiscsid is stopping', { errno: ISCSI_ERR.INTERNAL }));
    const toLogout: ManagedSession[] = [];
    for (const ms of this.list()) {
      if (ms.inFirstLogin) ms.detach();
      else if (isOnboot(ms.record)) {
        ms.log.info({}, 'onboot session left running: not logged out at shutdown');
        ms.detach();
        this.remove(ms, 'detached');
      } else toLogout.push(ms);
    }
    await this.logout(toLogout, 'shutdown');
  }

  /** Counts for daemon.status. */
  counts(): { total: number; loggedIn: number; loggingIn: number; loggingOut: number; failed: number; recovering: number } {
    const c = { total: 0, loggedIn: 0, loggingIn: 0, loggingOut: 0, failed: 0, recovering: 0 };
    for (const s of this.sessions.values()) {
      c.total++;
      const phase = s.phase;
      if (phase === 'logged-in') c.loggedIn++;
      else if (phase === 'login' || phase === 'login-wait') c.loggingIn++;
      else if (phase === 'logging-out') c.loggingOut++;
      else if (phase === 'failed') c.failed++;
      else if (phase === 'reopen') c.recovering++;
    }
    return c;
  }

  private remove(ms: ManagedSession, reason: RemovalReason): void {
    if (this.sessions.get(ms.sid) !== ms) return;
    this.sessions.delete(ms.sid);
    this.o.emit({ type: 'session.removed', ...ms.where(), reason });
  }
}

/** onboot records (and firmware nodes) are never logged out by logoutAll or shutdown. */
export function isOnboot(rec: Readonly<NodeRecord>): boolean {
  return rec['node.startup'] === 'onboot' || rec['node.conn[0].startup'] === 'onboot' || rec['node.discovery_type'] === 'fw';
}

/** A record matches a startup mode if node.startup or node.conn[0].startup has it (reference §5.3). */
export function hasStartup(rec: Readonly<NodeRecord>, mode: 'all' | 'manual' | 'automatic' | 'onboot'): boolean {
  return mode === 'all' || rec['node.startup'] === mode || rec['node.conn[0].startup'] === mode;
}
