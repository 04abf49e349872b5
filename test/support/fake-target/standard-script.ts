/**
 * `standardTarget(opts)`: a script that behaves like a sane RFC 7143 target, so a
 * test overrides only what it needs (checklist §3.1). Login is in login-script.ts,
 * SCSI data movement in scsi-script.ts, Text/SendTargets in text-script.ts; this
 * file dispatches PDUs and handles NOP-Out, target pings, Logout, Task Management,
 * and the injection knobs (delays, black hole, rejects, window, drops).
 */
import { RESERVED_TAG, type InitiatorPdu, type LoginResponse, type NopOut, type TargetPdu } from '../../../src/iscsi/pdu/types.js';
import { nopIn, rejectOf } from './builders.js';
import { ffpState, type FfpState, type StandardTargetOptions } from './ffp-state.js';
import { LoginHandler, loginState } from './login-script.js';
import type { LoginState, TargetSpec } from './login-state.js';
import { negotiatedFrom } from './negotiation.js';
import { ScsiDisk } from './scsi-disk.js';
import { ScsiEngine } from './scsi-script.js';
import { TextHandler } from './text-script.js';
import type { ConnContext, DigestErrorInfo, Received, ScriptObject } from './types.js';

/** Default target served by {@link standardTarget}. */
export const DEFAULT_TARGET_NAME = 'iqn.2024-01.test.fake:disk1';
/** Login PDUs may carry at most 8192 bytes of data, whatever was declared (§6.3, C-05). */
const LOGIN_MAX_DATA = 8192;

/** The standard script plus access to its disks and sessions. */
export interface StandardScript extends ScriptObject {
  /** In-memory disk of each target name. */
  readonly disks: ReadonlyMap<string, ScsiDisk>;
  /** Disk of `name` (default: the first target). */
  disk(name?: string): ScsiDisk;
  /** TSIHs of sessions that reached full feature phase. */
  readonly sessions: ReadonlySet<number>;
}

/** Build a standard target script. */
export function standardTarget(opts: StandardTargetOptions = {}): StandardScript {
  return new StandardTarget(opts);
}

class StandardTarget implements StandardScript {
  readonly disks = new Map<string, ScsiDisk>();
  readonly sessions = new Set<number>();
  private readonly targets: TargetSpec[];
  private readonly login: LoginHandler;
  private readonly scsi: ScsiEngine;
  private readonly text: TextHandler;
  private nextTsih = 1;

  constructor(private readonly o: StandardTargetOptions) {
    this.targets = o.targets ?? [{ name: DEFAULT_TARGET_NAME }];
    for (const t of this.targets) this.disks.set(t.name, new ScsiDisk(t.luns ?? [{ lun: 0 }]));
    this.login = new LoginHandler(o, {
      targets: new Map(this.targets.map((t) => [t.name, t])),
      allocTsih: () => this.allocTsih(),
      hasSession: (tsih) => this.sessions.has(tsih),
      send: (ctx, res: LoginResponse) => this.sendBatch(ctx, [res]),
      enterFullFeature: (ctx, st) => this.enterFullFeature(ctx, st),
    });
    this.scsi = new ScsiEngine(o.scsi ?? {}, (ctx, pdus) => this.sendBatch(ctx, pdus));
    this.text = new TextHandler(o.sendTargets ?? {}, this.targets, o.tpgt ?? 1, (ctx, pdu) => this.sendBatch(ctx, [pdu]));
  }

  disk(name?: string): ScsiDisk {
    const d = this.disks.get(name ?? this.targets[0]!.name);
    if (d === undefined) throw new Error(`fake target: no target ${String(name)}`);
    return d;
  }

  onConnect(ctx: ConnContext): void {
    ctx.sn.window = this.o.window ?? 32;
    ctx.sn.maxCmdSN = this.o.maxCmdSN;
  }

  onPdu = (ctx: ConnContext, pdu: InitiatorPdu, rec: Received): void => {
    const count = ((ctx.state.pduCount as number | undefined) ?? 0) + 1;
    ctx.state.pduCount = count;
    this.dispatch(ctx, pdu, rec);
    const drop = this.o.dropAfter;
    if (drop !== undefined && count === drop.count) {
      if (drop.mode === 'rst') ctx.reset();
      else ctx.close();
    }
  };

