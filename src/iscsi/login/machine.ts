/**
 * The login phase of one connection as a state machine (RFC 7143 §6.3, §8.1, §11.12,
 * §11.13): `loginTransition(state, event) -> { state, effects }`. It performs no I/O;
 * the session layer sends the `send` effects and feeds responses back in.
 *
 * Stages: security (0) -> operational (1) -> full feature (3). The machine only ever
 * moves forward (D-05), keeps one request outstanding (C-11), one ITT and one CmdSN
 * for the whole phase (C-02, C-03), splits long text with C=1 (C-05) and answers the
 * target's C=1 with empty requests (C-07). Security keys go to SecurityNegotiation,
 * every other key to OperationalNegotiation.
 *
 * The negotiator objects inside the context are owned by the machine and mutated by
 * it; everything else in the state is replaced, never mutated.
 */
import { ISCSI_ERR, IscsiError, LoginError, ProtocolError } from '../../shared/errors.js';
import { validateIsid } from '../isid.js';
import { RESERVED_TAG, Stage, type LoginRequest, type LoginResponse, type TargetPdu } from '../pdu/types.js';
import { snAdd } from '../serial.js';
import type { SecurityNegotiation } from '../security.js';
import { TextAssembler, decodeText, encodeText, splitText, type TextPair } from '../text/codec.js';
import type { NegotiatedParams, OperationalNegotiation } from '../text/negotiate.js';
import { parseBinaryNumber } from '../text/values.js';
import { StatusClass, loginStatusError } from './status.js';

/** Default MaxRecvDataSegmentLength in force during login, whatever is declared (§6.3, C-05). */
export const LOGIN_MAX_SEGMENT = 8192;
/** Bound on Login Responses in one phase; the RFC wants at least six rounds tolerated (D-18). */
export const DEFAULT_MAX_EXCHANGES = 32;

export interface LoginParams {
  initiatorName: string;
  initiatorAlias?: string;
  /** Required for Normal sessions; omitted for unnamed Discovery sessions (D-01, I-01). */
  targetName?: string;
  sessionType: 'Normal' | 'Discovery';
  isid: Buffer;
  /** 0 for a leading login (B-06); the session's TSIH when adding a connection. */
  tsih: number;
  cid: number;
  itt: number;
  cmdSN: number;
  expStatSN: number;
  /** Start in the security stage (CSG=0) instead of going straight to operational. */
  useSecurityStage: boolean;
  /** TargetPortalGroupTag learned from discovery, compared with the target's (D-19). */
  expectedTpgt?: number;
  maxExchanges?: number;
}

export interface LoginContext {
  params: LoginParams;
  security: SecurityNegotiation;
  operational: OperationalNegotiation;
}

export interface LoginResult {
  tsih: number;
  /** CmdSN of the first non-immediate FFP PDU: the login's own CmdSN (C-03). */
  cmdSN: number;
  expStatSN: number;
  expCmdSN: number;
  maxCmdSN: number;
  versionActive: number;
  params: NegotiatedParams;
}

export type LoginEffect =
  | { type: 'send'; pdu: LoginRequest }
  | { type: 'complete'; result: LoginResult }
  | { type: 'redirect'; addresses: string[]; permanent: boolean }
  | { type: 'fail'; error: IscsiError }
  | { type: 'warn'; code: string; message: string };

/** Flags of the final segment of the request currently being sent. */
interface Outgoing {
  transit: boolean;
  nsg: number;
  /** Segments still to send after the one in flight (we sent C=1 and wait for an empty reply). */
  queued: Buffer[];
}

interface Exchanging {
  phase: 'exchanging';
  ctx: LoginContext;
  stage: 0 | 1;
  out: Outgoing;
  expStatSN: number;
  responses: number;
  /** Version-max/active from the response to the first request (C-18). */
  firstVersion?: { max: number; active: number };
  incoming: TextAssembler;
}

export type LoginState =
  | { phase: 'idle'; ctx: LoginContext }
  | Exchanging
  | { phase: 'done'; result: LoginResult }
  | { phase: 'redirected'; addresses: string[]; permanent: boolean }
  | { phase: 'failed'; error: IscsiError };

export type LoginEvent = { type: 'start' } | { type: 'pdu'; pdu: TargetPdu };

export interface LoginStep {
  state: LoginState;
  effects: LoginEffect[];
}

