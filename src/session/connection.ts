/**
 * The Full Feature Phase of one connection (single-connection session, ERL 0): the
 * CmdSN window and StatSN (numbering.ts), the task table, PDU dispatch, target pings,
 * the NOP-Out keepalive, SCSI/text/ping/logout exchanges and Reject handling. It lives
 * from a successful login until the connection ends; the Session owns the lifecycle.
 */
import { IscsiError, ISCSI_ERR, ProtocolError, TransportError } from '../shared/errors.js';
import { TimerSlot } from '../shared/clock.js';
import type { LoginResult } from '../iscsi/login/machine.js';
import { peekDataIn } from '../iscsi/pdu/data.js';
import { RESERVED_TAG, type InitiatorPdu, type TargetPdu } from '../iscsi/pdu/types.js';
import { snLt } from '../iscsi/serial.js';
import type { SessionStats } from '../iscsi/stats.js';
import type { TextPair } from '../iscsi/text/codec.js';
import type { NegotiatedParams } from '../iscsi/text/negotiate.js';
import type { PduStream } from '../transport/pdu-stream.js';
import { Keepalive } from './keepalive.js';
import { Numbering } from './numbering.js';
import { PingTemplate } from './ping-template.js';
import { DATA_OUT_OPCODE, leavesCmdSNGap, MAX_REJECT_RETRIES, parseRejected, rejectError, RESENDABLE_REASONS, type RejectedPdu } from './reject.js';
import { ScsiTask, type ScsiRequest, type ScsiResult } from './scsi-task.js';
import { TaskTable } from './tasks.js';
import { TextTask } from './text-task.js';
import {
  logoutResult, taskAborted, WAITING_FOR_LOGOUT,
  type ConnectionHooks, type ConnectionOptions, type LogoutResult, type UnfinishedCommand,
} from './connection-types.js';

export type { ConnectionHooks, ConnectionOptions, LogoutResult, UnfinishedCommand } from './connection-types.js';

type Pending<T> = { resolve: (v: T) => void; reject: (e: IscsiError) => void };
type Task =
  | ({ kind: 'scsi'; scsi: ScsiTask; signal?: AbortSignal; cmdSN?: number; aborting?: boolean } & Pending<ScsiResult>)
  | ({ kind: 'text'; text: TextTask } & Pending<Buffer>)
  | ({ kind: 'nop' } & Pending<Buffer>)
  | ({ kind: 'tmf' } & Pending<number>)
  | ({ kind: 'logout' } & Pending<LogoutResult>);

/** A non-immediate PDU waiting for the command window (J-03); built when its CmdSN is known. */
interface Queued {
  itt: number;
  build(cmdSN: number, expStatSN: number): InitiatorPdu[];
}

const EMPTY = Buffer.alloc(0);
const LUN0 = Buffer.alloc(8);
const NOOP = (): void => {};
/** The task of every keepalive ping: its answer only proves the connection alive. */
const KEEPALIVE_TASK: Task = { kind: 'nop', resolve: NOOP, reject: NOOP };
const keepaliveTask = (): Task => KEEPALIVE_TASK;

export class FfpConnection {
  readonly params: NegotiatedParams;
  private readonly numbering: Numbering;
  private readonly tasks: TaskTable<Task>;
  private queue: Queued[] = [];
  private readonly keepalive: Keepalive;
  /** The keepalive NOP-Out, encoded on the first ping and patched for every later one. */
  private pingTemplate: PingTemplate | undefined;
  private readonly windowStall: TimerSlot;
  /** Set once the connection failed or was closed: nothing more is sent. */
  private ended = false;
  private loggingOut = false;

