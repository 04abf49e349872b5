/**
 * Test driver for the pure login machine (src/iscsi/login/machine.ts): it plays a scripted
 * target by feeding LoginResponse objects and records every LoginRequest the machine sends.
 *
 * The driver checks two rules on every step, whatever the test: one outstanding Login
 * Request at most (C-11), and nothing sent in the step that completes, redirects or fails
 * the login (C-16). Wire checks compare our encoder's bytes with the independent builder
 * in test/support/pdu-builder.ts, fed with values written in the test.
 */
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import {
  initialLoginState,
  loginTransition,
  type LoginContext,
  type LoginEffect,
  type LoginEvent,
  type LoginParams,
  type LoginResult,
  type LoginState,
  type LoginStep,
} from '../../../src/iscsi/login/machine.js';
import { encodePdu } from '../../../src/iscsi/pdu/index.js';
import type { LoginRequest, LoginResponse, TargetPdu } from '../../../src/iscsi/pdu/types.js';
import { ChallengeRegistry, SecurityNegotiation, type ChapConfig } from '../../../src/iscsi/security.js';
import { OperationalNegotiation, defaultOffer, type OperationalOffer } from '../../../src/iscsi/text/negotiate.js';
import { IscsiError } from '../../../src/shared/errors.js';
import { loginRequest as builtLoginRequest, textData } from '../../support/pdu-builder.js';

export type Pair = readonly [string, string];

/** A "Random" format ISID (T=10b, A=0, B+C random, D=1), written out by hand (§11.12.5). */
export const ISID = Buffer.from([0x80, 0x5a, 0xc3, 0x17, 0x00, 0x01]);
export const ITT = 0x0000_1234;
export const INITIATOR = 'iqn.2024-01.org.example:host1';
export const TARGET = 'iqn.2024-01.org.example:disk1';
export const ONE_WAY: ChapConfig = { username: 'tsiscsi-user', secret: 'initiator-secret-1' };
export const MUTUAL: ChapConfig = { ...ONE_WAY, usernameIn: 'target-user', secretIn: 'target-secret-22' };
export const CHALLENGE = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
const EMPTY = Buffer.alloc(0);

/**
 * A target's answers to the default Normal offer, written by hand (not derived from our
 * code): every negotiated key answered within its result function, plus the target's own
 * MaxRecvDataSegmentLength declaration.
 */
export const NORMAL_ANSWERS: readonly Pair[] = [
  ['HeaderDigest', 'None'],
  ['DataDigest', 'None'],
  ['DefaultTime2Wait', '2'],
  ['DefaultTime2Retain', '0'],
  ['ErrorRecoveryLevel', '0'],
  ['InitialR2T', 'Yes'],
  ['ImmediateData', 'Yes'],
  ['MaxBurstLength', '262144'],
  ['FirstBurstLength', '65536'],
  ['MaxOutstandingR2T', '1'],
  ['MaxConnections', '1'],
  ['DataPDUInOrder', 'Yes'],
  ['DataSequenceInOrder', 'Yes'],
  ['MaxRecvDataSegmentLength', '65536'],
];

/** Bytes 0, 1, 2, ... continuing across calls (a deterministic "random" source). */
export function counterRandom(start = 0): (n: number) => Buffer {
  let next = start;
  return (n) => Buffer.from(Array.from({ length: n }, () => next++ & 0xff));
}

export interface Setup {
  params?: Partial<LoginParams>;
  chap?: ChapConfig;
  offer?: Partial<OperationalOffer>;
  random?: (n: number) => Buffer;
  registry?: ChallengeRegistry;
}

/** A fresh login context: new negotiators, a leading Normal login unless `params` says otherwise. */
export function makeContext(setup: Setup = {}): LoginContext {
  const sessionType = setup.params?.sessionType ?? 'Normal';
  const params: LoginParams = {
    initiatorName: INITIATOR,
    ...(sessionType === 'Normal' ? { targetName: TARGET } : {}),
    sessionType,
    isid: ISID,
    tsih: 0,
    cid: 0,
    itt: ITT,
    cmdSN: 1,
    expStatSN: 0,
    useSecurityStage: setup.chap !== undefined,
    ...setup.params,
  };
  const security = new SecurityNegotiation({
    random: setup.random ?? counterRandom(0x40),
    registry: setup.registry ?? new ChallengeRegistry(),
    ...(setup.chap ? { chap: setup.chap } : {}),
  });
  const operational = new OperationalNegotiation({ ...defaultOffer(sessionType), ...setup.offer }, { leading: params.tsih === 0 });
  return { params, security, operational };
}

