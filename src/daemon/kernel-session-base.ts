/**
 * What the two kernel-path daemon sessions share (iscsi_tcp: kernel-managed-session.ts,
 * offload transports: kernel-offload-session.ts): the phase with its `session.state`
 * events (kernel-events.ts), the recovery counters and snapshot, the logout and detach
 * rules, and the handling of the kernel's events:
 *
 * - ISCSI_KEVENT_CONN_ERROR → `connection.error`, REOPEN, the subclass's re-login loop
 *   (kernel-offload-recovery.ts) until it works (`session.recovered`, devices back to
 *   running, host rescanned), the session stops reopening, or reopen_max
 *   (`session.gave-up`, FAILED until logged out);
 * - UNBIND_SESSION not asked for by us → the kernel removed the target: the session is
 *   torn down and leaves the table (logout bookkeeping).
 */
import { IscsiError, ISCSI_ERR } from '../shared/errors.js';
import type { SupervisorSnapshot } from '../recovery/supervisor.js';
import type { DriverEvent } from '../transport/kernel/driver-events.js';
import type { NodeKey, NodeRecord } from '../db/index.js';
import { KernelEventReporter, recoveryStateOf, type KernelTrigger } from './kernel-events.js';
import type { KernelPath } from './kernel-path.js';
import { KERNEL_WORDS } from './kernel-session-states.js';
import { ManagedSession, type LogoutOptions, type ManagedSessionDeps, type RemovalReason } from './managed-session.js';
import { extendedStats, type RecoveryCounters } from './session-reporting.js';
import type { RecordSessionConfig } from './session-options.js';
import type { SessionPhase, StateWords } from './session-states.js';
import type { ConnectedTo } from './tracking-transport.js';

/** Why the session is (or was last) recovering. */
export interface RecoveryCause {
  code: string;
  message: string;
}

/** How a re-login loop ended (kernel-offload-recovery.ts reconnectLoop). */
export type RecoveryOutcome = 'ok' | 'stopped' | 'gave-up';

export abstract class KernelSessionBase extends ManagedSession {
  protected kphase: SessionPhase = 'login-wait';
  protected to: ConnectedTo | undefined;
  protected kLoggedInAt: Date | undefined;
  protected attempts = 0;
  protected cause: RecoveryCause | undefined;
  protected readonly kcounters: RecoveryCounters = { connectionErrors: 0, recoveries: 0, reopenFailures: 0, replacementTimeouts: 0, giveUps: 0 };
  protected readonly events: KernelEventReporter;
  private unsubscribe: (() => void) | undefined;
  private recovering: Promise<void> | undefined;
  private recoveredAt: Date | undefined;

  constructor(
    sid: number, key: NodeKey, record: Readonly<NodeRecord>, config: RecordSessionConfig, protected readonly kdeps: ManagedSessionDeps,
    protected readonly kernel: KernelPath,
    /** Called when the kernel removed the session on its own (UNBIND_SESSION). */
    private readonly onGone: (ms: KernelSessionBase, reason: RemovalReason) => void,
  ) {
    super(sid, key, record, config, kdeps);
    this.events = new KernelEventReporter(this, kdeps.emit);
  }

  // ---- what each engine supplies ---------------------------------------------------

  /** The kernel session number once logged in (events for other sessions are ignored). */
  protected abstract get kernelSid(): number | undefined;
  /** Tear the kernel objects down without a Logout (UNBIND_SESSION from the kernel). */
  protected abstract destroyKernelSession(): Promise<unknown>;
  /** A CONN_ERROR for this session (counted and reported already): start recovering. */
  protected abstract recoverFrom(cause: RecoveryCause): void;
  /** The loop reported `ok`: enter LOGGED_IN; false when the session left REOPEN meanwhile. */
  protected abstract relogged(): boolean;
  /** Fields and text of the `recovered` log line. */
  protected abstract recoveredNote(): [Record<string, unknown>, string];
  /** After a recovery: offline devices back to running, host rescanned. */
  protected abstract afterRecovery(): Promise<void>;

  // ---- the face of a session -------------------------------------------------------

  override get phase(): SessionPhase {
    return this.kphase;
  }
  override get states(): StateWords {
    return { ...KERNEL_WORDS[this.kphase] };
  }
  override get recovery(): SupervisorSnapshot {
    return { ...super.recovery, state: recoveryStateOf(this.kphase), attempts: this.attempts, ...(this.cause ? { cause: this.cause } : {}) };
  }
  override get counters(): Readonly<RecoveryCounters> {
    return this.kcounters;
  }
  /** `iSCSI Extended:` with this session's kernel-path recovery counters. */
  override extendedStats(): Array<[string, number]> {
    return extendedStats(this.session.asyncEvents, this.kcounters);
  }
  override get lastRecoveredAt(): Date | undefined {
    return this.recoveredAt;
  }
  override get loggedInAt(): Date | undefined {
    return this.kLoggedInAt;
  }
  override get connectedTo(): ConnectedTo | undefined {
    return this.to;
  }
  get kernelPath(): KernelPath {
    return this.kernel;
  }

  override detach(): void {
    if (this.kphase === 'login' || this.kphase === 'login-wait') super.detach();
    this.close('terminate');
  }

  // ---- for the engines -------------------------------------------------------------

  /** Phase change with its `session.state` event. */
  protected setPhase(to: SessionPhase, trigger: KernelTrigger, cause?: string): void {
    const from = this.kphase;
    this.kphase = to;
    this.events.phase(from, to, trigger, this.attempts, cause);
  }

  protected isClosed(): boolean {
    return this.kphase === 'closed';
  }

