/**
 * One session the daemon owns: a Session run by a SessionSupervisor (src/recovery) built
 * from its node record, plus what the daemon knows about it (sid, the record, where it is
 * connected, the LUNs found by the last scan).
 *
 * - First login: the supervisor retries within initial_login_retry_max × login_timeout
 *   (reference §7.2); every failed attempt is logged with code, cause and action.
 * - Connection failure: the supervisor reopens the session after DefaultTime2Wait with
 *   backoff, holding SCSI commands (LUN scans) for replacement_timeout; reopen_max bounds
 *   the attempts; a give-up leaves the session FAILED (CLEANUP WAIT) until it is logged out.
 * - Logout works from any state: a Logout PDU when logged in, else the connection (or the
 *   login attempt) is closed. `force` tears down at once without a Logout PDU when the
 *   normal logout cannot run (first login, logout in progress) or does not finish within
 *   logout_timeout (open-iscsi #228/#513).
 *
 * State changes, failures and recoveries are published through SessionReporter.
 */
import type { ControlEvent } from '../control/events.js';
import { IscsiError, ISCSI_ERR, TransportError } from '../shared/errors.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { NodeKey, NodeRecord } from '../db/index.js';
import { terminatedError } from '../recovery/errors.js';
import { SessionSupervisor, type SupervisorSnapshot } from '../recovery/supervisor.js';
import { describeLuns, type LunInfo } from '../session/scsi-ops.js';
import { Session, type LogoutResult } from '../session/session.js';
import type { Transport } from '../transport/types.js';
import type { RecordSessionConfig } from './session-options.js';
import { extendedStats, SessionReporter, type RecoveryCounters } from './session-reporting.js';
import { CLOSED_WORDS, phaseOf, QUEUED_WORDS, wordsOf, type SessionPhase, type StateWords } from './session-states.js';
import { TrackingTransport, type ConnectedTo } from './tracking-transport.js';

/** What a managed session needs from the daemon. */
export interface ManagedSessionDeps {
  transport: Transport;
  clock: Clock;
  logger: Logger;
  emit: (event: ControlEvent) => void;
  /** Pause between failed first-login attempts (open-iscsi: 3 s after a failed connect). */
  retryDelayMs: number;
  random?: (n: number) => Buffer;
  /** Profile whose values the record got at login (iface default), for the report. */
  profile?: string;
}

/** Why a session left the table. */
export type RemovalReason = 'logout' | 'login-failed' | 'shutdown' | 'detached';

/** Options of `logout`. */
export interface LogoutOptions {
  /** Tear down without a Logout PDU when a normal logout cannot complete within logout_timeout. */
  force?: boolean;
}

export class ManagedSession {
  readonly session: Session;
  readonly supervisor: SessionSupervisor;
  readonly log: Logger;
  readonly profile: string | undefined;
  private readonly tracker: TrackingTransport;
  private readonly reporter: SessionReporter;
  private started = false;
  private closed = false;
  private _luns: LunInfo[] = [];
  private _scannedAt: Date | undefined;
  private _scanError: string | undefined;
  private _loggedInAt: Date | undefined;
  private scanning: Promise<LunInfo[]> | undefined;

  constructor(
    /** Kernel-path sessions take the kernel's session number after CREATE_SESSION (SessionManager.rekey). */
    public sid: number,
    readonly key: NodeKey,
    readonly record: Readonly<NodeRecord>,
    readonly config: RecordSessionConfig,
    private readonly deps: ManagedSessionDeps,
  ) {
    this.profile = deps.profile;
    this.tracker = new TrackingTransport(deps.transport);
    this.log = deps.logger.child({ sid, cid: 0, target: key.target, portal: `${key.address}:${key.port}`, iface: key.iface });
    this.session = new Session({
      transport: this.tracker,
      portal: { host: key.address, port: key.port },
      ...(config.tpgt >= 0 ? { tpgt: config.tpgt } : {}),
      initiatorName: config.initiatorName,
      ...(config.initiatorAlias ? { initiatorAlias: config.initiatorAlias } : {}),
      targetName: config.targetName,
      sessionType: 'Normal',
      isid: config.isid,
      ...(config.chap ? { chap: config.chap } : {}),
      offer: config.offer,
      loginTimeoutMs: config.timeouts.login * 1000,
      logoutTimeoutMs: config.timeouts.logout * 1000,
      noopOutIntervalMs: config.timeouts.noopOutInterval * 1000,
      noopOutTimeoutMs: config.timeouts.noopOutTimeout * 1000,
      initialCmdSN: config.initialCmdSN,
      ...(config.localAddress ? { localAddress: config.localAddress } : {}),
      clock: deps.clock,
      ...(deps.random ? { random: deps.random } : {}),
      logger: this.log,
    });
    this.supervisor = new SessionSupervisor(this.session, {
      config: { ...config.recovery, initialRetryDelayMs: deps.retryDelayMs },
      clock: deps.clock,
      logger: this.log,
    });
    this.reporter = new SessionReporter(this, deps.emit, deps.clock);
    this.reporter.attach(this.session, this.supervisor);
    this.supervisor.on('recovered', () => {
      this._loggedInAt = new Date();
      this.autoRescan();
    });
    this.session.on('luns-changed', () => this.autoRescan());
  }

