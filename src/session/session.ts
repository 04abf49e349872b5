/**
 * One iSCSI session with a single connection (MaxConnections=1, ERL 0) driven in
 * userspace: login (with redirects), then a Full Feature Phase connection
 * (connection.ts) for SCSI commands, text requests, pings and logout.
 *
 * Recovery policy (reconnect, replacement_timeout) lives above this class
 * (src/recovery): a failed connection moves the session to `failed`, fails outstanding
 * work (or hands unfinished SCSI commands to the handler set with
 * `setUnfinishedHandler`) and emits `connection-error`; `login()` may then be called
 * again to reinstate it (same ISID, TSIH 0: B-05, B-09).
 *
 * Events: `state` (SessionState), `connection-error` (IscsiError, ConnectionErrorInfo),
 * `async` (AsyncMessage), `scsi-event` (ScsiAsyncEvent), `luns-changed` (ScsiAsyncEvent),
 * `logout-requested` ({ parameter3 }), `target-logout` (TargetLogoutInfo).
 */
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { IscsiError, ISCSI_ERR, ProtocolError, TransportError } from '../shared/errors.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { nullLogger, type Logger } from '../shared/logger.js';
import type { LoginResult } from '../iscsi/login/machine.js';
import type { AsyncMessage } from '../iscsi/pdu/types.js';
import { encodeLun } from '../iscsi/scsi/lun.js';
import type { SessionStats } from '../iscsi/stats.js';
import { decodeText, type TextPair } from '../iscsi/text/codec.js';
import { defaultOffer, type NegotiatedParams, type OperationalOffer } from '../iscsi/text/negotiate.js';
import type { PduStream } from '../transport/pdu-stream.js';
import type { Portal } from '../transport/types.js';
import { abortable, loginAborted } from './abortable-transport.js';
import {
  asyncEventKind, dropError, dropTimes, emptyAsyncEventCounts, scsiAsyncEvent, type AsyncEventCounts, type AsyncEventKind,
} from './async-events.js';
import { FfpConnection, type LogoutResult, type UnfinishedCommand } from './connection.js';
import { establish } from './login-runner.js';
import type { ScsiRequest, ScsiResult } from './scsi-task.js';
import type { ConnectionErrorInfo, ExecuteOptions, SessionOptions, SessionState, TargetLogoutInfo, UnfinishedHandler } from './session-types.js';
import { TagCounter } from './tasks.js';

export type { LogoutResult, UnfinishedCommand } from './connection.js';
export type { AsyncEventCounts, AsyncEventKind, ScsiAsyncEvent } from './async-events.js';
export type {
  ConnectionErrorInfo, ExecuteOptions, SessionOptions, SessionState, TargetLogoutInfo, UnfinishedHandler,
} from './session-types.js';