  constructor(
    private readonly stream: PduStream,
    login: LoginResult,
    private readonly opts: ConnectionOptions,
    private readonly hooks: ConnectionHooks,
  ) {
    this.params = login.params;
    this.tasks = new TaskTable<Task>(opts.tags);
    this.numbering = new Numbering({ cmdSN: login.cmdSN, expCmdSN: login.expCmdSN, maxCmdSN: login.maxCmdSN, expStatSN: login.expStatSN });
    this.windowStall = new TimerSlot(opts.clock, 'command-window-stall');
    this.keepalive = new Keepalive(opts.clock, opts.noopOutIntervalMs, opts.noopOutTimeoutMs, {
      ping: () => this.sendKeepalivePing(),
      timedOut: (ms) => {
        this.stream.stats.timeout_err++;
        this.fail(new TransportError('NOP_OUT_TIMEOUT', `no NOP-In within ${ms} ms of a NOP-Out ping (K-04)`, { errno: ISCSI_ERR.PDU_TIMEOUT }));
      },
    });
    // Data-In data is read straight into its command's buffer (receive-framer.ts Placer).
    stream.setPlacer((bhs, length) => this.placeDataIn(bhs, length));
    stream.setHandlers({
      onPdu: (pdu) => this.onPdu(pdu),
      onError: (err) => this.fail(err),
      onClose: () => this.onClose(),
    });
  }

  get stats(): SessionStats {
    return this.stream.stats;
  }

  /** Tasks not yet completed, including those still waiting for the window. */
  get outstanding(): number {
    return this.tasks.size;
  }