  onDigestError(ctx: ConnContext, info: DigestErrorInfo): void {
    // §7.8: a data digest error is answered with Reject reason 0x02 and the PDU is discarded.
    if (info.kind === 'data') this.sendBatch(ctx, [rejectOf(ctx, info.raw, 0x02)]);
  }

  private dispatch(ctx: ConnContext, pdu: InitiatorPdu, rec: Received): void {
    if (this.o.onPdu?.(ctx, pdu, rec) === true) return;
    const hole = this.o.blackHole;
    if (hole === true || (typeof hole === 'function' && hole(pdu))) return;
    const reason = this.o.reject?.(ctx, pdu, rec);
    if (reason !== undefined) {
      this.sendBatch(ctx, [rejectOf(ctx, rec.raw, reason)]);
      return;
    }
    const ffp = ffpState(ctx);
    this.checkLength(ctx, pdu, ffp);
    if (ffp === undefined) {
      if (pdu.kind === 'login-request' && !loginState(ctx).finished) this.login.handle(ctx, pdu);
      else ctx.log('violation', 'PDU_OUTSIDE_LOGIN', `${pdu.kind} before full feature phase or after a failed login (C-10, C-14)`);
      return;
    }
    this.fullFeature(ctx, ffp, pdu, rec);
  }

  /** F-03 / C-05: data segment above what the target declared (8192 in login). */
  private checkLength(ctx: ConnContext, pdu: InitiatorPdu, ffp: FfpState | undefined): void {
    const limit = ffp === undefined ? LOGIN_MAX_DATA : ffp.negotiated.targetMaxRecv;
    if (pdu.data.length > limit) {
      ctx.log('violation', 'DATA_SEGMENT_TOO_LONG', `${pdu.kind} data segment of ${pdu.data.length} bytes above the target's ${limit}`);
    }
  }

  private fullFeature(ctx: ConnContext, st: FfpState, pdu: InitiatorPdu, rec: Received): void {
    if (st.loggedOut) ctx.log('violation', 'PDU_AFTER_LOGOUT', `${pdu.kind} after Logout (L-02)`);
    if ('cmdSN' in pdu && pdu.kind !== 'login-request' && !ctx.sn.command(pdu.cmdSN, pdu.immediate)) {
      ctx.log('violation', 'CMDSN_OUTSIDE_WINDOW', `${pdu.kind} CmdSN ${pdu.cmdSN} outside [${ctx.sn.expCmdSN}, ${ctx.sn.max}] (J-03)`);
    }
    if ('expStatSN' in pdu && ctx.sn.statAhead(pdu.expStatSN)) {
      ctx.log('violation', 'EXPSTATSN_AHEAD', `${pdu.kind} ExpStatSN ${pdu.expStatSN} beyond the next StatSN ${ctx.sn.statSN} (J-06)`);
    }
    const discovery = st.sessionType === 'Discovery';
    if (discovery && pdu.kind !== 'text-request' && pdu.kind !== 'logout-request') {
      ctx.log('violation', 'NOT_ALLOWED_IN_DISCOVERY', `${pdu.kind} on a Discovery session (I-18)`);
    }
    switch (pdu.kind) {
      case 'nop-out': return this.nop(ctx, st, pdu);
      case 'scsi-command':
        if (discovery) return this.sendBatch(ctx, [rejectOf(ctx, rec.raw, 0x05)]);
        return this.scsi.command(ctx, st, pdu);
      case 'data-out': return this.scsi.dataOut(ctx, st, pdu);
      case 'text-request': return this.text.handle(ctx, st, pdu);
      case 'logout-request': return this.logout(ctx, st, pdu.itt, pdu.reasonCode, pdu.data.length);
      case 'task-mgmt-request':
        if (pdu.function === 1) st.tasks.delete(pdu.referencedTaskTag);
        return this.sendBatch(ctx, [{ kind: 'task-mgmt-response', response: this.o.taskMgmtResponse ?? 0, itt: pdu.itt, ...ctx.sn.next(), data: Buffer.alloc(0) }]);
      case 'snack': return ctx.log('info', 'SNACK_IGNORED', 'SNACK received; ErrorRecoveryLevel 0 target ignores it');
      case 'login-request': return ctx.log('violation', 'LOGIN_IN_FFP', 'Login Request in full feature phase (C-14)');
    }
  }

