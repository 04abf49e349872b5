/**
 * A daemon session on an offload transport (iser, bnx2i, cxgb3i/cxgb4i, qla4xxx,
 * be2iscsi, qedi, ocs; docs/kernel-offload.md §5). Same face as the other sessions
 * (session.list, -P 3 through kernel-session-view.ts, -s with the kernel's GET_STATS,
 * logout), engine OffloadSession (src/transport/kernel/offload-session.ts):
 *
 * - login: the transport's driver (kernel-offload-path.ts), the HBA host of the iface
 *   (hwaddress / netdev / ipaddress binding), OffloadSession.bringUp (EP_CONNECT
 *   [THROUGH_HOST], CREATE_BOUND_SESSION, BIND_CONN(ep), SET_PARAMs, login through
 *   SEND_PDU/RECV_PDU or the firmware), retried like the first login of the other paths;
 *   the daemon sid becomes the kernel session number;
 * - iscsiuio transports: when iscsiuio is not running and the iface has a static address
 *   the daemon answers PATH_REQ itself; without an address the login fails with
 *   ISCSIUIO_NOT_RUNNING (errno 29) before any EP_CONNECT;
 * - logout: Logout Request through SEND_PDU (not with LOGIN_OFFLOAD), STOP_CONN(TERM),
 *   EP_DISCONNECT, DESTROY_CONN, DESTROY_SESSION;
 * - CONN_ERROR: `connection.error`, REOPEN, then OffloadSession.reconnect (STOP_CONN
 *   RECOVER, EP_DISCONNECT, new EP_CONNECT, BIND_CONN on the same connection, login) until
 *   it works or reopen_max (kernel-offload-recovery.ts); the kernel holds I/O meanwhile
 *   (recovery_tmo). After it: offline devices back to running, host rescanned;
 * - UNBIND_SESSION from the kernel: torn down and removed, as for iscsi_tcp.
 */
import { randomBytes } from 'node:crypto';
import { IscsiError, ISCSI_ERR } from '../shared/errors.js';
import type { NegotiatedParams } from '../iscsi/text/params.js';
import { defaultOffer } from '../iscsi/text/negotiate.js';
import type { SupervisorSnapshot } from '../recovery/supervisor.js';
import type { LogoutResult } from '../session/session.js';
import type { LunInfo } from '../session/scsi-ops.js';
import type { DriverEvent } from '../transport/kernel/driver-events.js';
import type { KernelConnStats } from '../transport/kernel/driver.js';
import { readIscsiuioStatus } from '../transport/kernel/iscsiuio.js';
import { OffloadSession, type OffloadBringUpInput } from '../transport/kernel/offload-session.js';
import type { TransportBehaviour } from '../transport/kernel/transports.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NodeKey, NodeRecord } from '../db/index.js';
import { KernelEventReporter, onlineOfflineDevices, type KernelTrigger } from './kernel-events.js';
import { reconnectLoop } from './kernel-offload-recovery.js';
import { paramInput, retryFirstLogin } from './kernel-login.js';
import { bindingOf, uioIfaceOf } from './kernel-offload-path.js';
import type { KernelPath } from './kernel-path.js';
import { KERNEL_WORDS } from './kernel-session-states.js';
import { ManagedSession, type LogoutOptions, type ManagedSessionDeps, type RemovalReason } from './managed-session.js';
import { extendedStats, type RecoveryCounters } from './session-reporting.js';
import type { RecordSessionConfig } from './session-options.js';
import type { SessionPhase, StateWords } from './session-states.js';
import type { ConnectedTo } from './tracking-transport.js';

export class OffloadManagedSession extends ManagedSession {
  private kphase: SessionPhase = 'login-wait';
  private os: OffloadSession | undefined;
  private caps = 0;
  private to: ConnectedTo | undefined;
  private kLoggedInAt: Date | undefined;
  private attempts = 0;
  private cause: { code: string; message: string } | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly events: KernelEventReporter;
  private input: OffloadBringUpInput | undefined;
  private recovering: Promise<void> | undefined;
  private recoveredAt: Date | undefined;
  private readonly kcounters: RecoveryCounters = { connectionErrors: 0, recoveries: 0, reopenFailures: 0, replacementTimeouts: 0, giveUps: 0 };

