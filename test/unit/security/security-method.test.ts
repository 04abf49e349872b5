/**
 * SecurityNegotiation, AuthMethod step (RFC 7143 §12.1, §6.2.1, §9.2). The "target" is a
 * hand-written list of keys per Login Response.
 */
import { describe, expect, it } from 'vitest';
import { SecurityNegotiation, type ChapConfig } from '../../../src/iscsi/security.js';
import { counterRandom, expectAuthFailed, expectCode } from './helpers.js';

const ONE_WAY: ChapConfig = { username: 'tsiscsi-user', secret: 'initiator-secret-1' };

function chapNegotiation(chap: ChapConfig = ONE_WAY): SecurityNegotiation {
  const s = new SecurityNegotiation({ chap, random: counterRandom() });
  s.start();
  return s;
}

function noneNegotiation(): SecurityNegotiation {
  const s = new SecurityNegotiation({ random: counterRandom() });
  s.start();
  return s;
}

describe('security stage: AuthMethod', () => {
  it('H-01 offers AuthMethod=CHAP without None when CHAP is configured, else AuthMethod=None', () => {
    const chap = new SecurityNegotiation({ chap: ONE_WAY, random: counterRandom() });
    expect(chap.start()).toEqual([['AuthMethod', 'CHAP']]);
    expect(chap.done).toBe(false);

    const none = new SecurityNegotiation({ random: counterRandom() });
    expect(none.start()).toEqual([['AuthMethod', 'None']]);
    expect(none.done).toBe(true);
    expect(none.receive([['AuthMethod', 'None']])).toEqual({ reply: [], done: true });
    expect(() => none.finish()).not.toThrow();
  });

  it('H-01 without credentials a target that transits without answering AuthMethod is accepted', () => {
    const none = noneNegotiation();
    expect(none.receive([['TargetPortalGroupTag', '1']])).toEqual({ reply: [], done: true });
    expect(() => none.finish()).not.toThrow();
  });

  it('H-02 aborts when the target selects a method that was not offered', () => {
    expectAuthFailed(() => chapNegotiation().receive([['AuthMethod', 'SRP']]), 'METHOD_NOT_OFFERED');
    expectAuthFailed(() => chapNegotiation().receive([['AuthMethod', 'KRB5']]), 'METHOD_NOT_OFFERED');
    expectAuthFailed(() => noneNegotiation().receive([['AuthMethod', 'CHAP']]), 'METHOD_NOT_OFFERED');
  });

  it('H-03 fails the login when the target answers AuthMethod=Reject', () => {
    expectAuthFailed(() => chapNegotiation().receive([['AuthMethod', 'Reject']]), 'AUTHMETHOD_REJECT');
    expectAuthFailed(() => noneNegotiation().receive([['AuthMethod', 'Reject']]), 'AUTHMETHOD_REJECT');
  });

  it('H-04 refuses AuthMethod=None from the target when CHAP is configured (downgrade)', () => {
    expectAuthFailed(() => chapNegotiation().receive([['AuthMethod', 'None']]), 'DOWNGRADE_TO_NONE');
  });

  it('H-04 refuses a target that leaves the security stage before CHAP is done', () => {
    // Transit straight after our AuthMethod=CHAP offer, without any answer.
    expectAuthFailed(() => chapNegotiation().finish(), 'AUTH_INCOMPLETE');
    // Transit after selecting CHAP, before the challenge (and even with AuthMethod=CHAP in the transit response).
    const selected = chapNegotiation();
    selected.receive([['AuthMethod', 'CHAP']]);
    expectAuthFailed(() => selected.finish(), 'AUTH_INCOMPLETE');
    const sameResponse = chapNegotiation();
    expect(sameResponse.receive([['AuthMethod', 'CHAP']]).reply).toEqual([['CHAP_A', '5']]);
    expectAuthFailed(() => sameResponse.finish(), 'AUTH_INCOMPLETE');
  });

  it('H-05 answers a target proposal AuthMethod=CHAP,None with CHAP and CHAP_A in the same request', () => {
    expect(chapNegotiation().receive([['AuthMethod', 'CHAP,None']])).toEqual({
      reply: [
        ['AuthMethod', 'CHAP'],
        ['CHAP_A', '5'],
      ],
      done: false,
    });
    // The target's order does not make us pick None when CHAP is required.
    expect(chapNegotiation().receive([['AuthMethod', 'None,CHAP']]).reply).toEqual([
      ['AuthMethod', 'CHAP'],
      ['CHAP_A', '5'],
    ]);
    // Without credentials we pick None from the target's list.
    expect(noneNegotiation().receive([['AuthMethod', 'CHAP,None']])).toEqual({ reply: [['AuthMethod', 'None']], done: true });
    expectAuthFailed(() => chapNegotiation().receive([['AuthMethod', 'SRP,None']]), 'NO_COMMON_METHOD');
    expectAuthFailed(() => noneNegotiation().receive([['AuthMethod', 'SRP,CHAP']]), 'NO_COMMON_METHOD');
  });

  it('H-06 offers CHAP_A in configured preference order, default 5 alone (S-07)', () => {
    expect(chapNegotiation().receive([['AuthMethod', 'CHAP']])).toEqual({ reply: [['CHAP_A', '5']], done: false });
    const ordered = chapNegotiation({ ...ONE_WAY, algorithms: [7, 6, 5] });
    expect(ordered.receive([['AuthMethod', 'CHAP']]).reply).toEqual([['CHAP_A', '7,6,5']]);
    // The configuration is honoured even without MD5 (e.g. FIPS hosts).
    const noMd5 = chapNegotiation({ ...ONE_WAY, algorithms: [8, 6] });
    expect(noMd5.receive([['AuthMethod', 'CHAP']]).reply).toEqual([['CHAP_A', '8,6']]);
  });

  it('H-20 aborts on CHAP keys that arrive before their step', () => {
    // CHAP_R before CHAP_A: with the AuthMethod answer.
    expectAuthFailed(
      () =>
        chapNegotiation().receive([
          ['AuthMethod', 'CHAP'],
          ['CHAP_R', '0x00112233'],
        ]),
      'CHAP_KEY_OUT_OF_ORDER',
    );
    // A challenge before we sent CHAP_A.
    expectAuthFailed(
      () =>
        chapNegotiation().receive([
          ['AuthMethod', 'CHAP'],
          ['CHAP_A', '5'],
          ['CHAP_I', '1'],
          ['CHAP_C', '0x0102'],
        ]),
      'CHAP_KEY_OUT_OF_ORDER',
    );
    // CHAP keys when no CHAP was negotiated.
    const none = noneNegotiation();
    none.receive([['AuthMethod', 'None']]);
    expectAuthFailed(() => none.receive([['CHAP_A', '5']]), 'CHAP_KEY_OUT_OF_ORDER');
    expectAuthFailed(() => noneNegotiation().receive([['CHAP_N', 'x']]), 'CHAP_KEY_OUT_OF_ORDER');
  });

  it('AuthMethod answers must be present, single and not repeated', () => {
    expectAuthFailed(() => chapNegotiation().receive([]), 'AUTHMETHOD_MISSING');
    expectAuthFailed(
      () =>
        chapNegotiation().receive([
          ['AuthMethod', 'CHAP'],
          ['AuthMethod', 'CHAP'],
        ]),
      'DUPLICATE_KEY',
    );
    const s = chapNegotiation();
    s.receive([['AuthMethod', 'CHAP']]);
    expectAuthFailed(() => s.receive([['AuthMethod', 'CHAP']]), 'AUTHMETHOD_REPEATED');
    expectAuthFailed(() => chapNegotiation().receive([['CHAP_X', '1']]), 'CHAP_KEY_UNKNOWN');
  });

  it('ignores keys other than AuthMethod and CHAP_* (the login machine handles them)', () => {
    expect(
      chapNegotiation().receive([
        ['TargetPortalGroupTag', '1'],
        ['TargetAlias', 'disk'],
        ['AuthMethod', 'CHAP'],
      ]),
    ).toEqual({ reply: [['CHAP_A', '5']], done: false });
  });

  it('refuses calls out of order and a second start()', () => {
    const s = new SecurityNegotiation({ random: counterRandom() });
    expectCode(() => s.receive([]), 'SECURITY_NOT_STARTED');
    expectCode(() => s.finish(), 'SECURITY_NOT_STARTED');
    s.start();
    expectCode(() => s.start(), 'SECURITY_ALREADY_STARTED');
  });
});