const SECURITY_KEY = /^(AuthMethod|CHAP_[A-Z])$/;

export function initialLoginState(ctx: LoginContext): LoginState {
  return { phase: 'idle', ctx };
}

/** Reassembles one stage's Login Response text (C=1 series, C-08); errors name where it came from. */
const loginText = (): TextAssembler => new TextAssembler({ where: 'LoginResponse.data' });

/** The pure transition function. Errors become a `fail` effect and the `failed` state. */
export function loginTransition(state: LoginState, event: LoginEvent): LoginStep {
  try {
    if (state.phase === 'idle' && event.type === 'start') return start(state.ctx);
    if (state.phase === 'exchanging' && event.type === 'pdu') return onPdu(state, event.pdu);
    throw new ProtocolError('LOGIN_BAD_EVENT', `login machine in phase ${state.phase} cannot take event ${event.type}`, {
      where: 'login',
      retryable: false,
    });
  } catch (err) {
    const error = err instanceof IscsiError ? err : new ProtocolError('LOGIN_INTERNAL', String(err), { cause: err });
    if (state.phase === 'exchanging') state.ctx.security.dispose();
    return { state: { phase: 'failed', error }, effects: [{ type: 'fail', error }] };
  }
}

function start(ctx: LoginContext): LoginStep {
  const p = ctx.params;
  // Local misuse, checked before anything goes on the wire: the ITT of a login is never the
  // reserved tag (§11.2.1.8, C-02) and the ISID never has T=11b (§11.12.5, B-01).
  if (p.itt === RESERVED_TAG) {
    throw new IscsiError('LOGIN_RESERVED_ITT', 'the login ITT must not be the reserved tag 0xffffffff (C-02)', { errno: ISCSI_ERR.INTERNAL });
  }
  validateIsid(p.isid);
  const first: TextPair[] = [['InitiatorName', p.initiatorName]];
  if (p.initiatorAlias) first.push(['InitiatorAlias', p.initiatorAlias]);
  if (p.sessionType === 'Normal') {
    if (!p.targetName) throw new ProtocolError('LOGIN_NO_TARGET_NAME', 'a Normal session needs a TargetName (D-01)', { retryable: false });
    first.push(['TargetName', p.targetName]);
  } else if (p.targetName) {
    first.push(['TargetName', p.targetName]);
  }
  first.push(['SessionType', p.sessionType]);
  const base = { phase: 'exchanging' as const, ctx, expStatSN: p.expStatSN, responses: 0, incoming: loginText() };
  if (p.useSecurityStage) {
    const sec = ctx.security.start();
    // Without an authentication offer we are ready to leave security at once (D-11).
    const offersAuth = sec.some(([k, v]) => k === 'AuthMethod' && v !== 'None');
    return send({ ...base, stage: Stage.Security, out: emptyOut() }, [...first, ...sec], !offersAuth, Stage.Operational);
  }
  return send({ ...base, stage: Stage.Operational, out: emptyOut() }, [...first, ...ctx.operational.offer()], true, Stage.FullFeature);
}

function emptyOut(): Outgoing {
  return { transit: false, nsg: 0, queued: [] };
}

/** Queue `pairs` as the next request; long text goes out as C=1 segments first (C-05, D-04). */
function send(state: Exchanging, pairs: readonly TextPair[], transit: boolean, nsg: number): LoginStep {
  const segments = pairs.length === 0 ? [Buffer.alloc(0)] : splitText(encodeText(pairs), LOGIN_MAX_SEGMENT);
  const [head, ...queued] = segments;
  const next: Exchanging = { ...state, out: { transit, nsg, queued } };
  return { state: next, effects: [{ type: 'send', pdu: request(next, head!, queued.length > 0) }] };
}

function request(state: Exchanging, data: Buffer, cont: boolean): LoginRequest {
  const p = state.ctx.params;
  const transit = !cont && state.out.transit;
  return {
    kind: 'login-request',
    transit,
    cont,
    csg: state.stage,
    nsg: transit ? state.out.nsg : 0, // NSG is reserved when T=0 (D-03)
    versionMax: 0,
    versionMin: 0,
    isid: p.isid,
    tsih: p.tsih,
    itt: p.itt,
    cid: p.cid,
    cmdSN: p.cmdSN,
    expStatSN: state.expStatSN,
    data,
  };
}