/** Fields a scripted response may override, plus `pairs` for its text. */
export type ResponseSpec = Partial<LoginResponse> & { pairs?: readonly Pair[] };

/** Plays the target side against one login machine and records what the machine does. */
export class LoginDriver {
  state: LoginState;
  readonly sent: LoginRequest[] = [];
  readonly effects: LoginEffect[] = [];
  lastStep: LoginStep | undefined;
  private statSN: number;
  private outstanding = false;

  constructor(
    readonly ctx: LoginContext,
    opts: { statSN?: number } = {},
  ) {
    this.state = initialLoginState(ctx);
    this.statSN = opts.statSN ?? 100;
  }

  static of(setup: Setup = {}): LoginDriver {
    return new LoginDriver(makeContext(setup));
  }

  start(): LoginStep {
    return this.step({ type: 'start' });
  }

  feed(pdu: TargetPdu): LoginStep {
    return this.step({ type: 'pdu', pdu });
  }

  /** Transition, never throwing; checks C-11 and C-16 on every step. */
  step(event: LoginEvent): LoginStep {
    let next: LoginStep | undefined;
    expect(() => {
      next = loginTransition(this.state, event);
    }).not.toThrow();
    const step = next!;
    if (event.type === 'pdu') this.outstanding = false;
    const sends = step.effects.filter((e) => e.type === 'send');
    expect(sends.length, 'at most one Login Request per step (C-11)').toBeLessThanOrEqual(1);
    const ends = step.effects.filter((e) => e.type === 'complete' || e.type === 'redirect' || e.type === 'fail');
    if (ends.length > 0) expect(sends, 'nothing sent in a final step (C-16)').toEqual([]);
    for (const e of sends) {
      expect(this.outstanding, 'a second Login Request while one is outstanding (C-11)').toBe(false);
      this.outstanding = true;
      this.sent.push(e.pdu);
    }
    this.state = step.state;
    this.effects.push(...step.effects);
    this.lastStep = step;
    return step;
  }

  /** The last request sent. */
  get last(): LoginRequest {
    const req = this.sent.at(-1);
    expect(req, 'a request was sent').toBeDefined();
    return req!;
  }

  /** A status-0 response to the last request: same CSG, ISID, TSIH, ITT; next StatSN. */
  response(spec: ResponseSpec = {}): LoginResponse {
    const req = this.last;
    const { pairs, ...over } = spec;
    const res: LoginResponse = {
      kind: 'login-response',
      transit: false,
      cont: false,
      csg: req.csg,
      nsg: 0,
      versionMax: 0,
      versionActive: 0,
      isid: Buffer.from(req.isid),
      tsih: req.tsih,
      itt: req.itt,
      statSN: this.statSN,
      expCmdSN: req.cmdSN,
      maxCmdSN: req.cmdSN,
      statusClass: 0,
      statusDetail: 0,
      data: pairs ? textData(pairs) : EMPTY,
      ...over,
    };
    this.statSN = (res.statSN + 1) >>> 0;
    return res;
  }

  /** Answer the last request with a status-0 response (T=0 unless `spec` says otherwise). */
  reply(spec: ResponseSpec = {}): LoginStep {
    return this.feed(this.response(spec));
  }

  /** Agree to the stage transition the last request asked for (T=1, NSG = its NSG). */
  transit(pairs: readonly Pair[] = [], spec: ResponseSpec = {}): LoginStep {
    return this.reply({ transit: true, nsg: this.last.nsg, pairs, ...spec });
  }

  /** The Final-Response: T=1 NSG=3 with a new TSIH (default 0x0017). */
  finish(pairs: readonly Pair[] = NORMAL_ANSWERS, spec: ResponseSpec = {}): LoginStep {
    return this.reply({ transit: true, nsg: 3, tsih: this.last.tsih === 0 ? 0x17 : this.last.tsih, pairs, ...spec });
  }

  /** A status-class/detail reject of the last request (T, CSG, NSG sent as 0). */
  reject(statusClass: number, statusDetail: number, pairs: readonly Pair[] = []): LoginStep {
    return this.reply({ statusClass, statusDetail, csg: 0, pairs });
  }

  get result(): LoginResult | undefined {
    const e = this.effects.find((x) => x.type === 'complete');
    return e?.type === 'complete' ? e.result : undefined;
  }

  get failure(): IscsiError | undefined {
    const e = this.effects.find((x) => x.type === 'fail');
    return e?.type === 'fail' ? e.error : undefined;
  }