  protected cancelled(): IscsiError {
    return new IscsiError('LOGIN_CANCELLED', `login of session ${this.sid} was cancelled`, { errno: ISCSI_ERR.INTERNAL });
  }

  /** Start of the first login: refused once closed, else IN_LOGIN. */
  protected beginLogin(): void {
    if (this.isClosed()) throw this.cancelled();
    this.setPhase('login', 'start');
  }

  /** Start of a logout: refused while closed or (without force) logging in or out; returns the phase before. */
  protected beginLogout(opts: LogoutOptions): SessionPhase {
    const phase = this.kphase;
    if (phase === 'closed') throw new IscsiError('SESSION_CLOSED', `cannot log out session ${this.sid}: it is already closed`, { errno: ISCSI_ERR.INTERNAL, details: { sid: this.sid } });
    if ((phase === 'login' || phase === 'login-wait' || phase === 'logging-out') && !opts.force) {
      const code = phase === 'logging-out' ? 'LOGOUT_IN_PROGRESS' : 'LOGIN_IN_PROGRESS';
      throw new IscsiError(code, `cannot log out session ${this.sid}: ${phase === 'logging-out' ? 'a logout is already in progress' : 'its first login is still in progress'} (force tears it down)`, { errno: ISCSI_ERR.INTERNAL, details: { sid: this.sid } });
    }
    this.setPhase('logging-out', 'logout');
    return phase;
  }

  /** Follow the kernel's events on `driver` (replacing an earlier subscription). */
  protected listen(driver: { onEvent(fn: (ev: DriverEvent) => void): () => void } | undefined): void {
    this.unsubscribe?.();
    this.unsubscribe = driver?.onEvent((ev) => this.onKernelEvent(ev));
  }

  /** Whether a CONN_ERROR is acted on in the current phase. */
  protected connErrorAccepted(): boolean {
    return true;
  }

  /** Enter REOPEN for `cause` and run the re-login `loop` (one recovery at a time). */
  protected runRecovery(cause: RecoveryCause, loop: () => Promise<RecoveryOutcome>, what: string): void {
    if (this.recovering) return;
    this.cause = cause;
    this.attempts = 0;
    this.setPhase('reopen', 'connection-lost', cause.code);
    const downAt = this.kdeps.clock.now();
    this.recovering = loop().then(async (outcome) => {
      if (outcome === 'gave-up') return this.gaveUp();
      if (outcome !== 'ok' || !this.relogged()) return undefined;
      this.kcounters.recoveries++;
      this.recoveredAt = new Date();
      const downMs = Math.max(0, Math.round(this.kdeps.clock.now() - downAt));
      this.kdeps.emit({ type: 'session.recovered', ...this.where(), attempts: this.attempts, downMs });
      const [fields, text] = this.recoveredNote();
      this.log.info({ attempts: this.attempts, downMs, ...fields }, text);
      return this.afterRecovery();
    }).catch((err: unknown) => {
      this.log.error({ err: err instanceof Error ? err.message : String(err) }, `${what} recovery stopped on an unexpected error`);
    }).finally(() => {
      this.recovering = undefined;
    });
  }

  protected get isRecovering(): boolean {
    return this.recovering !== undefined;
  }

  /** One failed re-login attempt: counted, the cause kept, `login.failed`. */
  protected reopenFailed(err: unknown, attempt: number, final: boolean): void {
    this.kcounters.reopenFailures++;
    const e = err instanceof IscsiError ? err : undefined;
    this.cause = { code: e?.code ?? 'UNKNOWN', message: e?.message ?? String(err) };
    this.events.loginFailed(err, attempt, final);
  }

  /** errno of `session.gave-up`. */
  protected gaveUpErrno(): number {
    return 0;
  }

  /** reopen_max reached: FAILED until logged out, `session.gave-up`. */
  protected gaveUp(): void {
    this.kcounters.giveUps++;
    this.setPhase('failed', 'login-failed', this.cause?.code);
    this.kdeps.emit({
      type: 'session.gave-up', ...this.where(), why: 'reopen_max reached', code: this.cause?.code ?? 'UNKNOWN', errno: this.gaveUpErrno(),
      message: this.cause?.message ?? 'reopen_max reached', action: `log the session out: tsiscsiadm -m session -r ${this.sid} -u`,
    });
  }

  protected close(trigger: KernelTrigger = 'logout-done'): void {
    if (this.kphase !== 'closed') this.setPhase('closed', trigger);
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  // ---- internals -------------------------------------------------------------------

  private onKernelEvent(ev: DriverEvent): void {
    const sid = this.kernelSid;
    if (sid === undefined || !('sid' in ev) || ev.sid !== sid) return;
    if (ev.type === 'connError' && this.connErrorAccepted()) {
      this.kcounters.connectionErrors++;
      this.log.warn({ kernelCode: ev.error.kernelCode, kernelName: ev.error.kernelName }, `Kernel reported iSCSI connection ${ev.sid}:${ev.cid} error (${ev.error.kernelCode} - ${ev.error.kernelName})`);
      this.kdeps.emit({ type: 'connection.error', ...this.where(), code: ev.error.code, errno: ev.error.errno, message: ev.error.message });
      this.recoverFrom({ code: ev.error.code, message: ev.error.message });
    } else if (ev.type === 'unbindSession' && this.kphase !== 'logging-out' && this.kphase !== 'closed') {
      this.log.warn({ hostNo: ev.hostNo }, `the kernel unbound session ${ev.sid} (its SCSI target is gone); tearing the session down`);
      this.setPhase('logging-out', 'target-gone');
      void this.destroyKernelSession().catch(() => undefined).finally(() => {
        this.close();
        this.onGone(this, 'logout');
      });
    }
  }
}
