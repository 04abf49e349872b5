/**
 * A session on an offload transport (iser, bnx2i, cxgb3i/cxgb4i, be2iscsi, qedi,
 * ocs, qla4xxx), reference §3.7 "netlink-ep transports" and "LOGIN_OFFLOAD":
 *
 *   EP_CONNECT[_THROUGH_HOST] → EP_POLL until connected → CREATE_BOUND_SESSION(ep)
 *   → CREATE_CONN → BIND_CONN(transport_eph = ep handle) → pre-login SET_PARAMs
 *   (masked by the transport caps) → SET_HOST_PARAMs (IPADDRESS for set_host_ip
 *   transports) → then either
 *     - login PDUs through SEND_PDU / RECV_PDU (offload-pdu-login.ts), negotiated
 *       SET_PARAMs, START_CONN; or
 *     - CAP_LOGIN_OFFLOAD (qla4xxx): START_CONN starts the firmware login, whose
 *       result arrives as ISCSI_KEVENT_CONN_LOGIN_STATE (LOGGED_IN, else failed).
 *   Teardown (failure or logout): STOP_CONN(TERM) → EP_DISCONNECT → DESTROY_CONN →
 *   DESTROY_SESSION, as iscsid's session_conn_shutdown orders it.
 *   Recovery after ISCSI_KEVENT_CONN_ERROR (`reconnect`, iscsid's session_conn_reopen for
 *   netlink-ep transports): STOP_CONN(RECOVER) → EP_DISCONNECT of the old endpoint → a new
 *   EP_CONNECT/EP_POLL → BIND_CONN(new ep) on the same connection → SET_PARAMs → login
 *   (same ISID, TSIH 0: session reinstatement) → START_CONN. The kernel session and its
 *   SCSI devices stay; I/O is held until replacement_timeout (recovery_tmo).
 */
import { systemClock, type Clock } from '../../shared/clock.js';
import { IscsiError, LoginError, ISCSI_ERR, TransportError } from '../../shared/errors.js';
import { nullLogger, type Logger } from '../../shared/logger.js';
import type { LoginParams, LoginResult } from '../../iscsi/login/machine.js';
import { encodePdu } from '../../iscsi/pdu/index.js';
import type { Pdu } from '../../iscsi/pdu/types.js';
import type { ChapConfig } from '../../iscsi/security.js';
import type { OperationalOffer } from '../../iscsi/text/negotiate.js';
import type { DriverEvent } from './driver-events.js';
import type { KernelTcpDriver } from './driver.js';
import type { SockAddr } from './inet.js';
import { connectEndpoint, disconnectEndpoint } from './offload-endpoint.js';
import { notEndpointTransport } from './offload-errors.js';
import { iscsiuioNotRunning, type UioStatus } from './iscsiuio.js';
import { firmwareLogin, pduLogin, sendPreLoginParams } from './offload-login-steps.js';
import type { HostParamInput, SessionParamInput } from './set-params.js';
import { capabilityPlan, maskOffer, type TransportBehaviour } from './transports.js';

export interface OffloadBringUpInput {
  driver: KernelTcpDriver;
  behaviour: TransportBehaviour;
  /** Effective caps (transports.ts effectiveCaps of the sysfs caps). */
  caps: number;
  address: SockAddr;
  /** EP_CONNECT_THROUGH_HOST on this host when the iface is bound to one. */
  hostNo?: number;
  login: Omit<LoginParams, 'useSecurityStage'>;
  chap?: ChapConfig;
  offer: OperationalOffer;
  random: (n: number) => Buffer;
  session: SessionParamInput;
  iface: HostParamInput & { name: string };
  tpgt: number;
  cid?: number;
  cmdsMax?: number;
  queueDepth?: number;
  kernelNops?: boolean;
  loginTimeoutMs: number;
  pollIntervalMs?: number;
  clock?: Clock;
  logger?: Logger;
  /** bnx2i/qedi: whether iscsiuio runs (iscsiuio.ts readIscsiuioStatus); checked before EP_CONNECT. */
  uio?: () => Promise<UioStatus>;
}

