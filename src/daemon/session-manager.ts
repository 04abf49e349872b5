/**
 * SessionManager: owns every live session of the daemon.
 *
 * - sids are allocated 1, 2, ... and never reused while the daemon runs (as the kernel
 *   does); the ISID is open-iscsi's 00 02 3D + 24-bit sid, so concurrent sessions to one
 *   target never share an ISID (B-03).
 * - Login dedup follows the session matching rule (reference Appendix B): a record gets
 *   at most `node.session.nr_sessions` sessions; asking for more is ISCSI_ERR 15.
 * - Logins run in a bounded pool (default 16 at once, `iscsid.login_concurrency`), so a
 *   dead portal holds one slot for its login timeout and never delays the others
 *   (open-iscsi #299). Logouts run in their own pool (default 64,
 *   `iscsid.logout_concurrency`): a shutdown with 10 000 sessions must not send 10 000
 *   Logout PDUs at once (bench/RESULTS.md problem 5).
 * - Sessions are indexed by record key and by target (session-index.ts): login dedup and
 *   `isBusy` cost O(sessions of one target), and a long `loginRecords` yields to the
 *   event loop between batches, so 10 000 records never stall other requests.
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
import { DEFAULT_LOGIN_CONCURRENCY, DEFAULT_LOGOUT_CONCURRENCY, LoginPool, yieldToLoop } from './login-pool.js';
import { ManagedSession, type LogoutOptions, type ManagedSessionDeps, type RemovalReason } from './managed-session.js';
import { inheritProfile, type ProfileName } from './profiles.js';
import { itemErrorOf } from './outcomes.js';
import { sessionConfigFromRecord, type RecordSessionConfig } from './session-options.js';
import { SessionIndex } from './session-index.js';
import { logoutHead, type LogoutOutcome } from './session-view.js';

export type LoginOutcome = z.infer<typeof loginOutcome>;

export { DEFAULT_LOGIN_CONCURRENCY, DEFAULT_LOGOUT_CONCURRENCY };

/** Records whose login is started before loginRecords yields to the event loop. */
export const LOGIN_START_BATCH = 256;

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
  /** Logouts running at once (default DEFAULT_LOGOUT_CONCURRENCY). */
  logoutConcurrency?: number;
  retryDelayMs?: number;
  resolve?: Resolver;
  random?: (n: number) => Buffer;
  /**
   * The profile an iface gives its sessions at login (src/daemon/profiles.ts), and the
   * new-record defaults it is measured against; none when undefined.
   */
  ifaceProfile?: (iface: string) => ProfileName | undefined;
  recordDefaults?: () => Readonly<NodeRecord>;
  /** Builds each session (the daemon picks the kernel or usertcp data path here); default: a usertcp ManagedSession. */
  makeSession?: (a: SessionParts) => ManagedSession;
}

/** What a session is built from (SessionManagerOptions.makeSession). */
export interface SessionParts {
  sid: number;
  key: NodeKey;
  record: Readonly<NodeRecord>;
  config: RecordSessionConfig;
  deps: ManagedSessionDeps;
  /** Takes a session out of the table when it ended on its own (kernel UNBIND_SESSION). */
  remove: (ms: ManagedSession, reason: RemovalReason) => void;
}

/** The identity of a node record. */
export function keyOf(rec: Readonly<NodeRecord>): NodeKey {
  return { target: rec['node.name'], address: rec['node.conn[0].address'], port: rec['node.conn[0].port'], tpgt: rec['node.tpgt'], iface: rec['iface.iscsi_ifacename'] };
}

export class SessionManager {
  readonly pool: LoginPool;
  readonly logoutPool: LoginPool;
  private readonly sessions = new Map<number, ManagedSession>();
  private readonly index = new SessionIndex<ManagedSession>();
  private nextSid = 1;
  private stopping = false;

