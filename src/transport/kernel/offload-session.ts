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
 */
import { systemClock, type Clock } from '../../shared/clock.js';
import { IscsiError, LoginError, ISCSI_ERR, TransportError } from '../../shared/errors.js';
import { nullLogger, type Logger } from '../../shared/logger.js';
import type { LoginParams, LoginResult } from '../../iscsi/login/machine.js';
import { encodePdu } from '../../iscsi/pdu/index.js';
import type { Pdu } from '../../iscsi/pdu/types.js';
import { SecurityNegotiation, type ChapConfig } from '../../iscsi/security.js';
import { OperationalNegotiation, type OperationalOffer } from '../../iscsi/text/negotiate.js';
import { CONN_STATE } from './abi.js';
import type { DriverEvent } from './driver-events.js';
import type { KernelTcpDriver } from './driver.js';
import { ERRNO, KernelRequestError } from './errors.js';
import type { SockAddr } from './inet.js';
import { connectEndpoint, disconnectEndpoint } from './offload-endpoint.js';
import { notEndpointTransport, OffloadLoginError, offloadLoginTimeout } from './offload-errors.js';
import { iscsiuioNotRunning, type UioStatus } from './iscsiuio.js';
import { kernelLogin } from './offload-pdu-login.js';
import {
  hostNetParams, hostParamRequests, hostSetParams, negotiatedSetParams, sessionSetParams,
  type HostParamInput, type SessionParamInput,
} from './set-params.js';
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

type Stage = 'ep' | 'session' | 'conn' | 'bound';
/** Logout Response opcode (RFC 7143 §11.15). */
const LOGOUT_RESPONSE = 0x26;

export class OffloadSession {
  private closed = false;
  private constructor(
    private readonly driver: KernelTcpDriver,
    readonly sid: number,
    readonly cid: number,
    readonly hostNo: number,
    readonly epHandle: bigint,
    /** The negotiated login, or undefined when the firmware logged in (LOGIN_OFFLOAD). */
    readonly login: LoginResult | undefined,
    private readonly logger: Logger,
  ) {}

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
    if (this.login !== undefined) {
      const pdu: Pdu = { kind: 'logout-request', immediate: true, reasonCode: 0, itt: 0x4c4f, cid: this.cid, cmdSN: this.login.cmdSN, expStatSN: this.login.expStatSN, data: Buffer.alloc(0) };
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
    const undo = new Undo(this.driver, this.epHandle, this.logger);
    undo.at('bound', this.sid, this.cid);
    await undo.run();
  }
}

/** Pre-login SET_PARAMs, then SET_HOST_PARAMs; -ENOSYS (and -EINVAL for host params) is not fatal, as in iscsid. */
async function sendPreLoginParams(input: OffloadBringUpInput, sid: number, cid: number, hostNo: number, log: Logger): Promise<void> {
  const tolerate = async (fn: () => Promise<unknown>, name: string, alsoEinval: boolean): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      const ok = err instanceof KernelRequestError && (err.sysErrno === ERRNO.ENOSYS || (alsoEinval && err.sysErrno === ERRNO.EINVAL));
      if (!ok) throw err;
      log.debug({ param: name }, `kernel does not take ${name}; ignored`);
    }
  };
  for (const step of sessionSetParams(input.session, { cid, caps: input.caps, kernelNops: input.kernelNops ?? true })) {
    await tolerate(() => input.driver.setParam(sid, cid, step.param, step.value), step.name, false);
  }
  const hostSteps = input.behaviour.setHostIp === 'not-supported' ? hostSetParams(input.iface) : hostNetParams(input.iface, input.behaviour);
  for (const req of hostParamRequests(hostSteps, hostNo)) {
    await tolerate(() => input.driver.request(req), 'SET_HOST_PARAM', true);
  }
}

/** Login PDUs through the kernel, then the negotiated SET_PARAMs and START_CONN. */
async function pduLogin(input: OffloadBringUpInput, offer: OperationalOffer, sid: number, cid: number, clock: Clock, log: Logger): Promise<LoginResult> {
  const security = new SecurityNegotiation({ random: input.random, ...(input.chap ? { chap: input.chap } : {}) });
  const operational = new OperationalNegotiation(offer, { leading: input.login.tsih === 0 });
  const params: LoginParams = { ...input.login, useSecurityStage: input.chap !== undefined };
  const outcome = await kernelLogin({ driver: input.driver, sid, cid, ctx: { params, security, operational }, timeoutMs: input.loginTimeoutMs, clock, logger: log });
  if (outcome.kind === 'redirect') {
    throw new LoginError('OFFLOAD_LOGIN_REDIRECTED', `target redirected the login to ${outcome.addresses.join(', ')}; reconnect the endpoint there`, {
      errno: ISCSI_ERR.LOGIN, retryable: true, details: { addresses: outcome.addresses, permanent: outcome.permanent },
    });
  }
  const neg = { negotiated: outcome.result.params, expStatSN: outcome.result.expStatSN >>> 0, tpgt: input.tpgt };
  for (const step of negotiatedSetParams(neg, { cid, caps: input.caps })) {
    try {
      await input.driver.setParam(sid, cid, step.param, step.value);
    } catch (err) {
      if (!(err instanceof KernelRequestError && err.sysErrno === ERRNO.ENOSYS)) throw err;
    }
  }
  await input.driver.startConn(sid, cid);
  return outcome.result;
}

/** START_CONN starts the firmware login; CONN_LOGIN_STATE LOGGED_IN ends it, anything else fails it. */
async function firmwareLogin(driver: KernelTcpDriver, sid: number, cid: number, timeoutMs: number, clock: Clock): Promise<undefined> {
  let off = (): void => {};
  const state = new Promise<number>((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(offloadLoginTimeout(sid, cid, timeoutMs, 'firmware')), timeoutMs);
    off = driver.onEvent((ev: DriverEvent) => {
      if (ev.type === 'connLoginState' && ev.sid === sid && ev.cid === cid) {
        timer.cancel();
        resolve(ev.state);
      } else if (ev.type === 'connError' && ev.sid === sid && ev.cid === cid) {
        timer.cancel();
        reject(ev.error);
      }
    });
  });
  state.catch(() => {});
  try {
    await driver.startConn(sid, cid);
    const s = await state;
    if (s !== CONN_STATE.LOGGED_IN) throw new OffloadLoginError(sid, cid, s);
    return undefined;
  } finally {
    off();
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
    await disconnectEndpoint(this.driver, this.ep, this.log);
    if (this.stage === 'bound' || this.stage === 'conn') await quiet(() => this.driver.destroyConn(this.sid, this.cid));
    if (this.stage !== 'ep') await quiet(() => this.driver.destroySession(this.sid));
  }
}
