/**
 * Login phase of the standard script (RFC 7143 §6.3, §11.12, §11.13, §12):
 * Security stage with AuthMethod None or CHAP, Operational stage with the
 * independent negotiation table, C=1 reassembly of requests and C=1 splitting
 * of responses, status failures and redirects, and the knobs the checklist
 * needs (tgtd's T=0 quirk, endless T=0 rounds, proposals, forced answers).
 */
import type { LoginRequest, LoginResponse } from '../../../src/iscsi/pdu/types.js';
import { ChapExchange } from './chap-target.js';
import {
  checkRequest, failureTo, newLoginState, responseTo,
  type LoginFailure, type LoginOptions, type LoginState, type TargetSpec,
} from './login-state.js';
import { ANSWER_ONLY, answerFor, TARGET_KEYS, type KeyRule } from './negotiation.js';
import { encodePairs, parsePairs, segments, type Pair } from './text.js';
import type { ConnContext } from './types.js';

/** What the login handler needs from the standard script. */
export interface LoginEnv {
  targets: ReadonlyMap<string, TargetSpec>;
  allocTsih(): number;
  hasSession(tsih: number): boolean;
  send(ctx: ConnContext, res: LoginResponse): void;
  enterFullFeature(ctx: ConnContext, st: LoginState): void;
}

/** Keys allowed in the Security stage (§12, D-12). */
const SECURITY_KEYS = new Set([
  'SessionType', 'InitiatorName', 'TargetName', 'TargetAddress', 'InitiatorAlias', 'TargetAlias',
  'TargetPortalGroupTag', 'AuthMethod', 'X#NodeArchitecture',
]);
const IDENTITY_KEYS = new Set(['SessionType', 'InitiatorName', 'TargetName', 'InitiatorAlias']);
const EMPTY = Buffer.alloc(0);

/** Login state of a connection (created on first use). */
export function loginState(ctx: ConnContext): LoginState {
  return (ctx.state.login ??= newLoginState()) as LoginState;
}

/** Handles the Login Requests of every connection of one standard target. */
export class LoginHandler {
  private readonly rules: Record<string, KeyRule>;

  constructor(private readonly o: LoginOptions, private readonly env: LoginEnv) {
    this.rules = { ...TARGET_KEYS };
    for (const [k, r] of Object.entries(o.keys ?? {})) {
      this.rules[k] = typeof r === 'string' ? { kind: TARGET_KEYS[k]?.kind ?? 'list', value: r } : r;
    }
  }

  handle(ctx: ConnContext, req: LoginRequest): void {
    const st = loginState(ctx);
    if (st.first === undefined) {
      st.first = req;
      ctx.sn.statSN = (this.o.initialStatSN ?? 1) >>> 0;
      ctx.sn.expCmdSN = req.cmdSN;
    }
    checkRequest(ctx, st, req);
    if (st.outQueue.length > 0) {
      if (req.data.length > 0) ctx.log('violation', 'LOGIN_DATA_IN_CONTINUATION', 'request answering a C=1 response carries data (C-07)');
      this.emit(ctx, st, [st.outQueue.shift()!], true);
      return;
    }
    if (req.cont) {
      st.partial.push(req.data);
      this.emit(ctx, st, [responseTo(req, EMPTY, false, 0, req.tsih)], true);
      return;
    }
    const text = Buffer.concat([...st.partial, req.data]);
    st.partial = [];
    const parsed = parsePairs(text);
    const index = st.requests++;
    const res = parsed.bad ? failureTo(req, 2, 0) : this.respond(ctx, st, req, parsed.pairs, index);
    this.finish(ctx, st, req, res, parsed.pairs);
  }

  private respond(ctx: ConnContext, st: LoginState, req: LoginRequest, pairs: Pair[], index: number): LoginResponse {
    const f = this.o.status;
    if (f !== undefined && (f.atRequest ?? 0) === index) return this.failure(ctx, st, req, f);
    if (index === 0) {
      const err = this.firstChecks(st, req, new Map(pairs));
      if (err !== undefined) return err;
    }
    if (req.csg === 0) return this.security(ctx, st, req, pairs);
    if (req.csg === 1) return this.operational(ctx, st, req, pairs, index);
    ctx.log('violation', 'LOGIN_BAD_CSG', `Login Request with CSG ${req.csg}`);
    return failureTo(req, 2, 0);
  }

  private failure(ctx: ConnContext, st: LoginState, req: LoginRequest, f: LoginFailure): LoginResponse {
    const addrs = typeof f.addresses === 'function' ? f.addresses(ctx) : f.addresses ?? [];
    const pairs: Pair[] = [...addrs.map((a): Pair => ['TargetAddress', a]), ...(f.keys ?? [])];
    st.closeAfterFailure = f.close === true;
    return failureTo(req, f.statusClass, f.statusDetail, encodePairs(pairs));
  }

