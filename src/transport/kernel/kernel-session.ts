/**
 * An iscsi_tcp session whose data path lives in the kernel (issue 6 §2).
 *
 * Bring-up (after the login on our own socket, session/login-runner.ts `establish()`):
 *   CREATE_SESSION(initial CmdSN = the login's CmdSN) → CREATE_CONN(cid) →
 *   stop Node reading the socket → BIND_CONN(fd) → pre-login SET_PARAMs
 *   (set-params.ts sessionSetParams) → SET_HOST_PARAMs → negotiated SET_PARAMs
 *   (incl. EXP_STATSN) → START_CONN → `- - -` > /sys/class/scsi_host/hostN/scan.
 * Unlike iscsid (which binds before the login and sends the login PDUs through
 * SEND_PDU) we log in in userspace first, so the kernel only ever sees a connection
 * already in Full Feature Phase. A failure after CREATE_SESSION undoes what was made.
 *
 * Logout order (as iscsid when the kernel holds the connection): UNBIND_SESSION
 * (the kernel removes the SCSI target, flushing its I/O; -ENOSYS tolerated), the
 * Logout Request through SEND_PDU (the kernel fills ITT, CmdSN, ExpStatSN), the
 * Logout Response awaited as a RECV_PDU event, then STOP_CONN(TERM), DESTROY_CONN,
 * DESTROY_SESSION, and only then our copy of the fd is closed (FIN). Without a
 * clean logout the fd is closed with SO_LINGER 0 (RST) via resetAndDestroy().
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IscsiError, TransportError } from '../../shared/errors.js';
import { nullLogger, type Logger } from '../../shared/logger.js';
import type { LoginResult } from '../../iscsi/login/machine.js';
import { encodeBhs } from '../../iscsi/pdu/index.js';
import { ERRNO, KernelRequestError } from './errors.js';
import type { KernelConnStats, KernelTcpDriver } from './driver.js';
import type { DriverEvent } from './driver-events.js';
import { hostParamRequests, hostSetParams, negotiatedSetParams, sessionSetParams, type HostParamInput, type SessionParamInput } from './set-params.js';

/** The parts of a net.Socket the hand-over uses (a real net.Socket fits). */
export interface HandedSocket {
  pause(): unknown;
  removeAllListeners(event: 'data'): unknown;
  resetAndDestroy?(): unknown;
  destroy(): unknown;
}

/** The socket's file descriptor (libuv handle); TransportError when there is none. */
export function socketFd(socket: HandedSocket): number {
  const fd = (socket as { _handle?: { fd?: unknown } })._handle?.fd;
  if (typeof fd !== 'number' || !Number.isInteger(fd) || fd < 0) {
    throw new TransportError('KERNEL_NO_SOCKET_FD', 'the login connection has no file descriptor to hand to the kernel (not a TCP socket, or already closed)', { retryable: false });
  }
  return fd;
}

/**
 * Stops Node reading the socket so the kernel alone consumes its bytes; the fd stays open.
 * `pause()` alone does not stop libuv (a net.Socket keeps reading into its buffer up to
 * the high-water mark), so the handle's reading is stopped too: otherwise libuv and the
 * kernel's iscsi_tcp would race for the same bytes.
 */
export function detachFromNode(socket: HandedSocket): void {
  socket.pause();
  socket.removeAllListeners('data');
  const h = (socket as { _handle?: { reading?: boolean; readStop?: () => number } })._handle;
  if (h !== undefined && typeof h.readStop === 'function') {
    h.reading = false;
    h.readStop();
  }
}

export interface KernelBringUpInput {
  driver: KernelTcpDriver;
  socket: HandedSocket;
  login: LoginResult;
  /** Node + iface values for the pre-login SET_PARAMs. */
  session: SessionParamInput;
  host?: HostParamInput;
  tpgt: number;
  /** Effective transport caps (transports.ts effectiveCaps). */
  caps: number;
  cid?: number;
  /** node.session.cmds_max (default 128) and node.session.queue_depth (default 32). */
  cmdsMax?: number;
  queueDepth?: number;
  /** The kernel sends NOP-Outs itself (connection ping_tmo attribute exists); default true. */
  kernelNops?: boolean;
  /** sysfs mount point (default /sys); tests pass a temp dir. */
  sysfsRoot?: string;
  /** Skip the SCSI host scan (default false). */
  noScan?: boolean;
  logger?: Logger;
}

const LOGOUT_RESPONSE = 0x26;

export class KernelTcpSession {
  private closed = false;
  private constructor(
    private readonly driver: KernelTcpDriver,
    /** Our copy of the bound connection's fd; none for an adopted session (the kernel holds its socket). */
    private socket: HandedSocket | undefined,
    readonly sid: number,
    readonly cid: number,
    readonly hostNo: number,
    private readonly logger: Logger,
  ) {}

