/**
 * One iSCSI session with a single connection (MaxConnections=1, ERL 0) driven in
 * userspace: login (with redirects), then a Full Feature Phase connection
 * (connection.ts) for SCSI commands, text requests, pings and logout.
 *
 * Recovery policy (reconnect, replacement_timeout) lives above this class: a failed
 * connection moves the session to `failed`, fails outstanding work and emits
 * `connection-error`; `login()` may then be called again to reinstate it (same ISID,
 * TSIH 0: B-05, B-09).
 */
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { IscsiError, ISCSI_ERR, TransportError } from '../shared/errors.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { nullLogger, type Logger } from '../shared/logger.js';
import type { LoginResult } from '../iscsi/login/machine.js';
import type { AsyncMessage } from '../iscsi/pdu/types.js';
import { encodeLun } from '../iscsi/scsi/lun.js';
import type { ChallengeRegistry, ChapConfig } from '../iscsi/security.js';
import type { SessionStats } from '../iscsi/stats.js';
import type { TextPair } from '../iscsi/text/codec.js';
import { defaultOffer, type NegotiatedParams, type OperationalOffer } from '../iscsi/text/negotiate.js';
import type { PduStream } from '../transport/pdu-stream.js';
import type { Portal, Transport } from '../transport/types.js';
import { FfpConnection, type LogoutResult } from './connection.js';
import { establish } from './login-runner.js';
import type { ScsiRequest, ScsiResult } from './scsi-task.js';
import { TagCounter } from './tasks.js';

export type { LogoutResult } from './connection.js';

export type SessionState = 'free' | 'logging-in' | 'logged-in' | 'logging-out' | 'failed' | 'closed';

export interface SessionOptions {
  transport: Transport;
  portal: Portal;
  tpgt?: number;
  initiatorName: string;
  initiatorAlias?: string;
  targetName?: string;
  sessionType: 'Normal' | 'Discovery';
  isid: Buffer;
  cid?: number;
  chap?: ChapConfig;
  offer?: Partial<OperationalOffer>;
  /** open-iscsi node.conn[0].timeo.login_timeout (shipped conf: 15 s). */
  loginTimeoutMs?: number;
  logoutTimeoutMs?: number;
  /** 0 disables NOP-Out keepalives (open-iscsi noop_out_interval). */
  noopOutIntervalMs?: number;
  noopOutTimeoutMs?: number;
  maxRedirects?: number;
  /** CmdSN of the leading login (open-iscsi initial_cmdsn). */
  initialCmdSN?: number;
  localAddress?: string;
  clock?: Clock;
  random?: (n: number) => Buffer;
  registry?: ChallengeRegistry;
  logger?: Logger;
}

export class Session extends EventEmitter {
  private _state: SessionState = 'free';
  private conn: FfpConnection | undefined;
  private _params: NegotiatedParams | undefined;
  private _stats: SessionStats | undefined;
  private _tsih = 0;
  private _portal: Portal;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly offer: OperationalOffer;
  private readonly cmdSNAtLogin: number;
  /** Clock time before which a re-login must not start (Time2Wait of a Logout Response 2/3, L-05). */
  private reloginNotBefore = 0;
  private logins = 0;
  /** ITTs are unique session-wide, across reinstatements too (J-11); the login uses 0. */
  private readonly tags = new TagCounter(1);

  constructor(readonly opts: SessionOptions) {
    super();
    this.clock = opts.clock ?? systemClock;
    this.log = (opts.logger ?? nullLogger).child({ target: opts.targetName ?? '(discovery)' });
    this.offer = { ...defaultOffer(opts.sessionType), ...opts.offer, sessionType: opts.sessionType };
    this._portal = opts.portal;
    this.cmdSNAtLogin = (opts.initialCmdSN ?? 1) >>> 0;
  }

  get state(): SessionState {
    return this._state;
  }
  get tsih(): number {
    return this._tsih;
  }
  /** Negotiated parameters of the current (or last) login. */
  get params(): NegotiatedParams | undefined {
    return this._params;
  }
  /** Current portal (after redirects). */
  get portal(): Portal {
    return this._portal;
  }
  /** Counters of the current (or last) connection. */
  get stats(): SessionStats | undefined {
    return this._stats;
  }
  /** Tasks not yet completed, including those still waiting for the window (each counted once). */
  get outstanding(): number {
    return this.conn?.outstanding ?? 0;
  }
  get loginCount(): number {
    return this.logins;
  }