  get phase(): SessionPhase {
    if (this.closed) return 'closed';
    if (!this.started) return 'login-wait';
    return phaseOf(this.supervisor.state, this.supervisor.step);
  }
  /** The `-P 1` state words. */
  get states(): StateWords {
    if (this.closed) return { ...CLOSED_WORDS };
    if (!this.started) return { ...QUEUED_WORDS };
    return wordsOf(this.supervisor.words);
  }
  /** The supervisor's view (recovery state, attempts, held commands, effective timers). */
  get recovery(): SupervisorSnapshot {
    return this.supervisor.snapshot();
  }
  get counters(): Readonly<RecoveryCounters> {
    return this.reporter.counters;
  }
  get lastRecoveredAt(): Date | undefined {
    return this.reporter.lastRecoveredAt;
  }
  /** replacement_timeout of the session, seconds. */
  get replacementTimeoutS(): number {
    return this.config.timeouts.recovery;
  }
  get luns(): readonly LunInfo[] {
    return this._luns;
  }
  get scannedAt(): Date | undefined {
    return this._scannedAt;
  }
  get scanError(): string | undefined {
    return this._scanError;
  }
  get loggedInAt(): Date | undefined {
    return this._loggedInAt;
  }
  /** Where the connection went (undefined before the first connect). */
  get connectedTo(): ConnectedTo | undefined {
    return this.tracker.connectedTo;
  }
  /** The session outlives the daemon (kernel data path): shutdown detaches it instead of logging out. */
  get keepsRunning(): boolean {
    return false;
  }
  /** In its first login (queued, connecting, or waiting to retry). */
  get inFirstLogin(): boolean {
    const p = this.phase;
    return p === 'login' || p === 'login-wait';
  }

  /** `iSCSI Extended:` statistics: AsyncEvents by kind, then recovery counters. */
  extendedStats(): Array<[string, number]> {
    return extendedStats(this.session.asyncEvents, this.reporter.counters);
  }

  /**
   * First login, run by the supervisor: retried after retryable failures until
   * initial_login_retry_max × login_timeout has passed; non-retryable ones (19, 24) end
   * it at once. Rejects with the last error, or LOGIN_CANCELLED when the daemon stops.
   */
  async loginFirst(): Promise<void> {
    if (this.closed) throw this.tracker.cancelled ? cancelled(this.sid) : terminatedError(); // torn down while queued
    this.started = true;
    try {
      await this.supervisor.start();
    } catch (err) {
      if (this.tracker.cancelled) throw cancelled(this.sid);
      throw err;
    }
    this.onLoggedIn();
  }

  /**
   * Scan LUNs (REPORT LUNS, INQUIRY, READ CAPACITY); concurrent callers share one scan.
   * While the session is reopening the commands are held like any others: they run
   * after the recovery, or fail with REPLACEMENT_TIMEOUT when replacement_timeout fires.
   */
  rescan(): Promise<LunInfo[]> {
    const phase = this.phase;
    if (phase !== 'logged-in' && phase !== 'reopen') {
      return Promise.reject(new TransportError('SESSION_NOT_CONNECTED', `session ${this.sid} is not logged in (${this.states.connection})`, {
        errno: ISCSI_ERR.SESSION_NOT_CONNECTED, retryable: true, details: { sid: this.sid },
      }));
    }
    this.scanning ??= describeLuns({ execute: (req) => this.supervisor.execute(req) }).then(
      (luns) => {
        this._luns = luns;
        this._scannedAt = new Date();
        this._scanError = undefined;
        return luns;
      },
      (err: unknown) => {
        this._scanError = err instanceof Error ? err.message : String(err);
        this.log.warn({ err: this._scanError, code: err instanceof IscsiError ? err.code : undefined }, 'LUN scan failed');
        throw err;
      },
    ).finally(() => {
      this.scanning = undefined;
    });
    return this.scanning;
  }

