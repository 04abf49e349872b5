/**
 * One session the daemon owns: the Session object plus what the daemon knows about it
 * (sid, the node record it came from, phase and recovery stage, where it is connected,
 * the LUNs found by the last scan). It runs the first login with open-iscsi's retry
 * bound (initial_login_retry_max × login_timeout, reference §7.1/§7.2), logs every failed
 * attempt with a code, cause and action, and reports state changes as events.
 *
 * Recovery after a connection failure is a later milestone: a failed session stays in
 * phase `failed` (FAILED / CLEANUP WAIT) until it is logged out. The `stage` field and
 * `onConnectionFailed` are where a recovery supervisor will plug in.
 */
import type { ControlEvent } from '../control/events.js';
import { IscsiError, ISCSI_ERR, TransportError } from '../shared/errors.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { NodeKey, NodeRecord } from '../db/index.js';
import { describeLuns, type LunInfo } from '../session/scsi-ops.js';
import { Session, type LogoutResult } from '../session/session.js';
import type { Transport } from '../transport/types.js';
import { diagnoseLoginFailure, logLoginFailure, type LoginDiagnosis } from './login-diagnostics.js';
import type { RecordSessionConfig } from './session-options.js';
import { sameWords, stateWords, type RecoveryStage, type SessionPhase, type StateWords } from './session-states.js';
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
}

/** Why a session left the table. */
export type RemovalReason = 'logout' | 'login-failed' | 'shutdown' | 'detached';

export class ManagedSession {
  readonly session: Session;
  readonly log: Logger;
  private readonly tracker: TrackingTransport;
  private _phase: SessionPhase = 'login-wait';
  private _stage: RecoveryStage = 'none';
  private words: StateWords;
  private _luns: LunInfo[] = [];
  private _scannedAt: Date | undefined;
  private _scanError: string | undefined;
  private _loggedInAt: Date | undefined;
  private scanning: Promise<LunInfo[]> | undefined;
  private failureReported = false;

  constructor(
    readonly sid: number,
    readonly key: NodeKey,
    readonly record: Readonly<NodeRecord>,
    readonly config: RecordSessionConfig,
    private readonly deps: ManagedSessionDeps,
  ) {
    this.tracker = new TrackingTransport(deps.transport);
    this.log = deps.logger.child({ sid, cid: 0, target: key.target, portal: `${key.address}:${key.port}`, iface: key.iface });
    this.words = stateWords(this._phase, this._stage);
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
    this.session.on('connection-error', (err: IscsiError) => this.onConnectionFailed(err));
    this.session.on('state', () => this.syncPhase());
  }