  /** Leading login (or session reinstatement after a failure: same ISID, TSIH 0). */
  async login(): Promise<LoginResult> {
    if (this._state !== 'free' && this._state !== 'failed' && this._state !== 'closed') {
      throw new IscsiError('SESSION_BUSY', `cannot log in while the session is ${this._state}`, { errno: ISCSI_ERR.SESS_EXISTS });
    }
    this.setState('logging-in');
    const o = this.opts;
    try {
      await this.waitTime2Wait();
      const est = await establish({
        transport: o.transport,
        portal: this._portal,
        login: {
          initiatorName: o.initiatorName,
          ...(o.initiatorAlias ? { initiatorAlias: o.initiatorAlias } : {}),
          ...(o.targetName ? { targetName: o.targetName } : {}),
          sessionType: o.sessionType,
          isid: o.isid,
          tsih: 0, // reinstatement too (B-05, B-09)
          cid: o.cid ?? 0,
          itt: 0,
          cmdSN: this.cmdSNAtLogin,
          expStatSN: 0,
          ...(o.tpgt === undefined ? {} : { expectedTpgt: o.tpgt }),
        },
        ...(o.chap ? { chap: o.chap } : {}),
        offer: this.offer,
        loginTimeoutMs: o.loginTimeoutMs ?? 15_000,
        ...(o.maxRedirects === undefined ? {} : { maxRedirects: o.maxRedirects }),
        ...(o.localAddress ? { localAddress: o.localAddress } : {}),
        random: o.random ?? randomBytes,
        ...(o.registry ? { registry: o.registry } : {}),
        clock: this.clock,
        logger: this.log,
      });
      this.enterFullFeature(est.stream, est.result);
      // Temporary redirects keep the configured portal for later reconnects (G-05).
      if (est.movedPermanently) this._portal = est.movedPermanently;
      return est.result;
    } catch (err) {
      this.setState('failed');
      throw err;
    }
  }

  private enterFullFeature(stream: PduStream, result: LoginResult): void {
    const discovery = this.opts.sessionType === 'Discovery';
    this.conn = new FfpConnection(
      stream,
      result,
      {
        cid: this.opts.cid ?? 0,
        // Discovery sessions send no NOP-Out keepalives (I-18).
        noopOutIntervalMs: discovery ? 0 : (this.opts.noopOutIntervalMs ?? 5000),
        noopOutTimeoutMs: this.opts.noopOutTimeoutMs ?? 5000,
        tags: this.tags,
        clock: this.clock,
        log: this.log,
      },
      { failed: (err) => this.connectionFailed(err), async: (pdu) => this.onAsync(pdu) },
    );
    this._params = result.params;
    this._stats = stream.stats;
    this._tsih = result.tsih;
    this.logins++;
    this.setState('logged-in');
    this.log.info({ tsih: result.tsih, params: result.params }, 'logged in');
  }

  /** Run one SCSI command. Rejects with ScsiError-free transport/protocol errors only; SCSI status is in the result. */
  execute(req: ScsiRequest): Promise<ScsiResult> {
    return this.guard('SCSI command', true, (conn) => conn.execute(req, typeof req.lun === 'number' ? encodeLun(req.lun) : req.lun));
  }

  /** A text negotiation / SendTargets exchange (I-03, I-08, I-09, I-12). */
  text(pairs: readonly TextPair[]): Promise<TextPair[]> {
    const sendTargetsOnly = pairs.length === 1 && pairs[0]![0] === 'SendTargets';
    return this.guard(sendTargetsOnly ? 'Text Request' : 'Text Request other than SendTargets', !sendTargetsOnly, (conn) => conn.text(pairs));
  }

  /** SendTargets=All on a Discovery session; on a Normal session only "" or a name is allowed (I-04). */
  sendTargets(value = 'All'): Promise<TextPair[]> {
    if (value === 'All' && this.opts.sessionType !== 'Discovery') {
      return Promise.reject(new IscsiError('SENDTARGETS_ALL_ON_NORMAL', 'SendTargets=All is only valid on a Discovery session (I-04)', { errno: ISCSI_ERR.INVAL }));
    }
    return this.text([['SendTargets', value]]);
  }

  /**
   * An initiator ping: NOP-Out with a valid ITT, answered by a NOP-In echoing the data
   * (K-03). Always immediate (I=1): it consumes no CmdSN and passes a closed window (K-07).
   */
  ping(data: Buffer = Buffer.alloc(0)): Promise<Buffer> {
    return this.guard('NOP-Out', true, (conn) => {
      const max = conn.params.maxXmitDataSegmentLength;
      if (data.length > max) {
        throw new IscsiError('PING_DATA_TOO_LONG', `ping data of ${data.length} bytes exceeds the target's MaxRecvDataSegmentLength ${max} (K-03)`, { errno: ISCSI_ERR.INVAL });
      }
      return conn.ping(data);
    });
  }

  /**
   * Confirm ExpStatSN to the target while idle (K-08): NOP-Out with ITT and TTT
   * 0xffffffff and I=1, carrying the current CmdSN; the target answers nothing.
   */
  confirmExpStatSN(): void {
    this.assertUsable('NOP-Out');
    this.assertNormal('NOP-Out');
    this.conn!.confirmExpStatSN();
  }

