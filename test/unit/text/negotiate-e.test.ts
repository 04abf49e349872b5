/**
 * Checklist section E (text format and negotiation rules) and the D rules on
 * keys (D-13, D-14, D-16, D-17), against OperationalNegotiation.
 */
import { describe, expect, it } from 'vitest';
import { IscsiError } from '../../../src/shared/errors.js';
import { decodeText, TextAssembler, type TextPair } from '../../../src/iscsi/text/codec.js';
import { defaultOffer, OperationalNegotiation, type OperationalOffer } from '../../../src/iscsi/text/negotiate.js';
import { TEXT_ERR } from '../../../src/iscsi/text/text-errors.js';
import { answersWith, keysOf, NORMAL_ANSWERS, thrownCode } from './helpers.js';

function start(offer: Partial<OperationalOffer> = {}, leading = true): { n: OperationalNegotiation; offered: TextPair[] } {
  const n = new OperationalNegotiation({ ...defaultOffer('Normal'), ...offer }, { leading });
  return { n, offered: n.offer() };
}

/** A negotiation whose offer has not been sent: every key from the target is a proposal. */
function fresh(offer: Partial<OperationalOffer> = {}): OperationalNegotiation {
  return new OperationalNegotiation({ ...defaultOffer('Normal'), ...offer }, { leading: true });
}

