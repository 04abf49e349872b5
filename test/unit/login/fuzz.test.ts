/**
 * Login machine fuzz: random Login Responses (random flags, stages, statuses, numbering and
 * key=value text, mixed with plausible target steps so CHAP and the Operational stage are
 * reached) and the odd non-login PDU, fed at every step. Whatever comes in, the machine
 * must never throw, must fail only with a typed IscsiError that a peer can cause (never an
 * internal error), must only send well-formed requests, and must end within the exchange bound.
 */
import { describe, expect, it } from 'vitest';
import { LOGIN_MAX_SEGMENT } from '../../../src/iscsi/login/machine.js';
import { encodePdu, type LoginRequest, type TargetPdu } from '../../../src/iscsi/pdu/index.js';
import { ISCSI_ERR, IscsiError } from '../../../src/shared/errors.js';
import { textData } from '../../support/pdu-builder.js';
import {
  CHALLENGE,
  ISID,
  LoginDriver,
  MUTUAL,
  NORMAL_ANSWERS,
  ONE_WAY,
  challengePairs,
  keysOf,
  makeContext,
  mutualAnswer,
  prng,
  type Pair,
  type ResponseSpec,
  type Setup,
} from './helpers.js';

const KEYS = [
  'HeaderDigest', 'DataDigest', 'MaxRecvDataSegmentLength', 'MaxBurstLength', 'FirstBurstLength', 'InitialR2T', 'ImmediateData',
  'MaxConnections', 'DefaultTime2Wait', 'DefaultTime2Retain', 'ErrorRecoveryLevel', 'MaxOutstandingR2T', 'DataPDUInOrder',
  'DataSequenceInOrder', 'TargetAlias', 'TargetAddress', 'TargetPortalGroupTag', 'AuthMethod', 'CHAP_A', 'CHAP_I', 'CHAP_C',
  'CHAP_N', 'CHAP_R', 'CHAP_X', 'SessionType', 'InitiatorName', 'TargetName', 'IFMarker', 'OFMarkInt', 'iSCSIProtocolLevel',
  'TaskReporting', 'X-com.example.k', 'X#NodeArchitecture', 'SendTargets', 'RDMAExtensions', 'Unknown.Key', 'KRB_AP_REP',
];
const VALUES = [
  'None', 'CRC32C', 'CRC32C,None', 'Yes', 'No', '0', '1', '2', '7', '255', '256', '512', '511', '8192', '65536', '262144',
  '16777215', '16777216', '0x40000', '0X2', '0b', '0bAAE=', '0x', 'Reject', 'Irrelevant', 'NotUnderstood', 'CHAP', 'CHAP,None',
  'None,CHAP', 'SRP', '5', '5,7', 'abc', `0x${CHALLENGE.toString('hex')}`, 'target-user', 'a'.repeat(300), '192.0.2.1:3260,1',
  '[::1]:3260', '', 'RFC3720', '1~5', '-1', '99999999999999999999999',
];
const SETUPS: Setup[] = [
  {},
  { params: { useSecurityStage: true } },
  { chap: ONE_WAY },
  { chap: MUTUAL },
  { chap: { ...ONE_WAY, algorithms: [7, 5] } },
  { params: { sessionType: 'Discovery' } },
  { params: { tsih: 0x17, cid: 2 } },
  { params: { expectedTpgt: 1 } },
];

type Rand = () => number;
const pick = <T>(r: Rand, items: readonly T[]): T => items[Math.floor(r() * items.length)]!;
const chance = (r: Rand, p: number): boolean => r() < p;
const u32 = (r: Rand): number => Math.floor(r() * 0x1_0000_0000) >>> 0;