  constructor(private readonly o: SessionManagerOptions) {
    this.pool = new LoginPool(o.loginConcurrency ?? DEFAULT_LOGIN_CONCURRENCY);
    this.logoutPool = new LoginPool(o.logoutConcurrency ?? DEFAULT_LOGOUT_CONCURRENCY);
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
    return this.index.ofKey(key).size > 0;
  }

  /**
   * Sessions matching an open-iscsi pattern by their persistent portal (Appendix B), in
   * sid order. A pattern naming a target only looks at that target's sessions.
   */
  async matching(pattern: NodePattern): Promise<ManagedSession[]> {
    const candidates = pattern.target === undefined ? this.list() : [...this.index.ofTarget(pattern.target)].sort((a, b) => a.sid - b.sid);
    const out: ManagedSession[] = [];
    for (const s of candidates) {
      if (await matchesNodePattern(pattern, s.key, s.record['iface.transport_name'], this.o.resolve)) out.push(s);
    }
    return out;
  }

  /**
   * Log in to each record (all at once, bounded by the pool). Outcomes come back in
   * record order; `onDone` sees each as it completes.
   */
  async loginRecords(records: readonly Readonly<NodeRecord>[], onDone?: (o: LoginOutcome) => void, opts: { extra?: number } = {}): Promise<LoginOutcome[]> {
    const started = this.o.clock.now();
    const running: Promise<LoginOutcome>[] = [];
    for (let i = 0; i < records.length; i++) {
      // Starting a login is cheap but not free: let other requests in between batches.
      if (i > 0 && i % LOGIN_START_BATCH === 0) await yieldToLoop();
      running.push(this.loginRecord(records[i]!, started, opts.extra).then((outcome) => {
        this.o.emit({ type: 'login', node: outcome.node, sids: outcome.sids, ...(outcome.error ? { error: outcome.error } : {}) });
        onDone?.(outcome);
        return outcome;
      }));
    }
    return Promise.all(running);
  }

