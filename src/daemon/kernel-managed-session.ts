/**
 * A daemon session whose data path is the kernel's iscsi_tcp (issue 6 §2–§4). Same face
 * as a usertcp ManagedSession (session.list, -P 3, -s, logout), different engine:
 *
 * - first login on our socket, then KernelTcpSession.bringUp (CREATE_SESSION ... START_CONN,
 *   host scan); the daemon sid becomes the kernel's session number (SessionManager.rekey);
 * - ISCSI_KEVENT_CONN_ERROR → recovery: STOP_CONN(RECOVER), wait (DefaultTime2Wait, then
 *   open-iscsi's 3 s reopen delay, src/recovery/policy.ts), new socket, BIND_CONN to the
 *   same connection, login through the kernel, SET_PARAMs (RECOVERY_TMO =
 *   replacement_timeout), START_CONN. The kernel holds the I/O meanwhile (recovery_tmo);
 * - UNBIND_SESSION not asked for by us → the kernel removed the target: the session is
 *   torn down and leaves the table (logout bookkeeping);
 * - adopted sessions (kernel-adopt.ts) attach without any login;
 * - the daemon stopping leaves the kernel session running (keepsRunning), as iscsid does;
 * - every phase change is a `session.state` event, every failed login a `login.failed`
 *   (kernel-events.ts); after a recovery offline devices are set running and the host rescanned.
 */
import type { LogoutResult } from '../session/session.js';
import { IscsiError, ISCSI_ERR } from '../shared/errors.js';
import type { LoginResult } from '../iscsi/login/machine.js';
import type { NegotiatedParams } from '../iscsi/text/params.js';
import { reopenDelayMs, reopenExhausted, recoveryConfig } from '../recovery/policy.js';
import type { SupervisorSnapshot } from '../recovery/supervisor.js';
import type { LunInfo } from '../session/scsi-ops.js';
import type { DriverEvent } from '../transport/kernel/driver-events.js';
import { KernelTcpSession } from '../transport/kernel/kernel-session.js';
import { connectTcp } from '../transport/usertcp/connect.js';
import type { NodeKey, NodeRecord } from '../db/index.js';
import type { KernelPath } from './kernel-path.js';
import { firstLogin, loginThroughKernel, paramInput, sleep, type KernelLoginContext } from './kernel-login.js';
import { ManagedSession, type LogoutOptions, type ManagedSessionDeps, type RemovalReason } from './managed-session.js';
import { extendedStats, type RecoveryCounters } from './session-reporting.js';
import { KernelEventReporter, onlineOfflineDevices, type KernelTrigger } from './kernel-events.js';
import type { RecordSessionConfig } from './session-options.js';
import { KERNEL_WORDS as WORDS, type AdoptedState } from './kernel-session-states.js';
import type { SessionPhase, StateWords } from './session-states.js';
import type { ConnectedTo } from './tracking-transport.js';

export type { AdoptedState } from './kernel-session-states.js';

/** open-iscsi ISCSI_CONN_ERR_REOPEN_DELAY: pause after a failed reconnect, ms. */
const REOPEN_DELAY_MS = 3000;

export class KernelManagedSession extends ManagedSession {
  private kphase: SessionPhase = 'login-wait';
  private ks: KernelTcpSession | undefined;
  private negotiated: NegotiatedParams | undefined;
  private ktsih = 0;
  private to: ConnectedTo | undefined;
  private kLoggedInAt: Date | undefined;
  private readonly kcounters: RecoveryCounters = { connectionErrors: 0, recoveries: 0, reopenFailures: 0, replacementTimeouts: 0, giveUps: 0 } as RecoveryCounters;
  private recoveredAt: Date | undefined;
  private recovering: Promise<void> | undefined;
  private attempts = 0;
  private cause: { code: string; message: string } | undefined;
  private unsubscribe: (() => void) | undefined;
  private caps = 0x39;
  /** True when this daemon found the session in sysfs instead of logging in. */
  adopted = false;
  private readonly events: KernelEventReporter;

  constructor(
    sid: number, key: NodeKey, record: Readonly<NodeRecord>, config: RecordSessionConfig, private readonly kdeps: ManagedSessionDeps,
    private readonly kernel: KernelPath,
    /** Called when the kernel removed the session on its own (UNBIND_SESSION). */
    private readonly onGone: (ms: KernelManagedSession, reason: RemovalReason) => void,
  ) {
    super(sid, key, record, config, kdeps);
    this.events = new KernelEventReporter(this, kdeps.emit);
  }