  /**
   * Close the session with a Logout Request, reason 0 (L-01, I-19; never reason 2, L-07);
   * then close TCP (L-03). Resolves with the target's answer, or undefined when there was
   * no connection to log out on. A Logout Response 2/3 with Time2Retain > 0 delays the next
   * login() by Time2Wait (L-05); response 0 and 1 times are ignored (L-04, L-06).
   */
  async logout(): Promise<LogoutResult | undefined> {
    if (this._state !== 'logged-in') {
      if (this._state === 'failed' || this._state === 'free' || this._state === 'closed') {
        this.conn?.close(new IscsiError('SESSION_LOGGED_OUT', 'session logged out', { errno: ISCSI_ERR.LOGOUT }));
        this.setState('closed');
        return undefined;
      }
      throw new IscsiError('SESSION_BUSY', `cannot log out while the session is ${this._state}`, { errno: ISCSI_ERR.INTERNAL });
    }
    this.setState('logging-out');
    try {
      const result = await this.conn!.logout(this.opts.logoutTimeoutMs ?? 15_000);
      if (result.response !== 0) this.log.warn({ ...result }, 'logout response was not "closed successfully"');
      if (result.time2Retain !== undefined && result.time2Retain > 0) {
        this.reloginNotBefore = this.clock.now() + (result.time2Wait ?? 0) * 1000;
      }
      return result;
    } finally {
      this.setState('closed');
    }
  }

  /** Drop the connection without a logout (forced teardown). */
  close(): void {
    this.conn?.close(new IscsiError('SESSION_CLOSED', 'session closed by the initiator', { errno: ISCSI_ERR.LOGOUT }));
    this.setState('closed');
  }

  // ---- internals -------------------------------------------------------------

  private setState(s: SessionState): void {
    if (s === this._state) return;
    this._state = s;
    this.emit('state', s);
  }

  /** A Discovery session carries only SendTargets and Logout (I-18, RFC 7143 §4.3). */
  private assertNormal(what: string): void {
    if (this.opts.sessionType === 'Discovery') {
      throw new IscsiError('NOT_ALLOWED_IN_DISCOVERY', `cannot send ${what} on a Discovery session (I-18)`, { errno: ISCSI_ERR.INVAL });
    }
  }

  /** Honour the Time2Wait of the last Logout Response 2/3 before logging in again (L-05). */
  private async waitTime2Wait(): Promise<void> {
    const ms = this.reloginNotBefore - this.clock.now();
    this.reloginNotBefore = 0;
    if (ms > 0) await new Promise<void>((resolve) => this.clock.setTimeout(resolve, ms));
  }

  private assertUsable(what: string): void {
    if (this._state !== 'logged-in') {
      throw new TransportError('SESSION_NOT_LOGGED_IN', `cannot send ${what}: session is ${this._state}`, { errno: ISCSI_ERR.SESSION_NOT_CONNECTED });
    }
  }

  /** State and session-type checks, then run `fn` on the live connection; errors become rejections. */
  private guard<T>(what: string, normalOnly: boolean, fn: (conn: FfpConnection) => Promise<T>): Promise<T> {
    try {
      this.assertUsable(what);
      if (normalOnly) this.assertNormal(what);
      return fn(this.conn!);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private onAsync(pdu: AsyncMessage): void {
    this.log.info({ event: pdu.asyncEvent, vcode: pdu.asyncVCode, p1: pdu.parameter1, p2: pdu.parameter2, p3: pdu.parameter3 }, 'asynchronous message');
    this.emit('async', pdu);
    switch (pdu.asyncEvent) {
      case 1: // logout request (M-03): close the session within Parameter3 seconds
        void this.logout().catch((err: unknown) => this.log.warn({ err }, 'logout requested by target failed'));
        return;
      case 2: // connection drop (M-05)
      case 3: // all connections drop (M-06)
        throw new TransportError('TARGET_DROPPED_CONNECTION', `target announced it drops the connection (AsyncEvent ${pdu.asyncEvent})`, {
          details: { time2Wait: pdu.parameter2, time2Retain: pdu.parameter3 },
        });
      default:
        return; // 0 SCSI event, 4 renegotiate, vendor and unassigned codes are reported only (M-10, M-11)
    }
  }

  /** The connection failed: during a logout that ends the session, otherwise it is `failed`. */
  private connectionFailed(err: IscsiError): void {
    if (this._state === 'closed' || this._state === 'failed') return;
    const loggingOut = this._state === 'logging-out';
    this.setState(loggingOut ? 'closed' : 'failed');
    if (!loggingOut) this.emit('connection-error', err);
  }
}