function onPdu(state: Exchanging, pdu: TargetPdu): LoginStep {
  if (pdu.kind === 'reject' && pdu.reason === 0x0b) {
    // Deprecated "Negotiation Reset" (§11.17.1 note 3): a negotiation failure (N-03, G-12).
    throw new LoginError('NEGOTIATION_RESET', 'target rejected the login negotiation (Reject reason 0x0b)', { errno: ISCSI_ERR.FATAL_LOGIN, retryable: false, details: { reason: pdu.reason } });
  }
  if (pdu.kind !== 'login-response') {
    throw new ProtocolError('UNEXPECTED_PDU_DURING_LOGIN', `target sent a ${pdu.kind} PDU during login (C-10)`, { where: pdu.kind, retryable: true });
  }
  const p = state.ctx.params;
  const responses = state.responses + 1;
  if (responses > (p.maxExchanges ?? DEFAULT_MAX_EXCHANGES)) {
    throw new ProtocolError('TOO_MANY_LOGIN_EXCHANGES', `login did not finish within ${responses - 1} exchanges`, { where: 'LoginResponse', retryable: false });
  }
  if (pdu.itt !== p.itt) {
    throw new ProtocolError('LOGIN_ITT_MISMATCH', `Login Response ITT 0x${pdu.itt.toString(16)} is not the request's 0x${p.itt.toString(16)} (C-12)`, { where: 'LoginResponse.ITT' });
  }
  // Status class != 0: its StatSN/ExpCmdSN/MaxCmdSN and T/CSG/NSG mean nothing (C-13).
  if (pdu.statusClass === StatusClass.Redirection) return redirect(state, pdu);
  if (pdu.statusClass !== StatusClass.Success) throw statusFailure(state, pdu);
  const checked = checkHeader({ ...state, responses }, pdu);
  if (checked.out.queued.length > 0) return sendNextSegment(checked, pdu);
  if (pdu.cont) {
    checked.incoming.push(pdu.data, true);
    // C=1: answer with an empty request in the same stage (§6.2, C-07). It keeps the T/NSG of
    // our last request: §6.2 has the initiator keep T=1 once set (D-08), and §11.13.6 lets the
    // target end the stage only in answer to T=1, which checkTransit enforces on `out` (D-07).
    return { state: checked, effects: [{ type: 'send', pdu: request(checked, Buffer.alloc(0), false) }] };
  }
  const text = checked.incoming.push(pdu.data, false) ?? Buffer.alloc(0);
  const pairs = text.length === 0 ? [] : decodeText(text, `LoginResponse(stage ${state.stage}).data`);
  return checked.stage === Stage.Security ? securityStage(checked, pdu, pairs) : operationalStage(checked, pdu, pairs);
}

/**
 * The typed error for a failed status. tgt implements CHAP_A=7 as SHA-1 while LIO and
 * open-iscsi mean SHA-256 (checklist H-22). When the target rejects the security stage after
 * choosing 7, say so: tgt answers our 32-byte CHAP_R with 0x0201, or with 0x0200 when it cannot
 * even decode it (observed), so both count as an authentication failure (errno 24) there.
 * Once the security stage has passed, 7 evidently worked and no hint is given.
 */
function statusFailure(state: Exchanging, pdu: LoginResponse): IscsiError {
  const err = loginStatusError(pdu.statusClass, pdu.statusDetail, { stage: state.stage });
  const suspect = state.stage === Stage.Security && state.ctx.security.algorithm === 7
    && pdu.statusClass === StatusClass.InitiatorError && (pdu.statusDetail === 0x00 || pdu.statusDetail === 0x01);
  if (!suspect) return err;
  return new LoginError(err.code, `${err.message}; the target chose CHAP_A=7 (SHA-256): some targets (tgt) compute SHA-1 for 7 — offer MD5 (5) or SHA-1 (6) before 7`, {
    errno: ISCSI_ERR.LOGIN_AUTH_FAILED,
    retryable: false,
    details: { ...err.details, chapAlgorithm: 7, hint: 'TGT_SHA1_AS_7' },
  });
}

