/**
 * SecurityNegotiation, CHAP exchange (RFC 7143 §12.1.3, §9.2, §9.2.1; RFC 1994). Target
 * responses are hand-written key lists; expected digests come from node:crypto directly.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, IscsiError } from '../../../src/shared/errors.js';
import { ChallengeRegistry, SecurityNegotiation, type ChapAlgorithm, type ChapConfig, type TextPair } from '../../../src/iscsi/security.js';
import {
  counterRandom,
  expectAuthFailed,
  expectCode,
  expectMalformed,
  expectedResponse,
  hexValue,
  scriptedRandom,
  valueOf,
} from './helpers.js';

const ONE_WAY: ChapConfig = { username: 'tsiscsi-user', secret: 'initiator-secret-1' };
const MUTUAL: ChapConfig = { ...ONE_WAY, usernameIn: 'target-user', secretIn: 'target-secret-22' };
const CHALLENGE = Buffer.from('a1b2c3d4e5f60718293a4b5c6d7e8f90', 'hex');
const HASH: Record<ChapAlgorithm, string> = { 5: 'md5', 6: 'sha1', 7: 'sha256', 8: 'sha3-256' };

interface Setup {
  chap?: ChapConfig;
  random?: (n: number) => Buffer;
  registry?: ChallengeRegistry;
  challengeLength?: number;
}

/** A negotiation that has offered CHAP and sent CHAP_A (waiting for the target's challenge). */
function atChallenge(setup: Setup = {}): SecurityNegotiation {
  const s = new SecurityNegotiation({ chap: ONE_WAY, random: counterRandom(), ...setup });
  s.start();
  s.receive([['AuthMethod', 'CHAP']]);
  return s;
}

function challengeKeys(a = '5', i = '7', c = `0x${CHALLENGE.toString('hex')}`): TextPair[] {
  return [
    ['CHAP_A', a],
    ['CHAP_I', i],
    ['CHAP_C', c],
  ];
}

/** Run to the point where we sent our mutual challenge; returns what the target needs to answer. */
function atMutual(setup: Setup = {}, alg: ChapAlgorithm = 5) {
  const s = atChallenge({ chap: MUTUAL, ...setup });
  const { reply, done } = s.receive(challengeKeys(String(alg)));
  const id = Number(valueOf(reply, 'CHAP_I'));
  const challenge = hexValue(valueOf(reply, 'CHAP_C'));
  const answer = (secret: string, name = 'target-user'): TextPair[] => [
    ['CHAP_N', name],
    ['CHAP_R', `0x${expectedResponse(HASH[alg], id, secret, challenge).toString('hex')}`],
  ];
  return { s, reply, done, id, challenge, answer };
}

