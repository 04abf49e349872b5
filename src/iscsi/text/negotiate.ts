/**
 * Initiator side of the login-phase text negotiation (RFC 7143 §6.2, §6.3,
 * §13), pure and table-driven: every decision comes from the key table
 * (keys.ts) and the result functions (result-functions.ts).
 *
 * One instance per connection login. The login machine passes every
 * non-security key of every Login Response (both stages) to receive(); the
 * security layer handles AuthMethod and the method keys itself.
 *
 * Per key we track our offer, the target's answer or proposal, and our answer;
 * a key seen twice from the target is a renegotiation (D-16), a key we have
 * offered or answered is never sent again (D-17).
 */
import { IscsiError, ISCSI_ERR } from '../../shared/errors.js';
import type { TextPair } from './codec.js';
import { isNegotiated, isPrivateKey, lookupKey, allowedInStage, type KeyDef, type NegotiatedKind } from './keys.js';
import {
  checkIntegrity, offerPreferences, RESULT_BINDINGS,
  type BindingSide, type NegotiatedParams, type OperationalOffer,
} from './params.js';
import { RESULT_FUNCTIONS } from './result-functions.js';
import { TEXT_ERR, textError } from './text-errors.js';
import { isAnswerConstant, parseKeyValue, type KeyValue } from './values.js';

export { defaultOffer, type Digest, type NegotiatedParams, type OperationalOffer } from './params.js';

/**
 * What we answer when the target proposes a key we did not offer and our
 * offer has no preference for it: RFC 7143-only behaviour (iSCSIProtocolLevel
 * 1, Q-05), no FastAbort (its 4.2.3.4 steps are not implemented, Q-04), no iSER
 * on this transport.
 */
const ACCEPTOR_PREFERENCES: ReadonlyMap<string, string> = new Map([
  ['iSCSIProtocolLevel', '1'],
  ['TaskReporting', 'RFC3720,ResponseFence'],
  ['RDMAExtensions', 'No'],
]);

/** Options of {@link OperationalNegotiation.receive}. */
export interface ReceiveOptions {
  /** The response had T=1: it must not propose keys that need another request (D-14). */
  final?: boolean;
}

interface KeyState {
  /** Value we sent (offer or declaration). */
  offered?: string;
  /** The exchange of this key is over (answered, or we answered the target). */
  concluded: boolean;
  /** Outcome in wire form; undefined = current/default value. */
  result?: string;
  /** Our declaration was answered Reject/Irrelevant/NotUnderstood. */
  oursRefused: boolean;
  /** Target's declarations (TargetAddress may repeat). */
  theirs: string[];
}

/** Operational negotiation of one connection login (initiator side). */
export class OperationalNegotiation {
  private readonly prefs: ReadonlyMap<string, string>;
  private readonly leading: boolean;
  private readonly discovery: boolean;
  private readonly states = new Map<string, KeyState>();
  private readonly seen = new Set<string>();
  private finalSeen = false;

  constructor(offer: OperationalOffer, opts: { leading: boolean }) {
    this.prefs = offerPreferences(offer);
    this.leading = opts.leading;
    this.discovery = offer.sessionType === 'Discovery';
  }

  /**
   * Keys for the first Operational-stage request. Leading-only keys only when
   * leading (F-19); keys irrelevant to Discovery are left out of a discovery
   * offer (open-iscsi's discovery offer, F-23); never private X- keys on
   * discovery (E-20); never markers (F-21); never a key already exchanged
   * (D-17), so a second call returns [].
   */
  offer(): TextPair[] {
    const pairs: TextPair[] = [];
    for (const [key, value] of this.prefs) {
      const def = lookupKey(key)!;
      if (!this.mayOffer(def)) continue;
      const st = this.state(key);
      if (st.offered !== undefined || st.concluded) continue;
      st.offered = value;
      pairs.push([key, value]);
    }
    return pairs;
  }

  private mayOffer(def: KeyDef): boolean {
    if (def.use === 'FFPO' || def.obsolete || !allowedInStage(def, 1)) return false;
    if (def.use === 'LO' && !this.leading) return false;
    if (this.discovery && (def.irrelevantForDiscovery || isPrivateKey(def.name))) return false;
    return true;
  }