/** A kernel session found in sysfs (daemon start, src/daemon/kernel-offload-adopt.ts). */
export interface OffloadAttachInput {
  driver: KernelTcpDriver;
  sid: number;
  cid?: number;
  hostNo: number;
  /** The connection is up (sysfs `state`): a logout sends its Logout Request. */
  up: boolean;
  /**
   * Sequence numbers for the Logout Request of a session logged in through PDUs (libiscsi
   * overwrites CmdSN and ExpStatSN of PDUs sent on a started connection); absent for
   * CAP_LOGIN_OFFLOAD transports, whose firmware logs out.
   */
  seq?: { cmdSN: number; expStatSN: number };
  logger?: Logger;
}

type Stage = 'ep' | 'session' | 'conn' | 'bound';
/** Logout Response opcode (RFC 7143 §11.15). */
const LOGOUT_RESPONSE = 0x26;

export class OffloadSession {
  private closed = false;
  /** The connection is up (false from the start of a reconnect until it works). */
  private live = true;
  /** Logout sequence numbers of an attached session that has no login result of ours. */
  private seq: { cmdSN: number; expStatSN: number } | undefined;
  private constructor(
    private readonly driver: KernelTcpDriver,
    readonly sid: number,
    readonly cid: number,
    readonly hostNo: number,
    private ep: bigint,
    private result: LoginResult | undefined,
    private readonly logger: Logger,
  ) {}

  /**
   * Attach to a kernel session this process did not create (sends nothing). Its endpoint
   * handle is unknown: sysfs lists /sys/class/iscsi_endpoint/ep-N (attribute ep_handle)
   * with no link from the connection or session to it (reference §4.1), so `epHandle` is
   * 0n and teardown and reconnect skip EP_DISCONNECT of the old endpoint. STOP_CONN (TERM
   * or RECOVER) makes the kernel disconnect an endpoint still bound to the connection
   * (scsi_transport_iscsi.c iscsi_if_stop_conn: "For offload, iscsid may not know about the
   * ep like when iscsid is restarted", Linux 5.18 "scsi: iscsi: Fix offload conn cleanup
   * when iscsid restarts", in 5.15/5.17 stable).
   */
  static attach(a: OffloadAttachInput): OffloadSession {
    const log = (a.logger ?? nullLogger).child({ sid: a.sid, hostNo: a.hostNo });
    const os = new OffloadSession(a.driver, a.sid, a.cid ?? 0, a.hostNo, 0n, undefined, log);
    os.live = a.up;
    os.seq = a.seq;
    return os;
  }

  /** The current endpoint handle (a new one after each reconnect; 0n when unknown or none). */
  get epHandle(): bigint {
    return this.ep;
  }

  /** The negotiated login, or undefined when the firmware logged in (LOGIN_OFFLOAD). */
  get login(): LoginResult | undefined {
    return this.result;
  }