  /** Hands an established connection to the kernel; rejects with a typed error after undoing partial state. */
  static async bringUp(input: KernelBringUpInput): Promise<KernelTcpSession> {
    const { driver, login } = input;
    const cid = input.cid ?? 0;
    const logger = input.logger ?? nullLogger;
    const fd = socketFd(input.socket);
    const { sid, hostNo } = await driver.createSession(login.cmdSN >>> 0, input.cmdsMax ?? 128, input.queueDepth ?? 32);
    const s = new KernelTcpSession(driver, input.socket, sid, cid, hostNo, logger.child({ sid, hostNo }));
    let stage: 'session' | 'conn' | 'bound' = 'session';
    try {
      await driver.createConn(sid, cid);
      stage = 'conn';
      detachFromNode(input.socket);
      await driver.bindConn(sid, cid, fd, cid === 0);
      stage = 'bound';
      await s.sendParams(input);
      await driver.startConn(sid, cid);
    } catch (err) {
      await s.undo(stage);
      throw err;
    }
    s.logger.info({ fd, tsih: login.tsih }, `kernel iscsi_tcp session ${sid} started on host${hostNo}`);
    if (input.noScan !== true) await s.scan(input.sysfsRoot ?? '/sys');
    return s;
  }

  private async sendParams(input: KernelBringUpInput): Promise<void> {
    await this.sendPreLogin(input);
    await this.sendNegotiated(input, input.login);
  }

  private async sendPreLogin(input: Pick<KernelBringUpInput, 'session' | 'host' | 'caps' | 'kernelNops'>): Promise<void> {
    const ctx = { cid: this.cid, caps: input.caps };
    for (const step of sessionSetParams(input.session, { ...ctx, kernelNops: input.kernelNops ?? true })) {
      await this.ignoreEnosys(() => this.driver.setParam(this.sid, this.cid, step.param, step.value), step.name);
    }
    for (const req of hostParamRequests(hostSetParams(input.host ?? {}), this.hostNo)) {
      await this.ignoreEnosys(() => this.driver.request(req).then(() => undefined), 'SET_HOST_PARAM', true);
    }
  }

  private async sendNegotiated(input: Pick<KernelBringUpInput, 'caps' | 'tpgt'>, login: LoginResult): Promise<void> {
    const ctx = { cid: this.cid, caps: input.caps };
    const neg = { negotiated: login.params, expStatSN: login.expStatSN >>> 0, tpgt: input.tpgt };
    for (const step of negotiatedSetParams(neg, ctx)) {
      await this.ignoreEnosys(() => this.driver.setParam(this.sid, this.cid, step.param, step.value), step.name);
    }
  }

  /** iscsid ignores -ENOSYS on SET_PARAM (and -EINVAL on SET_HOST_PARAM of old kernels). */
  private async ignoreEnosys(fn: () => Promise<void>, name: string, alsoEinval = false): Promise<void> {
    try {
      await fn();
    } catch (err) {
      const ok = err instanceof KernelRequestError && (err.sysErrno === ERRNO.ENOSYS || (alsoEinval && err.sysErrno === ERRNO.EINVAL));
      if (!ok) throw err;
      this.logger.debug({ param: name }, `kernel does not take ${name}; ignored`);
    }
  }

  /** Writes `- - -` to host<N>/scan so the kernel probes every channel/target/LUN. */
  async scan(sysfsRoot: string): Promise<void> {
    const path = join(sysfsRoot, 'class', 'scsi_host', `host${this.hostNo}`, 'scan');
    try {
      await writeFile(path, '- - -');
    } catch (err) {
      this.logger.warn({ path, err: (err as NodeJS.ErrnoException).code }, `could not scan host${this.hostNo}; LUNs appear on the next rescan`);
    }
  }

  private async undo(stage: 'session' | 'conn' | 'bound'): Promise<void> {
    const quiet = async (fn: () => Promise<void>): Promise<void> => {
      try { await fn(); } catch (err) { this.logger.warn({ err: err instanceof IscsiError ? err.code : String(err) }, 'kernel clean-up step failed'); }
    };
    if (stage === 'bound') await quiet(() => this.driver.stopConn(this.sid, this.cid, 'term'));
    if (stage !== 'session') await quiet(() => this.driver.destroyConn(this.sid, this.cid));
    await quiet(() => this.driver.destroySession(this.sid));
    this.closeSocket(false);
  }

  /** The kernel's counters for this connection (`-m session -s`). */
  stats(): Promise<KernelConnStats> {
    return this.driver.getStats(this.sid, this.cid);
  }