  /**
   * Process every key of one reassembled Login Response whose CSG is `stage`.
   * Returns our answers for the next request (target proposals, NotUnderstood
   * for unknown keys E-06, Reject for marker keys F-21). Throws ProtocolError
   * on target violations (codes in TEXT_ERR).
   *
   * With `final` (T=1) in stage 1 no request follows: a proposal that needs an
   * answer throws PROPOSAL_IN_FINAL_RESPONSE (D-14); answers that cannot change
   * anything (NotUnderstood, Reject to markers, Irrelevant) are dropped, so the
   * result is always []. With `final` in stage 0 the answers are returned for
   * the first Operational request.
   */
  receive(pairs: readonly TextPair[], stage: 0 | 1, opts: ReceiveOptions = {}): TextPair[] {
    const final = opts.final ?? false;
    const lastWord = final && stage === 1;
    const replies: TextPair[] = [];
    pairs.forEach(([key, value], i) => {
      const where = `LoginResponse(CSG=${stage})[${i}].${key}`;
      const answer = this.receiveOne(key, value, stage, final, where);
      if (answer !== undefined && !lastWord) replies.push([key, answer]);
    });
    if (lastWord) this.finalSeen = true;
    return replies;
  }

  private receiveOne(key: string, value: string, stage: 0 | 1, final: boolean, where: string): string | undefined {
    const def = lookupKey(key);
    if (def?.stage === 'security' && stage === 0) return undefined; // the security layer's business
    if (this.seen.has(key) && def?.repeatable !== true) {
      throw textError(TEXT_ERR.DUPLICATE_KEY, `${key} sent twice by the target in one login`, where);
    }
    this.seen.add(key);
    if (def === undefined) {
      // §6.2: unknown keys are answered NotUnderstood (E-06); we never send unknown keys,
      // so an answer constant here answers nothing (E-09).
      if (isAnswerConstant(value)) throw textError(TEXT_ERR.RESERVED_VALUE_MISUSE, `${key}=${value} answers no offer`, where);
      return 'NotUnderstood';
    }
    if (!allowedInStage(def, stage)) {
      throw textError(TEXT_ERR.KEY_NOT_ALLOWED_IN_STAGE, `${key} is not allowed in stage ${stage}`, where);
    }
    if (def.obsolete) {
      // §13.25: Reject (never NotUnderstood) to IFMarker/OFMarker/IFMarkInt/OFMarkInt (F-21).
      if (isAnswerConstant(value)) throw textError(TEXT_ERR.RESERVED_VALUE_MISUSE, `${key}=${value} answers no offer`, where);
      return 'Reject';
    }
    const st = this.state(key);
    if (isAnswerConstant(value)) return this.answerConstant(def, st, value, where);
    if (!isNegotiated(def)) return this.declaration(def, st, value, where);
    if (st.offered !== undefined) {
      st.result = RESULT_FUNCTIONS[def.kind].checkAnswer(def, st.offered, value, where);
      st.concluded = true;
      return undefined;
    }
    return this.proposal(def, st, value, final, where);
  }

  /** Reject / Irrelevant / NotUnderstood from the target: only valid as an answer to our offer (E-09). */
  private answerConstant(def: KeyDef, st: KeyState, value: string, where: string): undefined {
    if (st.offered === undefined) {
      throw textError(TEXT_ERR.RESERVED_VALUE_MISUSE, `${def.name}=${value} used as a proposal`, where);
    }
    if (value === 'NotUnderstood' && !def.notUnderstoodOk) {
      throw textError(TEXT_ERR.BAD_NOT_UNDERSTOOD, `${def.name} is an RFC 7143 key (E-07)`, where);
    }
    // E-08, E-10, E-11: the key keeps its current (default) value.
    st.concluded = true;
    st.oursRefused = true;
    if (isNegotiated(def)) this.checkAcceptable(def, st.offered, where);
    return undefined;
  }

  /** A target declaration (TargetAlias, TargetAddress, TPGT, MaxRecvDataSegmentLength ...), never answered (E-12, F-24). */
  private declaration(def: KeyDef, st: KeyState, value: string, where: string): undefined {
    this.checkTargetMaySend(def, where);
    parseKeyValue(def, value, where); // syntax, range and length (E-04, F-04)
    st.theirs.push(value);
    return undefined;
  }

  /** A negotiable key the target proposes first (E-13, E-14, E-16, E-17, F-23). */
  private proposal(def: KeyDef & { kind: NegotiatedKind }, st: KeyState, value: string, final: boolean, where: string): string | undefined {
    this.checkTargetMaySend(def, where);
    st.concluded = true;
    // An irrelevant key has no effect: answer Irrelevant, even after a T=1 response.
    if (this.isIrrelevant(def)) return 'Irrelevant';
    const preference = this.prefs.get(def.name) ?? ACCEPTOR_PREFERENCES.get(def.name);
    const reply = preference === undefined ? { answer: 'Reject' } : RESULT_FUNCTIONS[def.kind].reply(def, value, preference, where);
    st.result = reply.result;
    if (reply.result === undefined && preference !== undefined) this.checkAcceptable(def, preference, where);
    if (reply.answer !== undefined && final) {
      throw textError(TEXT_ERR.PROPOSAL_IN_FINAL_RESPONSE, `T=1 response proposes ${def.name}, which needs an answer`, where);
    }
    return reply.answer;
  }