/** Version, ISID, stage, T/C consistency and numbering of a status-0 response. */
function checkHeader(state: Exchanging, pdu: LoginResponse): Exchanging {
  const p = state.ctx.params;
  let firstVersion = state.firstVersion;
  if (!firstVersion) {
    // We offer version 0..0; the active version must be 0 (C-17, C-18).
    if (pdu.versionActive !== 0) {
      throw new ProtocolError('UNSUPPORTED_VERSION', `target chose iSCSI version ${pdu.versionActive}; only 0 is offered`, { where: 'LoginResponse.versionActive', retryable: false });
    }
    firstVersion = { max: pdu.versionMax, active: pdu.versionActive };
  }
  if (!pdu.isid.equals(p.isid)) {
    throw new ProtocolError('LOGIN_ISID_MISMATCH', 'Login Response ISID differs from the request', { where: 'LoginResponse.ISID' });
  }
  if (pdu.transit && pdu.cont) {
    throw new ProtocolError('LOGIN_T_AND_C', 'Login Response has both T and C set (§11.13.2)', { where: 'LoginResponse.flags' });
  }
  if (pdu.csg !== state.stage) {
    throw new ProtocolError('LOGIN_STAGE_MISMATCH', `Login Response CSG ${pdu.csg} while the initiator is in stage ${state.stage}`, { where: 'LoginResponse.CSG' });
  }
  if (pdu.transit) checkTransit(state, pdu);
  return { ...state, firstVersion, expStatSN: snAdd(pdu.statSN, 1) };
}

function checkTransit(state: Exchanging, pdu: LoginResponse): void {
  const where = 'LoginResponse.NSG';
  if (!state.out.transit || state.out.queued.length > 0) {
    throw new ProtocolError('TRANSIT_NOT_REQUESTED', 'target set T=1 although the initiator sent T=0 (D-07)', { where: 'LoginResponse.T' });
  }
  if (pdu.nsg > state.out.nsg) {
    throw new ProtocolError('NSG_BEYOND_REQUEST', `target NSG ${pdu.nsg} exceeds the initiator's NSG ${state.out.nsg} (D-06)`, { where });
  }
  if (pdu.nsg <= state.stage || (pdu.nsg !== Stage.Operational && pdu.nsg !== Stage.FullFeature)) {
    throw new ProtocolError('BAD_STAGE', `target NSG ${pdu.nsg} is not a later stage than ${state.stage} (D-03, D-05)`, { where });
  }
}

function sendNextSegment(state: Exchanging, pdu: LoginResponse): LoginStep {
  if (pdu.data.length > 0 || pdu.transit) {
    throw new ProtocolError('LOGIN_CONTINUATION_NOT_EMPTY', 'target answered a C=1 Login Request with keys or T=1 instead of an empty response (§6.2)', { where: 'LoginResponse.data' });
  }
  const [head, ...queued] = state.out.queued;
  const next: Exchanging = { ...state, out: { ...state.out, queued } };
  return { state: next, effects: [{ type: 'send', pdu: request(next, head!, queued.length > 0) }] };
}

/** Status class 1: the login ends here (a new connection follows, G-01), so release the negotiators too. */
function redirect(state: Exchanging, pdu: LoginResponse): LoginStep {
  const pairs = pdu.data.length === 0 ? [] : decodeText(pdu.data, 'LoginResponse(redirect).data');
  const addresses = pairs.filter(([k]) => k === 'TargetAddress').map(([, v]) => v);
  if (addresses.length === 0) {
    throw new ProtocolError('REDIRECT_WITHOUT_ADDRESS', 'redirect status without any TargetAddress (G-06)', { where: 'LoginResponse.data', retryable: false });
  }
  const permanent = pdu.statusDetail === 0x02;
  state.ctx.security.dispose(); // our mutual-CHAP challenge leaves the process-wide registry (H-17)
  return { state: { phase: 'redirected', addresses, permanent }, effects: [{ type: 'redirect', addresses, permanent }] };
}

/**
 * A negotiation failure ends the login and the connection (G-12) and would fail the
 * same way on every retry, so it becomes a non-retryable login failure (errno 19)
 * that keeps the negotiator's code and `where`.
 */
function negotiation<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    throw new LoginError(err.code, `login negotiation failed: ${err.message}`, {
      errno: ISCSI_ERR.FATAL_LOGIN,
      retryable: false,
      cause: err,
      details: err.details,
    });
  }
}