describe('E: text negotiation rules', () => {
  it('E-01 case-sensitive values: "yes" / "crc32c" are protocol errors; we send exact spellings', () => {
    const { offered } = start({ headerDigest: ['CRC32C', 'None'] });
    const values = new Map(offered);
    expect(values.get('HeaderDigest')).toBe('CRC32C,None');
    expect(values.get('InitialR2T')).toBe('No');
    expect(values.get('ImmediateData')).toBe('Yes');
    expect(thrownCode(() => start().n.receive(answersWith('ImmediateData', 'yes'), 1))).toBe(TEXT_ERR.VALUE_SYNTAX);
    const crc = start({ headerDigest: ['CRC32C', 'None'] }).n;
    expect(thrownCode(() => crc.receive(answersWith('HeaderDigest', 'crc32c'), 1))).toBe(TEXT_ERR.UNOFFERED_VALUE);
  });

  it('E-02 parses numbers sent as hex constants', () => {
    const { n } = start({ maxBurstLength: 1048576 });
    const answers = answersWith('DefaultTime2Wait', '0X2', answersWith('MaxBurstLength', '0x40000'));
    expect(n.receive(answers, 1)).toEqual([]);
    expect(n.result()).toMatchObject({ maxBurstLength: 262144, defaultTime2Wait: 2 });
  });

  it('E-03 accepts a base64 or hex binary TargetPortalGroupTag', () => {
    const a = start().n;
    a.receive([['TargetPortalGroupTag', '0bAAE=']], 0);
    a.receive(NORMAL_ANSWERS, 1);
    expect(a.result().targetPortalGroupTag).toBe(1);
    const b = start().n;
    b.receive([['TargetPortalGroupTag', '0x0002']], 0);
    b.receive(NORMAL_ANSWERS, 1);
    expect(b.result().targetPortalGroupTag).toBe(2);
  });

  it('E-04 flags a 300-byte TargetAlias (no key-specific length) and accepts 255 bytes', () => {
    expect(thrownCode(() => start().n.receive([['TargetAlias', 'a'.repeat(300)]], 0))).toBe(TEXT_ERR.VALUE_TOO_LONG);
    const { n } = start();
    n.receive([['TargetAlias', 'a'.repeat(255)]], 0);
    n.receive(NORMAL_ANSWERS, 1);
    expect(n.result().targetAlias).toBe('a'.repeat(255));
  });

  it('E-05 handles 8192 bytes of key=value data in one response', () => {
    let text = '';
    for (let i = 0; i < 128; i++) text += `X-com.example.k${String(i).padStart(3, '0')}=${'v'.repeat(44)}\0`;
    text += 'TargetAlias=big\0';
    const data = Buffer.from(text, 'latin1');
    expect(data.length).toBeGreaterThan(8192);
    const asm = new TextAssembler();
    let whole: Buffer | undefined;
    for (let off = 0; off < data.length; off += 8192) whole = asm.push(data.subarray(off, off + 8192), off + 8192 < data.length);
    const replies = start().n.receive(decodeText(whole!, 'LoginResponse.data'), 1);
    expect(replies).toHaveLength(128);
    expect(replies.every(([, v]) => v === 'NotUnderstood')).toBe(true);
  });

  it('E-06 answers key=NotUnderstood to unknown keys (private or future public)', () => {
    const { n } = start();
    expect(n.receive([['X-com.example.foo', '1'], ['FuturePublicKey', 'Yes'], ...NORMAL_ANSWERS], 1)).toEqual([
      ['X-com.example.foo', 'NotUnderstood'],
      ['FuturePublicKey', 'NotUnderstood'],
    ]);
  });

  it('E-07 NotUnderstood on an RFC 7143 key is a protocol error', () => {
    expect(thrownCode(() => start().n.receive(answersWith('ImmediateData', 'NotUnderstood'), 1))).toBe(TEXT_ERR.BAD_NOT_UNDERSTOOD);
    expect(thrownCode(() => start().n.receive(answersWith('MaxRecvDataSegmentLength', 'NotUnderstood'), 1))).toBe(
      TEXT_ERR.BAD_NOT_UNDERSTOOD,
    );
  });

  it('E-08 NotUnderstood on a later key (iSCSIProtocolLevel, X#NodeArchitecture) concludes it; login goes on', () => {
    const { n, offered } = start({ iSCSIProtocolLevel: 2, nodeArchitecture: 'tsiscsi/0.1' });
    expect(keysOf(offered)).toEqual(expect.arrayContaining(['iSCSIProtocolLevel', 'X#NodeArchitecture']));
    expect(n.receive([...NORMAL_ANSWERS, ['iSCSIProtocolLevel', 'NotUnderstood'], ['X#NodeArchitecture', 'NotUnderstood']], 1)).toEqual([]);
    expect(n.complete).toBe(true);
    expect(n.result().iSCSIProtocolLevel).toBe(1);
  });

  it('E-09 Reject / Irrelevant / NotUnderstood as a proposed value is a protocol error; we never propose them', () => {
    expect(thrownCode(() => fresh().receive([['MaxBurstLength', 'Reject']], 1))).toBe(TEXT_ERR.RESERVED_VALUE_MISUSE);
    expect(thrownCode(() => start().n.receive([['X-com.example.foo', 'Irrelevant']], 1))).toBe(TEXT_ERR.RESERVED_VALUE_MISUSE);
    expect(thrownCode(() => start().n.receive([['TargetAlias', 'NotUnderstood']], 1))).toBe(TEXT_ERR.RESERVED_VALUE_MISUSE);
    expect(thrownCode(() => start().n.receive([['IFMarker', 'Reject']], 1))).toBe(TEXT_ERR.RESERVED_VALUE_MISUSE);
    const { offered } = start({ iSCSIProtocolLevel: 1, nodeArchitecture: 'x' });
    expect(offered.some(([, v]) => ['Reject', 'Irrelevant', 'NotUnderstood'].includes(v))).toBe(false);
  });

  it('E-10 FirstBurstLength=Irrelevant (InitialR2T=Yes, ImmediateData=No) is not a failure', () => {
    const { n } = start({ initialR2T: true, immediateData: false });
    const answers = answersWith('FirstBurstLength', 'Irrelevant', answersWith('InitialR2T', 'Yes', answersWith('ImmediateData', 'No')));
    expect(n.receive(answers, 1)).toEqual([]);
    expect(n.complete).toBe(true);
    expect(n.result()).toMatchObject({ initialR2T: true, immediateData: false, firstBurstLength: 65536 });
  });

  it('E-11 Reject leaves the key at its default; a default we did not accept fails', () => {
    const { n } = start();
    n.receive(answersWith('MaxBurstLength', 'Reject', answersWith('FirstBurstLength', '65536')), 1);
    expect(n.result().maxBurstLength).toBe(262144);
    const both = start({ headerDigest: ['CRC32C', 'None'] }).n;
    both.receive(answersWith('HeaderDigest', 'Reject'), 1);
    expect(both.result().headerDigest).toBe('None');
    const crcOnly = start({ headerDigest: ['CRC32C'] }).n;
    expect(thrownCode(() => crcOnly.receive(answersWith('HeaderDigest', 'Reject'), 1))).toBe(TEXT_ERR.UNACCEPTABLE_RESULT);
  });

  it('E-12 declaratives need no answer; unanswered negotiated keys keep defaults (no implicit acceptance)', () => {
    // tgtd with default settings: answers everything, declares no MaxRecvDataSegmentLength.
    const { n } = start();
    n.receive(answersWith('MaxRecvDataSegmentLength', undefined), 1);
    expect(n.complete).toBe(true);
    expect(n.result().maxXmitDataSegmentLength).toBe(8192);
    // DefaultTime2Retain=0 offered but never answered: the result is the default 20, not 0.
    const silent = start().n;
    silent.receive(answersWith('DefaultTime2Retain', undefined), 1);
    expect(silent.complete).toBe(false);
    silent.receive([], 1, { final: true });
    expect(silent.result().defaultTime2Retain).toBe(20);
  });

  it('E-13 answers a key the target proposes first with an admissible value per its result function', () => {
    const n = fresh();
    expect(n.receive([['MaxBurstLength', '65536'], ['DefaultTime2Wait', '1'], ['DefaultTime2Retain', '60']], 1)).toEqual([
      ['MaxBurstLength', '65536'], // Minimum(65536, ours 16776192)
      ['DefaultTime2Wait', '2'], // Maximum(1, ours 2)
      ['DefaultTime2Retain', '0'], // Minimum(60, ours 0)
    ]);
    expect(keysOf(n.offer())).not.toEqual(expect.arrayContaining(['MaxBurstLength']));
  });

  it('E-14 boolean proposals: answer optional only for AND=No and OR=Yes, otherwise required', () => {
    expect(fresh().receive([['InitialR2T', 'No']], 1)).toEqual([['InitialR2T', 'No']]);
    expect(fresh({ initialR2T: true }).receive([['InitialR2T', 'No']], 1)).toEqual([['InitialR2T', 'Yes']]);
    expect(fresh().receive([['ImmediateData', 'Yes']], 1)).toEqual([['ImmediateData', 'Yes']]);
    expect(fresh({ immediateData: false }).receive([['ImmediateData', 'Yes']], 1)).toEqual([['ImmediateData', 'No']]);
    const andNo = fresh();
    expect(andNo.receive([['ImmediateData', 'No'], ['DataPDUInOrder', 'Yes']], 1)).toEqual([]);
    andNo.offer();
    andNo.receive(answersWith('ImmediateData', undefined, answersWith('DataPDUInOrder', undefined)), 1);
    expect(andNo.result()).toMatchObject({ immediateData: false, dataPDUInOrder: true });
  });

  it('E-15 a list selection we did not offer is a protocol error', () => {
    expect(thrownCode(() => start().n.receive(answersWith('HeaderDigest', 'CRC32C'), 1))).toBe(TEXT_ERR.UNOFFERED_VALUE);
    expect(thrownCode(() => start().n.receive(answersWith('DataDigest', 'None,CRC32C'), 1))).toBe(TEXT_ERR.UNOFFERED_VALUE);
  });

  it('E-16 skips unknown values of a proposed list and picks the first one we support', () => {
    const proposal: TextPair[] = [['HeaderDigest', 'Y-com.x.foo,CRC32C,None']];
    expect(fresh({ headerDigest: ['None', 'CRC32C'] }).receive(proposal, 1)).toEqual([['HeaderDigest', 'CRC32C']]);
    expect(fresh({ headerDigest: ['None'] }).receive(proposal, 1)).toEqual([['HeaderDigest', 'None']]);
  });

  it('E-17 with nothing acceptable in a proposed list, answers Reject (None only if proposed)', () => {
    const n = fresh({ dataDigest: ['None'] });
    expect(n.receive([['DataDigest', 'Y-com.x.foo,CRC32C']], 1)).toEqual([['DataDigest', 'Reject']]);
    // Our policy requires CRC32C: a proposal of None alone is rejected, and None cannot stand.
    expect(thrownCode(() => fresh({ dataDigest: ['CRC32C'] }).receive([['DataDigest', 'None']], 1))).toBe(TEXT_ERR.UNACCEPTABLE_RESULT);
  });

  it('E-18 an inadmissible simple-value selection is a protocol error', () => {
    expect(thrownCode(() => start().n.receive(answersWith('MaxOutstandingR2T', '2'), 1))).toBe(TEXT_ERR.NEGOTIATION_VIOLATION);
    expect(thrownCode(() => start().n.receive(answersWith('DefaultTime2Wait', '1'), 1))).toBe(TEXT_ERR.NEGOTIATION_VIOLATION);
  });

  it('E-19 negotiated values are only available once the negotiation completes', () => {
    const { n } = start();
    n.receive([['MaxRecvDataSegmentLength', '512'], ['HeaderDigest', 'None']], 1);
    expect(n.complete).toBe(false);
    expect(thrownCode(() => n.result(), IscsiError)).toBe(TEXT_ERR.NEGOTIATION_INCOMPLETE);
    n.receive(answersWith('MaxRecvDataSegmentLength', undefined, answersWith('HeaderDigest', undefined)), 1);
    expect(n.complete).toBe(true);
    expect(n.result().maxXmitDataSegmentLength).toBe(512);
  });

  it('E-20 a discovery offer carries no private X- keys (X#NodeArchitecture is allowed)', () => {
    const n = new OperationalNegotiation({ ...defaultOffer('Discovery'), nodeArchitecture: 'tsiscsi/0.1' }, { leading: true });
    const keys = keysOf(n.offer());
    expect(keys.some((k) => k.startsWith('X-'))).toBe(false);
    expect(keys).toEqual([
      'HeaderDigest', 'DataDigest', 'DefaultTime2Wait', 'DefaultTime2Retain', 'ErrorRecoveryLevel',
      'MaxRecvDataSegmentLength', 'X#NodeArchitecture',
    ]);
  });
});