  /** First request: InitiatorName, SessionType, TargetName, TSIH (D-01, 0x0207 / 0x0203 / 0x0209 / 0x020a). */
  private firstChecks(st: LoginState, req: LoginRequest, m: Map<string, string>): LoginResponse | undefined {
    st.initiatorName = m.get('InitiatorName');
    st.targetName = m.get('TargetName');
    const type = m.get('SessionType') ?? 'Normal';
    if (type !== 'Normal' && type !== 'Discovery') return failureTo(req, 2, 0x09);
    st.sessionType = type;
    if (!st.initiatorName) return failureTo(req, 2, 0x07);
    if (type === 'Normal') {
      if (!st.targetName) return failureTo(req, 2, 0x07);
      if (!this.env.targets.has(st.targetName)) return failureTo(req, 2, 0x03);
    }
    if (req.tsih !== 0 && !this.env.hasSession(req.tsih)) return failureTo(req, 2, 0x0a);
    st.tsih = req.tsih;
    return undefined;
  }

  private security(ctx: ConnContext, st: LoginState, req: LoginRequest, pairs: Pair[]): LoginResponse {
    const m = new Map(pairs);
    const out: Pair[] = [];
    for (const [k] of pairs) {
      if (!SECURITY_KEYS.has(k) && !k.startsWith('CHAP_') && !st.sentByTarget.has(k)) ctx.log('violation', 'KEY_WRONG_STAGE', `${k} sent in the Security stage (D-12)`);
    }
    const auth = this.o.auth ?? 'none';
    const method = m.get('AuthMethod');
    if (method !== undefined) {
      const want = auth === 'none' ? 'None' : 'CHAP';
      if (!method.split(',').includes(want)) return failureTo(req, 2, 0x01);
      out.push(['AuthMethod', want]);
      if (auth === 'none') st.securityDone = true;
      else st.chap = new ChapExchange(auth, st.targetName ?? this.env.targets.keys().next().value ?? '');
    } else if (auth === 'none') {
      st.securityDone = true;
    }
    if (auth !== 'none') {
      const hasChap = pairs.some(([k]) => k.startsWith('CHAP_'));
      if (st.chap === undefined) {
        if (hasChap || req.transit) return failureTo(req, 2, 0x01);
      } else {
        const step = st.chap.handle(m);
        if (step.kind === 'fail') {
          ctx.log('info', 'CHAP_FAILED', step.reason);
          return failureTo(req, 2, 0x01);
        }
        out.push(...step.answers);
        if (step.kind === 'done') st.securityDone = true;
      }
    }
    const transit = req.transit && st.securityDone;
    return responseTo(req, encodePairs(this.override(st, out)), transit, req.nsg, this.tsihFor(st, req, transit));
  }

  private operational(ctx: ConnContext, st: LoginState, req: LoginRequest, pairs: Pair[], index: number): LoginResponse {
    if (!st.securityDone) {
      if (this.o.auth !== undefined && this.o.auth !== 'none') return failureTo(req, 2, 0x01);
      st.securityDone = true;
    }
    const answeringProposals = st.pending.size > 0;
    const out: Pair[] = [];
    for (const [k, v] of pairs) this.operationalKey(ctx, st, k, v, index, out);
    if (answeringProposals && st.pending.size > 0) {
      ctx.log('violation', 'PROPOSAL_UNANSWERED', `no answer to ${[...st.pending].join(', ')} (E-13, E-14)`);
      st.pending.clear();
    }
    if (!st.sentDeclare) {
      st.sentDeclare = true;
      for (const [k, v] of Object.entries(this.o.declare ?? { MaxRecvDataSegmentLength: 262144 })) {
        out.push([k, String(v)]);
        st.targetDecl.set(k, String(v));
      }
    }
    let transit = req.transit;
    if (!st.proposalsSent && (this.o.propose?.length ?? 0) > 0) {
      st.proposalsSent = true;
      for (const [k, v] of this.o.propose!) {
        out.push([k, v]);
        st.pending.add(k);
      }
    }
    if (st.pending.size > 0) transit = false;
    else if (transit && this.o.t0OnFirstOperational && !st.quirkDone) {
      st.quirkDone = true;
      transit = false;
    } else if (transit && st.rounds < (this.o.t0Rounds ?? 0)) {
      const keys = this.o.t0RoundKeys?.(st.rounds) ?? [];
      for (const [k] of keys) st.sentByTarget.add(k);
      out.push(...keys);
      st.rounds++;
      transit = false;
    }
    return responseTo(req, encodePairs(this.override(st, out)), transit, req.nsg, this.tsihFor(st, req, transit));
  }