  /** Phase change with its `session.state` event. */
  private setPhase(to: SessionPhase, trigger: KernelTrigger, cause?: string): void {
    const from = this.kphase;
    this.kphase = to;
    this.events.phase(from, to, trigger, this.attempts, cause);
  }

  override get phase(): SessionPhase {
    return this.kphase;
  }
  override get states(): StateWords {
    return { ...WORDS[this.kphase] };
  }
  override get recovery(): SupervisorSnapshot {
    const base = super.recovery;
    const state = this.kphase === 'logged-in' ? 'LOGGED_IN' : this.kphase === 'reopen' ? 'REOPEN' : this.kphase === 'failed' ? 'FAILED'
      : this.kphase === 'logging-out' ? 'IN_LOGOUT' : this.kphase === 'closed' ? 'FREE' : 'IN_LOGIN';
    return { ...base, state, attempts: this.attempts, ...(this.cause ? { cause: this.cause } : {}) };
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
  override get keepsRunning(): boolean {
    return this.ks !== undefined;
  }
  /** Negotiated parameters of the last login (or rebuilt from sysfs for an adopted session). */
  get kernelParams(): NegotiatedParams | undefined {
    return this.negotiated;
  }
  get kernelTsih(): number {
    return this.ktsih;
  }
  get hostNo(): number | undefined {
    return this.ks?.hostNo;
  }
  get kernelPath(): KernelPath {
    return this.kernel;
  }
  /** The kernel's counters for connection 0 (GET_STATS). */
  kernelStats(): Promise<Awaited<ReturnType<KernelTcpSession['stats']>>> | undefined {
    return this.ks?.stats();
  }

  override async loginFirst(): Promise<void> {
    if (this.kphase === 'closed') throw new IscsiError('LOGIN_CANCELLED', `login of session ${this.sid} was cancelled`, { errno: ISCSI_ERR.INTERNAL });
    this.setPhase('login', 'start');
    const { driver, caps } = await this.kernel.open();
    this.caps = caps;
    const est = await firstLogin(this.ctx(), caps, this.kdeps.retryDelayMs, () => this.kphase === 'closed', (err, attempt, final) => this.events.loginFailed(err, attempt, final));
    const socket = est.stream.socket as unknown as Parameters<typeof KernelTcpSession.bringUp>[0]['socket'] & { localAddress?: string };
    const local = socket.localAddress ?? '';
    est.stream.hold();
    const params = est.result.params;
    this.ks = await KernelTcpSession.bringUp({
      driver, socket, login: est.result, session: paramInput(this), tpgt: params.targetPortalGroupTag ?? Math.max(0, this.config.tpgt), caps,
      cmdsMax: this.record['node.session.cmds_max'], queueDepth: this.record['node.session.queue_depth'],
      sysfsRoot: this.kernel.sysfsRoot, noScan: this.record['node.session.scan'] === 'manual', logger: this.log,
    });
    this.sid = this.ks.sid;
    this.loggedIn(est.result, { portal: est.portal, localAddress: local });
    this.listen();
  }

  /** Attach to a kernel session found in sysfs (no login; a failed connection is recovered). */
  attach(state: AdoptedState, caps: number): void {
    const driver = this.kernel.driver;
    if (!driver) throw new IscsiError('KERNEL_NOT_OPEN', 'the NETLINK_ISCSI channel is not open', { errno: ISCSI_ERR.INTERNAL });
    this.adopted = true;
    this.caps = caps;
    this.ks = KernelTcpSession.attach(driver, state.sid, state.hostNo, 0, this.log);
    this.negotiated = state.params;
    this.ktsih = state.tsih ?? 0;
    this.to = state.connectedTo;
    this.kLoggedInAt = new Date();
    this.setPhase('logged-in', 'start');
    this.listen();
    if (!state.up) this.startRecovery({ code: 'KERNEL_CONN_DOWN', message: 'the kernel connection was not up when the daemon adopted the session' }, false);
  }

  /** Scan the SCSI host again (`- - -`); the kernel finds the LUNs (sysfs has them). */
  override async rescan(): Promise<LunInfo[]> {
    if (this.ks === undefined || this.kphase === 'closed') throw new IscsiError('SESSION_NOT_CONNECTED', `session ${this.sid} is not logged in`, { errno: ISCSI_ERR.SESSION_NOT_CONNECTED });
    await this.ks.scan(this.kernel.sysfsRoot);
    return [];
  }

  override async logout(opts: LogoutOptions = {}): Promise<LogoutResult | undefined> {
    const phase = this.kphase;
    if (phase === 'closed') throw new IscsiError('SESSION_CLOSED', `cannot log out session ${this.sid}: it is already closed`, { errno: ISCSI_ERR.INTERNAL, details: { sid: this.sid } });
    if ((phase === 'login' || phase === 'login-wait' || phase === 'logging-out') && !opts.force) {
      const code = phase === 'logging-out' ? 'LOGOUT_IN_PROGRESS' : 'LOGIN_IN_PROGRESS';
      throw new IscsiError(code, `cannot log out session ${this.sid}: ${phase === 'logging-out' ? 'a logout is already in progress' : 'its first login is still in progress'} (force tears it down)`, { errno: ISCSI_ERR.INTERNAL, details: { sid: this.sid } });
    }
    this.setPhase('logging-out', 'logout');
    const ks = this.ks;
    try {
      if (ks === undefined) return undefined;
      if (phase !== 'logged-in') {
        await ks.destroy(false);
        return undefined;
      }
      const r = await ks.logout(this.config.timeouts.logout * 1000);
      return r.response === undefined ? undefined : { response: r.response };
    } finally {
      this.close();
    }
  }

  override detach(): void {
    if (this.kphase === 'login' || this.kphase === 'login-wait') super.detach();
    this.close('terminate');
  }

  // ---- internals -------------------------------------------------------------------

  private ctx(): KernelLoginContext {
    return { key: this.key, record: this.record, config: this.config, transport: this.kdeps.transport, clock: this.kdeps.clock, log: this.log, ...(this.kdeps.random ? { random: this.kdeps.random } : {}) };
  }

  private loggedIn(login: LoginResult, to: ConnectedTo): void {
    this.negotiated = login.params;
    this.ktsih = login.tsih;
    this.to = to;
    this.kLoggedInAt = new Date();
    this.setPhase('logged-in', 'login-ok');
    this.log.info({ current: `${to.portal.host}:${to.portal.port}`, tsih: login.tsih, hostNo: this.ks?.hostNo, dataPath: 'kernel iscsi_tcp' },
      `connection ${this.sid}:0 to [target: ${this.key.target}, portal: ${this.key.address},${this.key.port}] through [iface: ${this.key.iface}] is operational now`);
  }

  private listen(): void {
    this.unsubscribe?.();
    this.unsubscribe = this.kernel.driver?.onEvent((ev) => this.onKernelEvent(ev));
  }

  private onKernelEvent(ev: DriverEvent): void {
    if (!('sid' in ev) || ev.sid !== this.ks?.sid) return;
    if (ev.type === 'connError') {
      this.kcounters.connectionErrors++;
      this.log.warn({ kernelCode: ev.error.kernelCode, kernelName: ev.error.kernelName }, `Kernel reported iSCSI connection ${ev.sid}:${ev.cid} error (${ev.error.kernelCode} - ${ev.error.kernelName})`);
      this.kdeps.emit({ type: 'connection.error', ...this.where(), code: ev.error.code, errno: ev.error.errno, message: ev.error.message });
      this.startRecovery({ code: ev.error.code, message: ev.error.message }, true);
    } else if (ev.type === 'unbindSession' && this.kphase !== 'logging-out' && this.kphase !== 'closed') {
      this.log.warn({ hostNo: ev.hostNo }, `the kernel unbound session ${ev.sid} (its SCSI target is gone); tearing the session down`);
      this.setPhase('logging-out', 'target-gone');
      void this.ks.destroy(false).catch(() => undefined).finally(() => {
        this.close();
        this.onGone(this, 'logout');
      });
    }
  }

  /** CONN_ERROR (or an adopted failed connection): stop for recovery, then re-login until it works. */
  private startRecovery(cause: { code: string; message: string }, stop: boolean): void {
    if (this.recovering || this.ks === undefined || (this.kphase !== 'logged-in' && this.kphase !== 'failed')) return;
    this.cause = cause;
    this.attempts = 0;
    this.setPhase('reopen', 'connection-lost', cause.code);
    const downAt = this.kdeps.clock.now();
    this.recovering = this.recover(stop).then((ok) => {
      if (ok) {
        this.kcounters.recoveries++;
        this.recoveredAt = new Date();
        this.kdeps.emit({ type: 'session.recovered', ...this.where(), attempts: this.attempts, downMs: Math.max(0, Math.round(this.kdeps.clock.now() - downAt)) });
        this.log.info({ attempts: this.attempts, downMs: Math.round(this.kdeps.clock.now() - downAt) }, `session ${this.sid} recovered on the same kernel session`);
        return this.afterRecovery();
      }
      return undefined;
    }).catch((err: unknown) => {
      this.log.error({ err: err instanceof Error ? err.message : String(err) }, 'kernel session recovery stopped on an unexpected error');
    }).finally(() => {
      this.recovering = undefined;
    });
  }

  private async recover(stop: boolean): Promise<boolean> {
    const ks = this.ks!;
    const { driver } = await this.kernel.open();
    if (stop) await ks.stopForRecovery().catch((err: unknown) => this.log.warn({ err: err instanceof IscsiError ? err.code : String(err) }, 'STOP_CONN(RECOVER) refused; re-binding anyway'));
    const cfg = recoveryConfig({ ...this.config.recovery });
    const time2WaitMs = this.negotiated ? this.negotiated.defaultTime2Wait * 1000 : undefined;
    for (let attempt = 1; ; attempt++) {
      const delay = attempt === 1 ? reopenDelayMs(0, cfg, time2WaitMs, {}, Math.random) : REOPEN_DELAY_MS;
      await sleep(this.kdeps.clock, delay);
      if (this.kphase !== 'reopen') return false;
      this.attempts = attempt;
      // A failed attempt left the connection bound (and the kernel flagged it for cleanup):
      // stop it again before the next BIND_CONN, as iscsid's iscsi_login_eh does.
      if (attempt > 1) await ks.stopForRecovery().catch(() => undefined);
      try {
        const portal = { host: this.key.address, port: this.key.port };
        const socket = await connectTcp(portal, { timeoutMs: this.config.timeouts.login * 1000, ...(this.config.localAddress ? { localAddress: this.config.localAddress } : {}) });
        const ctx = this.ctx();
        const login = await ks.rebind({
          socket, session: paramInput(this), tpgt: this.negotiated?.targetPortalGroupTag ?? Math.max(0, this.config.tpgt), caps: this.caps,
          login: () => loginThroughKernel(ctx, driver, ks.sid, ks.cid, this.caps),
        });
        if (this.kphase !== 'reopen') return false;
        this.loggedIn(login, { portal, localAddress: socket.localAddress ?? '' });
        return true;
      } catch (err) {
        this.kcounters.reopenFailures++;
        const e = err instanceof IscsiError ? err : undefined;
        this.cause = { code: e?.code ?? 'UNKNOWN', message: e?.message ?? String(err) };
        const exhausted = reopenExhausted(attempt, cfg);
        this.events.loginFailed(err, attempt, exhausted);
        if (exhausted) {
          this.kcounters.giveUps++;
          this.setPhase('failed', 'login-failed', this.cause.code);
          this.kdeps.emit({
            type: 'session.gave-up', ...this.where(), why: 'reopen_max reached', code: e?.code ?? 'UNKNOWN', errno: e?.errno ?? 0,
            message: this.cause.message, action: `log the session out: tsiscsiadm -m session -r ${this.sid} -u`,
          });
          this.log.error({ attempts: attempt }, `giving up on session ${this.sid} after reopen_max attempts; it stays FAILED until logged out`);
          return false;
        }
      }
    }
  }

  /** iscsid session_online_devs: offline devices back to running, then `- - -` > scan. */
  private async afterRecovery(): Promise<void> {
    const ks = this.ks;
    if (ks === undefined || this.kphase !== 'logged-in') return;
    await onlineOfflineDevices(this.kernel.sysfs, this.kernel.sysfsRoot, ks.sid, this.log);
    if (this.record['node.session.scan'] !== 'manual') await ks.scan(this.kernel.sysfsRoot);
  }

  private close(trigger: KernelTrigger = 'logout-done'): void {
    if (this.kphase !== 'closed') this.setPhase('closed', trigger);
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }
}