function randomData(r: Rand): Buffer {
  const n = r();
  if (n < 0.35) return Buffer.alloc(0);
  if (n < 0.5) return Buffer.from(Array.from({ length: Math.floor(r() * 64) }, () => Math.floor(r() * 256)));
  const pairs: Pair[] = Array.from({ length: 1 + Math.floor(r() * 5) }, (): Pair => [pick(r, KEYS), pick(r, VALUES)]);
  const text = textData(pairs);
  return n < 0.6 ? text.subarray(0, Math.max(0, text.length - 1 - Math.floor(r() * 4))) : text;
}

/** A step a well-behaved target might take next, judged from our last request. */
function plausible(d: LoginDriver, r: Rand): ResponseSpec {
  const keys = keysOf(d.last);
  if (d.last.cont) return {};
  if (keys.includes('AuthMethod')) return { pairs: [['AuthMethod', pick(r, ['CHAP', 'None', 'CHAP,None'])]] };
  if (keys.includes('CHAP_A')) return { pairs: challengePairs(pick(r, ['5', '7'])) };
  if (keys.includes('CHAP_C')) return { transit: true, nsg: 1, pairs: mutualAnswer(d) };
  if (d.last.csg === 0) return { transit: true, nsg: 1 };
  return { transit: true, nsg: 3, tsih: d.last.tsih || 0x21, pairs: chance(r, 0.5) ? NORMAL_ANSWERS : [] };
}

/** Random overrides of a response to our last request: each field is wrong now and then. */
function randomSpec(d: LoginDriver, r: Rand): ResponseSpec {
  const spec: ResponseSpec = chance(r, 0.5) ? plausible(d, r) : { data: randomData(r) };
  if (chance(r, 0.3)) spec.transit = chance(r, 0.5);
  if (chance(r, 0.2)) spec.nsg = Math.floor(r() * 4);
  if (chance(r, 0.1)) spec.cont = chance(r, 0.5);
  if (chance(r, 0.05)) spec.csg = Math.floor(r() * 4);
  if (chance(r, 0.04)) {
    const addresses = Array.from({ length: Math.floor(r() * 3) }, (): Pair => ['TargetAddress', pick(r, ['192.0.2.1:3260', '[::1]:3261,1'])]);
    return { statusClass: 1, statusDetail: pick(r, [1, 2, 9]), pairs: addresses };
  }
  if (chance(r, 0.1)) spec.statusClass = pick(r, [0, 1, 2, 3, 4, Math.floor(r() * 256)]);
  if (chance(r, 0.1)) spec.statusDetail = Math.floor(r() * 256);
  if (chance(r, 0.03)) spec.itt = u32(r);
  if (chance(r, 0.03)) spec.isid = Buffer.from([0x80, 1, 2, 3, 4, Math.floor(r() * 256)]);
  if (chance(r, 0.1)) spec.tsih = Math.floor(r() * 0x10000);
  if (chance(r, 0.05)) spec.versionActive = Math.floor(r() * 3);
  if (chance(r, 0.05)) spec.versionMax = Math.floor(r() * 256);
  if (chance(r, 0.1)) spec.statSN = u32(r);
  return spec;
}

function randomOther(r: Rand): TargetPdu {
  const lun = Buffer.alloc(8);
  return pick<TargetPdu>(r, [
    { kind: 'nop-in', lun, itt: 0xffffffff, ttt: u32(r), statSN: u32(r), expCmdSN: 1, maxCmdSN: 1, data: Buffer.alloc(0) },
    { kind: 'reject', reason: 0x0b, statSN: u32(r), expCmdSN: 1, maxCmdSN: 1, dataSN: 0, data: Buffer.alloc(48) },
    {
      kind: 'async-message', lun, statSN: 0, expCmdSN: 1, maxCmdSN: 1, asyncEvent: 3, asyncVCode: 0,
      parameter1: 0, parameter2: 2, parameter3: 20, data: Buffer.alloc(0),
    },
  ]);
}