describe('D: keys and login stages', () => {
  it('D-13 an operational key in a Security-stage response is a protocol error (strict)', () => {
    expect(thrownCode(() => start().n.receive([['MaxBurstLength', '65536']], 0))).toBe(TEXT_ERR.KEY_NOT_ALLOWED_IN_STAGE);
    expect(thrownCode(() => start().n.receive([['CHAP_A', '5']], 1))).toBe(TEXT_ERR.KEY_NOT_ALLOWED_IN_STAGE);
    expect(thrownCode(() => start().n.receive([['SendTargets', 'All']], 1))).toBe(TEXT_ERR.KEY_NOT_ALLOWED_IN_STAGE);
    expect(start().n.receive([['TargetAlias', 'disk'], ['TargetPortalGroupTag', '1']], 0)).toEqual([]);
  });

  it('D-14 a T=1 response proposing a negotiable key we never offered fails the login', () => {
    expect(thrownCode(() => start().n.receive([...NORMAL_ANSWERS, ['iSCSIProtocolLevel', '2']], 1, { final: true }))).toBe(
      TEXT_ERR.PROPOSAL_IN_FINAL_RESPONSE,
    );
    expect(thrownCode(() => start().n.receive([['TaskReporting', 'ResponseFence,RFC3720']], 1, { final: true }))).toBe(
      TEXT_ERR.PROPOSAL_IN_FINAL_RESPONSE,
    );
    // Declarations and proposals whose answer is optional need no further request.
    const ok = fresh();
    expect(ok.receive([['ImmediateData', 'No'], ['TargetAlias', 't'], ['MaxRecvDataSegmentLength', '8192']], 1, { final: true })).toEqual([]);
  });

  it('D-14 answers that cannot matter (unknown keys, markers, irrelevant keys) are dropped after a T=1 response', () => {
    const { n } = start();
    const last: TextPair[] = [...NORMAL_ANSWERS, ['X-com.example.build', '42'], ['IFMarker', 'No']];
    expect(n.receive(last, 1, { final: true })).toEqual([]);
    expect(n.result().maxXmitDataSegmentLength).toBe(65536);
    const disc = new OperationalNegotiation(defaultOffer('Discovery'), { leading: true });
    disc.offer();
    expect(disc.receive([['InitialR2T', 'No']], 1, { final: true })).toEqual([]);
    // In the Security stage a T=1 response leads to an Operational request, which carries the answers.
    expect(start().n.receive([['X-com.example.sec', '1']], 0, { final: true })).toEqual([['X-com.example.sec', 'NotUnderstood']]);
  });

  it('D-16 the same key twice in one login is detected (TargetAddress excepted)', () => {
    const { n } = start();
    n.receive([['MaxBurstLength', '65536']], 1);
    expect(thrownCode(() => n.receive([['MaxBurstLength', '65536']], 1))).toBe(TEXT_ERR.DUPLICATE_KEY);
    expect(thrownCode(() => start().n.receive([['TargetAlias', 'a'], ['TargetAlias', 'a']], 1))).toBe(TEXT_ERR.DUPLICATE_KEY);
    const tpgt = start().n;
    tpgt.receive([['TargetPortalGroupTag', '1']], 0);
    expect(thrownCode(() => tpgt.receive([['TargetPortalGroupTag', '1']], 1))).toBe(TEXT_ERR.DUPLICATE_KEY);
    const addr = start().n;
    addr.receive([['TargetAddress', '10.0.0.1:3260,1']], 0);
    addr.receive([['TargetAddress', '[fe80::1]:3260,1'], ...NORMAL_ANSWERS], 1);
    expect(addr.result().targetAddresses).toEqual(['10.0.0.1:3260,1', '[fe80::1]:3260,1']);
  });

  it('D-17 never offers or answers the same key twice', () => {
    const { n, offered } = start({ iSCSIProtocolLevel: 1, nodeArchitecture: 'x' });
    expect(new Set(keysOf(offered)).size).toBe(offered.length);
    expect(n.offer()).toEqual([]);
    const m = fresh();
    expect(m.receive([['MaxBurstLength', '65536'], ['X-com.example.a', '1']], 1)).toHaveLength(2);
    const later = keysOf(m.offer());
    expect(later).not.toContain('MaxBurstLength');
    expect(later).toContain('FirstBurstLength');
  });
});