  constructor(
    sid: number, key: NodeKey, record: Readonly<NodeRecord>, config: RecordSessionConfig, private readonly kdeps: ManagedSessionDeps,
    private readonly kernel: KernelPath,
    readonly behaviour: TransportBehaviour,
    private readonly onGone: (ms: OffloadManagedSession, reason: RemovalReason) => void,
  ) {
    super(sid, key, record, config, kdeps);
    this.events = new KernelEventReporter(this, kdeps.emit);
  }

  override get phase(): SessionPhase {
    return this.kphase;
  }
  override get states(): StateWords {
    return { ...KERNEL_WORDS[this.kphase] };
  }
  override get recovery(): SupervisorSnapshot {
    const state = this.kphase === 'logged-in' ? 'LOGGED_IN' : this.kphase === 'reopen' ? 'REOPEN' : this.kphase === 'failed' ? 'FAILED' : this.kphase === 'logging-out' ? 'IN_LOGOUT'
      : this.kphase === 'closed' ? 'FREE' : 'IN_LOGIN';
    return { ...super.recovery, state, attempts: this.attempts, ...(this.cause ? { cause: this.cause } : {}) };
  }
  override get counters(): Readonly<RecoveryCounters> {
    return this.kcounters;
  }
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
    return this.os !== undefined;
  }
  /** `kernel:<transport>` for session.list. */
  get dataPathName(): string {
    return `kernel:${this.behaviour.name}`;
  }
  get kernelParams(): NegotiatedParams | undefined {
    return this.os?.login?.params;
  }
  get kernelTsih(): number {
    return this.os?.login?.tsih ?? 0;
  }
  get hostNo(): number | undefined {
    return this.os?.hostNo;
  }
  get kernelPath(): KernelPath {
    return this.kernel;
  }
  get epHandle(): bigint | undefined {
    return this.os?.epHandle;
  }
  /** The kernel's counters for connection 0 (GET_STATS through the transport's driver). */
  kernelStats(): Promise<KernelConnStats> | undefined {
    const os = this.os;
    if (os === undefined) return undefined;
    return this.kernel.offload.driverFor(this.behaviour).then((h) => h.driver.getStats(os.sid, os.cid));
  }

  override async loginFirst(): Promise<void> {
    if (this.kphase === 'closed') throw new IscsiError('LOGIN_CANCELLED', `login of session ${this.sid} was cancelled`, { errno: ISCSI_ERR.INTERNAL });
    this.setPhase('login', 'start');
    const paths = this.kernel.offload;
    const { driver, caps } = await paths.driverFor(this.behaviour);
    this.caps = caps;
    const hostNo = await paths.hostFor(this.behaviour, bindingOf(this.record));
    const uioIface = uioIfaceOf(this.record);
    if (hostNo !== undefined) paths.bindHost(hostNo, uioIface);
    const input = this.bringUpInput(driver, hostNo, uioIface.ipaddress === undefined);
    this.input = input;
    const os = await retryFirstLogin({ config: this.config, clock: this.kdeps.clock, log: this.log }, this.kdeps.retryDelayMs, () => this.isClosed(),
      () => OffloadSession.bringUp(input), (err, attempt, final) => this.events.loginFailed(err, attempt, final));
    if (this.isClosed()) {
      await os.destroy();
      throw new IscsiError('LOGIN_CANCELLED', `login of session ${this.sid} was cancelled`, { errno: ISCSI_ERR.INTERNAL });
    }
    this.os = os;
    this.sid = os.sid;
    this.to = { portal: { host: this.key.address, port: this.key.port }, localAddress: uioIface.ipaddress ?? '' };
    this.kLoggedInAt = new Date();
    this.unsubscribe = driver.onEvent((ev) => this.onKernelEvent(ev));
    this.setPhase('logged-in', 'login-ok');
    this.log.info({ hostNo: os.hostNo, transport: this.behaviour.name, caps: `0x${caps.toString(16)}`, tsih: os.login?.tsih },
      `connection ${os.sid}:${os.cid} to [target: ${this.key.target}, portal: ${this.key.address},${this.key.port}] through [iface: ${this.key.iface}] is operational now`);
  }

  /** `- - -` > /sys/class/scsi_host/host<N>/scan: the kernel probes the HBA port's targets. */
  override async rescan(): Promise<LunInfo[]> {
    const hostNo = this.os?.hostNo;
    if (hostNo === undefined || this.kphase === 'closed') throw new IscsiError('SESSION_NOT_CONNECTED', `session ${this.sid} is not logged in`, { errno: ISCSI_ERR.SESSION_NOT_CONNECTED });
    const path = join(this.kernel.sysfsRoot, 'class', 'scsi_host', `host${hostNo}`, 'scan');
    await writeFile(path, '- - -').catch((err: unknown) => this.log.warn({ path, err: (err as NodeJS.ErrnoException).code }, `could not scan host${hostNo}`));
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
    try {
      if (this.os === undefined) return undefined;
      if (phase === 'logged-in') await this.os.logout(this.config.timeouts.logout * 1000, this.kdeps.clock);
      else await this.os.destroy();
      return undefined;
    } finally {
      this.close();
    }
  }

  override detach(): void {
    if (this.kphase === 'login' || this.kphase === 'login-wait') super.detach();
    this.close('terminate');
  }

  // ---- internals -------------------------------------------------------------------

  private isClosed(): boolean {
    return this.kphase === 'closed';
  }

  private setPhase(to: SessionPhase, trigger: KernelTrigger, cause?: string): void {
    const from = this.kphase;
    this.kphase = to;
    this.events.phase(from, to, trigger, this.attempts, cause);
  }

  private bringUpInput(driver: OffloadBringUpInput['driver'], hostNo: number | undefined, needUio: boolean): OffloadBringUpInput {
    const cfg = this.config;
    const r = this.record;
    return {
      driver, behaviour: this.behaviour, caps: this.caps, address: { host: this.key.address, port: this.key.port },
      ...(hostNo === undefined ? {} : { hostNo }),
      login: {
        initiatorName: cfg.initiatorName, ...(cfg.initiatorAlias ? { initiatorAlias: cfg.initiatorAlias } : {}), targetName: cfg.targetName,
        sessionType: 'Normal', isid: cfg.isid, tsih: 0, cid: 0, itt: 0, cmdSN: cfg.initialCmdSN >>> 0, expStatSN: 0,
        ...(cfg.tpgt >= 0 ? { expectedTpgt: cfg.tpgt } : {}),
      },
      ...(cfg.chap ? { chap: cfg.chap } : {}),
      offer: { ...defaultOffer('Normal'), ...cfg.offer },
      random: this.kdeps.random ?? randomBytes,
      session: paramInput(this),
      iface: { name: this.key.iface, hwaddress: r['iface.hwaddress'], netdev: r['iface.net_ifacename'], ipaddress: r['iface.ipaddress'] },
      tpgt: Math.max(0, cfg.tpgt),
      cmdsMax: r['node.session.cmds_max'], queueDepth: r['node.session.queue_depth'],
      loginTimeoutMs: cfg.timeouts.login * 1000,
      clock: this.kdeps.clock, logger: this.log,
      ...(this.kernel.offloadPollMs === undefined ? {} : { pollIntervalMs: this.kernel.offloadPollMs }),
      ...(this.behaviour.usesIscsiuio && needUio ? { uio: () => readIscsiuioStatus(this.behaviour, this.kernel.procRoot) } : {}),
    };
  }

  private onKernelEvent(ev: DriverEvent): void {
    const os = this.os;
    if (os === undefined || !('sid' in ev) || ev.sid !== os.sid) return;
    if (ev.type === 'connError' && this.kphase === 'logged-in') {
      this.kcounters.connectionErrors++;
      this.log.warn({ kernelCode: ev.error.kernelCode, kernelName: ev.error.kernelName }, `Kernel reported iSCSI connection ${ev.sid}:${ev.cid} error (${ev.error.kernelCode} - ${ev.error.kernelName})`);
      this.kdeps.emit({ type: 'connection.error', ...this.where(), code: ev.error.code, errno: ev.error.errno, message: ev.error.message });
      this.startRecovery(os, { code: ev.error.code, message: ev.error.message });
    } else if (ev.type === 'unbindSession' && this.kphase !== 'logging-out' && this.kphase !== 'closed') {
      this.log.warn({ hostNo: ev.hostNo }, `the kernel unbound session ${ev.sid} (its SCSI target is gone); tearing the session down`);
      this.setPhase('logging-out', 'target-gone');
      void os.destroy().catch(() => undefined).finally(() => {
        this.close();
        this.onGone(this, 'logout');
      });
    }
  }

  private startRecovery(os: OffloadSession, cause: { code: string; message: string }): void {
    const input = this.input;
    if (this.recovering || input === undefined) return;
    this.cause = cause;
    this.attempts = 0;
    this.setPhase('reopen', 'connection-lost', cause.code);
    const downAt = this.kdeps.clock.now();
    const t2w = os.login?.params.defaultTime2Wait;
    this.recovering = reconnectLoop({
      clock: this.kdeps.clock, config: this.config, ...(t2w === undefined ? {} : { time2WaitMs: t2w * 1000 }),
      reopening: () => this.kphase === 'reopen',
      attempt: async (n) => {
        this.attempts = n;
        await os.reconnect(input);
      },
      failed: (err, n, final) => {
        this.kcounters.reopenFailures++;
        const e = err instanceof IscsiError ? err : undefined;
        this.cause = { code: e?.code ?? 'UNKNOWN', message: e?.message ?? String(err) };
        this.events.loginFailed(err, n, final);
      },
    }).then(async (outcome) => {
      if (outcome === 'gave-up') {
        this.kcounters.giveUps++;
        this.setPhase('failed', 'login-failed', this.cause?.code);
        this.kdeps.emit({
          type: 'session.gave-up', ...this.where(), why: 'reopen_max reached', code: this.cause?.code ?? 'UNKNOWN', errno: 0,
          message: this.cause?.message ?? 'reopen_max reached', action: `log the session out: tsiscsiadm -m session -r ${this.sid} -u`,
        });
        return;
      }
      if (outcome !== 'ok') return;
      this.kcounters.recoveries++;
      this.recoveredAt = new Date();
      this.kLoggedInAt = new Date();
      this.setPhase('logged-in', 'login-ok');
      const downMs = Math.max(0, Math.round(this.kdeps.clock.now() - downAt));
      this.kdeps.emit({ type: 'session.recovered', ...this.where(), attempts: this.attempts, downMs });
      this.log.info({ attempts: this.attempts, downMs, ep: os.epHandle.toString() }, `offload session ${this.sid} recovered on a new endpoint`);
      await onlineOfflineDevices(this.kernel.sysfs, this.kernel.sysfsRoot, os.sid, this.log);
      if (this.record['node.session.scan'] !== 'manual') await this.rescan();
    }).catch((err: unknown) => {
      this.log.error({ err: err instanceof Error ? err.message : String(err) }, 'offload session recovery stopped on an unexpected error');
    }).finally(() => {
      this.recovering = undefined;
    });
  }

  private close(trigger: KernelTrigger = 'logout-done'): void {
    if (this.kphase !== 'closed') this.setPhase('closed', trigger);
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }
}