function split(pairs: readonly TextPair[]): { sec: TextPair[]; other: TextPair[] } {
  const sec: TextPair[] = [];
  const other: TextPair[] = [];
  for (const pair of pairs) (SECURITY_KEY.test(pair[0]) ? sec : other).push(pair);
  return { sec, other };
}

function tpgtWarning(state: Exchanging, other: readonly TextPair[]): LoginEffect[] {
  const expected = state.ctx.params.expectedTpgt;
  const got = other.find(([k]) => k === 'TargetPortalGroupTag')?.[1];
  // The tag is a 16-bit binary-value: decimal, hex or base64 (E-03); the negotiator validates it.
  if (expected === undefined || got === undefined || parseBinaryNumber(got, 16, 'TargetPortalGroupTag') === expected) return [];
  return [{ type: 'warn', code: 'TPGT_MISMATCH', message: `target portal group tag ${got} differs from ${expected} learned at discovery (D-19)` }];
}

/** A T=1 response may not carry keys that need an answer within its stage (§11.13.6, D-14). */
function needsAnswer(key: string): ProtocolError {
  return new ProtocolError('FINAL_RESPONSE_NEEDS_ANSWER', `target's T=1 Login Response proposed ${key}, which needs an answer in the stage it ends (D-14)`, {
    where: 'LoginResponse.data',
    retryable: false,
  });
}

function securityStage(state: Exchanging, pdu: LoginResponse, pairs: readonly TextPair[]): LoginStep {
  const { sec, other } = split(pairs);
  const { reply, done } = state.ctx.security.receive(sec);
  const opReply = negotiation(() => state.ctx.operational.receive(other, Stage.Security, { final: pdu.transit }));
  const warnings = tpgtWarning(state, other);
  if (!pdu.transit) {
    const step = send(state, [...reply, ...opReply], done, Stage.Operational);
    return { ...step, effects: [...warnings, ...step.effects] };
  }
  if (reply.length > 0) throw needsAnswer(reply[0]![0]);
  state.ctx.security.finish();
  // We only ever ask for NSG=1 from security, so checkTransit guarantees pdu.nsg === 1.
  const operational: Exchanging = { ...state, stage: Stage.Operational, incoming: loginText() };
  const step = send(operational, [...opReply, ...state.ctx.operational.offer()], true, Stage.FullFeature);
  return { ...step, effects: [...warnings, ...step.effects] };
}

function operationalStage(state: Exchanging, pdu: LoginResponse, pairs: readonly TextPair[]): LoginStep {
  const { sec, other } = split(pairs);
  if (sec.length > 0) {
    throw new ProtocolError('KEY_NOT_ALLOWED_IN_STAGE', `security key ${sec[0]![0]} in the operational stage (§6.3)`, { where: 'LoginResponse.data', retryable: false });
  }
  const reply = negotiation(() => state.ctx.operational.receive(other, Stage.Operational, { final: pdu.transit }));
  const warnings = tpgtWarning(state, other);
  if (!pdu.transit) {
    // Keep asking to move on with T=1 until the target agrees (D-08).
    const step = send(state, reply, true, Stage.FullFeature);
    return { ...step, effects: [...warnings, ...step.effects] };
  }
  if (reply.length > 0) throw needsAnswer(reply[0]![0]);
  const p = state.ctx.params;
  if (p.tsih === 0 && pdu.tsih === 0) {
    throw new ProtocolError('TSIH_ZERO', 'final Login Response of a new session carries TSIH 0 (B-08)', { where: 'LoginResponse.TSIH', retryable: false });
  }
  if (p.tsih !== 0 && pdu.tsih !== p.tsih) {
    throw new ProtocolError('TSIH_MISMATCH', `final Login Response TSIH ${pdu.tsih} is not the session's ${p.tsih}`, { where: 'LoginResponse.TSIH' });
  }
  const result: LoginResult = {
    tsih: pdu.tsih, // taken only from the final response (B-07)
    cmdSN: p.cmdSN,
    expStatSN: state.expStatSN,
    expCmdSN: pdu.expCmdSN,
    maxCmdSN: pdu.maxCmdSN,
    versionActive: state.firstVersion?.active ?? 0,
    params: negotiation(() => state.ctx.operational.result()),
  };
  state.ctx.security.dispose();
  return { state: { phase: 'done', result }, effects: [...warnings, { type: 'complete', result }] };
}