/** How long queued commands may wait for a closed command window before recovery (issue 5 "Detect"). */
export const DEFAULT_WINDOW_STALL_MS = 30_000;

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
  private unfinishedHandler: UnfinishedHandler | undefined;
  /** Set while the initiator itself logs out or closes: unfinished commands are failed, not handed over. */
  private userClosing = false;
  /** Aborts the login in progress (close() during logging-in, open-iscsi #228/#513). */
  private loginAbort: AbortController | undefined;
  private readonly _asyncEvents = emptyAsyncEventCounts();
  /** Commands adopted since the last connection-error (reported in its info). */
  private pendingAdopted = 0;
  /** A failure of the new connection while it was being set up (see enterFullFeature). */
  private setupFailure: IscsiError | undefined;

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
  /** Asynchronous Messages per AsyncEvent kind over the session's life (M-01..M-11). */
  get asyncEvents(): Readonly<AsyncEventCounts> {
    return this._asyncEvents;
  }

  /** Take over unfinished SCSI commands (see UnfinishedHandler); undefined restores rejection. */
  setUnfinishedHandler(handler: UnfinishedHandler | undefined): void {
    this.unfinishedHandler = handler;
  }

  /**
   * Leading login (or session reinstatement after a failure: same ISID, TSIH 0). `close()`
   * while it runs aborts it: the socket is destroyed and the promise rejects SESSION_CLOSED.
   */
  async login(): Promise<LoginResult> {
    if (this._state !== 'free' && this._state !== 'failed' && this._state !== 'closed') {
      throw new IscsiError('SESSION_BUSY', `cannot log in while the session is ${this._state}`, { errno: ISCSI_ERR.SESS_EXISTS });
    }
    this.setState('logging-in');
    this.userClosing = false;
    this.pendingAdopted = 0;
    const abort = new AbortController();
    this.loginAbort = abort;
    const o = this.opts;
    const transport = abortable(o.transport, abort.signal);
    try {
      await this.waitTime2Wait(abort.signal);
      const est = await establish({
        transport,
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
      if (abort.signal.aborted) {
        est.stream.destroy();
        throw loginAborted();
      }
      this.enterFullFeature(est.stream, est.result);
      // Temporary redirects keep the configured portal for later reconnects (G-05).
      if (est.movedPermanently) this._portal = est.movedPermanently;
      return est.result;
    } catch (err) {
      if (abort.signal.aborted) throw loginAborted();
      this.setState('failed');
      throw err;
    } finally {
      transport.release();
      if (this.loginAbort === abort) this.loginAbort = undefined;
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
        windowStallTimeoutMs: this.opts.windowStallTimeoutMs ?? DEFAULT_WINDOW_STALL_MS,
        tags: this.tags,
        clock: this.clock,
        log: this.log,
      },
      {
        failed: (err) => this.connectionFailed(err),
        async: (pdu) => this.onAsync(pdu),
        adopt: (commands, cause) => this.adopt(commands, cause),
      },
    );
    // PDUs that arrived with the last Login Response were replayed above: one may
    // already have failed the new connection (e.g. an AsyncEvent 2 in the same read).
    if (this.setupFailure) {
      const err = this.setupFailure;
      this.setupFailure = undefined;
      throw err;
    }
    this._params = result.params;
    this._stats = stream.stats;
    this._tsih = result.tsih;
    this.logins++;
    this.setState('logged-in');
    this.log.info({ tsih: result.tsih, params: result.params }, 'logged in');
  }

  /** Run one SCSI command. Rejects with ScsiError-free transport/protocol errors only; SCSI status is in the result. */
  execute(req: ScsiRequest, opts: ExecuteOptions = {}): Promise<ScsiResult> {
    return this.guard('SCSI command', true, (conn) => conn.execute(req, typeof req.lun === 'number' ? encodeLun(req.lun) : req.lun, opts.signal));
  }

  /** A text negotiation / SendTargets exchange (I-03, I-08, I-09, I-12). */
  text(pairs: readonly TextPair[]): Promise<TextPair[]> {
    return this.textAnswer(pairs).then(decodeAnswer);
  }

  /** SendTargets=All on a Discovery session; on a Normal session only "" or a name is allowed (I-04). */
  sendTargets(value = 'All'): Promise<TextPair[]> {
    return this.sendTargetsText(value).then(decodeAnswer);
  }

  /**
   * sendTargets() without the decoding: the answer's reassembled key=value text, for a
   * caller with something to send first (discovery's Logout). decodeText(text,
   * 'TextResponse.data') gives the pairs.
   */
  sendTargetsText(value = 'All'): Promise<Buffer> {
    if (value === 'All' && this.opts.sessionType !== 'Discovery') {
      return Promise.reject(new IscsiError('SENDTARGETS_ALL_ON_NORMAL', 'SendTargets=All is only valid on a Discovery session (I-04)', { errno: ISCSI_ERR.INVAL }));
    }
    return this.textAnswer([['SendTargets', value]]);
  }

  private textAnswer(pairs: readonly TextPair[]): Promise<Buffer> {
    const sendTargetsOnly = pairs.length === 1 && pairs[0]![0] === 'SendTargets';
    return this.guard(sendTargetsOnly ? 'Text Request' : 'Text Request other than SendTargets', !sendTargetsOnly, (conn) => conn.text(pairs));
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
   * `awaitClose: false` resolves on the Logout Response and lets the TCP close finish in
   * the background (SendTargets discovery: its answer is complete by then).
   */
  async logout(opts: { awaitClose?: boolean } = {}): Promise<LogoutResult | undefined> {
    if (this._state === 'logging-in') this.loginAbort?.abort();
    if (this._state !== 'logged-in') {
      if (this._state === 'failed' || this._state === 'free' || this._state === 'closed' || this._state === 'logging-in') {
        this.userClosing = true;
        this.conn?.close(new IscsiError('SESSION_LOGGED_OUT', 'session logged out', { errno: ISCSI_ERR.LOGOUT }));
        this.setState('closed');
        return undefined;
      }
      throw new IscsiError('SESSION_BUSY', `cannot log out while the session is ${this._state}`, { errno: ISCSI_ERR.INTERNAL });
    }
    this.userClosing = true;
    return this.logoutNow(opts.awaitClose ?? true);
  }

  /** Drop the connection without a logout (forced teardown, from any state: a login in progress is aborted). */
  close(): void {
    this.userClosing = true;
    this.loginAbort?.abort();
    this.conn?.close(new IscsiError('SESSION_CLOSED', 'session closed by the initiator', { errno: ISCSI_ERR.LOGOUT }));
    this.setState('closed');
  }

  // ---- internals -------------------------------------------------------------

  /** Logout reason 0 on the live connection; see logout(). */
  private async logoutNow(awaitClose: boolean): Promise<LogoutResult> {
    this.setState('logging-out');
    try {
      const result = await this.conn!.logout(this.opts.logoutTimeoutMs ?? 15_000, awaitClose);
      if (result.response !== 0) this.log.warn({ ...result }, 'logout response was not "closed successfully"');
      if (result.time2Retain !== undefined && result.time2Retain > 0) {
        this.reloginNotBefore = this.clock.now() + (result.time2Wait ?? 0) * 1000;
      }
      return result;
    } finally {
      this.setState('closed');
    }
  }

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
  private async waitTime2Wait(signal: AbortSignal): Promise<void> {
    const ms = this.reloginNotBefore - this.clock.now();
    this.reloginNotBefore = 0;
    if (ms <= 0) return;
    await new Promise<void>((resolve) => {
      const timer = this.clock.setTimeout(done, ms);
      function done(): void {
        timer.cancel();
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
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

  /**
   * An Asynchronous Message (§11.9), after its numbering was applied (M-01): count it,
   * report it, then act per AsyncEvent. A handler that throws fails the connection.
   */
  private onAsync(pdu: AsyncMessage): void {
    const kind = asyncEventKind(pdu.asyncEvent);
    this._asyncEvents[kind]++;
    this.log.info({ event: pdu.asyncEvent, kind, vcode: pdu.asyncVCode, p1: pdu.parameter1, p2: pdu.parameter2, p3: pdu.parameter3 }, 'asynchronous message');
    this.emit('async', pdu);
    Session.asyncHandlers[kind](this, pdu);
  }

  /** One table for every session (not 8 closures per instance: bench/hold-10k memory). */
  private static readonly asyncHandlers: Readonly<Record<AsyncEventKind, (s: Session, pdu: AsyncMessage) => void>> = {
    // M-02: hand the sense data to the SCSI layer; REPORTED LUNS DATA HAS CHANGED means rescan.
    scsiEvent: (s, pdu) => {
      const ev = scsiAsyncEvent(pdu);
      s.emit('scsi-event', ev);
      if (ev.lunsChanged) s.emit('luns-changed', ev);
    },
    logoutRequest: (s, pdu) => s.onLogoutRequest(pdu),
    // M-05, M-06: the connection (or all) is gone; Parameter2/3 travel with the error.
    dropConnection: (_s, pdu) => {
      throw dropError(pdu);
    },
    dropAllConnections: (_s, pdu) => {
      throw dropError(pdu);
    },
    renegotiate: (s, pdu) => s.onRenegotiate(pdu),
    // M-09: only valid with TaskReporting=FastAbort, which we never offer.
    taskTermination: () => {
      throw new ProtocolError('ASYNC_TASK_TERMINATION', 'AsyncEvent 5 (task termination) without TaskReporting=FastAbort (M-09)', { where: 'AsyncMessage.AsyncEvent' });
    },
    // M-10, M-11: logged above and counted; nothing else to do.
    vendor: () => {},
    unassigned: (s, pdu) => s.log.warn({ event: pdu.asyncEvent }, 'unassigned AsyncEvent ignored'),
  };

  /**
   * M-03: log out with reason 0 (close the session) at once, well within Parameter3;
   * nothing new is sent meanwhile (state logging-out). Unfinished commands go to the
   * handler, so a supervisor can re-login and issue them again.
   */
  private onLogoutRequest(pdu: AsyncMessage): void {
    if (this._state !== 'logged-in') return;
    this.emit('logout-requested', { parameter3: pdu.parameter3 });
    this.logoutNow(true).then(
      (result) => {
        this.pendingAdopted = 0;
        this.emit('target-logout', { result } satisfies TargetLogoutInfo);
      },
      (error: IscsiError) => {
        this.log.warn({ err: error }, 'logout requested by target failed');
        this.pendingAdopted = 0;
        this.emit('target-logout', { error } satisfies TargetLogoutInfo);
      },
    );
  }

  /**
   * M-08: start a negotiation within Parameter3 with an empty Text Request, unless a
   * Text Request is already outstanding; the connection stays up (open-iscsi drops it).
   */
  private onRenegotiate(pdu: AsyncMessage): void {
    const conn = this.conn;
    if (this._state !== 'logged-in' || conn === undefined) return;
    conn.text([]).then(decodeAnswer).then(
      (pairs) => this.log.info({ pairs: pairs.map(([k]) => k), within: pdu.parameter3 }, 'renegotiation requested by target answered'),
      (err: IscsiError) => {
        if (err.code !== 'TEXT_BUSY') this.log.warn({ err }, 'renegotiation requested by target failed');
      },
    );
  }

  private adopt(commands: UnfinishedCommand[], cause: IscsiError): boolean {
    const handler = this.unfinishedHandler;
    if (handler === undefined || this.userClosing) return false;
    handler(commands, cause);
    this.pendingAdopted += commands.length;
    return true;
  }

  /** The connection failed: during a logout that ends the session, otherwise it is `failed`. */
  private connectionFailed(err: IscsiError): void {
    if (this._state === 'logging-in') {
      this.setupFailure = err; // see enterFullFeature
      return;
    }
    const unfinished = this.pendingAdopted;
    this.pendingAdopted = 0;
    if (this._state === 'closed' || this._state === 'failed') return;
    const loggingOut = this._state === 'logging-out';
    this.setState(loggingOut ? 'closed' : 'failed');
    if (!loggingOut) this.emit('connection-error', err, { ...dropTimes(err), unfinished } satisfies ConnectionErrorInfo);
  }
}

/** A text exchange's answer as pairs (a malformed one rejects with the codec's ProtocolError). */
function decodeAnswer(text: Buffer): TextPair[] {
  return decodeText(text, 'TextResponse.data');
}
