/**
 * Connection error recovery of one Session at ERL 0 (RFC 7143 §7.1.4.4, §7.14, §7.15;
 * open-iscsi reference §7.3): the supervisor runs the pure machine of machine.ts with
 * an injected clock.
 *
 * - Initial login: retried per policy within initial_login_retry_max × login_timeout;
 *   class 2 / auth failures stop at once (G-09, O-15, S-04).
 * - Connection lost (TCP, NOP-Out timeout, format/digest error, AsyncEvent 2/3, a
 *   target-requested logout): state REOPEN; wait max(Time2Wait, backoff) and log in
 *   again — session reinstatement, same ISID and TSIH 0 (B-05, O-02, O-09) — until it
 *   works, reopen_max is used up, or a failure is not retryable (→ FAILED).
 * - replacement_timeout (S-01), armed when the connection is lost: meanwhile new
 *   commands are held, and commands the connection did not complete (O-10: the target
 *   ended them at ERL 0) are held too; after a successful reinstatement all of them are
 *   issued again in order. When it fires, every held command fails at once with
 *   REPLACEMENT_TIMEOUT and new ones fail immediately until the session is back.
 *   0 fails at once; a negative value holds until logout.
 * - logout() and terminate() work from any state (open-iscsi #228/#513).
 *
 * Events: `transition` (SupervisorTransition) for every state change, `recovered`,
 * `replacement-timeout`, `gave-up`, and `login-failed` (LoginFailedData) for every
 * failed login attempt, initial or reopen.
 */
import { EventEmitter } from 'node:events';
import { IscsiError, ISCSI_ERR, TransportError } from '../shared/errors.js';
import { systemClock, TimerSlot, type Clock } from '../shared/clock.js';
import { nullLogger, type Logger } from '../shared/logger.js';
import type {
  ConnectionErrorInfo, ExecuteOptions, LogoutResult, Session, UnfinishedCommand,
} from '../session/session.js';
import type { ScsiRequest, ScsiResult } from '../session/scsi-task.js';
import {
  abortedWhileHeldError, loggedOutError, notLoggedInError, recoveryFailedError, replacementTimeoutError,
} from './errors.js';
import {
  INITIAL_STATE, transition, type Effect, type IoMode, type MachineEvent, type MachineState, type Phase, type Step, type TimerName,
} from './machine.js';
import {
  isRetryableUnitAttention, MAX_UNIT_ATTENTION_RETRIES, recoveryConfig, type BackoffConfig, type RecoveryConfig,
} from './policy.js';
import { stateWords, type StateWords } from './words.js';

/** What the supervisor needs of a Session (a test double can provide just this). */
export type SupervisedSession = Pick<Session, 'state' | 'params' | 'login' | 'logout' | 'close' | 'execute' | 'setUnfinishedHandler' | 'on' | 'off'>;

export interface SupervisorOptions {
  config?: Partial<Omit<RecoveryConfig, 'backoff'>> & { backoff?: Partial<BackoffConfig> };
  /** Must be the session's clock too. */
  clock?: Clock;
  logger?: Logger;
  /** Uniform in [0, 1): backoff jitter. */
  random?: () => number;
}

/** Published on every change of state, step or I/O mode. */
export interface SupervisorTransition {
  from: Phase;
  to: Phase;
  step: Step;
  io: IoMode;
  words: StateWords;
  /** The machine event that caused it. */
  event: MachineEvent['type'];
  attempts: number;
  /** Error code of the last failure, if any. */
  cause?: string;
  at: number;
}

/** Point-in-time view for `-m session -P 2` and the API. */
export interface SupervisorSnapshot {
  state: Phase;
  step: Step;
  io: IoMode;
  words: StateWords;
  attempts: number;
  /** Commands waiting for the session to come back. */
  held: number;
  replacementExpired: boolean;
  /** Delay of the last reopen wait armed, ms. */
  delayMs: number;
  cause?: { code: string; message: string };
  /** Effective timers. */
  config: RecoveryConfig;
}

interface Held {
  request: ScsiRequest;
  signal?: AbortSignal;
  resolve(result: ScsiResult): void;
  reject(err: IscsiError): void;
  /** Unit attention retries left (O-11); adopted commands leave this to their first issue. */
  uaRetries: number;
}

/** Adoptions of one request before it is failed (a target rejecting it 0x0c forever). */
const MAX_ADOPTIONS = 8;

export class SessionSupervisor extends EventEmitter {
  readonly config: RecoveryConfig;
  private st: MachineState = INITIAL_STATE;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly random: () => number;
  private readonly timers: Record<TimerName, TimerSlot>;
  private held: Held[] = [];
  private readonly adoptions = new WeakMap<ScsiRequest, number>();
  private startWaiter: { resolve: () => void; reject: (e: IscsiError) => void } | undefined;
  private logoutPromise: Promise<LogoutResult | undefined> | undefined;
  /** Bumped whenever a login or logout in progress stops mattering. */
  private seq = 0;
  private queue: MachineEvent[] = [];
  private dispatching = false;
  private readonly sessionListeners: Array<[string, (...args: any[]) => void]>; // eslint-disable-line @typescript-eslint/no-explicit-any