  private operationalKey(ctx: ConnContext, st: LoginState, k: string, v: string, index: number, out: Pair[]): void {
    const violation = (code: string, msg: string): void => ctx.log('violation', code, msg);
    if (IDENTITY_KEYS.has(k)) {
      if (index > 0 && k !== 'SessionType') violation('KEY_REDECLARED', `${k} sent again after the first request (D-02)`);
      return;
    }
    if (k === 'AuthMethod' || k.startsWith('CHAP_')) return violation('KEY_WRONG_STAGE', `${k} in the Operational stage`);
    if (st.pending.delete(k)) {
      if (!ANSWER_ONLY.has(v)) st.agreed.set(k, v);
      return;
    }
    if (st.sentByTarget.has(k)) return; // an answer to a key the target sent unasked
    if (st.seen.has(k)) violation('KEY_REPEATED', `${k} offered twice in one login (D-17)`);
    st.seen.add(k);
    if (ANSWER_ONLY.has(v)) violation('ANSWER_VALUE_OFFERED', `${k}=${v} offered (E-09)`);
    if (this.rules[k]?.kind === 'declarative') {
      st.initiatorDecl.set(k, v);
      return;
    }
    const answer = answerFor(k, v, this.rules, st.sessionType === 'Discovery' && this.o.discoveryIrrelevant === true);
    if (answer === undefined) return;
    out.push([k, answer]);
    if (!ANSWER_ONLY.has(answer)) st.agreed.set(k, answer);
  }

  /** Apply `answers` overrides to computed answers (null drops the pair). */
  private override(st: LoginState, out: Pair[]): Pair[] {
    const forced = this.o.answers ?? {};
    const result: Pair[] = [];
    for (const [k, v] of out) {
      if (!(k in forced)) result.push([k, v]);
      else if (forced[k] !== null && forced[k] !== undefined) {
        result.push([k, forced[k]]);
        st.agreed.set(k, forced[k]);
      }
    }
    return result;
  }

  /** TSIH of a response: the new session's in a leading login's final response, else the request's (§11.13.3). */
  private tsihFor(st: LoginState, req: LoginRequest, transit: boolean): number {
    if (!(transit && req.nsg === 3)) return req.tsih;
    if (req.tsih === 0) st.tsih = this.o.tsih ?? this.env.allocTsih();
    return st.tsih;
  }

  /** First-response extras, the hook, C=1 splitting; then send. */
  private finish(ctx: ConnContext, st: LoginState, req: LoginRequest, res: LoginResponse, pairs: Pair[]): void {
    if (!st.sentFirst && res.statusClass === 0) {
      st.sentFirst = true;
      const extra: Pair[] = [];
      const tpgt = this.o.tpgt === undefined ? 1 : this.o.tpgt;
      if (st.sessionType === 'Normal' && req.tsih === 0 && tpgt !== null) extra.push(['TargetPortalGroupTag', String(tpgt)]);
      extra.push(...(this.o.extraKeys ?? []));
      for (const [k] of this.o.extraKeys ?? []) st.sentByTarget.add(k);
      if (extra.length > 0) res = { ...res, data: Buffer.concat([res.data, encodePairs(extra)]) };
    }
    Object.assign(res, ctx.sn.peek());
    const hooked = this.o.onLoginRequest?.(ctx, req, res, pairs);
    if (hooked === null) return;
    if (hooked !== undefined) {
      this.emit(ctx, st, Array.isArray(hooked) ? hooked : [hooked], false);
      return;
    }
    const size = this.o.splitResponsesAt ?? 0;
    const parts = size > 0 ? segments(res.data, size) : [res.data];
    const pieces = parts.map((data, i): LoginResponse => (i === parts.length - 1
      ? { ...res, data }
      : { ...res, data, cont: true, transit: false, nsg: 0 }));
    st.outQueue = pieces.slice(1);
    this.emit(ctx, st, [pieces[0]!], true);
  }

  /** Send responses; `number` fills StatSN/ExpCmdSN/MaxCmdSN, else they go as given. */
  private emit(ctx: ConnContext, st: LoginState, responses: LoginResponse[], number: boolean): void {
    for (const res of responses) {
      if (number) Object.assign(res, ctx.sn.next());
      else ctx.sn.statSN = (res.statSN + 1) >>> 0;
      st.lastStatSN = res.statSN;
      this.env.send(ctx, res);
      if (res.statusClass !== 0) {
        st.finished = true;
        if (st.closeAfterFailure) ctx.close();
      } else if (res.transit && res.nsg === 3 && !res.cont && st.outQueue.length === 0) {
        st.finished = true;
        this.env.enterFullFeature(ctx, st);
      }
    }
  }
}