/** Wire rules every request must keep, whatever the target did. */
function checkRequest(req: LoginRequest, first: LoginRequest): void {
  expect(() => encodePdu(req)).not.toThrow();
  expect(req.data.length).toBeLessThanOrEqual(LOGIN_MAX_SEGMENT);
  expect([0, 1]).toContain(req.csg);
  if (req.cont) expect(req.transit).toBe(false);
  if (req.transit) expect(req.nsg > req.csg && (req.nsg === 1 || req.nsg === 3)).toBe(true);
  else expect(req.nsg).toBe(0);
  expect([req.itt, req.cid, req.tsih, req.cmdSN, req.versionMax, req.versionMin]).toEqual([
    first.itt, first.cid, first.tsih, first.cmdSN, 0, 0,
  ]);
  expect(req.isid.equals(ISID)).toBe(true);
}

/** Every failure is a typed error a peer can cause; never a wrapped bug or an internal one. */
function checkFailures(d: LoginDriver): void {
  for (const e of d.effects) {
    expect(['send', 'complete', 'redirect', 'fail', 'warn']).toContain(e.type);
    if (e.type !== 'fail') continue;
    expect(e.error).toBeInstanceOf(IscsiError);
    expect(e.error.code).toMatch(/^[A-Z0-9_]+$/);
    expect(e.error.code).not.toBe('LOGIN_INTERNAL');
    expect(e.error.errno, `${e.error.code}: ${e.error.message}`).not.toBe(ISCSI_ERR.INTERNAL);
  }
}

/** One fuzzed login; returns how it ended (`done`, `redirected` or the failure code). */
function runOne(seed: number): string {
  const r = prng(seed);
  const maxExchanges = 2 + Math.floor(r() * 12);
  const setup = pick(r, SETUPS);
  const d = new LoginDriver(makeContext({ ...setup, params: { ...setup.params, maxExchanges } }), { statSN: u32(r) });
  d.start();
  let responses = 0;
  while (d.state.phase === 'exchanging') {
    expect(responses, `seed ${seed}: the login must end within its exchange bound`).toBeLessThanOrEqual(maxExchanges);
    d.feed(chance(r, 0.03) ? randomOther(r) : d.response(randomSpec(d, r)));
    responses++;
  }
  const end = d.state.phase === 'failed' ? d.failure!.code : d.state.phase;
  // Feeding a finished machine only ever yields a failure, never a request.
  const after = d.feed(d.response(randomSpec(d, r)));
  expect(after.effects.map((e) => e.type)).toEqual(['fail']);
  checkFailures(d);
  const first = d.sent[0];
  for (const req of d.sent) checkRequest(req, first!);
  return end;
}

describe('login machine fuzz', () => {
  it('random Login Responses at every step yield only typed failures, well-formed requests and a bounded exchange', () => {
    const outcomes = new Map<string, number>();
    for (let seed = 1; seed <= 3000; seed++) {
      const end = runOne(seed);
      outcomes.set(end, (outcomes.get(end) ?? 0) + 1);
    }
    // Every kind of end was reached, so the fuzz explored more than the first response.
    expect([...outcomes.keys()]).toEqual(expect.arrayContaining(['done', 'redirected']));
  });

  it('random Login Responses reach deep states: completed, redirected and failed logins all occur', () => {
    const seen = new Set<string>();
    let completedWithChap = 0;
    for (let seed = 5001; seed <= 6500; seed++) {
      const r = prng(seed);
      const d = new LoginDriver(makeContext({ chap: pick(r, [ONE_WAY, MUTUAL]) }));
      d.start();
      while (d.state.phase === 'exchanging') d.feed(d.response(chance(r, 0.85) ? plausible(d, r) : randomSpec(d, r)));
      seen.add(d.state.phase);
      if (d.state.phase === 'done') completedWithChap++;
      checkFailures(d);
    }
    expect([...seen].sort()).toEqual(['done', 'failed', 'redirected']);
    expect(completedWithChap).toBeGreaterThan(10);
  });
});
