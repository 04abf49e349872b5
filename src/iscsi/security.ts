/**
 * The initiator side of the SecurityNegotiation login stage (RFC 7143 §6.3, §9.2, §12.1,
 * §12.1.3): AuthMethod selection and the CHAP exchange, optionally mutual.
 *
 * ```
 * I->T AuthMethod=CHAP                                  start()
 * T->I AuthMethod=CHAP                                  receive() -> CHAP_A=<offer>
 * T->I CHAP_A=<A> CHAP_I=<I> CHAP_C=<C>                 receive() -> CHAP_N, CHAP_R [, CHAP_I, CHAP_C]
 * T->I [CHAP_N=<N> CHAP_R=<R>]  (mutual only)           receive() verifies the target
 * T->I T=1 (leaves the security stage)                  finish() checks nothing is missing
 * ```
 *
 * §9.2: a response whose keys or values are not according to the step makes the initiator
 * abort. Step and authentication failures throw LoginError `AUTH_FAILED` (errno 24,
 * `ISCSI_ERR.LOGIN_AUTH_FAILED`, not retryable) with a stable `details.reason`
 * ({@link AuthFailureReason}); a malformed value throws ProtocolError `CHAP_MALFORMED`
 * (also errno 24). Secrets never appear in messages or details.
 */
import { timingSafeEqual } from 'node:crypto';
import { ConfigError, IscsiError, LoginError, ISCSI_ERR, assertNever } from '../shared/errors.js';
import {
  CHAP_ALGORITHMS,
  ChallengeRegistry,
  DEFAULT_CHAP_ALGORITHMS,
  chapResponse,
  isMutual,
  validateChapConfig,
  type ChapAlgorithm,
  type ChapConfig,
} from './chap.js';
import { MAX_CHAP_BINARY_BYTES, decodeChapBinary, encodeChapBinary, parseChapNumber } from './chap-values.js';

// The CHAP types callers configure a negotiation with live in chap.ts; re-exported here.
export { ChallengeRegistry, chapResponse, validateChapConfig, type ChapAlgorithm, type ChapConfig } from './chap.js';

/** A key=value pair; structurally identical to the text codec's TextPair. */
export type TextPair = readonly [key: string, value: string];

/** Stable `details.reason` values of LoginError `AUTH_FAILED` thrown here. */
export type AuthFailureReason =
  | 'AUTHMETHOD_MISSING' // target did not answer our AuthMethod offer
  | 'AUTHMETHOD_REJECT' // H-03
  | 'METHOD_NOT_OFFERED' // H-02
  | 'NO_COMMON_METHOD' // target proposed a list without our method
  | 'DOWNGRADE_TO_NONE' // H-04
  | 'AUTHMETHOD_REPEATED' // AuthMethod again after selection
  | 'DUPLICATE_KEY'
  | 'CHAP_KEY_UNKNOWN'
  | 'CHAP_KEY_OUT_OF_ORDER' // H-20
  | 'MUTUAL_NOT_REQUESTED' // H-20
  | 'CHAP_A_MISSING' // H-08
  | 'CHAP_I_MISSING' // H-08
  | 'CHAP_C_MISSING' // H-08
  | 'CHAP_A_REJECT'
  | 'CHAP_A_NOT_OFFERED' // H-07
  | 'CHALLENGE_REFLECTED' // H-17
  | 'MUTUAL_NAME_MISSING' // H-19
  | 'MUTUAL_RESPONSE_MISSING' // H-19
  | 'TARGET_NAME_MISMATCH' // H-18
  | 'TGT_SHA1_AS_7' // H-22
  | 'MUTUAL_RESPONSE_LENGTH' // H-19
  | 'SAME_SECRET_REFLECTED' // H-15
  | 'MUTUAL_RESPONSE_WRONG' // H-19
  | 'AUTH_INCOMPLETE'; // H-04: target left the stage before CHAP finished