  /**
   * Run one SCSI command. An aborted `signal` ends it: a command still waiting for the
   * window is dropped unsent; one on the wire is aborted with ABORT TASK (RefCmdSN = its
   * CmdSN, O-08) and rejected with TASK_ABORTED once the target answers the TMF.
   */
  execute(req: ScsiRequest, lun: Buffer, signal?: AbortSignal): Promise<ScsiResult> {
    if (signal?.aborted) return Promise.reject(taskAborted('before it was sent'));
    return new Promise<ScsiResult>((resolve, reject) => {
      const onAbort = (): void => this.abortTask(itt);
      // Without a signal there is nothing to unhook: settle directly (one closure less per I/O).
      const settle = <A>(fn: (a: A) => void) => (signal === undefined ? fn : (a: A): void => {
        signal.removeEventListener('abort', onAbort);
        fn(a);
      });
      let scsi!: ScsiTask;
      const itt = this.tasks.add((tag) => {
        const t: Extract<Task, { kind: 'scsi' }> = { kind: 'scsi', scsi: (scsi = new ScsiTask(tag, lun, req, this.params)), resolve: settle(resolve), reject: settle(reject) };
        if (signal) t.signal = signal;
        return t;
      });
      const task = this.tasks.get(itt) as Extract<Task, { kind: 'scsi' }>;
      this.enqueue({
        itt: scsi.itt,
        build: (cmdSN, expStatSN) => {
          task.cmdSN = cmdSN;
          const { cmd, unsolicited } = scsi.command(cmdSN, expStatSN);
          return [cmd, ...unsolicited];
        },
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** One text exchange; at most one outstanding (I-12). Resolves with the answer's raw key=value text. */
  text(pairs: readonly TextPair[]): Promise<Buffer> {
    if ([...this.tasks.values()].some((t) => t.kind === 'text')) {
      return Promise.reject(new IscsiError('TEXT_BUSY', 'a Text Request is already outstanding (I-12)', { errno: ISCSI_ERR.BUSY }));
    }
    return new Promise<Buffer>((resolve, reject) => {
      let text!: TextTask;
      this.tasks.add((itt) => ({ kind: 'text', text: (text = new TextTask(itt, pairs, this.params.maxXmitDataSegmentLength)), resolve, reject }));
      this.enqueue({ itt: text.itt, build: (cmdSN, expStatSN) => [text.first(cmdSN, expStatSN)] });
    });
  }

  ping(data: Buffer): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => this.sendPing(data, resolve, reject));
  }

  /** K-08: NOP-Out with ITT and TTT 0xffffffff, I=1; no answer expected. */
  confirmExpStatSN(): void {
    const n = this.numbering;
    this.send({ kind: 'nop-out', immediate: true, lun: LUN0, itt: RESERVED_TAG, ttt: RESERVED_TAG, cmdSN: n.cmdSN, expStatSN: n.expStatSN, data: EMPTY });
  }

  /**
   * Logout reason 0 (L-01), immediate so CmdSN is carried but not advanced (J-02); wait
   * up to `timeoutMs` (L-08); then fail what is left (L-09) and close TCP (L-03). With
   * `awaitClose` false the answer is returned while the close (our FIN, then the target's,
   * at most 1 s) finishes in the background.
   */
  async logout(timeoutMs: number, awaitClose = true): Promise<LogoutResult> {
    this.loggingOut = true;
    this.keepalive.stop();
    const timer = new TimerSlot(this.opts.clock, 'logout-timeout');
    try {
      return await new Promise<LogoutResult>((resolve, reject) => {
        const itt = this.tasks.add(() => ({ kind: 'logout', resolve, reject }));
        const n = this.numbering;
        this.send({ kind: 'logout-request', immediate: true, reasonCode: 0, itt, cid: this.opts.cid, cmdSN: n.cmdSN, expStatSN: n.expStatSN, data: EMPTY });
        timer.arm(timeoutMs, () => reject(new TransportError('LOGOUT_TIMEOUT', `no Logout Response within ${timeoutMs} ms (L-08)`, { errno: ISCSI_ERR.LOGOUT })));
      });
    } finally {
      timer.cancel();
      // Built only if something is left to fail: its stack capture was ~1 % of a login+logout profile (bench/login-1000).
      this.teardown(() => new IscsiError('SESSION_LOGGED_OUT', 'session logged out with commands outstanding', { errno: ISCSI_ERR.LOGOUT }), true);
      const closed = this.closeStream();
      if (awaitClose) await closed;
    }
  }

  /** Drop the connection now, failing everything outstanding with `err`; no hook call, no adoption. */
  close(err: IscsiError): void {
    this.teardown(err, false);
    this.stream.destroy();
  }

  // ---- sending ---------------------------------------------------------------

  private send(pdu: InitiatorPdu): void {
    if (!this.ended) this.stream.send(pdu);
  }

  /** Non-immediate PDUs wait for the window and go out in CmdSN order (J-03, J-12). */
  private enqueue(q: Queued): void {
    this.queue.push(q);
    this.flush();
  }

  private flush(): void {
    const n = this.numbering;
    while (!this.ended && this.queue.length > 0 && n.windowOpen) {
      const q = this.queue.shift()!;
      for (const pdu of q.build(n.take(false), n.expStatSN)) this.stream.send(pdu);
    }
    this.watchWindow();
  }

  /**
   * A target that keeps MaxCmdSN closed while commands wait (but still answers NOPs, so
   * the keepalive never fires) has stalled the session: after windowStallTimeoutMs the
   * connection fails and recovery reinstates it. Any window opening disarms the timer.
   */
  private watchWindow(): void {
    const ms = this.opts.windowStallTimeoutMs;
    if (this.ended || ms <= 0 || this.queue.length === 0 || this.numbering.windowOpen) {
      this.windowStall.cancel();
      return;
    }
    if (this.windowStall.armed) return;
    this.windowStall.arm(ms, () =>
      this.fail(new TransportError('COMMAND_WINDOW_STALLED', `${this.queue.length} command(s) waited ${ms} ms for a command window the target kept closed (MaxCmdSN ${this.numbering.maxCmdSN}, CmdSN ${this.numbering.cmdSN})`, { errno: ISCSI_ERR.PDU_TIMEOUT })),
    );
  }

  /** Our ping: valid ITT, TTT 0xffffffff, always immediate (K-03, K-07). */
  private sendPing(data: Buffer, resolve: (b: Buffer) => void, reject: (e: IscsiError) => void): void {
    const n = this.numbering;
    const itt = this.tasks.add(() => ({ kind: 'nop', resolve, reject }));
    this.send({ kind: 'nop-out', immediate: true, lun: LUN0, itt, ttt: RESERVED_TAG, cmdSN: n.cmdSN, expStatSN: n.expStatSN, data });
  }

  /**
   * A keepalive ping (K-03, K-04): like sendPing, but its task is one shared constant
   * (nobody waits for the answer): no task object or closures per ping, which outlived
   * tgtd's reply time and grew the old space (bench/hold-10k). Its bytes are one
   * pre-encoded header per connection with ITT, CmdSN and ExpStatSN patched in.
   */
  private sendKeepalivePing(): void {
    if (this.ended) return;
    const n = this.numbering;
    const itt = this.tasks.add(keepaliveTask);
    const t = (this.pingTemplate ??= new PingTemplate(this.stream.headerDigest));
    this.stream.sendRaw(t.build(itt, n.cmdSN, n.expStatSN, this.stream.writableLength > 0), 'nop-out');
  }

  // ---- receiving -------------------------------------------------------------

  /** Where the data of a Data-In whose header just arrived goes: its command's buffer, if it expects it. */
  private placeDataIn(bhs: Buffer, length: number): Buffer | undefined {
    const p = peekDataIn(bhs);
    if (p === undefined || this.ended) return undefined;
    const t = this.tasks.get(p.itt);
    return t?.kind === 'scsi' ? t.scsi.placement(p.dataSN, p.bufferOffset, length) : undefined;
  }

  private onPdu(pdu: TargetPdu): void {
    this.keepalive.activity(); // any PDU from the target proves the connection alive
    try {
      this.applyNumbering(pdu);
      this.dispatch(pdu);
      this.flush();
    } catch (err) {
      this.fail(err instanceof IscsiError ? err : new ProtocolError('PDU_HANDLING_FAILED', String(err), { cause: err }));
    }
  }

  /** J-04..J-08: window from every PDU; StatSN only from status-carrying PDUs. */
  private applyNumbering(pdu: TargetPdu): void {
    if (pdu.kind === 'login-response') {
      throw new ProtocolError('UNEXPECTED_LOGIN_RESPONSE', 'Login Response in Full Feature Phase', { where: 'LoginResponse' });
    }
    this.numbering.updateWindow(pdu.expCmdSN, pdu.maxCmdSN);
    const carriesStatus =
      pdu.kind === 'scsi-response' || pdu.kind === 'task-mgmt-response' || pdu.kind === 'text-response' || pdu.kind === 'logout-response' ||
      pdu.kind === 'async-message' || pdu.kind === 'reject' || (pdu.kind === 'nop-in' && pdu.itt !== RESERVED_TAG) || (pdu.kind === 'data-in' && pdu.hasStatus);
    if (carriesStatus) this.numbering.acceptStatSN(pdu.statSN, pdu.kind);
  }

  private dispatch(pdu: TargetPdu): void {
    switch (pdu.kind) {
      case 'nop-in':
        return this.onNopIn(pdu);
      case 'scsi-response': {
        const t = this.take(pdu.itt, 'scsi', 'SCSI Response');
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
        for (const out of t.scsi.onR2T(pdu, this.numbering.expStatSN)) this.send(out);
        return;
      }
      case 'text-response':
        return this.onTextResponse(pdu);
      case 'logout-response':
        return this.take(pdu.itt, 'logout', 'Logout Response').resolve(logoutResult(pdu));
      case 'task-mgmt-response':
        // Only our CmdSN-gap plugs (N-02) and aborts (O-08) send TMFs; any other ITT is UNKNOWN_ITT (J-13).
        return this.take(pdu.itt, 'tmf', 'Task Management Response').resolve(pdu.response);
      case 'async-message':
        return this.hooks.async(pdu);
      case 'reject':
        return this.onReject(parseRejected(pdu.reason, pdu.data));
      case 'login-response':
        return; // refused in applyNumbering
    }
  }

  private expect<K extends Task['kind']>(itt: number, kind: K, where: string): Extract<Task, { kind: K }> {
    const t = this.tasks.expect(itt, where);
    if (t.kind !== kind) throw new ProtocolError('ITT_KIND_MISMATCH', `${where} for ITT 0x${itt.toString(16)} which is a ${t.kind} task (J-13)`, { where });
    return t as Extract<Task, { kind: K }>;
  }

  /** expect() and remove: the PDU ends the task. */
  private take<K extends Task['kind']>(itt: number, kind: K, where: string): Extract<Task, { kind: K }> {
    const t = this.expect(itt, kind, where);
    this.tasks.delete(itt);
    return t;
  }

  private onNopIn(pdu: Extract<TargetPdu, { kind: 'nop-in' }>): void {
    if (pdu.itt !== RESERVED_TAG) {
      // A response to our ping: a valid TTT too is a format error (K-05).
      if (pdu.ttt !== RESERVED_TAG) throw new ProtocolError('NOP_IN_BOTH_TAGS', 'NOP-In with both a valid ITT and a valid TTT (K-05)', { where: 'NopIn.TTT' });
      return this.take(pdu.itt, 'nop', 'NOP-In').resolve(pdu.data);
    }
    if (pdu.ttt === RESERVED_TAG) return; // informational, e.g. window update (K-02)
    // Target ping: answer at once, immediate, CmdSN not advanced, TTT and LUN copied (K-01, K-09).
    const n = this.numbering;
    this.send({ kind: 'nop-out', immediate: true, lun: pdu.lun, itt: RESERVED_TAG, ttt: pdu.ttt, cmdSN: n.cmdSN, expStatSN: n.expStatSN, data: EMPTY });
  }

  private onTextResponse(pdu: Extract<TargetPdu, { kind: 'text-response' }>): void {
    const t = this.expect(pdu.itt, 'text', 'Text Response');
    const step = t.text.onResponse(pdu, this.numbering.cmdSN, this.numbering.expStatSN);
    if (step.type === 'send') return this.send(step.pdu); // continuations are immediate: no CmdSN
    this.tasks.delete(pdu.itt);
    t.resolve(step.text);
  }

  /**
   * Reject (N-01): identify the rejected PDU from the copied header (StatSN was already
   * applied). A rejected Data-Out leaves its task active (N-05, N-07); a rejected command
   * ends its task, except a SCSI command rejected for a resendable reason, which is retried
   * with the same ITT and CmdSN (N-02, N-07). See reject.ts for the CmdSN-gap policy.
   */
  private onReject(r: RejectedPdu): void {
    this.opts.log.warn({ reason: r.reason, opcode: r.opcode, itt: r.itt }, 'PDU rejected by target');
    const t = this.tasks.get(r.itt);
    if (!t || t.kind === 'logout' || r.opcode === DATA_OUT_OPCODE) return;
    if (r.reason === WAITING_FOR_LOGOUT && t.kind === 'scsi') {
      // M-04: the target wants a logout first; the command is not lost, hand it back.
      this.tasks.delete(r.itt);
      this.offer([unfinished(t, true)], rejectError(r));
      if (leavesCmdSNGap(r)) this.plugCmdSNGap(r);
      return;
    }
    if (leavesCmdSNGap(r) && t.kind === 'scsi' && RESENDABLE_REASONS.has(r.reason) && t.scsi.rejectRetries < MAX_REJECT_RETRIES) {
      t.scsi.rejectRetries++;
      const { cmd, unsolicited } = t.scsi.command(r.cmdSN, this.numbering.expStatSN);
      for (const pdu of [cmd, ...unsolicited]) this.send(pdu);
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
    const n = this.numbering;
    // After our Logout nothing new is sent (L-02); the session's numbering ends anyway.
    if (this.loggingOut || snLt(r.cmdSN, n.expCmdSN) || !snLt(r.cmdSN, n.cmdSN)) return;
    this.sendAbortTask(r.lun, r.itt, r.cmdSN, (response) => this.opts.log.info({ response, refCmdSN: r.cmdSN }, 'CmdSN gap plugged with ABORT TASK'));
  }

  /**
   * O-08 (§7.11, §11.5.5): abort a command whose caller gave up. Unsent: drop it. Sent:
   * immediate ABORT TASK for its ITT with RefCmdSN = its CmdSN; the task stays in the
   * table (a late SCSI Response may still complete it) until the TMF Response arrives.
   */
  private abortTask(itt: number): void {
    const t = this.tasks.get(itt);
    if (!t || t.kind !== 'scsi' || t.aborting || this.ended) return;
    if (t.cmdSN === undefined) {
      this.queue = this.queue.filter((q) => q.itt !== itt);
      this.tasks.delete(itt);
      t.reject(taskAborted('before it was sent'));
      return;
    }
    t.aborting = true;
    this.sendAbortTask(t.scsi.lun, itt, t.cmdSN, (response) => {
      if (this.tasks.get(itt) !== t) return; // completed before the abort took effect
      this.tasks.delete(itt);
      t.reject(taskAborted(`by ABORT TASK (TMF response ${response})`, response));
    });
  }

  /** Immediate ABORT TASK (function 1, §11.5.1) for `refItt` / `refCmdSN`. */
  private sendAbortTask(lun: Buffer, refItt: number, refCmdSN: number, onResponse: (response: number) => void): void {
    const n = this.numbering;
    const itt = this.tasks.add(() => ({ kind: 'tmf', resolve: onResponse, reject: () => {} }));
    this.send({
      kind: 'task-mgmt-request', immediate: true, function: 1, lun, itt, referencedTaskTag: refItt,
      cmdSN: n.cmdSN, expStatSN: n.expStatSN, refCmdSN, expDataSN: 0, data: EMPTY,
    });
  }

  // ---- ending ----------------------------------------------------------------

  private fail(err: IscsiError): void {
    if (this.ended) return;
    this.opts.log.warn({ err: err.toJSON() }, 'connection failed');
    this.teardown(new TransportError('SESSION_FAILED', `session failed: ${err.message}`, { cause: err, errno: err.errno, details: { reason: err.code } }), true);
    this.stream.destroy();
    this.hooks.failed(err);
  }

  private onClose(): void {
    // After the Logout Response a close is the expected end; before it the logout fails now (I-20).
    if (this.ended || (this.loggingOut && ![...this.tasks.values()].some((t) => t.kind === 'logout'))) return;
    this.fail(new TransportError('CONNECTION_CLOSED', 'target closed the connection'));
  }

  /**
   * End the connection's work: everything outstanding fails with `err`, except that SCSI
   * commands are first offered for adoption when `adoptable` (failures and logouts: the
   * target ended them at ERL 0, O-10), in the order they were issued.
   */
  private teardown(cause: IscsiError | (() => IscsiError), adoptable: boolean): void {
    let built = typeof cause === 'function' ? undefined : cause;
    const err = (): IscsiError => (built ??= (cause as () => IscsiError)());
    this.ended = true;
    this.keepalive.stop();
    this.windowStall.cancel();
    const unsent = new Set(this.queue.map((q) => q.itt));
    this.queue = [];
    const commands: UnfinishedCommand[] = [];
    for (const t of this.tasks.drain()) {
      if (adoptable && t.kind === 'scsi') commands.push(unfinished(t, !unsent.has(t.scsi.itt)));
      else t.reject(err());
    }
    if (commands.length > 0) this.offer(commands, err());
  }

  /** Hand commands to the session, or fail them with `cause` when nobody takes them. */
  private offer(commands: UnfinishedCommand[], cause: IscsiError): void {
    if (this.hooks.adopt?.(commands, cause) === true) return;
    for (const c of commands) c.reject(cause);
  }

  private async closeStream(): Promise<void> {
    const stream = this.stream;
    if (stream.isClosed) return;
    stream.end();
    await new Promise<void>((resolve) => {
      const timer = this.opts.clock.setTimeout(() => {
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

function unfinished(t: Extract<Task, { kind: 'scsi' }>, sent: boolean): UnfinishedCommand {
  return { request: t.scsi.request, ...(t.signal ? { signal: t.signal } : {}), sent, resolve: t.resolve, reject: t.reject };
}
