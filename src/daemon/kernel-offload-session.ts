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
 * - UNBIND_SESSION from the kernel: torn down and removed, as for iscsi_tcp;
 * - adopted at daemon start (kernel-offload-adopt.ts, `adopt`): no request while the
 *   connection is up; a failed one is reconnected at once. The endpoint of an adopted
 *   session is unknown (OffloadSession.attach), so its recovery skips EP_DISCONNECT.
 *
 * Phase, events, counters, logout rules and the kernel's events: kernel-session-base.ts.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IscsiError, ISCSI_ERR } from '../shared/errors.js';
import type { NegotiatedParams } from '../iscsi/text/params.js';
import { defaultOffer } from '../iscsi/text/negotiate.js';
import type { LogoutResult } from '../session/session.js';
import type { LunInfo } from '../session/scsi-ops.js';
import type { KernelConnStats } from '../transport/kernel/driver.js';
import { readIscsiuioStatus } from '../transport/kernel/iscsiuio.js';
import { OffloadSession, type OffloadBringUpInput } from '../transport/kernel/offload-session.js';
import { capabilityPlan, type TransportBehaviour } from '../transport/kernel/transports.js';
import type { NodeKey, NodeRecord } from '../db/index.js';
import { onlineOfflineDevices } from './kernel-events.js';
import { reconnectLoop } from './kernel-offload-recovery.js';
import { paramInput, retryFirstLogin } from './kernel-login.js';
import { bindingOf, uioIfaceOf } from './kernel-offload-path.js';
import type { KernelPath } from './kernel-path.js';
import { KernelSessionBase, type RecoveryCause } from './kernel-session-base.js';
import type { AdoptedState } from './kernel-session-states.js';
import type { LogoutOptions, ManagedSessionDeps, RemovalReason } from './managed-session.js';
import type { RecordSessionConfig } from './session-options.js';

/** An offload session found in sysfs: AdoptedState plus the connection's exp_statsn. */
export interface OffloadAdoptedState extends AdoptedState {
  expStatSN?: number;
}

export class OffloadManagedSession extends KernelSessionBase {
  private os: OffloadSession | undefined;
  private caps = 0;
  private input: OffloadBringUpInput | undefined;
  /** Values rebuilt from sysfs for an adopted session, until its first re-login. */
  private adoptedParams: NegotiatedParams | undefined;
  private adoptedTsih = 0;
  /** True when this daemon found the session in sysfs instead of logging in. */
  adopted = false;

  constructor(
    sid: number, key: NodeKey, record: Readonly<NodeRecord>, config: RecordSessionConfig, kdeps: ManagedSessionDeps, kernel: KernelPath,
    readonly behaviour: TransportBehaviour,
    onGone: (ms: KernelSessionBase, reason: RemovalReason) => void,
  ) {
    super(sid, key, record, config, kdeps, kernel, onGone);
  }