  /** Assert the login failed with `code`; returns the error. */
  expectFailure(code: string): IscsiError {
    const err = this.failure;
    expect(err, `login failed with ${code}`).toBeInstanceOf(IscsiError);
    expect(err!.code).toBe(code);
    expect(this.state.phase).toBe('failed');
    expect(this.effects.filter((e) => e.type === 'fail')).toHaveLength(1);
    return err!;
  }

  /** Assert the login completed; returns the result. */
  expectComplete(): LoginResult {
    expect(this.failure, 'no failure').toBeUndefined();
    expect(this.state.phase).toBe('done');
    return this.result!;
  }
}

/** The key=value pairs of a request, parsed independently of src (split on NUL, first '='). */
export function textOf(req: { data: Buffer }): Pair[] {
  if (req.data.length === 0) return [];
  const text = req.data.toString('utf8');
  expect(text.endsWith('\0'), 'text ends with NUL (C-06)').toBe(true);
  return text
    .slice(0, -1)
    .split('\0')
    .map((item): Pair => {
      const eq = item.indexOf('=');
      expect(eq, `"${item}" has "="`).toBeGreaterThan(0);
      return [item.slice(0, eq), item.slice(eq + 1)];
    });
}

/** Keys of a request. */
export function keysOf(req: { data: Buffer }): string[] {
  return textOf(req).map(([k]) => k);
}

/** The value of `key` in a request; fails the test when absent. */
export function valueIn(req: { data: Buffer }, key: string): string {
  const hit = textOf(req).find(([k]) => k === key);
  expect(hit, `request has ${key}`).toBeDefined();
  return hit![1];
}

/** Expected wire fields of a Login Request (ISID, versions and CID default to the test's). */
export interface WireSpec {
  transit: boolean;
  cont: boolean;
  csg: number;
  nsg: number;
  tsih?: number;
  cid?: number;
  itt?: number;
  cmdSN: number;
  expStatSN: number;
  isid?: Buffer;
  data: Buffer;
}

/** Compare our encoding of `req` with the independent builder's bytes for `want`. */
export function expectWire(req: LoginRequest, want: WireSpec): void {
  const ours = encodePdu(req);
  const golden = builtLoginRequest({
    versionMax: 0,
    versionMin: 0,
    isid: want.isid ?? ISID,
    tsih: want.tsih ?? 0,
    itt: want.itt ?? ITT,
    cid: want.cid ?? 0,
    ...want,
  });
  expect(ours.bhs.toString('hex')).toBe(golden.bhs.toString('hex'));
  expect(ours.data.toString('hex')).toBe(golden.data.toString('hex'));
}

/** CHAP response computed directly with node:crypto (RFC 1994 §4.1), independent of src. */
export function chapDigest(hash: string, id: number, secret: string, challenge: Buffer): string {
  return `0x${createHash(hash).update(Buffer.of(id)).update(Buffer.from(secret, 'utf8')).update(challenge).digest('hex')}`;
}

/** The target's challenge step: CHAP_A, CHAP_I, CHAP_C. */
export function challengePairs(alg = '5', id = '7', challenge = CHALLENGE): Pair[] {
  return [
    ['CHAP_A', alg],
    ['CHAP_I', id],
    ['CHAP_C', `0x${challenge.toString('hex')}`],
  ];
}

/**
 * Drive a CHAP security stage up to (not including) the target's T=1: AuthMethod=CHAP,
 * CHAP_A, challenge. Returns the driver; its last request carries CHAP_N/CHAP_R.
 */
export function throughChap(d: LoginDriver, alg = '5'): LoginDriver {
  d.start();
  d.reply({ pairs: [['AuthMethod', 'CHAP'], ['TargetPortalGroupTag', '1']] });
  d.reply({ pairs: challengePairs(alg) });
  return d;
}

/** The target's mutual answer to the initiator's CHAP_I/CHAP_C in the last request. */
export function mutualAnswer(d: LoginDriver, secret = MUTUAL.secretIn!, hash = 'md5'): Pair[] {
  const id = Number(valueIn(d.last, 'CHAP_I'));
  const challenge = Buffer.from(valueIn(d.last, 'CHAP_C').slice(2), 'hex');
  return [
    ['CHAP_N', MUTUAL.usernameIn!],
    ['CHAP_R', chapDigest(hash, id, secret, challenge)],
  ];
}

/** Deterministic PRNG (mulberry32) for the fuzz tests. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