  constructor(readonly session: SupervisedSession, opts: SupervisorOptions = {}) {
    super();
    this.config = recoveryConfig(opts.config);
    this.clock = opts.clock ?? systemClock;
    this.log = opts.logger ?? nullLogger;
    this.random = opts.random ?? Math.random;
    this.timers = { reopen: new TimerSlot(this.clock, 'reopen-delay'), replacement: new TimerSlot(this.clock, 'replacement-timeout') };
    this.sessionListeners = [
      ['connection-error', (err: IscsiError, info?: ConnectionErrorInfo) => this.onConnectionError(err, info)],
      ['logout-requested', () => this.onLogoutRequested()],
      ['target-logout', () => this.dispatch({ type: 'target-logout-done', now: this.clock.now() })],
    ];
    for (const [name, fn] of this.sessionListeners) session.on(name, fn);
    session.setUnfinishedHandler((commands) => this.adopt(commands));
  }

  get state(): Phase {
    return this.st.phase;
  }

  /** What IN_LOGIN / REOPEN is doing now. */
  get step(): Step {
    return this.st.step;
  }

  /** The open-iscsi state words of the current state. */
  get words(): StateWords {
    return stateWords(this.st);
  }

  snapshot(): SupervisorSnapshot {
    const s = this.st;
    return {
      state: s.phase, step: s.step, io: s.io, words: stateWords(s), attempts: s.attempts, held: this.held.length,
      replacementExpired: s.replacementExpired, delayMs: s.delayMs, config: this.config,
      ...(s.cause ? { cause: { code: s.cause.code, message: s.cause.message } } : {}),
    };
  }

  /** First login (from FREE or FAILED); resolves once logged in, rejects when the initial login gives up. */
  start(): Promise<void> {
    if (this.st.phase !== 'FREE' && this.st.phase !== 'FAILED') {
      return Promise.reject(new IscsiError('SESSION_BUSY', `cannot start: supervisor is ${this.st.phase}`, { errno: ISCSI_ERR.SESS_EXISTS }));
    }
    return new Promise<void>((resolve, reject) => {
      this.startWaiter = { resolve, reject };
      this.dispatch({ type: 'start', now: this.clock.now() });
    });
  }

  /** Run a SCSI command: sent, held during recovery, or refused, per the current state. */
  execute(request: ScsiRequest, opts: ExecuteOptions = {}): Promise<ScsiResult> {
    return new Promise<ScsiResult>((resolve, reject) => {
      this.route({ request, ...(opts.signal ? { signal: opts.signal } : {}), resolve, reject, uaRetries: MAX_UNIT_ATTENTION_RETRIES });
    });
  }

  /** Log out from any state: a Logout on a live connection, else close what is there. Held commands fail. */
  async logout(): Promise<LogoutResult | undefined> {
    this.dispatch({ type: 'logout', now: this.clock.now() });
    return this.logoutPromise ?? undefined;
  }

  /** Forced teardown from any state: no Logout PDU, everything held or outstanding fails. */
  terminate(): void {
    this.dispatch({ type: 'terminate', now: this.clock.now() });
  }

  /** Terminate if needed and detach from the session. */
  dispose(): void {
    if (this.st.phase !== 'FREE') this.terminate();
    for (const [name, fn] of this.sessionListeners) this.session.off(name, fn);
    this.session.setUnfinishedHandler(undefined);
    this.timers.reopen.cancel();
    this.timers.replacement.cancel();
  }

  // ---- session events ------------------------------------------------------------

  private onConnectionError(err: IscsiError, info: ConnectionErrorInfo | undefined): void {
    const hints = {
      ...(info?.time2WaitMs === undefined ? {} : { time2WaitMs: info.time2WaitMs }),
      ...(info?.time2RetainMs === undefined ? {} : { time2RetainMs: info.time2RetainMs }),
    };
    this.dispatch({ type: 'connection-lost', error: err, hints, awaitLogout: false, now: this.clock.now() });
  }

  /** AsyncEvent 1 (M-03): the session is logging out; hold commands, re-login after it. */
  private onLogoutRequested(): void {
    const error = new TransportError('TARGET_REQUESTED_LOGOUT', 'target requested a logout (AsyncEvent 1)');
    this.dispatch({ type: 'connection-lost', error, hints: {}, awaitLogout: true, now: this.clock.now() });
  }

  /** Commands the connection did not complete: they go first, before anything held since (O-10, M-04). */
  private adopt(commands: UnfinishedCommand[]): void {
    const items: Held[] = [];
    for (const c of commands) {
      const n = (this.adoptions.get(c.request) ?? 0) + 1;
      this.adoptions.set(c.request, n);
      if (n > MAX_ADOPTIONS) {
        c.reject(new IscsiError('COMMAND_NOT_ACCEPTED', `SCSI command handed back ${n} times without completing`, { errno: ISCSI_ERR.TRANS }));
        continue;
      }
      items.push({ request: c.request, ...(c.signal ? { signal: c.signal } : {}), resolve: c.resolve, reject: c.reject, uaRetries: 0 });
    }
    this.held.unshift(...items);
    if (this.st.io === 'fail') this.failHeld(this.refusal());
    // While LOGGED_IN (a Reject 0x0c before any logout request): a connection-error may
    // follow in this same turn; if not, issue them again right away.
    else if (this.st.io === 'pass') queueMicrotask(() => this.st.io === 'pass' && this.release());
  }

