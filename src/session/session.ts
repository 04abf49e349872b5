/**
 * One iSCSI session with a single connection (MaxConnections=1, ERL 0) driven in
 * userspace: login (with redirects), Full Feature Phase with the CmdSN window, NOP
 * keepalives, target pings, SCSI commands with data, text requests, logout.
 *
 * Recovery policy (reconnect, replacement_timeout) lives above this class: a failed
 * connection moves the session to `failed`, fails outstanding work and emits
 * `connection-error`; `login()` may then be called again to reinstate it (same ISID,
 * TSIH 0: B-05, B-09).
 */
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { IscsiError, ISCSI_ERR, ProtocolError, TransportError } from '../shared/errors.js';
import { systemClock, TimerSlot, type Clock } from '../shared/clock.js';
import { nullLogger, type Logger } from '../shared/logger.js';
import type { LoginResult } from '../iscsi/login/machine.js';
import { RESERVED_TAG, type AsyncMessage, type InitiatorPdu, type TargetPdu } from '../iscsi/pdu/types.js';
import { encodeLun } from '../iscsi/scsi/lun.js';
import { snLt } from '../iscsi/serial.js';
import type { ChallengeRegistry, ChapConfig } from '../iscsi/security.js';
import type { SessionStats } from '../iscsi/stats.js';
import type { TextPair } from '../iscsi/text/codec.js';
import { defaultOffer, type NegotiatedParams, type OperationalOffer } from '../iscsi/text/negotiate.js';
import type { PduStream } from '../transport/pdu-stream.js';
import type { Portal, Transport } from '../transport/types.js';
import { establish } from './login-runner.js';
import { Numbering } from './numbering.js';
import { ScsiTask, type ScsiRequest, type ScsiResult } from './scsi-task.js';
import { TaskTable } from './tasks.js';
import { DATA_OUT_OPCODE, leavesCmdSNGap, MAX_REJECT_RETRIES, parseRejected, rejectError, RESENDABLE_REASONS, type RejectedPdu } from './reject.js';
import { TextTask } from './text-task.js';

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

/** What the target answered to our Logout Request (§11.15). */
export interface LogoutResult {
  /** 0 closed successfully, 1 CID not found, 2 recovery not supported, 3 cleanup failed. */
  response: number;
  /**
   * Time2Wait / Time2Retain in seconds, reported only with responses 2 and 3 (L-05);
   * with 0 and 1 the fields are invalid or ignored at ERL < 2 (L-04, L-06).
   */
  time2Wait?: number;
  time2Retain?: number;
}

type Pending<T> = { resolve: (v: T) => void; reject: (e: IscsiError) => void };
type Task =
  | ({ kind: 'scsi'; scsi: ScsiTask } & Pending<ScsiResult>)
  | ({ kind: 'text'; text: TextTask } & Pending<TextPair[]>)
  | ({ kind: 'nop'; keepalive: boolean } & Pending<Buffer>)
  | ({ kind: 'tmf' } & Pending<number>)
  | ({ kind: 'logout' } & Pending<LogoutResult>);

/** A non-immediate PDU waiting for the command window (J-03); built when its CmdSN is known. */
interface Queued {
  itt: number;
  build(cmdSN: number, expStatSN: number): InitiatorPdu[];
}

export class Session extends EventEmitter {
  private _state: SessionState = 'free';
  private stream: PduStream | undefined;
  private numbering: Numbering | undefined;
  private _params: NegotiatedParams | undefined;
  private _tsih = 0;
  private _portal: Portal;
  private readonly tasks = new TaskTable<Task>();
  private queue: Queued[] = [];
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly nopInterval: TimerSlot;
  private readonly nopTimeout: TimerSlot;
  private readonly offer: OperationalOffer;
  private cmdSNAtLogin: number;
  /** Clock time before which a re-login must not start (Time2Wait of a Logout Response 2/3, L-05). */
  private reloginNotBefore = 0;
  private readonly totals: { logins: number; lastLogin?: LoginResult } = { logins: 0 };