/** Options of {@link SecurityNegotiation}. */
export interface SecurityOptions {
  /** CHAP credentials; without them we offer AuthMethod=None. */
  chap?: ChapConfig;
  /** Cryptographically strong random bytes (node:crypto randomBytes in production). */
  random: (n: number) => Buffer;
  /** Daemon-wide registry of our open challenges (H-17); a private one if omitted. */
  registry?: ChallengeRegistry;
  /** Length of our mutual-CHAP challenge: 16..1024 bytes, default 16 (H-25). */
  challengeLength?: number;
}

/** Smallest mutual challenge we issue (H-25). */
export const MIN_CHALLENGE_BYTES = 16;
export const DEFAULT_CHALLENGE_BYTES = 16;

type Step =
  | { kind: 'idle' }
  | { kind: 'offered'; method: 'CHAP' | 'None' }
  | { kind: 'none' }
  | { kind: 'await-challenge' }
  | { kind: 'await-mutual'; alg: ChapAlgorithm; id: number; challenge: Buffer }
  | { kind: 'authenticated' };

const CHAP_KEYS = new Set(['CHAP_A', 'CHAP_I', 'CHAP_C', 'CHAP_N', 'CHAP_R']);

/** Result of {@link SecurityNegotiation.receive}. */
export interface SecurityReply {
  /** Keys for the next Login Request (may be empty). */
  reply: TextPair[];
  /** The initiator has nothing more to send: the login machine may set T=1. */
  done: boolean;
}

/** One connection's security-stage negotiation (not reusable: one instance per login). */
export class SecurityNegotiation {
  #step: Step = { kind: 'idle' };
  readonly #chap: ChapConfig | undefined;
  readonly #random: (n: number) => Buffer;
  readonly #registry: ChallengeRegistry;
  readonly #challengeLength: number;
  readonly #algorithms: readonly ChapAlgorithm[];
  #algorithm: ChapAlgorithm | undefined;
  #issued: Buffer | undefined;

  /** @throws ConfigError for invalid CHAP credentials or challenge length. */
  constructor(opts: SecurityOptions) {
    if (opts.chap) validateChapConfig(opts.chap);
    const len = opts.challengeLength ?? DEFAULT_CHALLENGE_BYTES;
    if (!Number.isInteger(len) || len < MIN_CHALLENGE_BYTES || len > MAX_CHAP_BINARY_BYTES) {
      throw new ConfigError('CHAP_CHALLENGE_LENGTH', `CHAP challenge length ${len} is outside ${MIN_CHALLENGE_BYTES}..${MAX_CHAP_BINARY_BYTES}`, {
        details: { field: 'challengeLength' },
      });
    }
    this.#chap = opts.chap;
    this.#random = opts.random;
    this.#registry = opts.registry ?? new ChallengeRegistry();
    this.#challengeLength = len;
    this.#algorithms = opts.chap?.algorithms ?? DEFAULT_CHAP_ALGORITHMS;
  }