  override get keepsRunning(): boolean {
    return this.os !== undefined;
  }
  /** `kernel:<transport>` for session.list. */
  get dataPathName(): string {
    return `kernel:${this.behaviour.name}`;
  }
  get kernelParams(): NegotiatedParams | undefined {
    return this.os?.login?.params ?? this.adoptedParams;
  }
  get kernelTsih(): number {
    return this.os?.login?.tsih ?? this.adoptedTsih;
  }
  get hostNo(): number | undefined {
    return this.os?.hostNo;
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
    this.beginLogin();
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
      throw this.cancelled();
    }
    this.os = os;
    this.sid = os.sid;
    this.to = { portal: { host: this.key.address, port: this.key.port }, localAddress: uioIface.ipaddress ?? '' };
    this.kLoggedInAt = new Date();
    this.listen(driver);
    this.setPhase('logged-in', 'login-ok');
    this.log.info({ hostNo: os.hostNo, transport: this.behaviour.name, caps: `0x${caps.toString(16)}`, tsih: os.login?.tsih },
      `connection ${os.sid}:${os.cid} to [target: ${this.key.target}, portal: ${this.key.address},${this.key.port}] through [iface: ${this.key.iface}] is operational now`);
  }

  /**
   * Attach to a kernel session found in sysfs (kernel-offload-adopt.ts). Nothing is sent
   * while the connection is up (opening the transport's channel is no request); otherwise
   * OffloadSession.reconnect runs at once (STOP_CONN RECOVER, EP_CONNECT ... START_CONN),
   * as iscsid's SYNC reopens with STOP_CONN_RECOVER (boot-and-isns.md §1.5, §1.8).
   * EP_CONNECT_THROUGH_HOST goes to the session's own host for bind_ep_required
   * transports, as iscsid's ktransport_ep_connect uses session->hostno.
   */
  async adopt(a: OffloadAdoptedState): Promise<void> {
    const paths = this.kernel.offload;
    const { driver, caps } = await paths.driverFor(this.behaviour);
    this.caps = caps;
    const uioIface = uioIfaceOf(this.record);
    paths.bindHost(a.hostNo, uioIface);
    const firmware = capabilityPlan(caps).loginOffload;
    this.os = OffloadSession.attach({
      driver, sid: a.sid, hostNo: a.hostNo, up: a.up, logger: this.log,
      ...(firmware ? {} : { seq: { cmdSN: this.config.initialCmdSN >>> 0, expStatSN: (a.expStatSN ?? 0) >>> 0 } }),
    });
    const input = this.bringUpInput(driver, this.behaviour.bindEpRequired ? a.hostNo : undefined, uioIface.ipaddress === undefined);
    this.input = { ...input, login: { ...input.login, expStatSN: (a.expStatSN ?? 0) >>> 0 } };
    this.adopted = true;
    this.adoptedParams = a.params;
    this.adoptedTsih = a.tsih ?? 0;
    this.sid = a.sid;
    this.to = a.connectedTo;
    this.kLoggedInAt = new Date();
    this.setPhase('logged-in', 'start');
    this.listen(driver);
    if (!a.up) this.recoverFrom({ code: 'KERNEL_CONN_DOWN', message: 'the kernel connection was not up when the daemon adopted the session' });
  }

  /** `- - -` > /sys/class/scsi_host/host<N>/scan: the kernel probes the HBA port's targets. */
  override async rescan(): Promise<LunInfo[]> {
    const hostNo = this.os?.hostNo;
    if (hostNo === undefined || this.isClosed()) throw new IscsiError('SESSION_NOT_CONNECTED', `session ${this.sid} is not logged in`, { errno: ISCSI_ERR.SESSION_NOT_CONNECTED });
    const path = join(this.kernel.sysfsRoot, 'class', 'scsi_host', `host${hostNo}`, 'scan');
    await writeFile(path, '- - -').catch((err: unknown) => this.log.warn({ path, err: (err as NodeJS.ErrnoException).code }, `could not scan host${hostNo}`));
    return [];
  }

  override async logout(opts: LogoutOptions = {}): Promise<LogoutResult | undefined> {
    const phase = this.beginLogout(opts);
    try {
      if (this.os === undefined) return undefined;
      if (phase === 'logged-in') await this.os.logout(this.config.timeouts.logout * 1000, this.kdeps.clock);
      else await this.os.destroy();
      return undefined;
    } finally {
      this.close();
    }
  }

  // ---- KernelSessionBase -----------------------------------------------------------

  protected override get kernelSid(): number | undefined {
    return this.os?.sid;
  }
  protected override destroyKernelSession(): Promise<unknown> {
    return this.os!.destroy();
  }
  protected override connErrorAccepted(): boolean {
    return this.kphase === 'logged-in';
  }
  /** REOPEN, then OffloadSession.reconnect until it works or reopen_max (kernel-offload-recovery.ts). */
  protected override recoverFrom(cause: RecoveryCause): void {
    const os = this.os;
    const input = this.input;
    if (os === undefined || input === undefined) return;
    const t2w = this.kernelParams?.defaultTime2Wait;
    this.runRecovery(cause, () => reconnectLoop({
      clock: this.kdeps.clock, config: this.config, ...(t2w === undefined ? {} : { time2WaitMs: t2w * 1000 }),
      reopening: () => this.kphase === 'reopen',
      attempt: async (n) => {
        this.attempts = n;
        await os.reconnect(input);
      },
      failed: (err, n, final) => this.reopenFailed(err, n, final),
    }), 'offload session');
  }
  protected override relogged(): boolean {
    this.kLoggedInAt = new Date();
    this.setPhase('logged-in', 'login-ok');
    return true;
  }
  protected override recoveredNote(): [Record<string, unknown>, string] {
    return [{ ep: this.os?.epHandle.toString() }, `offload session ${this.sid} recovered on a new endpoint`];
  }
  protected override async afterRecovery(): Promise<void> {
    await onlineOfflineDevices(this.kernel.sysfs, this.kernel.sysfsRoot, this.os!.sid, this.log);
    if (this.record['node.session.scan'] !== 'manual') await this.rescan();
  }

  // ---- internals -------------------------------------------------------------------

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
}