  /**
   * Re-login on the same kernel session after a connection error (see the file comment).
   * `input` is the bring-up input; its login gets the session's TSIH. A failure leaves the
   * connection stopped and the new endpoint disconnected, ready for the next attempt.
   */
  async reconnect(input: OffloadBringUpInput): Promise<LoginResult | undefined> {
    const { driver } = this;
    const log = input.logger ?? this.logger;
    const clock = input.clock ?? systemClock;
    await driver.stopConn(this.sid, this.cid, 'recover').catch((err: unknown) => {
      if (!(err instanceof IscsiError)) throw err;
      log.warn({ err: err.code }, 'STOP_CONN(RECOVER) refused; reconnecting anyway');
    });
    // 0n: no endpoint, or an attached session's endpoint we never learnt (see `attach`).
    if (this.ep !== 0n) await disconnectEndpoint(driver, this.ep, log);
    this.ep = 0n;
    this.live = false;
    if (input.behaviour.usesIscsiuio && input.uio !== undefined) {
      const st = await input.uio();
      if (!st.running) throw iscsiuioNotRunning(st, input.behaviour.name);
    }
    const ep = await connectEndpoint(driver, {
      address: input.address, timeoutMs: input.loginTimeoutMs, clock, logger: log,
      ...(input.hostNo === undefined ? {} : { hostNo: input.hostNo }),
      ...(input.pollIntervalMs === undefined ? {} : { pollIntervalMs: input.pollIntervalMs }),
    });
    try {
      await driver.request({ kind: 'bindConn', sid: this.sid, cid: this.cid, transportEph: ep, isLeading: this.cid === 0 });
      // Same ISID, TSIH 0: session reinstatement (RFC 7143 §6.3.5), as the iscsi_tcp path does.
      const again: OffloadBringUpInput = { ...input, login: { ...input.login, tsih: 0 } };
      await sendPreLoginParams(again, this.sid, this.cid, this.hostNo, log);
      this.result = capabilityPlan(input.caps).loginOffload
        ? await firmwareLogin(driver, this.sid, this.cid, input.loginTimeoutMs, clock)
        : await pduLogin(again, maskOffer(input.offer, input.caps).offer, this.sid, this.cid, clock, log);
      this.ep = ep;
      this.live = true;
      this.seq = undefined;
      return this.result;
    } catch (err) {
      await disconnectEndpoint(driver, ep, log);
      throw err;
    }
  }

  /** Connects, logs in and starts the connection; undoes everything on failure. */
  static async bringUp(input: OffloadBringUpInput): Promise<OffloadSession> {
    const { driver, behaviour } = input;
    if (behaviour.connect !== 'netlink-ep') throw notEndpointTransport(behaviour.name);
    const log = input.logger ?? nullLogger;
    const clock = input.clock ?? systemClock;
    const cid = input.cid ?? 0;
    if (behaviour.usesIscsiuio && input.uio !== undefined) {
      const st = await input.uio();
      if (!st.running) throw iscsiuioNotRunning(st, behaviour.name);
    }
    const masked = maskOffer(input.offer, input.caps);
    for (const a of masked.adjustments) log.warn({ key: a.key, from: a.from, to: a.to }, `${a.key} forced to ${a.to}: ${a.reason}`);
    const ep = await connectEndpoint(driver, {
      address: input.address, timeoutMs: input.loginTimeoutMs, clock, logger: log,
      ...(input.hostNo === undefined ? {} : { hostNo: input.hostNo }),
      ...(input.pollIntervalMs === undefined ? {} : { pollIntervalMs: input.pollIntervalMs }),
    });
    const undo = new Undo(driver, ep, log);
    try {
      const r = await driver.request({ kind: 'createBoundSession', epHandle: ep, initialCmdSn: input.login.cmdSN >>> 0, cmdsMax: input.cmdsMax ?? 128, queueDepth: input.queueDepth ?? 32 });
      if (r.request !== 'createBoundSession') throw new LoginError('OFFLOAD_REPLY_MISMATCH', 'CREATE_BOUND_SESSION answered with another reply');
      const { sid, hostNo } = r;
      undo.at('session', sid, cid);
      await driver.createConn(sid, cid);
      undo.at('conn', sid, cid);
      await driver.request({ kind: 'bindConn', sid, cid, transportEph: ep, isLeading: cid === 0 });
      undo.at('bound', sid, cid);
      await sendPreLoginParams(input, sid, cid, hostNo, log);
      const plan = capabilityPlan(input.caps);
      const login = plan.loginOffload
        ? await firmwareLogin(driver, sid, cid, input.loginTimeoutMs, clock)
        : await pduLogin(input, masked.offer, sid, cid, clock, log);
      log.info({ sid, cid, hostNo, transport: behaviour.name, loginOffload: plan.loginOffload }, `offload session ${sid} on host${hostNo} is operational`);
      return new OffloadSession(driver, sid, cid, hostNo, ep, login, log.child({ sid, hostNo }));
    } catch (err) {
      await undo.run();
      throw err;
    }
  }