  /**
   * Logs out through the kernel (see the module comment for the order) and removes
   * the session. A missing Logout Response within `timeoutMs` still tears down.
   */
  async logout(timeoutMs = 15_000): Promise<{ response?: number }> {
    if (this.closed) return {};
    await this.tolerate(() => this.driver.request({ kind: 'unbindSession', sid: this.sid }).then(() => undefined));
    const answered = this.awaitLogoutResponse(timeoutMs);
    const bhs = encodeBhs({ kind: 'logout-request', immediate: true, reasonCode: 0, itt: 0, cid: this.cid, cmdSN: 0, expStatSN: 0, data: Buffer.alloc(0) });
    let response: number | undefined;
    try {
      await this.driver.sendPdu(this.sid, this.cid, bhs);
      response = await answered.promise;
    } catch (err) {
      this.logger.warn({ err: err instanceof IscsiError ? err.code : String(err) }, 'kernel logout failed; tearing the session down');
    } finally {
      answered.cancel();
    }
    await this.destroy(response !== undefined);
    return response === undefined ? {} : { response };
  }

  /** STOP_CONN(TERM), DESTROY_CONN, DESTROY_SESSION without a logout; the fd closes with RST unless `clean`. */
  async destroy(clean = false): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.tolerate(() => this.driver.stopConn(this.sid, this.cid, 'term'));
    await this.tolerate(() => this.driver.destroyConn(this.sid, this.cid));
    try {
      await this.driver.destroySession(this.sid);
    } finally {
      this.closeSocket(clean);
    }
  }

  private async tolerate(fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      if (!(err instanceof IscsiError)) throw err;
      this.logger.warn({ err: err.code }, 'kernel teardown step refused; continuing');
    }
  }

  private awaitLogoutResponse(timeoutMs: number): { promise: Promise<number>; cancel: () => void } {
    let off = (): void => {};
    let timer: NodeJS.Timeout | undefined;
    const promise = new Promise<number>((resolve, reject) => {
      off = this.driver.onEvent((ev: DriverEvent) => {
        if (ev.type === 'recvPdu' && ev.sid === this.sid && ((ev.bhs[0] ?? 0) & 0x3f) === LOGOUT_RESPONSE) resolve(ev.bhs[2] ?? 0);
      });
      timer = setTimeout(() => reject(new TransportError('KERNEL_LOGOUT_TIMEOUT', `no Logout Response within ${timeoutMs} ms on session ${this.sid}`)), timeoutMs);
    });
    promise.catch(() => {});
    return { promise, cancel: () => { off(); if (timer) clearTimeout(timer); } };
  }

  private closeSocket(clean: boolean): void {
    const s = this.socket;
    this.socket = undefined;
    if (s === undefined) return;
    if (!clean && s.resetAndDestroy) s.resetAndDestroy();
    else s.destroy();
  }

  /**
   * A session found in sysfs (created by an earlier daemon, the initramfs or firmware),
   * attached without any request: the kernel keeps its connection and socket.
   */
  static attach(driver: KernelTcpDriver, sid: number, hostNo: number, cid = 0, logger: Logger = nullLogger): KernelTcpSession {
    return new KernelTcpSession(driver, undefined, sid, cid, hostNo, logger.child({ sid, hostNo }));
  }

  /**
   * After ISCSI_KEVENT_CONN_ERROR: STOP_CONN(STOP_CONN_RECOVER) — the kernel keeps the
   * session (FAILED, I/O held for recovery_tmo) and releases the socket — then our copy
   * of the old fd is closed with RST (iscsid: ep_disconnect + stop_conn).
   */
  async stopForRecovery(): Promise<void> {
    try {
      await this.driver.stopConn(this.sid, this.cid, 'recover');
    } finally {
      this.closeSocket(false);
    }
  }

  /**
   * Re-binds a new TCP connection to the SAME kernel session after stopForRecovery():
   * BIND_CONN(new fd) → pre-login SET_PARAMs (RECOVERY_TMO = replacement_timeout) →
   * the login, run by `login` through the kernel (kernel-login-link.ts; the kernel fills
   * the session's CmdSN) → negotiated SET_PARAMs → START_CONN (the kernel resumes the
   * held I/O). iscsid reuses the stopped connection the same way (no DESTROY/CREATE_CONN).
   * On failure the new socket is closed and the session stays FAILED for the next try.
   */
  async rebind(input: Omit<KernelBringUpInput, 'driver' | 'login' | 'noScan' | 'sysfsRoot' | 'cmdsMax' | 'queueDepth'> & { login: () => Promise<LoginResult> }): Promise<LoginResult> {
    const fd = socketFd(input.socket);
    this.socket = input.socket;
    try {
      detachFromNode(input.socket);
      await this.driver.bindConn(this.sid, this.cid, fd, this.cid === 0);
      await this.sendPreLogin(input);
      const login = await input.login();
      await this.sendNegotiated(input, login);
      await this.driver.startConn(this.sid, this.cid);
      this.logger.info({ fd, tsih: login.tsih }, `kernel iscsi_tcp session ${this.sid} connection ${this.cid} re-bound and started`);
      return login;
    } catch (err) {
      this.closeSocket(false);
      throw err;
    }
  }
}