  get phase(): SessionPhase {
    return this._phase;
  }
  get stage(): RecoveryStage {
    return this._stage;
  }
  get states(): StateWords {
    return this.words;
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
  /** In its first login (queued, connecting, or waiting to retry). */
  get inFirstLogin(): boolean {
    return this._phase === 'login' || this._phase === 'login-wait';
  }

  /**
   * First login: retried after retryable failures until initial_login_retry_max ×
   * login_timeout has passed (reference §7.2 step 5); non-retryable ones (19, 24, 7)
   * end it at once. Rejects with the last error.
   */
  async loginFirst(): Promise<void> {
    const deadline = this.deps.clock.now() + this.config.loginRetryMax * this.config.timeouts.login * 1000;
    for (let attempt = 1; ; attempt++) {
      this.setPhase('login');
      try {
        await this.session.login();
        this.onLoggedIn();
        return;
      } catch (err) {
        if (this.tracker.cancelled) throw cancelled(this.sid);
        const d = diagnoseLoginFailure(err);
        const delay = d.code === 'LOGIN_TIMEOUT' || d.code === 'CONNECT_TIMEOUT' ? 0 : this.deps.retryDelayMs;
        const final = !d.retryable || this.deps.clock.now() + delay >= deadline;
        this.reportFailure(d, attempt, final);
        if (final) throw err;
        this.setPhase('login-wait');
        await this.pause(delay);
      }
    }
  }

  /** Scan LUNs (REPORT LUNS, INQUIRY, READ CAPACITY); concurrent callers share one scan. */
  rescan(): Promise<LunInfo[]> {
    if (this._phase !== 'logged-in') {
      return Promise.reject(new TransportError('SESSION_NOT_CONNECTED', `session ${this.sid} is not logged in (${this.words.connection})`, {
        errno: ISCSI_ERR.SESSION_NOT_CONNECTED, retryable: true, details: { sid: this.sid },
      }));
    }
    this.scanning ??= describeLuns(this.session).then(
      (luns) => {
        this._luns = luns;
        this._scannedAt = new Date();
        this._scanError = undefined;
        return luns;
      },
      (err: unknown) => {
        this._scanError = err instanceof Error ? err.message : String(err);
        this.log.warn({ err: this._scanError }, 'LUN scan failed');
        throw err;
      },
    ).finally(() => {
      this.scanning = undefined;
    });
    return this.scanning;
  }

  /**
   * Log out (Logout PDU, or teardown of a failed session). A timeout or a connection
   * lost during logout still ends the session (open-iscsi replies after teardown).
   * @throws IscsiError errno 9 while the first login or another logout runs.
   */
  async logout(): Promise<LogoutResult | undefined> {
    if (this.inFirstLogin) throw invalidState(this.sid, 'LOGIN_IN_PROGRESS', 'its first login is still in progress');
    if (this._phase === 'logging-out') throw invalidState(this.sid, 'LOGOUT_IN_PROGRESS', 'a logout is already in progress');
    if (this._phase === 'closed') throw invalidState(this.sid, 'SESSION_CLOSED', 'it is already closed');
    this.setPhase('logging-out');
    try {
      return await this.session.logout();
    } catch (err) {
      const d = diagnoseLoginFailure(err);
      this.log.warn({ code: d.code, cause: d.cause }, 'logout did not complete cleanly; session torn down');
      return undefined;
    } finally {
      this.setPhase('closed');
    }
  }

  /** Drop the connection without a Logout PDU (onboot sessions at shutdown) or abandon the first login. */
  detach(): void {
    this.tracker.cancel();
    this.session.close();
    this.setPhase('closed');
  }

  // ---- internals -------------------------------------------------------------------

  private onLoggedIn(): void {
    this._loggedInAt = new Date();
    this.failureReported = false;
    this.setPhase('logged-in');
    const to = this.connectedTo;
    this.log.info({ current: to ? `${to.portal.host}:${to.portal.port}` : undefined, tsih: this.session.tsih },
      `connection ${this.sid}:0 to [target: ${this.key.target}, portal: ${this.key.address},${this.key.port}] through [iface: ${this.key.iface}] is operational now`);
  }

  /**
   * Hook for the recovery milestone: today a failed connection leaves the session FAILED
   * (the Session reports the state change and then the error; either may come first).
   */
  private onConnectionFailed(err: IscsiError): void {
    if (this._phase !== 'logged-in' && this._phase !== 'failed') return;
    if (!this.failureReported) {
      this.failureReported = true;
      this.log.error({ code: err.code, errno: err.errno, cause: err.message, action: 'log the session out and in again (automatic recovery is not implemented yet)' }, 'connection failed');
      this.deps.emit({ type: 'connection.error', ...this.where(), code: err.code, errno: err.errno, message: err.message });
    }
    this.setPhase('failed');
  }

  /** The Session moved on its own: failed while logged in, or closed by a target-requested logout. */
  private syncPhase(): void {
    if (this._phase !== 'logged-in') return;
    const s = this.session.state;
    if (s === 'failed') this.setPhase('failed');
    else if (s === 'closed') {
      this.log.warn({ code: 'SESSION_CLOSED_BY_TARGET' }, 'the target ended the session');
      this.setPhase('failed');
    }
  }

  private reportFailure(d: LoginDiagnosis, attempt: number, final: boolean): void {
    logLoginFailure(this.log, d, attempt, final);
    this.deps.emit({ type: 'login.failed', ...this.where(), attempt, final, code: d.code, errno: d.errno, cause: d.cause, action: d.action });
  }

  /** Wait between attempts; ends early when the login is cancelled. */
  private pause(ms: number): Promise<void> {
    const signal = this.tracker.signal;
    if (ms <= 0 || signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = this.deps.clock.setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      function done(): void {
        timer.cancel();
        signal.removeEventListener('abort', done);
        resolve();
      }
    });
  }

  private setPhase(phase: SessionPhase): void {
    this._phase = phase;
    const words = stateWords(phase, this._stage);
    if (sameWords(words, this.words)) return;
    this.words = words;
    this.deps.emit({ type: 'session.state', ...this.where(), ...words });
  }

  /** Common event fields. */
  where(): { sid: number; target: string; address: string; port: number; iface: string } {
    return { sid: this.sid, target: this.key.target, address: this.key.address, port: this.key.port, iface: this.key.iface };
  }
}

function invalidState(sid: number, code: string, why: string): IscsiError {
  return new IscsiError(code, `cannot log out session ${sid}: ${why}`, { errno: ISCSI_ERR.INTERNAL, details: { sid } });
}

function cancelled(sid: number): IscsiError {
  return new IscsiError('LOGIN_CANCELLED', `login of session ${sid} was cancelled: tsiscsid is stopping`, { errno: ISCSI_ERR.INTERNAL, details: { sid } });
}