  /**
   * Sends one PDU with SEND_PDU and resolves with the first RECV_PDU of this
   * connection whose opcode is `answer` (the kernel has already matched its ITT).
   */
  exchange(pdu: Pdu, answer: number, timeoutMs: number, clock: Clock = systemClock): Promise<{ bhs: Buffer; data: Buffer }> {
    return new Promise((resolve, reject) => {
      let done = false;
      const finish = (fn: () => void): void => {
        if (done) return;
        done = true;
        timer.cancel();
        off();
        fn();
      };
      const timer = clock.setTimeout(() => finish(() => reject(new TransportError('OFFLOAD_PDU_TIMEOUT', `no answer (opcode 0x${answer.toString(16)}) on session ${this.sid} within ${timeoutMs} ms`, {
        errno: ISCSI_ERR.PDU_TIMEOUT, details: { sid: this.sid, cid: this.cid },
      }))), timeoutMs);
      const off = this.driver.onEvent((ev: DriverEvent) => {
        if (ev.type === 'connError' && ev.sid === this.sid && ev.cid === this.cid) finish(() => reject(ev.error));
        if (ev.type === 'recvPdu' && ev.sid === this.sid && ev.cid === this.cid && ((ev.bhs[0] ?? 0) & 0x3f) === answer) finish(() => resolve({ bhs: ev.bhs, data: ev.data }));
      });
      const raw = encodePdu(pdu);
      this.driver.sendPdu(this.sid, this.cid, raw.bhs, raw.data).catch((err: unknown) => finish(() => reject(err)));
    });
  }

  /**
   * Logout: a Logout Request (reason 0) through SEND_PDU and its Logout Response,
   * then teardown. LOGIN_OFFLOAD sessions skip the PDU (the firmware logs out).
   * A missing response within `timeoutMs` still tears down.
   */
  async logout(timeoutMs = 15_000, clock: Clock = systemClock): Promise<void> {
    if (this.closed) return;
    const seq = this.result ?? this.seq;
    if (seq !== undefined && this.live) {
      const pdu: Pdu = { kind: 'logout-request', immediate: true, reasonCode: 0, itt: 0x4c4f, cid: this.cid, cmdSN: seq.cmdSN, expStatSN: seq.expStatSN, data: Buffer.alloc(0) };
      try {
        await this.exchange(pdu, LOGOUT_RESPONSE, timeoutMs, clock);
      } catch (err) {
        if (!(err instanceof IscsiError)) throw err;
        this.logger.warn({ err: err.code }, 'offload logout got no Logout Response; tearing down');
      }
    }
    await this.destroy();
  }

  /** Tears the session down (STOP_CONN TERM, EP_DISCONNECT, DESTROY_CONN, DESTROY_SESSION). */
  async destroy(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const undo = new Undo(this.driver, this.ep, this.logger);
    undo.at('bound', this.sid, this.cid);
    await undo.run();
  }
}

/** What exists in the kernel so far, undone in reverse order; refusals are logged, not thrown. */
class Undo {
  private stage: Stage = 'ep';
  private sid = 0;
  private cid = 0;
  constructor(private readonly driver: KernelTcpDriver, private readonly ep: bigint, private readonly log: Logger) {}

  at(stage: Stage, sid: number, cid: number): void {
    this.stage = stage;
    this.sid = sid;
    this.cid = cid;
  }

  async run(): Promise<void> {
    const quiet = async (fn: () => Promise<unknown>): Promise<void> => {
      try {
        await fn();
      } catch (err) {
        if (!(err instanceof IscsiError)) throw err;
        this.log.warn({ err: err.code }, 'offload teardown step refused; continuing');
      }
    };
    if (this.stage === 'bound') await quiet(() => this.driver.stopConn(this.sid, this.cid, 'term'));
    if (this.ep !== 0n) await disconnectEndpoint(this.driver, this.ep, this.log);
    if (this.stage === 'bound' || this.stage === 'conn') await quiet(() => this.driver.destroyConn(this.sid, this.cid));
    if (this.stage !== 'ep') await quiet(() => this.driver.destroySession(this.sid));
  }
}