  /** §11.18: ping → echo (K-03); answer to our ping (K-01); ExpStatSN confirmation (K-08). */
  private nop(ctx: ConnContext, st: FfpState, pdu: NopOut): void {
    if (pdu.itt !== RESERVED_TAG) {
      if (pdu.ttt !== RESERVED_TAG) ctx.log('violation', 'NOP_TAGS', 'NOP-Out ping with a TTT other than 0xffffffff (K-03)');
      this.sendBatch(ctx, [nopIn(ctx, { itt: pdu.itt, lun: pdu.lun, data: pdu.data })]);
      return;
    }
    if (!pdu.immediate) ctx.log('violation', 'NOP_NOT_IMMEDIATE', 'NOP-Out with ITT 0xffffffff must have I=1 (K-01, K-08)');
    if (pdu.ttt === RESERVED_TAG) return;
    if (st.pings.sent.includes(pdu.ttt)) st.pings.replied.push(pdu.ttt);
    else ctx.log('violation', 'NOP_UNKNOWN_TTT', `NOP-Out answers TTT 0x${pdu.ttt.toString(16)} that no ping carried (K-01)`);
  }

  private logout(ctx: ConnContext, st: FfpState, itt: number, reason: number, dataLength: number): void {
    if (reason > 2) ctx.log('violation', 'LOGOUT_REASON', `Logout reason ${reason} (L-01)`);
    if (reason === 2 && st.negotiated.errorRecoveryLevel < 2) ctx.log('violation', 'LOGOUT_REASON', 'reason 2 without ErrorRecoveryLevel=2 (L-07)');
    if (dataLength > 0) ctx.log('violation', 'LOGOUT_DATA', 'Logout Request with a data segment (L-01)');
    const lo = this.o.logout ?? {};
    st.loggedOut = true;
    this.sendBatch(ctx, [{
      kind: 'logout-response', response: lo.response ?? 0, itt, ...ctx.sn.next(),
      time2Wait: lo.time2Wait ?? 0, time2Retain: lo.time2Retain ?? 0, data: Buffer.alloc(0),
    }]);
    if (lo.close ?? true) ctx.close();
  }

  private enterFullFeature(ctx: ConnContext, st: LoginState): void {
    const negotiated = negotiatedFrom(st.agreed, st.initiatorDecl, st.targetDecl);
    const target = st.sessionType === 'Normal' ? this.targets.find((t) => t.name === st.targetName) : undefined;
    const ffp: FfpState = {
      negotiated, sessionType: st.sessionType, tasks: new Map(), nextTtt: 0x100, textIn: [],
      pings: { sent: [], replied: [] }, loggedOut: false,
      ...(target ? { target, disk: this.disks.get(target.name)! } : {}),
    };
    ctx.state.ffp = ffp;
    this.sessions.add(st.tsih);
    ctx.setDigests({ header: negotiated.headerDigest, data: negotiated.dataDigest });
    this.startPings(ctx, ffp);
    this.o.onFullFeature?.(ctx);
  }

  private startPings(ctx: ConnContext, st: FfpState): void {
    const p = this.o.ping;
    if (p === undefined) return;
    let n = 0;
    const cancel = ctx.every(p.intervalMs, () => {
      if (p.count !== undefined && n >= p.count) return cancel();
      const ttt = p.ttt?.(n) ?? (0x70000000 + n) >>> 0;
      n++;
      st.pings.sent.push(ttt);
      this.sendBatch(ctx, [nopIn(ctx, { ttt, advance: false, ...(p.lun ? { lun: p.lun } : {}), ...(p.data ? { data: p.data } : {}) })]);
      const unanswered = st.pings.sent.filter((t) => !st.pings.replied.includes(t)).length;
      if (p.dropAfterUnanswered !== undefined && unanswered >= p.dropAfterUnanswered) {
        cancel();
        ctx.close();
      }
    });
  }

  /** Send an answer; the configured delay applies to its first PDU. */
  private sendBatch(ctx: ConnContext, pdus: TargetPdu[]): void {
    pdus.forEach((pdu, i) => {
      const d = this.o.delayMs;
      const delayMs = i > 0 || d === undefined ? 0 : typeof d === 'function' ? d(pdu) : d;
      ctx.send(pdu, { delayMs });
    });
  }

  private allocTsih(): number {
    while (this.sessions.has(this.nextTsih) || this.nextTsih === 0) this.nextTsih = (this.nextTsih + 1) & 0xffff;
    const t = this.nextTsih;
    this.nextTsih = (this.nextTsih + 1) & 0xffff;
    return t;
  }
}