  /**
   * Log in one record up to its nr_sessions; error 15 when they all exist already. With
   * `extra` (`-m session -r SID -o new`), exactly that many more sessions whatever is
   * present (open-iscsi sets `rec.session.multiple`, which skips the dedup check).
   */
  private async loginRecord(rec: Readonly<NodeRecord>, started: number, extra?: number): Promise<LoginOutcome> {
    const key = keyOf(rec);
    const wanted = Math.max(1, rec['node.session.nr_sessions']);
    const base = { node: key, multiple: wanted > 1 || extra !== undefined };
    const done = (sids: number[], error?: unknown): LoginOutcome => ({
      ...base, sids, completedAfterMs: Math.max(0, Math.round(this.o.clock.now() - started)), ...(error === undefined ? {} : { error: itemErrorOf(error) }),
    });
    const pattern: NodePattern = { target: key.target, address: key.address, port: key.port, iface: key.iface, transport: rec['iface.transport_name'] };
    const present = new Set(extra === undefined ? (await this.matching(pattern)).map((s) => s.sid) : []);
    for (const s of this.index.ofKey(key)) present.add(s.sid);
    if (extra === undefined && present.size >= wanted) {
      const msg = `${key.target}: ${wanted} session${wanted === 1 ? '' : 's'} requested, but ${present.size} already present`;
      return done([], new IscsiError('SESSION_EXISTS', msg, { errno: ISCSI_ERR.SESS_EXISTS, details: { ...key, present: present.size } }));
    }
    let created: ManagedSession[];
    try {
      created = Array.from({ length: extra ?? wanted - present.size }, () => this.create(rec, key));
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
  private create(rec: Readonly<NodeRecord>, key: NodeKey, fixedSid?: number): ManagedSession {
    if (this.stopping) throw new IscsiError('DAEMON_STOPPING', 'tsiscsid is stopping; no new logins', { errno: ISCSI_ERR.INTERNAL });
    const transportName = rec['iface.transport_name'];
    if (this.o.makeSession === undefined && !USERTCP_NAMES.has(transportName) && transportName !== this.o.transport.name) { // makeSession (kernel-wiring.ts) checks offload transports itself
      throw new IscsiError('TRANSPORT_NOT_SUPPORTED', `iface ${key.iface} uses transport '${transportName}', which this host cannot drive (only tcp via usertcp)`, {
        errno: ISCSI_ERR.TRANS_NOT_FOUND, details: { iface: key.iface, transport: transportName },
      });
    }
    const sid = fixedSid ?? this.nextSid;
    const inherited = this.inherit(rec);
    const config = sessionConfigFromRecord(inherited.record, sid, this.o.initiator());
    if (config.chap) validateChapConfig(config.chap);
    this.nextSid = Math.max(this.nextSid, sid + 1);
    const deps: ManagedSessionDeps = {
      transport: this.o.transport, clock: this.o.clock, logger: this.o.logger, emit: this.o.emit,
      retryDelayMs: this.o.retryDelayMs ?? 3000, ...(this.o.random ? { random: this.o.random } : {}),
      ...(inherited.profile ? { profile: inherited.profile } : {}),
    };
    const parts: SessionParts = { sid, key, record: rec, config, deps, remove: (s, reason) => this.remove(s, reason) };
    const ms = this.o.makeSession?.(parts) ?? new ManagedSession(sid, key, rec, config, deps);
    for (const note of config.notes) ms.log.warn({ sid }, note);
    if (inherited.profile) ms.log.info({ profile: inherited.profile, keys: inherited.applied }, `iface ${key.iface} profile ${inherited.profile} applied to keys left at their defaults`);
    this.sessions.set(sid, ms);
    this.index.add(ms);
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
    const sid = ms.sid;
    await ms.loginFirst();
    if (ms.sid !== sid) this.rekey(ms, sid);
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
   * Log out sessions (concurrently, at most logoutPool.concurrency Logout PDUs in
   * flight); outcomes in the order given. Without `force` a
   * session that cannot be logged out now (first login or another logout running) gets
   * error 9; with it, such a session is torn down without a Logout PDU.
   */
  async logout(targets: readonly ManagedSession[], reason: RemovalReason = 'logout', opts: LogoutOptions = {}): Promise<LogoutOutcome[]> {
    return Promise.all(targets.map(async (ms) => {
      try {
        const r = await this.logoutPool.run(() => ms.logout(opts));
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
      else if (isOnboot(ms.record) || ms.keepsRunning) {
        ms.log.info({}, `${ms.keepsRunning ? 'kernel' : 'onboot'} session left running: not logged out at shutdown`);
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

  /**
   * Registers a session that already exists outside this daemon (a kernel session found
   * in sysfs at start) under its own sid; sids given to new logins stay above it.
   */
  adopt(rec: Readonly<NodeRecord>, sid: number): ManagedSession {
    if (this.sessions.has(sid)) throw new IscsiError('SESSION_EXISTS', `session ${sid} is already tracked`, { errno: ISCSI_ERR.SESS_EXISTS, details: { sid } });
    return this.create(rec, keyOf(rec), sid);
  }

  /** A session renumbered itself (kernel sid after CREATE_SESSION); keeps the old sid on a clash. */
  private rekey(ms: ManagedSession, old: number): void {
    const clash = this.sessions.get(ms.sid);
    if (clash !== undefined && clash !== ms) {
      ms.log.warn({ kernelSid: ms.sid, sid: old }, `kernel session ${ms.sid} clashes with tracked session ${ms.sid}; keeping sid ${old}`);
      ms.sid = old;
      return;
    }
    if (this.sessions.get(old) === ms) this.sessions.delete(old);
    this.sessions.set(ms.sid, ms);
    this.nextSid = Math.max(this.nextSid, ms.sid + 1);
  }

  private remove(ms: ManagedSession, reason: RemovalReason): void {
    if (this.sessions.get(ms.sid) !== ms) return;
    this.sessions.delete(ms.sid);
    this.index.delete(ms);
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