  constructor(readonly opts: SessionOptions) {
    super();
    this.clock = opts.clock ?? systemClock;
    this.log = (opts.logger ?? nullLogger).child({ target: opts.targetName ?? '(discovery)' });
    this.nopInterval = new TimerSlot(this.clock, 'noop-out-interval');
    this.nopTimeout = new TimerSlot(this.clock, 'noop-out-timeout');
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
  get stats(): SessionStats | undefined {
    return this.stream?.stats;
  }
  /** Tasks not yet completed, including those still waiting for the window (each counted once). */
  get outstanding(): number {
    return this.tasks.size;
  }
  get loginCount(): number {
    return this.totals.logins;
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
    this.stream = stream;
    this._params = result.params;
    this._tsih = result.tsih;
    this.totals.logins++;
    this.totals.lastLogin = result;
    this.numbering = new Numbering({ cmdSN: result.cmdSN, expCmdSN: result.expCmdSN, maxCmdSN: result.maxCmdSN, expStatSN: result.expStatSN });
    this.setState('logged-in');
    this.log.info({ tsih: result.tsih, params: result.params }, 'logged in');
    stream.setHandlers({
      onPdu: (pdu) => this.onPdu(pdu),
      onError: (err) => this.connectionFailed(err),
      onClose: () => this.onClose(),
    });
    this.armKeepalive();
  }

  /** Run one SCSI command. Rejects with ScsiError-free transport/protocol errors only; SCSI status is in the result. */
  execute(req: ScsiRequest): Promise<ScsiResult> {
    const lun = typeof req.lun === 'number' ? encodeLun(req.lun) : req.lun;
    return new Promise<ScsiResult>((resolve, reject) => {
      this.assertUsable('SCSI command');
      this.assertNormal('SCSI command');
      let scsi!: ScsiTask;
      this.tasks.add((itt) => ({ kind: 'scsi', scsi: (scsi = new ScsiTask(itt, lun, req, this._params!)), resolve, reject }));
      this.enqueue({
        itt: scsi.itt,
        build: (cmdSN, expStatSN) => {
          const { cmd, unsolicited } = scsi.command(cmdSN, expStatSN);
          return [cmd, ...unsolicited];
        },
      });
    });
  }

  /** A text negotiation / SendTargets exchange (I-03, I-08, I-09, I-12). */
  text(pairs: readonly TextPair[]): Promise<TextPair[]> {
    return new Promise<TextPair[]>((resolve, reject) => {
      this.assertUsable('Text Request');
      if (!(pairs.length === 1 && pairs[0]![0] === 'SendTargets')) this.assertNormal('Text Request other than SendTargets');
      if ([...this.tasks.values()].some((t) => t.kind === 'text')) {
        throw new IscsiError('TEXT_BUSY', 'a Text Request is already outstanding (I-12)', { errno: ISCSI_ERR.BUSY });
      }
      const maxSegment = this._params!.maxXmitDataSegmentLength;
      let text!: TextTask;
      this.tasks.add((itt) => ({ kind: 'text', text: (text = new TextTask(itt, pairs, maxSegment)), resolve, reject }));
      this.enqueue({ itt: text.itt, build: (cmdSN, expStatSN) => [text.first(cmdSN, expStatSN)] });
    });
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
    return new Promise<Buffer>((resolve, reject) => {
      this.assertUsable('NOP-Out');
      this.assertNormal('NOP-Out');
      const max = this._params!.maxXmitDataSegmentLength;
      if (data.length > max) {
        throw new IscsiError('PING_DATA_TOO_LONG', `ping data of ${data.length} bytes exceeds the target's MaxRecvDataSegmentLength ${max} (K-03)`, { errno: ISCSI_ERR.INVAL });
      }
      this.sendPing(data, false, resolve, reject);
    });
  }

  /**
   * Confirm ExpStatSN to the target while idle (K-08): NOP-Out with ITT and TTT
   * 0xffffffff and I=1, carrying the current CmdSN; the target answers nothing.
   */
  confirmExpStatSN(): void {
    this.assertUsable('NOP-Out');
    this.assertNormal('NOP-Out');
    const n = this.numbering!;
    this.stream!.send({ kind: 'nop-out', immediate: true, lun: Buffer.alloc(8), itt: RESERVED_TAG, ttt: RESERVED_TAG, cmdSN: n.cmdSN, expStatSN: n.expStatSN, data: Buffer.alloc(0) });
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
        this.teardown(new IscsiError('SESSION_LOGGED_OUT', 'session logged out', { errno: ISCSI_ERR.LOGOUT }));
        this.setState('closed');
        return undefined;
      }
      throw new IscsiError('SESSION_BUSY', `cannot log out while the session is ${this._state}`, { errno: ISCSI_ERR.INTERNAL });
    }
    this.setState('logging-out');
    this.stopKeepalive();
    const timer = new TimerSlot(this.clock, 'logout-timeout');
    const timeoutMs = this.opts.logoutTimeoutMs ?? 15_000;
    try {
      const result = await new Promise<LogoutResult>((resolve, reject) => {
        const itt = this.tasks.add(() => ({ kind: 'logout', resolve, reject }));
        const n = this.numbering!;
        // Logout is sent immediate: CmdSN is carried, not advanced (J-02).
        this.stream!.send({ kind: 'logout-request', immediate: true, reasonCode: 0, itt, cid: this.opts.cid ?? 0, cmdSN: n.cmdSN, expStatSN: n.expStatSN, data: Buffer.alloc(0) });
        timer.arm(timeoutMs, () => reject(new TransportError('LOGOUT_TIMEOUT', `no Logout Response within ${timeoutMs} ms (L-08)`, { errno: ISCSI_ERR.LOGOUT })));
      });
      if (result.response !== 0) {
        this.log.warn({ ...result }, 'logout response was not "closed successfully"');
      }
      if (result.time2Retain !== undefined && result.time2Retain > 0) {
        this.reloginNotBefore = this.clock.now() + (result.time2Wait ?? 0) * 1000;
      }
      return result;
    } finally {
      timer.cancel();
      // The target ends every outstanding task on a session-close logout (L-09).
      this.teardown(new IscsiError('SESSION_LOGGED_OUT', 'session logged out with commands outstanding', { errno: ISCSI_ERR.LOGOUT }));
      await this.closeStream();
      this.setState('closed');
    }
  }

  /** Drop the connection without a logout (forced teardown). */
  close(): void {
    this.teardown(new IscsiError('SESSION_CLOSED', 'session closed by the initiator', { errno: ISCSI_ERR.LOGOUT }));
    this.stream?.destroy();
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

  /** Non-immediate PDUs wait for the window and go out in CmdSN order (J-03, J-12). */
  private enqueue(q: Queued): void {
    this.queue.push(q);
    this.flush();
  }

  private flush(): void {
    const n = this.numbering;
    const stream = this.stream;
    if (!n || !stream || this._state !== 'logged-in') return;
    while (this.queue.length > 0 && n.windowOpen) {
      const q = this.queue.shift()!;
      for (const pdu of q.build(n.take(false), n.expStatSN)) stream.send(pdu);
    }
  }

  private sendPing(data: Buffer, keepalive: boolean, resolve: (b: Buffer) => void, reject: (e: IscsiError) => void): void {
    const n = this.numbering!;
    const itt = this.tasks.add(() => ({ kind: 'nop', keepalive, resolve, reject }));
    this.stream!.send({ kind: 'nop-out', immediate: true, lun: Buffer.alloc(8), itt, ttt: RESERVED_TAG, cmdSN: n.cmdSN, expStatSN: n.expStatSN, data });
  }

  private armKeepalive(): void {
    const interval = this.opts.noopOutIntervalMs ?? 5000;
    // Discovery sessions send no NOP-Out keepalives (I-18); 0 disables them.
    if (interval <= 0 || this.opts.sessionType === 'Discovery') return;
    this.nopInterval.arm(interval, () => this.keepalive());
  }

  private keepalive(): void {
    if (this._state !== 'logged-in') return;
    const timeout = this.opts.noopOutTimeoutMs ?? 5000;
    this.sendPing(Buffer.alloc(0), true, () => {}, () => {});
    if (timeout > 0) {
      this.nopTimeout.arm(timeout, () => {
        if (this.stream) this.stream.stats.timeout_err++;
        this.connectionFailed(new TransportError('NOP_OUT_TIMEOUT', `no NOP-In within ${timeout} ms of a NOP-Out ping (K-04)`, { errno: ISCSI_ERR.PDU_TIMEOUT }));
      });
    }
  }

  private stopKeepalive(): void {
    this.nopInterval.cancel();
    this.nopTimeout.cancel();
  }

  private onPdu(pdu: TargetPdu): void {
    // Any PDU from the target proves the connection alive.
    this.nopTimeout.cancel();
    this.armKeepalive();
    try {
      this.applyNumbering(pdu);
      this.dispatch(pdu);
      this.flush();
    } catch (err) {
      this.connectionFailed(err instanceof IscsiError ? err : new ProtocolError('PDU_HANDLING_FAILED', String(err), { cause: err }));
    }
  }

  /** J-04..J-08: window from every PDU; StatSN only from status-carrying PDUs. */
  private applyNumbering(pdu: TargetPdu): void {
    const n = this.numbering!;
    if (pdu.kind === 'login-response') {
      throw new ProtocolError('UNEXPECTED_LOGIN_RESPONSE', 'Login Response in Full Feature Phase', { where: 'LoginResponse' });
    }
    n.updateWindow(pdu.expCmdSN, pdu.maxCmdSN);
    const carriesStatus =
      pdu.kind === 'scsi-response' || pdu.kind === 'task-mgmt-response' || pdu.kind === 'text-response' || pdu.kind === 'logout-response' ||
      pdu.kind === 'async-message' || pdu.kind === 'reject' || (pdu.kind === 'nop-in' && pdu.itt !== RESERVED_TAG) || (pdu.kind === 'data-in' && pdu.hasStatus);
    if (carriesStatus) n.acceptStatSN(pdu.statSN, pdu.kind);
  }

  private dispatch(pdu: TargetPdu): void {
    switch (pdu.kind) {
      case 'nop-in':
        return this.onNopIn(pdu);
      case 'scsi-response': {
        const t = this.expect(pdu.itt, 'scsi', 'SCSI Response');
        this.tasks.delete(pdu.itt);
        return t.resolve(t.scsi.resultFromResponse(pdu));
      }
      case 'data-in': {
        const t = this.expect(pdu.itt, 'scsi', 'Data-In');
        if (t.scsi.onDataIn(pdu)) {
          this.tasks.delete(pdu.itt);
          t.resolve(t.scsi.resultFromDataIn(pdu));
        }
        return;
      }
      case 'r2t': {
        const t = this.expect(pdu.itt, 'scsi', 'R2T');
        for (const out of t.scsi.onR2T(pdu, this.numbering!.expStatSN)) this.stream!.send(out);
        return;
      }
      case 'text-response':
        return this.onTextResponse(pdu);
      case 'logout-response': {
        const t = this.expect(pdu.itt, 'logout', 'Logout Response');
        this.tasks.delete(pdu.itt);
        return t.resolve(logoutResult(pdu));
      }
      case 'task-mgmt-response': {
        // Only our CmdSN-gap plugs (N-02) send TMFs; any other ITT is UNKNOWN_ITT (J-13).
        const t = this.expect(pdu.itt, 'tmf', 'Task Management Response');
        this.tasks.delete(pdu.itt);
        return t.resolve(pdu.response);
      }
      case 'async-message':
        return this.onAsync(pdu);
      case 'reject':
        return this.onReject(parseRejected(pdu.reason, pdu.data));
      case 'login-response':
        return; // handled in applyNumbering
    }
  }

  private expect<K extends Task['kind']>(itt: number, kind: K, where: string): Extract<Task, { kind: K }> {
    const t = this.tasks.expect(itt, where);
    if (t.kind !== kind) throw new ProtocolError('ITT_KIND_MISMATCH', `${where} for ITT 0x${itt.toString(16)} which is a ${t.kind} task (J-13)`, { where });
    return t as Extract<Task, { kind: K }>;
  }

  private onNopIn(pdu: Extract<TargetPdu, { kind: 'nop-in' }>): void {
    if (pdu.itt !== RESERVED_TAG) {
      // A response to our ping: a valid TTT too is a format error (K-05).
      if (pdu.ttt !== RESERVED_TAG) throw new ProtocolError('NOP_IN_BOTH_TAGS', 'NOP-In with both a valid ITT and a valid TTT (K-05)', { where: 'NopIn.TTT' });
      const t = this.expect(pdu.itt, 'nop', 'NOP-In');
      this.tasks.delete(pdu.itt);
      return t.resolve(pdu.data);
    }
    if (pdu.ttt === RESERVED_TAG) return; // informational, e.g. window update (K-02)
    // Target ping: answer at once, immediate, CmdSN not advanced, TTT and LUN copied (K-01, K-09).
    const n = this.numbering!;
    this.stream!.send({ kind: 'nop-out', immediate: true, lun: pdu.lun, itt: RESERVED_TAG, ttt: pdu.ttt, cmdSN: n.cmdSN, expStatSN: n.expStatSN, data: Buffer.alloc(0) });
  }

  private onTextResponse(pdu: Extract<TargetPdu, { kind: 'text-response' }>): void {
    const t = this.expect(pdu.itt, 'text', 'Text Response');
    const n = this.numbering!;
    const step = t.text.onResponse(pdu, n.cmdSN, n.expStatSN);
    if (step.type === 'send') {
      // Continuations are sent immediate so they do not consume CmdSN.
      this.stream!.send(step.pdu);
      return;
    }
    this.tasks.delete(pdu.itt);
    t.resolve(step.pairs);
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

  /**
   * Reject (N-01): identify the rejected PDU from the copied header (StatSN was already
   * applied). A rejected Data-Out leaves its task active (N-05, N-07); a rejected command
   * ends its task, except a SCSI command rejected for a resendable reason, which is retried
   * with the same ITT and CmdSN (N-02, N-07). See reject.ts for the CmdSN-gap policy.
   */
  private onReject(r: RejectedPdu): void {
    this.log.warn({ reason: r.reason, opcode: r.opcode, itt: r.itt }, 'PDU rejected by target');
    const t = this.tasks.get(r.itt);
    if (!t || t.kind === 'logout' || r.opcode === DATA_OUT_OPCODE) return;
    if (leavesCmdSNGap(r) && t.kind === 'scsi' && RESENDABLE_REASONS.has(r.reason) && t.scsi.rejectRetries < MAX_REJECT_RETRIES) {
      t.scsi.rejectRetries++;
      const { cmd, unsolicited } = t.scsi.command(r.cmdSN, this.numbering!.expStatSN);
      for (const pdu of [cmd, ...unsolicited]) this.stream!.send(pdu);
      return;
    }
    this.tasks.delete(r.itt);
    t.reject(rejectError(r));
    if (leavesCmdSNGap(r)) this.plugCmdSNGap(r);
  }

  /**
   * The target discarded a non-immediate command: unless its ExpCmdSN already moved past
   * that CmdSN, send an immediate ABORT TASK with RefCmdSN = the hole, which the target
   * must count as received (§11.5.1 b, N-02). Its response is only logged.
   */
  private plugCmdSNGap(r: RejectedPdu): void {
    const n = this.numbering!;
    if (snLt(r.cmdSN, n.expCmdSN) || !snLt(r.cmdSN, n.cmdSN)) return;
    const itt = this.tasks.add(() => ({
      kind: 'tmf',
      resolve: (response: number) => this.log.info({ response, refCmdSN: r.cmdSN }, 'CmdSN gap plugged with ABORT TASK'),
      reject: () => {},
    }));
    this.stream!.send({
      kind: 'task-mgmt-request', immediate: true, function: 1, lun: r.lun, itt, referencedTaskTag: r.itt,
      cmdSN: n.cmdSN, expStatSN: n.expStatSN, refCmdSN: r.cmdSN, expDataSN: 0, data: Buffer.alloc(0),
    });
  }

  private connectionFailed(err: IscsiError): void {
    if (this._state === 'closed' || this._state === 'failed') return;
    const loggingOut = this._state === 'logging-out';
    this.log.warn({ err: err.toJSON() }, 'connection failed');
    this.stopKeepalive();
    this.stream?.destroy();
    this.teardown(new TransportError('SESSION_FAILED', `session failed: ${err.message}`, { cause: err, errno: err.errno, details: { reason: err.code } }));
    this.setState(loggingOut ? 'closed' : 'failed');
    if (!loggingOut) this.emit('connection-error', err);
  }

  private onClose(): void {
    if (this._state === 'closed') return;
    // A close after the Logout Response is the expected end; before it, the logout fails now (I-20).
    if (this._state === 'logging-out' && ![...this.tasks.values()].some((t) => t.kind === 'logout')) return;
    this.connectionFailed(new TransportError('CONNECTION_CLOSED', 'target closed the connection'));
  }

  private teardown(err: IscsiError): void {
    this.stopKeepalive();
    this.queue = [];
    for (const t of this.tasks.drain()) t.reject(err);
  }

  private async closeStream(): Promise<void> {
    const stream = this.stream;
    if (!stream || stream.isClosed) return;
    stream.end();
    await new Promise<void>((resolve) => {
      const timer = this.clock.setTimeout(() => {
        stream.destroy();
        resolve();
      }, 1000);
      stream.socket.once('close', () => {
        timer.cancel();
        resolve();
      });
    });
  }
}

/** L-04..L-06: Time2Wait/Time2Retain mean something only with Logout Responses 2 and 3. */
function logoutResult(pdu: Extract<TargetPdu, { kind: 'logout-response' }>): LogoutResult {
  if (pdu.response !== 2 && pdu.response !== 3) return { response: pdu.response };
  return { response: pdu.response, time2Wait: pdu.time2Wait, time2Retain: pdu.time2Retain };
}
