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
 *
 * Phase, events, counters, logout rules and the kernel's events: kernel-session-base.ts.
 */
import type { LogoutResult } from '../session/session.js';
import { IscsiError, ISCSI_ERR } from '../shared/errors.js';
import type { LoginResult } from '../iscsi/login/machine.js';
import type { NegotiatedParams } from '../iscsi/text/params.js';
import type { LunInfo } from '../session/scsi-ops.js';
import { KernelTcpSession } from '../transport/kernel/kernel-session.js';
import { connectTcp } from '../transport/usertcp/connect.js';
import type { NodeKey, NodeRecord } from '../db/index.js';
import type { KernelPath } from './kernel-path.js';
import { firstLogin, loginThroughKernel, paramInput, type KernelLoginContext } from './kernel-login.js';
import { onlineOfflineDevices } from './kernel-events.js';
import { reconnectLoop } from './kernel-offload-recovery.js';
import { KernelSessionBase, type RecoveryCause, type RecoveryOutcome } from './kernel-session-base.js';
import type { LogoutOptions, ManagedSessionDeps, RemovalReason } from './managed-session.js';
import type { RecordSessionConfig } from './session-options.js';
import type { AdoptedState } from './kernel-session-states.js';
import type { ConnectedTo } from './tracking-transport.js';

export type { AdoptedState } from './kernel-session-states.js';

export class KernelManagedSession extends KernelSessionBase {
  private ks: KernelTcpSession | undefined;
  private negotiated: NegotiatedParams | undefined;
  private ktsih = 0;
  private caps = 0x39;
  /** The re-login of the attempt that worked, applied once the loop says `ok`. */
  private relogin: { login: LoginResult; to: ConnectedTo } | undefined;
  private lastErrno = 0;
  /** True when this daemon found the session in sysfs instead of logging in. */
  adopted = false;

  constructor(
    sid: number, key: NodeKey, record: Readonly<NodeRecord>, config: RecordSessionConfig, kdeps: ManagedSessionDeps, kernel: KernelPath,
    /** Called when the kernel removed the session on its own (UNBIND_SESSION). */
    onGone: (ms: KernelSessionBase, reason: RemovalReason) => void,
  ) {
    super(sid, key, record, config, kdeps, kernel, onGone);
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
  /** The kernel's counters for connection 0 (GET_STATS). */
  kernelStats(): Promise<Awaited<ReturnType<KernelTcpSession['stats']>>> | undefined {
    return this.ks?.stats();
  }

  override async loginFirst(): Promise<void> {
    this.beginLogin();
    const { driver, caps } = await this.kernel.open();
    this.caps = caps;
    const est = await firstLogin(this.ctx(), caps, this.kdeps.retryDelayMs, () => this.isClosed(), (err, attempt, final) => this.events.loginFailed(err, attempt, final));
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
    this.listen(this.kernel.driver);
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
    this.listen(this.kernel.driver);
    if (!state.up) this.startRecovery({ code: 'KERNEL_CONN_DOWN', message: 'the kernel connection was not up when the daemon adopted the session' }, false);
  }

  /** Scan the SCSI host again (`- - -`); the kernel finds the LUNs (sysfs has them). */
  override async rescan(): Promise<LunInfo[]> {
    if (this.ks === undefined || this.isClosed()) throw new IscsiError('SESSION_NOT_CONNECTED', `session ${this.sid} is not logged in`, { errno: ISCSI_ERR.SESSION_NOT_CONNECTED });
    await this.ks.scan(this.kernel.sysfsRoot);
    return [];
  }

  override async logout(opts: LogoutOptions = {}): Promise<LogoutResult | undefined> {
    const phase = this.beginLogout(opts);
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

  // ---- KernelSessionBase -----------------------------------------------------------

  protected override get kernelSid(): number | undefined {
    return this.ks?.sid;
  }
  protected override destroyKernelSession(): Promise<unknown> {
    return this.ks!.destroy(false);
  }
  protected override recoverFrom(cause: RecoveryCause): void {
    this.startRecovery(cause, true);
  }
  protected override relogged(): boolean {
    const r = this.relogin;
    this.relogin = undefined;
    if (r === undefined || this.kphase !== 'reopen') return false;
    this.loggedIn(r.login, r.to);
    return true;
  }
  protected override recoveredNote(): [Record<string, unknown>, string] {
    return [{}, `session ${this.sid} recovered on the same kernel session`];
  }
  /** iscsid session_online_devs: offline devices back to running, then `- - -` > scan. */
  protected override async afterRecovery(): Promise<void> {
    const ks = this.ks;
    if (ks === undefined || this.kphase !== 'logged-in') return;
    await onlineOfflineDevices(this.kernel.sysfs, this.kernel.sysfsRoot, ks.sid, this.log);
    if (this.record['node.session.scan'] !== 'manual') await ks.scan(this.kernel.sysfsRoot);
  }
  protected override gaveUpErrno(): number {
    return this.lastErrno;
  }
  protected override gaveUp(): void {
    super.gaveUp();
    this.log.error({ attempts: this.attempts }, `giving up on session ${this.sid} after reopen_max attempts; it stays FAILED until logged out`);
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

  /** CONN_ERROR (or an adopted failed connection): stop for recovery, then re-login until it works. */
  private startRecovery(cause: RecoveryCause, stop: boolean): void {
    if (this.isRecovering || this.ks === undefined || (this.kphase !== 'logged-in' && this.kphase !== 'failed')) return;
    this.runRecovery(cause, () => this.recover(stop), 'kernel session');
  }

  /**
   * STOP_CONN(RECOVER), then per attempt (delays and reopen_max: reconnectLoop) a new
   * socket, BIND_CONN to the same connection, login through the kernel, START_CONN.
   */
  private async recover(stop: boolean): Promise<RecoveryOutcome> {
    const ks = this.ks!;
    const { driver } = await this.kernel.open();
    if (stop) await ks.stopForRecovery().catch((err: unknown) => this.log.warn({ err: err instanceof IscsiError ? err.code : String(err) }, 'STOP_CONN(RECOVER) refused; re-binding anyway'));
    return reconnectLoop({
      clock: this.kdeps.clock, config: this.config, ...(this.negotiated ? { time2WaitMs: this.negotiated.defaultTime2Wait * 1000 } : {}),
      reopening: () => this.kphase === 'reopen',
      attempt: async (n) => {
        this.attempts = n;
        // A failed attempt left the connection bound (and the kernel flagged it for cleanup):
        // stop it again before the next BIND_CONN, as iscsid's iscsi_login_eh does.
        if (n > 1) await ks.stopForRecovery().catch(() => undefined);
        const portal = { host: this.key.address, port: this.key.port };
        const socket = await connectTcp(portal, { timeoutMs: this.config.timeouts.login * 1000, ...(this.config.localAddress ? { localAddress: this.config.localAddress } : {}) });
        const ctx = this.ctx();
        const login = await ks.rebind({
          socket, session: paramInput(this), tpgt: this.negotiated?.targetPortalGroupTag ?? Math.max(0, this.config.tpgt), caps: this.caps,
          login: () => loginThroughKernel(ctx, driver, ks.sid, ks.cid, this.caps),
        });
        this.relogin = { login, to: { portal, localAddress: socket.localAddress ?? '' } };
      },
      failed: (err, n, final) => {
        this.lastErrno = err instanceof IscsiError ? err.errno : 0;
        this.reopenFailed(err, n, final);
      },
    });
  }
}