  private checkTargetMaySend(def: KeyDef, where: string): void {
    if (def.senders === 'initiator') {
      throw textError(TEXT_ERR.KEY_NOT_ALLOWED, `${def.name} is sent by initiators only`, where);
    }
    if (def.use === 'LO' && !this.leading) {
      throw textError(TEXT_ERR.KEY_NOT_ALLOWED, `${def.name} is leading-only, this login is not leading`, where);
    }
  }

  /** After Reject/Irrelevant the default stands; for list keys it must be a value we accept (E-11). */
  private checkAcceptable(def: KeyDef, acceptable: string, where: string): void {
    if (def.kind !== 'list' || def.default === undefined) return;
    if (!acceptable.split(',').includes(def.default)) {
      throw textError(TEXT_ERR.UNACCEPTABLE_RESULT, `${def.name} would stay ${def.default}, which we did not accept`, where);
    }
  }

  /** "Irrelevant when" (§13) evaluated on current values. */
  private isIrrelevant(def: KeyDef): boolean {
    if (this.discovery && def.irrelevantForDiscovery) return true;
    const conds = def.irrelevantWhen;
    return conds !== undefined && conds.every((c) => this.current(c.key) === c.value);
  }

  /** Current wire value of a negotiated key: outcome, else what our offer forces, else default. */
  private current(key: string): string | undefined {
    const def = lookupKey(key)!;
    const st = this.states.get(key);
    if (st?.concluded === true) return st.result ?? def.default;
    if (st?.offered !== undefined && isNegotiated(def)) {
      return RESULT_FUNCTIONS[def.kind].forcedOutcome(st.offered) ?? def.default;
    }
    return def.default;
  }

  /**
   * True when every key we offered that needs an answer has one. Declaratives
   * never need one (E-12); neither do AND=No / OR=Yes offers (§6.2.2) nor keys
   * made irrelevant by other outcomes (F-08).
   */
  get complete(): boolean {
    for (const [key, st] of this.states) {
      const def = lookupKey(key)!;
      if (st.offered === undefined || st.concluded || !isNegotiated(def)) continue;
      if (RESULT_FUNCTIONS[def.kind].forcedOutcome(st.offered) !== undefined || this.isIrrelevant(def)) continue;
      return false;
    }
    return true;
  }

  /**
   * Final values. Only explicitly exchanged values count; everything else keeps
   * its RFC default (E-12). Available once complete, or once a T=1 Operational
   * response was received (the target ended the stage: unanswered keys keep
   * defaults, F-23); before that IscsiError NEGOTIATION_INCOMPLETE (E-19).
   * Checks integrity rules (F-07, F-17): ProtocolError INTEGRITY_VIOLATION.
   */
  result(): NegotiatedParams {
    if (!this.complete && !this.finalSeen) {
      throw new IscsiError(TEXT_ERR.NEGOTIATION_INCOMPLETE, 'operational negotiation has not completed', {
        errno: ISCSI_ERR.INTERNAL,
      });
    }
    const out: Record<string, unknown> = {};
    for (const { key, field, side } of RESULT_BINDINGS) {
      const value = this.bound(key, side);
      if (value !== undefined) out[field] = value;
    }
    const params = out as unknown as NegotiatedParams;
    if (this.discovery) params.maxConnections = 1; // §13.21: Discovery implies MaxConnections=1
    checkIntegrity(params, this.discovery);
    return params;
  }

  private bound(key: string, side: BindingSide): KeyValue | string[] | undefined {
    const def = lookupKey(key)!;
    const st = this.states.get(key);
    const typed = (wire: string | undefined): KeyValue | undefined =>
      wire === undefined ? undefined : parseKeyValue(def, wire, `result.${key}`);
    const single = (v: KeyValue | undefined): KeyValue | undefined => (Array.isArray(v) ? v[0] : v);
    switch (side) {
      case 'negotiated':
        return single(typed(this.current(key)));
      case 'ours':
        return typed(st?.offered !== undefined && !st.oursRefused ? st.offered : def.default);
      case 'theirs':
        return typed(st?.theirs[0] ?? def.default);
      case 'theirs-all':
        return [...(st?.theirs ?? [])];
    }
  }

  private state(key: string): KeyState {
    let st = this.states.get(key);
    if (st === undefined) {
      st = { concluded: false, oursRefused: false, theirs: [] };
      this.states.set(key, st);
    }
    return st;
  }
}