  /** Keys for the first security-stage request: AuthMethod=CHAP (no None, H-01) or AuthMethod=None. */
  start(): TextPair[] {
    if (this.#step.kind !== 'idle') throw internal('SECURITY_ALREADY_STARTED', 'security negotiation started twice');
    const method = this.#chap ? 'CHAP' : 'None';
    this.#step = { kind: 'offered', method };
    return [['AuthMethod', method]];
  }

  /** Security keys (AuthMethod, CHAP_*) of one reassembled security-stage Login Response; other keys are ignored. */
  receive(pairs: readonly TextPair[]): SecurityReply {
    const keys = collect(pairs);
    const step = this.#step;
    switch (step.kind) {
      case 'idle':
        throw internal('SECURITY_NOT_STARTED', 'receive() before start()');
      case 'offered':
        return this.#onMethod(keys, step.method);
      case 'none':
        this.#onlyKeys(keys, []);
        return { reply: [], done: true };
      case 'authenticated':
        this.#onlyKeys(keys, [], this.#chap !== undefined && !isMutual(this.#chap));
        return { reply: [], done: true };
      case 'await-challenge':
        return this.#onChallenge(keys);
      case 'await-mutual':
        return this.#onMutual(keys, step);
      default:
        return assertNever(step, 'security step');
    }
  }

  /** The target left the security stage: authentication must be complete (H-04, H-19). */
  finish(): void {
    const step = this.#step;
    switch (step.kind) {
      case 'idle':
        throw internal('SECURITY_NOT_STARTED', 'finish() before start()');
      case 'offered':
        if (step.method === 'None') return;
        throw authFailed('AUTH_INCOMPLETE', 'target left the security stage without selecting CHAP (authentication downgrade)');
      case 'await-challenge':
        throw authFailed('AUTH_INCOMPLETE', 'target left the security stage without sending its CHAP challenge');
      case 'await-mutual':
        throw authFailed('MUTUAL_RESPONSE_MISSING', 'target left the security stage without answering our CHAP challenge (mutual CHAP)');
      case 'none':
      case 'authenticated':
        return;
      default:
        assertNever(step, 'security step');
    }
  }

  /** Release the registry entry of our challenge (call when the connection closes). Idempotent. */
  dispose(): void {
    if (this.#issued) this.#registry.delete(this.#issued);
    this.#issued = undefined;
  }

  /** Whether the initiator has nothing more to send in this stage. */
  get done(): boolean {
    const step = this.#step;
    if (step.kind === 'offered') return step.method === 'None';
    return step.kind === 'none' || step.kind === 'authenticated' || step.kind === 'await-mutual';
  }

  /** The CHAP_A the target chose, once known (for diagnostics such as H-22). */
  get algorithm(): ChapAlgorithm | undefined {
    return this.#algorithm;
  }

  /** AuthMethod selection: target answered (or, H-05, proposed a list to) our offer. */
  #onMethod(keys: Map<string, string>, offered: 'CHAP' | 'None'): SecurityReply {
    this.#onlyKeys(keys, ['AuthMethod']);
    const value = keys.get('AuthMethod');
    if (value === undefined) {
      if (offered === 'None') return { reply: [], done: true };
      throw authFailed('AUTHMETHOD_MISSING', 'target did not answer AuthMethod=CHAP');
    }
    if (value === 'Reject') throw authFailed('AUTHMETHOD_REJECT', `target rejected AuthMethod=${offered}: no common authentication method`);
    const reply: TextPair[] = [];
    const list = value.split(',');
    if (list.length > 1) {
      // The target proposed a list (H-05): select our method and, for CHAP, send its first step too (§12.1).
      if (!list.includes(offered)) throw authFailed('NO_COMMON_METHOD', `target proposed AuthMethod=${value}, which lacks ${offered}`, { value });
      reply.push(['AuthMethod', offered]);
    } else if (value !== offered) {
      if (offered === 'CHAP' && value === 'None') {
        throw authFailed('DOWNGRADE_TO_NONE', 'target selected AuthMethod=None but CHAP is configured (authentication downgrade refused)');
      }
      throw authFailed('METHOD_NOT_OFFERED', `target selected AuthMethod=${value}, which was not offered (offer: ${offered})`, { value });
    }
    if (offered === 'None') {
      this.#step = { kind: 'none' };
      return { reply, done: true };
    }
    this.#step = { kind: 'await-challenge' };
    reply.push(['CHAP_A', this.#algorithms.join(',')]);
    return { reply, done: false };
  }

  /** CHAP_A, CHAP_I, CHAP_C from the target: answer with CHAP_N/CHAP_R (+ our challenge when mutual). */
  #onChallenge(keys: Map<string, string>): SecurityReply {
    this.#onlyKeys(keys, ['CHAP_A', 'CHAP_I', 'CHAP_C']);
    const a = keys.get('CHAP_A');
    if (a === undefined) throw authFailed('CHAP_A_MISSING', 'target sent no CHAP_A');
    if (a === 'Reject') throw authFailed('CHAP_A_REJECT', `target supports none of CHAP_A=${this.#algorithms.join(',')}`);
    const alg = parseChapNumber(a, 'CHAP_A', 255);
    if (!(this.#algorithms as readonly number[]).includes(alg)) {
      throw authFailed('CHAP_A_NOT_OFFERED', `target chose CHAP_A=${alg}, not in our offer ${this.#algorithms.join(',')}`, { value: alg });
    }
    const i = keys.get('CHAP_I');
    if (i === undefined) throw authFailed('CHAP_I_MISSING', 'target sent no CHAP_I');
    const id = parseChapNumber(i, 'CHAP_I', 255);
    const c = keys.get('CHAP_C');
    if (c === undefined) throw authFailed('CHAP_C_MISSING', 'target sent no CHAP_C');
    const challenge = decodeChapBinary(c, 'CHAP_C');
    if (this.#registry.has(challenge)) {
      throw authFailed('CHALLENGE_REFLECTED', 'target sent a challenge we issued on another connection (reflection attack, RFC 7143 §9.2.1)');
    }
    const chap = this.#chap!;
    this.#algorithm = alg as ChapAlgorithm;
    const response = chapResponse(this.#algorithm, id, Buffer.from(chap.secret, 'utf8'), challenge);
    const reply: TextPair[] = [
      ['CHAP_N', chap.username],
      ['CHAP_R', encodeChapBinary(response)],
    ];
    if (!isMutual(chap)) {
      this.#step = { kind: 'authenticated' };
      return { reply, done: true };
    }
    const ourId = this.#bytes(1)[0]!;
    const ourChallenge = this.#freshChallenge(challenge);
    this.#registry.add(ourChallenge);
    this.#issued = ourChallenge;
    reply.push(['CHAP_I', String(ourId)], ['CHAP_C', encodeChapBinary(ourChallenge)]);
    this.#step = { kind: 'await-mutual', alg: this.#algorithm, id: ourId, challenge: ourChallenge };
    return { reply, done: true };
  }

  /** The target's CHAP_N/CHAP_R answering our challenge (mutual CHAP). */
  #onMutual(keys: Map<string, string>, step: Extract<Step, { kind: 'await-mutual' }>): SecurityReply {
    this.#onlyKeys(keys, ['CHAP_N', 'CHAP_R']);
    const n = keys.get('CHAP_N');
    const r = keys.get('CHAP_R');
    if (n === undefined && r === undefined) return { reply: [], done: true }; // finish() catches a transit without them
    if (n === undefined) throw authFailed('MUTUAL_NAME_MISSING', 'target sent CHAP_R without CHAP_N');
    if (r === undefined) throw authFailed('MUTUAL_RESPONSE_MISSING', 'target sent CHAP_N without CHAP_R');
    const chap = this.#chap!;
    if (n !== chap.usernameIn) throw authFailed('TARGET_NAME_MISMATCH', `target authenticated as ${JSON.stringify(n)}, not the configured incoming username`);
    this.#verify(step, decodeChapBinary(r, 'CHAP_R'));
    this.#step = { kind: 'authenticated' };
    return { reply: [], done: true };
  }

  #verify(step: Extract<Step, { kind: 'await-mutual' }>, got: Buffer): void {
    const chap = this.#chap!;
    const want = CHAP_ALGORITHMS[step.alg].length;
    if (got.length !== want) {
      if (step.alg === 7 && got.length === CHAP_ALGORITHMS[6].length) {
        const sha1 = chapResponse(6, step.id, Buffer.from(chap.secretIn!, 'utf8'), step.challenge);
        throw authFailed(
          'TGT_SHA1_AS_7',
          'target chose CHAP_A=7 but answered with a 20-byte (SHA-1) response: tgt (tgtd) uses 7 for SHA-1; offer MD5 (5) or SHA-1 (6) before SHA-256 (7) in the CHAP algorithm list',
          { sha1Matches: timingSafeEqual(got, sha1) },
        );
      }
      throw authFailed('MUTUAL_RESPONSE_LENGTH', `target's CHAP_R is ${got.length} bytes; algorithm ${step.alg} gives ${want}`);
    }
    // §9.2.1: a response equal to what our own (outgoing) secret gives means one secret is used both ways.
    const mirrored = chapResponse(step.alg, step.id, Buffer.from(chap.secret, 'utf8'), step.challenge);
    if (timingSafeEqual(got, mirrored)) {
      throw authFailed('SAME_SECRET_REFLECTED', "target's CHAP_R was computed with the initiator's own secret (same secret in both directions)");
    }
    const expected = chapResponse(step.alg, step.id, Buffer.from(chap.secretIn!, 'utf8'), step.challenge);
    if (!timingSafeEqual(got, expected)) throw authFailed('MUTUAL_RESPONSE_WRONG', 'target failed mutual CHAP authentication (wrong CHAP_R)');
  }

  /**
   * Refuse security keys that do not belong to this step (§9.2, H-20). AuthMethod after the
   * selection is a repetition; `oneWayDone` marks the step after our one-way CHAP_R, where
   * CHAP_N/CHAP_R from the target mean mutual authentication we never asked for.
   */
  #onlyKeys(keys: Map<string, string>, allowed: readonly string[], oneWayDone = false): void {
    for (const key of keys.keys()) {
      if (allowed.includes(key)) continue;
      if (key === 'AuthMethod') throw authFailed('AUTHMETHOD_REPEATED', 'target sent AuthMethod again after the selection');
      if ((key === 'CHAP_N' || key === 'CHAP_R') && oneWayDone) {
        throw authFailed('MUTUAL_NOT_REQUESTED', `target sent ${key} but mutual CHAP was not requested`, { key });
      }
      throw authFailed('CHAP_KEY_OUT_OF_ORDER', `target sent ${key} out of the CHAP step order (RFC 7143 §12.1.3)`, { key });
    }
  }

  /** A random challenge never equal to the target's (§9.2.1, H-14) nor to one already open. */
  #freshChallenge(theirs: Buffer): Buffer {
    for (let attempt = 0; attempt < 8; attempt++) {
      const c = this.#bytes(this.#challengeLength);
      if (!c.equals(theirs) && !this.#registry.has(c)) return c;
    }
    throw internal('CHAP_RANDOM_FAILURE', 'random source keeps repeating challenges');
  }

  #bytes(n: number): Buffer {
    const b = this.#random(n);
    if (b.length < n) throw internal('RANDOM_TOO_SHORT', `random source returned ${b.length} of ${n} bytes`);
    return Buffer.from(b.subarray(0, n));
  }
}

/** Security keys of a response as a map; duplicates and unknown CHAP_ keys are step errors. */
function collect(pairs: readonly TextPair[]): Map<string, string> {
  const keys = new Map<string, string>();
  for (const [key, value] of pairs) {
    if (key !== 'AuthMethod' && !key.startsWith('CHAP_')) continue;
    if (key !== 'AuthMethod' && !CHAP_KEYS.has(key)) throw authFailed('CHAP_KEY_UNKNOWN', `target sent unknown CHAP key ${key}`, { key });
    if (keys.has(key)) throw authFailed('DUPLICATE_KEY', `target sent ${key} twice in one response`, { key });
    keys.set(key, value);
  }
  return keys;
}

function authFailed(reason: AuthFailureReason, message: string, extra: Record<string, unknown> = {}): LoginError {
  return new LoginError('AUTH_FAILED', message, {
    errno: ISCSI_ERR.LOGIN_AUTH_FAILED,
    retryable: false,
    details: { reason, ...extra },
  });
}

function internal(code: string, message: string): IscsiError {
  return new IscsiError(code, message, { errno: ISCSI_ERR.INTERNAL });
}