describe('security stage: CHAP', () => {
  it('H-07 aborts when the target picks a CHAP_A that was not offered', () => {
    expectAuthFailed(() => atChallenge().receive(challengeKeys('6')), 'CHAP_A_NOT_OFFERED');
    const noMd5 = atChallenge({ chap: { ...ONE_WAY, algorithms: [6] } });
    expectAuthFailed(() => noMd5.receive(challengeKeys('5')), 'CHAP_A_NOT_OFFERED');
    expectAuthFailed(() => atChallenge().receive(challengeKeys('Reject')), 'CHAP_A_REJECT');
    expectMalformed(() => atChallenge().receive(challengeKeys('5,6')), 'CHAP_A_MALFORMED');
  });

  it('H-08 aborts when CHAP_A, CHAP_I or CHAP_C is missing', () => {
    const without = (key: string) => challengeKeys().filter(([k]) => k !== key);
    expectAuthFailed(() => atChallenge().receive(without('CHAP_A')), 'CHAP_A_MISSING');
    expectAuthFailed(() => atChallenge().receive(without('CHAP_I')), 'CHAP_I_MISSING');
    expectAuthFailed(() => atChallenge().receive(without('CHAP_C')), 'CHAP_C_MISSING');
    expectAuthFailed(() => atChallenge().receive([]), 'CHAP_A_MISSING');
  });

  it('H-08 aborts on CHAP_I=abc, CHAP_I=256 and a CHAP_C without 0x/0b prefix', () => {
    expectMalformed(() => atChallenge().receive(challengeKeys('5', 'abc')), 'CHAP_I_MALFORMED');
    expectMalformed(() => atChallenge().receive(challengeKeys('5', '256')), 'CHAP_I_RANGE');
    expectMalformed(() => atChallenge().receive(challengeKeys('5', '7', CHALLENGE.toString('hex'))), 'CHAP_C_MALFORMED');
    expectMalformed(() => atChallenge().receive(challengeKeys('5', '7', '0xzz')), 'CHAP_C_MALFORMED');
  });

  it('H-09 accepts a 1024-byte CHAP_C and aborts on 1025 bytes', () => {
    const big = Buffer.alloc(1024, 0x5a);
    const { reply } = atChallenge().receive(challengeKeys('5', '7', `0x${big.toString('hex')}`));
    expect(hexValue(valueOf(reply, 'CHAP_R')).equals(expectedResponse('md5', 7, ONE_WAY.secret, big))).toBe(true);
    expectMalformed(() => atChallenge().receive(challengeKeys('5', '7', `0x${Buffer.alloc(1025).toString('hex')}`)), 'CHAP_C_TOO_LONG');
  });

  it('H-10 aborts on a zero-length CHAP_C', () => {
    expectMalformed(() => atChallenge().receive(challengeKeys('5', '7', '0x')), 'CHAP_C_EMPTY');
    expectMalformed(() => atChallenge().receive(challengeKeys('5', '7', '0b')), 'CHAP_C_EMPTY');
  });

  it('H-11 CHAP_R is H(id, secret, decoded challenge) as 0x hex, whatever the challenge encoding', () => {
    const want = expectedResponse('md5', 7, ONE_WAY.secret, CHALLENGE);
    const hex = atChallenge().receive(challengeKeys());
    expect(valueOf(hex.reply, 'CHAP_R')).toBe(`0x${want.toString('hex')}`);
    const b64 = atChallenge().receive(challengeKeys('5', '7', `0b${CHALLENGE.toString('base64')}`));
    expect(valueOf(b64.reply, 'CHAP_R')).toBe(`0x${want.toString('hex')}`);
    const hexId = atChallenge().receive(challengeKeys('5', '0x07', `0X${CHALLENGE.toString('hex').toUpperCase()}`));
    expect(valueOf(hexId.reply, 'CHAP_R')).toBe(`0x${want.toString('hex')}`);
    // Other algorithms use their own digests.
    for (const alg of [6, 7, 8] as const) {
      const s = atChallenge({ chap: { ...ONE_WAY, algorithms: [alg] } });
      const r = hexValue(valueOf(s.receive(challengeKeys(String(alg))).reply, 'CHAP_R'));
      expect(r.equals(expectedResponse(HASH[alg], 7, ONE_WAY.secret, CHALLENGE)), `alg ${alg}`).toBe(true);
    }
  });

  it('H-12 sends the configured CHAP username (not the iSCSI name) and is then done', () => {
    const s = atChallenge({ chap: { ...ONE_WAY, username: 'backup-operator' } });
    const { reply, done } = s.receive(challengeKeys());
    expect(reply.map(([k]) => k)).toEqual(['CHAP_N', 'CHAP_R']);
    expect(valueOf(reply, 'CHAP_N')).toBe('backup-operator');
    expect(done).toBe(true);
    expect(s.algorithm).toBe(5);
    // Target transits (T=1) with no further security keys.
    expect(s.receive([])).toEqual({ reply: [], done: true });
    expect(() => s.finish()).not.toThrow();
  });

  it('H-14 mutual: sends a fresh random CHAP_I and CHAP_C with CHAP_N/CHAP_R, never the target challenge', () => {
    // The random source first offers the target's own challenge back: it must not be used.
    const random = scriptedRandom([Buffer.of(0x99), Buffer.from(CHALLENGE), Buffer.alloc(16, 0x33)]);
    const { reply, done, id, challenge } = atMutual({ random });
    expect(reply.map(([k]) => k)).toEqual(['CHAP_N', 'CHAP_R', 'CHAP_I', 'CHAP_C']);
    expect(done).toBe(true);
    expect(id).toBe(0x99);
    expect(challenge.equals(CHALLENGE)).toBe(false);
    expect(challenge.equals(Buffer.alloc(16, 0x33))).toBe(true);
    // A second connection draws a new identifier and challenge.
    const other = atMutual({ random: counterRandom(0x10) });
    expect(other.challenge.equals(challenge)).toBe(false);
    expect(other.id).not.toBe(id);
  });

  it('H-14 mutual: a correct target CHAP_N/CHAP_R completes the stage', () => {
    for (const alg of [5, 6, 7, 8] as const) {
      const { s, answer } = atMutual({ chap: { ...MUTUAL, algorithms: [alg] } }, alg);
      expect(s.receive(answer(MUTUAL.secretIn!))).toEqual({ reply: [], done: true });
      expect(() => s.finish()).not.toThrow();
    }
  });

  it('H-15 fails when the target answers with what our own outgoing secret gives', () => {
    const { s, answer } = atMutual();
    expectAuthFailed(() => s.receive(answer(MUTUAL.secret)), 'SAME_SECRET_REFLECTED');
  });

  it('H-16 refuses a configuration with the same secret both ways', () => {
    expectCode(() => new SecurityNegotiation({ chap: { ...MUTUAL, secretIn: MUTUAL.secret }, random: counterRandom() }), 'CHAP_SAME_SECRET');
  });

  it('H-17 refuses, without answering, a target challenge we issued on another open connection', () => {
    const registry = new ChallengeRegistry();
    const conn1 = atMutual({ registry, random: counterRandom(0x20) });
    const conn2 = atChallenge({ chap: MUTUAL, registry, random: counterRandom(0x80) });
    const reflected = challengeKeys('5', '9', `0x${conn1.challenge.toString('hex')}`);
    expectAuthFailed(() => conn2.receive(reflected), 'CHALLENGE_REFLECTED');
    // Once connection 1 is gone, that value is an ordinary challenge again.
    conn1.s.dispose();
    conn1.s.dispose(); // idempotent
    expect(registry.size).toBe(0);
    const conn3 = atChallenge({ chap: MUTUAL, registry, random: counterRandom(0x80) });
    expect(valueOf(conn3.receive(reflected).reply, 'CHAP_N')).toBe('tsiscsi-user');
  });

  it('H-18 fails when the target CHAP_N differs from the configured incoming username', () => {
    const { s, answer } = atMutual();
    expectAuthFailed(() => s.receive(answer(MUTUAL.secretIn!, 'someone-else')), 'TARGET_NAME_MISMATCH');
    const { s: s2, answer: answer2 } = atMutual();
    expectAuthFailed(() => s2.receive(answer2(MUTUAL.secretIn!, 'TARGET-USER')), 'TARGET_NAME_MISMATCH');
  });

  it('H-19 fails on a wrong, wrong-length or missing target CHAP_R', () => {
    const wrong = atMutual();
    expectAuthFailed(() => wrong.s.receive(wrong.answer('not-the-secret-1')), 'MUTUAL_RESPONSE_WRONG');

    const short = atMutual();
    expectAuthFailed(() => short.s.receive([['CHAP_N', 'target-user'], ['CHAP_R', `0x${'00'.repeat(20)}`]]), 'MUTUAL_RESPONSE_LENGTH');

    const nameOnly = atMutual();
    expectAuthFailed(() => nameOnly.s.receive([['CHAP_N', 'target-user']]), 'MUTUAL_RESPONSE_MISSING');

    const responseOnly = atMutual();
    expectAuthFailed(() => responseOnly.s.receive([responseOnly.answer(MUTUAL.secretIn!)[1]!]), 'MUTUAL_NAME_MISSING');

    // Target leaves the security stage without CHAP_N/CHAP_R: never reach the operational stage.
    const silent = atMutual();
    expect(silent.s.receive([])).toEqual({ reply: [], done: true });
    expectAuthFailed(() => silent.s.finish(), 'MUTUAL_RESPONSE_MISSING');

    const malformed = atMutual();
    expectMalformed(() => malformed.s.receive([['CHAP_N', 'target-user'], ['CHAP_R', 'abcdef']]), 'CHAP_R_MALFORMED');
  });

  it('H-20 aborts on CHAP_N/CHAP_R when mutual CHAP was not requested, and on keys out of step', () => {
    const oneWay = atChallenge();
    oneWay.receive(challengeKeys());
    expectAuthFailed(() => oneWay.receive([['CHAP_N', 'target-user'], ['CHAP_R', '0x00']]), 'MUTUAL_NOT_REQUESTED');

    const again = atChallenge();
    again.receive(challengeKeys());
    expectAuthFailed(() => again.receive(challengeKeys()), 'CHAP_KEY_OUT_OF_ORDER');

    // CHAP_R together with the challenge, i.e. before our own response.
    expectAuthFailed(() => atChallenge().receive([...challengeKeys(), ['CHAP_R', '0x00']]), 'CHAP_KEY_OUT_OF_ORDER');
    expectAuthFailed(() => atChallenge({ chap: MUTUAL }).receive([...challengeKeys(), ['CHAP_N', 'target-user']]), 'CHAP_KEY_OUT_OF_ORDER');

    const mutual = atMutual();
    expectAuthFailed(() => mutual.s.receive([...mutual.answer(MUTUAL.secretIn!), ['CHAP_C', '0x0102']]), 'CHAP_KEY_OUT_OF_ORDER');
    const done = atMutual();
    done.s.receive(done.answer(MUTUAL.secretIn!));
    expectAuthFailed(() => done.s.receive(done.answer(MUTUAL.secretIn!)), 'CHAP_KEY_OUT_OF_ORDER');
    expectAuthFailed(() => done.s.receive([['AuthMethod', 'CHAP']]), 'AUTHMETHOD_REPEATED');
  });

  it('H-21 refuses a secret under 12 bytes before any CHAP_R can be sent', () => {
    const err = expectCode(() => new SecurityNegotiation({ chap: { username: 'u', secret: 'elevenbytes' }, random: counterRandom() }), 'CHAP_SECRET_TOO_SHORT');
    expect(err).toBeInstanceOf(ConfigError);
    const allowed = atChallenge({ chap: { username: 'u', secret: 'short', allowShortSecret: true } });
    expect(hexValue(valueOf(allowed.receive(challengeKeys()).reply, 'CHAP_R')).equals(expectedResponse('md5', 7, 'short', CHALLENGE))).toBe(true);
  });

  it('H-22 reports tgtd-style SHA-1-as-7 with a distinct reason', () => {
    const chap: ChapConfig = { ...MUTUAL, algorithms: [7, 5] };
    const { s, id, challenge } = atMutual({ chap }, 7);
    // tgtd computes SHA-1 for CHAP_A=7: a 20-byte response.
    const sha1 = expectedResponse('sha1', id, MUTUAL.secretIn!, challenge);
    const err = expectAuthFailed(() => s.receive([['CHAP_N', 'target-user'], ['CHAP_R', `0x${sha1.toString('hex')}`]]), 'TGT_SHA1_AS_7');
    expect(err.details.sha1Matches).toBe(true);
    expect(s.algorithm).toBe(7);
  });

  it('H-25 issues 16-byte mutual challenges by default, up to 1024, and refuses lengths outside 16..1024', () => {
    expect(atMutual().challenge.length).toBe(16);
    expect(atMutual({ challengeLength: 1024 }).challenge.length).toBe(1024);
    for (const challengeLength of [15, 1025, 0, 16.5]) {
      const err = expectCode(() => new SecurityNegotiation({ chap: MUTUAL, random: counterRandom(), challengeLength }), 'CHAP_CHALLENGE_LENGTH');
      expect(err).toBeInstanceOf(ConfigError);
      expect(err.errno).toBe(7);
    }
  });

  it('refuses a random source that keeps repeating the target challenge', () => {
    const s = atChallenge({ chap: MUTUAL, random: () => Buffer.from(CHALLENGE) });
    const err = expectCode(() => s.receive(challengeKeys()), 'CHAP_RANDOM_FAILURE');
    expect(err).toBeInstanceOf(IscsiError);
  });

  it('secrets never appear in error messages or details', () => {
    const secrets = [MUTUAL.secret, MUTUAL.secretIn!];
    const failures: (() => unknown)[] = [
      () => atMutual().s.receive([['CHAP_N', 'target-user'], ['CHAP_R', `0x${'11'.repeat(16)}`]]),
      () => {
        const m = atMutual();
        return m.s.receive(m.answer(MUTUAL.secret));
      },
      () => {
        const m = atMutual({ chap: { ...MUTUAL, algorithms: [7] } }, 7);
        return m.s.receive([['CHAP_N', 'target-user'], ['CHAP_R', `0x${'22'.repeat(20)}`]]);
      },
      () => atMutual().s.finish(),
      () => atChallenge({ chap: MUTUAL }).receive(challengeKeys('6')),
      () => new SecurityNegotiation({ chap: { ...MUTUAL, secretIn: MUTUAL.secret }, random: counterRandom() }),
    ];
    for (const fail of failures) {
      let caught: unknown;
      try {
        fail();
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(IscsiError);
      const err = caught as IscsiError;
      const text = `${err.message} ${JSON.stringify(err.toJSON())} ${JSON.stringify(err.details)}`;
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
  });
});