  // ---- the machine ---------------------------------------------------------------

  private dispatch(event: MachineEvent): void {
    this.queue.push(event);
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      for (let e = this.queue.shift(); e !== undefined; e = this.queue.shift()) this.apply(e);
    } finally {
      this.dispatching = false;
    }
  }

  private apply(event: MachineEvent): void {
    const before = this.st;
    const time2Wait = this.session.params?.defaultTime2Wait;
    const { state, effects } = transition(before, event, {
      config: this.config, time2WaitMs: time2Wait === undefined ? undefined : time2Wait * 1000, random: this.random,
    });
    this.st = state;
    if (state.phase !== before.phase || state.step !== before.step || state.io !== before.io) {
      const t: SupervisorTransition = {
        from: before.phase, to: state.phase, step: state.step, io: state.io, words: stateWords(state), event: event.type,
        attempts: state.attempts, ...(state.cause ? { cause: state.cause.code } : {}), at: this.clock.now(),
      };
      this.emit('transition', t);
    }
    for (const effect of effects) this.run(effect);
  }

  private run(e: Effect): void {
    switch (e.type) {
      case 'login': return this.login();
      case 'arm': {
        const type = e.timer === 'reopen' ? 'delay-elapsed' : 'replacement-timeout';
        return this.timers[e.timer].arm(e.ms, () => this.dispatch({ type, now: this.clock.now() }));
      }
      case 'cancel': return this.timers[e.timer].cancel();
      case 'release-held': return this.release();
      case 'fail-held': return this.failHeld(e.error);
      case 'logout-session': return this.logoutSession();
      case 'close-session':
        this.seq++;
        return this.session.close();
      case 'settle-start': {
        const w = this.startWaiter;
        this.startWaiter = undefined;
        if (e.error) w?.reject(e.error);
        else w?.resolve();
        return;
      }
      case 'notify':
        this.emit(e.event, e.data);
        return;
      case 'log':
        return this.log[e.level](e.data, e.msg);
    }
  }

  private login(): void {
    const seq = ++this.seq;
    this.session.login().then(
      () => {
        if (seq !== this.seq) return;
        if (this.session.state === 'logged-in') this.dispatch({ type: 'login-ok', now: this.clock.now() });
        else this.dispatch({ type: 'login-failed', error: new TransportError('SESSION_FAILED', 'connection failed right after login'), now: this.clock.now() });
      },
      (err: unknown) => {
        if (seq !== this.seq) return;
        const error = err instanceof IscsiError ? err : new IscsiError('LOGIN_FAILED', String(err), { cause: err });
        this.dispatch({ type: 'login-failed', error, now: this.clock.now() });
      },
    );
  }

  private logoutSession(): void {
    this.seq++;
    const p = this.session.logout().finally(() => {
      this.logoutPromise = undefined;
      this.dispatch({ type: 'logout-done', now: this.clock.now() });
    });
    p.catch(() => {});
    this.logoutPromise = p;
  }

  // ---- commands ------------------------------------------------------------------

  private route(h: Held): void {
    switch (this.st.io) {
      case 'pass': return this.issue(h);
      case 'hold':
        this.held.push(h);
        return;
      case 'fail': return h.reject(this.refusal());
    }
  }

  private issue(h: Held): void {
    if (h.signal?.aborted) return h.reject(abortedWhileHeldError());
    this.session.execute(h.request, h.signal ? { signal: h.signal } : {}).then(
      (result) => {
        // O-11: a unit attention left by the recovery: issue the command again.
        if (h.uaRetries > 0 && isRetryableUnitAttention(result)) {
          h.uaRetries--;
          return this.route(h);
        }
        h.resolve(result);
      },
      (err: IscsiError) => {
        if (err.code === 'SESSION_NOT_LOGGED_IN' && this.st.io === 'hold') this.held.push(h);
        else h.reject(err);
      },
    );
  }

  private release(): void {
    const held = this.held;
    this.held = [];
    for (const h of held) this.issue(h);
  }

  private failHeld(err: IscsiError): void {
    const held = this.held;
    this.held = [];
    for (const h of held) h.reject(err);
  }

  /** Why a command is refused right now (io = fail). */
  private refusal(): IscsiError {
    const s = this.st;
    switch (s.phase) {
      case 'REOPEN': return replacementTimeoutError(this.config.replacementTimeoutMs, s.cause);
      case 'FAILED': return recoveryFailedError(s.cause);
      case 'IN_LOGOUT': return loggedOutError();
      case 'FREE':
      case 'IN_LOGIN':
      case 'LOGGED_IN':
        return notLoggedInError(s.phase);
    }
  }
}