  /**
   * Log out: a Logout PDU on a live connection (bounded by logout_timeout), else close
   * whatever is there (REOPEN, FAILED). Held commands fail. Resolves with the target's
   * Logout Response, or undefined when none was exchanged.
   * @throws IscsiError errno 9 (LOGIN_IN_PROGRESS / LOGOUT_IN_PROGRESS) without `force`
   *   during the first login or another logout; SESSION_CLOSED when already gone.
   */
  async logout(opts: LogoutOptions = {}): Promise<LogoutResult | undefined> {
    const phase = this.phase;
    if (phase === 'closed') throw invalidState(this.sid, 'SESSION_CLOSED', 'it is already closed');
    const busy = phase === 'login' || phase === 'login-wait' ? 'its first login is still in progress'
      : phase === 'logging-out' ? 'a logout is already in progress' : undefined;
    if (busy !== undefined) {
      if (!opts.force) throw invalidState(this.sid, phase === 'logging-out' ? 'LOGOUT_IN_PROGRESS' : 'LOGIN_IN_PROGRESS', `${busy} (force tears it down)`);
      this.teardown(busy);
      return undefined;
    }
    return this.runLogout(opts.force === true);
  }

  /** Drop the connection without a Logout PDU (onboot sessions at shutdown) or abandon the first login. */
  detach(): void {
    this.tracker.cancel();
    this.supervisor.terminate();
    this.finish();
  }

  /** Common event fields. */
  where(): { sid: number; target: string; address: string; port: number; iface: string } {
    return { sid: this.sid, target: this.key.target, address: this.key.address, port: this.key.port, iface: this.key.iface };
  }

  // ---- internals -------------------------------------------------------------------

  private async runLogout(force: boolean): Promise<LogoutResult | undefined> {
    const pending = Promise.resolve(this.supervisor.logout()).catch((err: unknown) => {
      const e = err instanceof IscsiError ? err : undefined;
      this.log.warn({ code: e?.code, cause: e?.message ?? String(err) }, 'logout did not complete cleanly; session torn down');
      return undefined;
    });
    try {
      if (!force) return await pending;
      return await this.within(pending, this.config.timeouts.logout * 1000, () => {
        this.log.warn({ logoutTimeoutS: this.config.timeouts.logout }, 'logout did not complete within logout_timeout; torn down without waiting');
        this.supervisor.terminate();
      });
    } finally {
      this.finish();
    }
  }

  /** `p`, or undefined after `ms` (calling `onTimeout`), whichever comes first. */
  private within<T>(p: Promise<T>, ms: number, onTimeout: () => void): Promise<T | undefined> {
    return new Promise<T | undefined>((resolve) => {
      const timer = this.deps.clock.setTimeout(() => {
        onTimeout();
        resolve(undefined);
      }, ms);
      void p.then((v) => {
        timer.cancel();
        resolve(v);
      });
    });
  }

  /** Forced teardown: no Logout PDU; a login in progress is aborted, held commands fail. */
  private teardown(why: string): void {
    this.log.warn({ from: this.states, why }, 'session torn down by force (no Logout PDU)');
    this.supervisor.terminate();
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.supervisor.dispose();
  }

  private onLoggedIn(): void {
    this._loggedInAt = new Date();
    const to = this.connectedTo;
    this.log.info({ current: to ? `${to.portal.host}:${to.portal.port}` : undefined, tsih: this.session.tsih, profile: this.profile },
      `connection ${this.sid}:0 to [target: ${this.key.target}, portal: ${this.key.address},${this.key.port}] through [iface: ${this.key.iface}] is operational now`);
  }

  /** After a recovery or a REPORTED LUNS DATA HAS CHANGED event: scan again when node.session.scan = auto. */
  private autoRescan(): void {
    if (this.record['node.session.scan'] !== 'auto' || this.phase !== 'logged-in') return;
    this.rescan().catch(() => undefined); // logged by rescan()
  }
}

function invalidState(sid: number, code: string, why: string): IscsiError {
  return new IscsiError(code, `cannot log out session ${sid}: ${why}`, { errno: ISCSI_ERR.INTERNAL, details: { sid } });
}

function cancelled(sid: number): IscsiError {
  return new IscsiError('LOGIN_CANCELLED', `login of session ${sid} was cancelled: tsiscsid is stopping`, { errno: ISCSI_ERR.INTERNAL, details: { sid } });
}
