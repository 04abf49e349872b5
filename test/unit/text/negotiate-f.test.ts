/** Checklist section F (key-by-key negotiation) and, against OperationalNegotiation. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/shared/errors.js';
import type { TextPair } from '../../../src/iscsi/text/codec.js';
import { defaultOffer, OperationalNegotiation, type OperationalOffer } from '../../../src/iscsi/text/negotiate.js';
import { checkIntegrity } from '../../../src/iscsi/text/params.js';
import { TEXT_ERR } from '../../../src/iscsi/text/text-errors.js';
import { answersWith, keysOf, NORMAL_ANSWERS, thrownCode } from './helpers.js';

function start(offer: Partial<OperationalOffer> = {}, leading = true): { n: OperationalNegotiation; offered: TextPair[] } {
  const n = new OperationalNegotiation({ ...defaultOffer('Normal'), ...offer }, { leading });
  return { n, offered: n.offer() };
}

function discovery(): { n: OperationalNegotiation; offered: TextPair[] } {
  const n = new OperationalNegotiation(defaultOffer('Discovery'), { leading: true });
  return { n, offered: n.offer() };
}

/** Violation code of answering `key=value` to the default offer (plus `offer` overrides). */
function answerCode(key: string, value: string, offer: Partial<OperationalOffer> = {}): string {
  return thrownCode(() => start(offer).n.receive(answersWith(key, value), 1));
}

/** Result after answering `key=value` to the default offer (plus `offer` overrides). */
function resultWith(key: string, value: string, offer: Partial<OperationalOffer> = {}) {
  const { n } = start(offer);
  n.receive(answersWith(key, value), 1);
  return n.result();
}

describe('F: key-by-key negotiation', () => {
  it('F-01 digests are offered as an ordered list; unknown or empty lists are refused', () => {
    expect(new Map(start().offered).get('HeaderDigest')).toBe('None');
    const offered = new Map(start({ headerDigest: ['CRC32C', 'None'], dataDigest: ['None', 'CRC32C'] }).offered);
    expect(offered.get('HeaderDigest')).toBe('CRC32C,None');
    expect(offered.get('DataDigest')).toBe('None,CRC32C');
    expect(thrownCode(() => start({ headerDigest: ['crc32c' as 'CRC32C'] }), ConfigError)).toBe(TEXT_ERR.OFFER_INVALID);
    expect(thrownCode(() => start({ dataDigest: [] }), ConfigError)).toBe(TEXT_ERR.OFFER_INVALID);
  });

  it('F-02 every connection offers its own digests, also a non-leading one', () => {
    expect(keysOf(start({ headerDigest: ['CRC32C'] }, false).offered)).toEqual(
      expect.arrayContaining(['HeaderDigest', 'DataDigest']),
    );
    expect(resultWith('HeaderDigest', 'CRC32C', { headerDigest: ['CRC32C', 'None'] }).headerDigest).toBe('CRC32C');
  });

  it('F-03 uses the target-declared MaxRecvDataSegmentLength as our send limit, 8192 when undeclared', () => {
    expect(resultWith('MaxRecvDataSegmentLength', '512').maxXmitDataSegmentLength).toBe(512);
    const { n } = start();
    n.receive(answersWith('MaxRecvDataSegmentLength', undefined), 1);
    expect(n.result()).toMatchObject({ maxXmitDataSegmentLength: 8192, maxRecvDataSegmentLength: 262144 });
  });

  it('F-04 a declared MaxRecvDataSegmentLength outside 512..2^24-1 is a protocol error', () => {
    expect(answerCode('MaxRecvDataSegmentLength', '511')).toBe(TEXT_ERR.VALUE_OUT_OF_RANGE);
    expect(answerCode('MaxRecvDataSegmentLength', '16777216')).toBe(TEXT_ERR.VALUE_OUT_OF_RANGE);
    expect(resultWith('MaxRecvDataSegmentLength', '16777215').maxXmitDataSegmentLength).toBe(16777215);
  });

  it('F-05 the receive limit reported is what we declared (8192 if the target refused it)', () => {
    expect(resultWith('MaxBurstLength', '16776192', { maxRecvDataSegmentLength: 4096 }).maxRecvDataSegmentLength).toBe(4096);
    const { n } = start({ maxRecvDataSegmentLength: 4096 });
    n.receive(answersWith('MaxRecvDataSegmentLength', 'Reject'), 1);
    expect(n.result().maxRecvDataSegmentLength).toBe(8192);
  });

  it('F-06 MaxBurstLength (Minimum): above our offer fails, within is adopted', () => {
    expect(answerCode('MaxBurstLength', '16776193')).toBe(TEXT_ERR.NEGOTIATION_VIOLATION);
    expect(answerCode('MaxBurstLength', '511')).toBe(TEXT_ERR.VALUE_OUT_OF_RANGE);
    const { n } = start();
    n.receive(answersWith('MaxBurstLength', '262144'), 1);
    expect(n.result().maxBurstLength).toBe(262144);
  });

  it('F-07 FirstBurstLength above our offer fails; a final FirstBurstLength > MaxBurstLength fails the login', () => {
    expect(answerCode('FirstBurstLength', '262145')).toBe(TEXT_ERR.NEGOTIATION_VIOLATION);
    const { n } = start();
    n.receive(answersWith('MaxBurstLength', '65536'), 1); // FirstBurstLength stays 262144
    expect(thrownCode(() => n.result())).toBe(TEXT_ERR.INTEGRITY_VIOLATION);
    expect(thrownCode(() => start({ firstBurstLength: 65536, maxBurstLength: 512 }), ConfigError)).toBe(TEXT_ERR.OFFER_INVALID);
  });

  it('F-08 with InitialR2T=Yes and ImmediateData=No, FirstBurstLength may be Irrelevant or unanswered', () => {
    const base = answersWith('InitialR2T', 'Yes', answersWith('ImmediateData', 'No'));
    const irrelevant = start({ initialR2T: true, immediateData: false }).n;
    irrelevant.receive(answersWith('FirstBurstLength', 'Irrelevant', base), 1);
    expect(irrelevant.result().firstBurstLength).toBe(65536);
    const silent = start({ initialR2T: true, immediateData: false }).n;
    silent.receive(answersWith('FirstBurstLength', undefined, base), 1);
    expect(silent.complete).toBe(true);
    // Irrelevant FirstBurstLength is exempt from the FirstBurst <= MaxBurst rule.
    const small = start({ initialR2T: true, immediateData: false }).n;
    small.receive(answersWith('MaxBurstLength', '4096', answersWith('FirstBurstLength', undefined, base)), 1);
    expect(small.result().maxBurstLength).toBe(4096);
  });

  it('F-09 InitialR2T (OR): offer Yes / answer No fails; offer No / answer Yes gives Yes', () => {
    expect(answerCode('InitialR2T', 'No', { initialR2T: true })).toBe(TEXT_ERR.NEGOTIATION_VIOLATION);
    expect(resultWith('InitialR2T', 'Yes').initialR2T).toBe(true);
  });

  it('F-10 ImmediateData (AND): offer No / answer Yes fails; offer Yes / answer No gives No', () => {
    expect(answerCode('ImmediateData', 'Yes', { immediateData: false })).toBe(TEXT_ERR.NEGOTIATION_VIOLATION);
    expect(resultWith('ImmediateData', 'No').immediateData).toBe(false);
  });

  it('F-11 MaxConnections: we offer 1; an answer of 2 or 0 fails', () => {
    expect(new Map(start().offered).get('MaxConnections')).toBe('1');
    expect(answerCode('MaxConnections', '2')).toBe(TEXT_ERR.NEGOTIATION_VIOLATION);
    expect(answerCode('MaxConnections', '0')).toBe(TEXT_ERR.VALUE_OUT_OF_RANGE);
  });

  it('F-12 ErrorRecoveryLevel: only 0 is offered; an answer above it fails', () => {
    expect(new Map(start().offered).get('ErrorRecoveryLevel')).toBe('0');
    expect(thrownCode(() => start({ errorRecoveryLevel: 1 }), ConfigError)).toBe(TEXT_ERR.OFFER_INVALID);
    expect(answerCode('ErrorRecoveryLevel', '1')).toBe(TEXT_ERR.NEGOTIATION_VIOLATION);
    expect(answerCode('ErrorRecoveryLevel', '3')).toBe(TEXT_ERR.VALUE_OUT_OF_RANGE);
  });

  it('F-13 DefaultTime2Wait (Maximum): an answer below the offer fails, above is adopted', () => {
    expect(answerCode('DefaultTime2Wait', '1')).toBe(TEXT_ERR.NEGOTIATION_VIOLATION);
    expect(resultWith('DefaultTime2Wait', '5').defaultTime2Wait).toBe(5);
    expect(answerCode('DefaultTime2Wait', '3601')).toBe(TEXT_ERR.VALUE_OUT_OF_RANGE);
  });

  it('F-14 DefaultTime2Retain (Minimum): an answer above the offer fails', () => {
    expect(answerCode('DefaultTime2Retain', '20')).toBe(TEXT_ERR.NEGOTIATION_VIOLATION);
    expect(resultWith('DefaultTime2Retain', '10', { defaultTime2Retain: 20 }).defaultTime2Retain).toBe(10);
  });

  it('F-15 MaxOutstandingR2T (Minimum, 1..65535): above the offer or 0 fails', () => {
    expect(answerCode('MaxOutstandingR2T', '2')).toBe(TEXT_ERR.NEGOTIATION_VIOLATION);
    expect(answerCode('MaxOutstandingR2T', '0')).toBe(TEXT_ERR.VALUE_OUT_OF_RANGE);
  });

  it('F-16 DataPDUInOrder / DataSequenceInOrder (OR): offer Yes, answer No fails', () => {
    expect(answerCode('DataPDUInOrder', 'No')).toBe(TEXT_ERR.NEGOTIATION_VIOLATION);
    expect(answerCode('DataSequenceInOrder', 'No')).toBe(TEXT_ERR.NEGOTIATION_VIOLATION);
    expect(resultWith('DataPDUInOrder', 'Yes', { dataPDUInOrder: false }).dataPDUInOrder).toBe(true);
  });

  it('F-17 ErrorRecoveryLevel > 0 with DataSequenceInOrder=Yes requires MaxOutstandingR2T=1', () => {
    const { n } = start();
    n.receive(NORMAL_ANSWERS, 1);
    const p = n.result();
    expect(() => checkIntegrity({ ...p, errorRecoveryLevel: 1, maxOutstandingR2T: 1 }, false)).not.toThrow();
    expect(() => checkIntegrity({ ...p, errorRecoveryLevel: 1, maxOutstandingR2T: 2, dataSequenceInOrder: false }, false)).not.toThrow();
    expect(thrownCode(() => checkIntegrity({ ...p, errorRecoveryLevel: 1, maxOutstandingR2T: 2 }, false))).toBe(
      TEXT_ERR.INTEGRITY_VIOLATION,
    );
  });

  it('F-19 leading-only keys are offered only on the leading login, and refused from the target otherwise', () => {
    expect(keysOf(start({}, false).offered)).toEqual(['HeaderDigest', 'DataDigest', 'MaxRecvDataSegmentLength']);
    expect(keysOf(start({ iSCSIProtocolLevel: 1 }, true).offered)).toEqual(expect.arrayContaining(['MaxConnections', 'iSCSIProtocolLevel']));
    const added = start({}, false).n;
    expect(thrownCode(() => added.receive([['MaxBurstLength', '65536']], 1))).toBe(TEXT_ERR.KEY_NOT_ALLOWED);
  });

  it('F-21 never offers marker keys; answers Reject (never NotUnderstood) when the target proposes them', () => {
    const markers = ['IFMarker', 'OFMarker', 'IFMarkInt', 'OFMarkInt'];
    expect(keysOf(start().offered).some((k) => markers.includes(k))).toBe(false);
    expect(keysOf(discovery().offered).some((k) => markers.includes(k))).toBe(false);
    const { n } = start();
    expect(n.receive([['IFMarker', 'No'], ['OFMarker', 'Yes'], ['IFMarkInt', '2048'], ['OFMarkInt', '1~65535']], 1)).toEqual([
      ['IFMarker', 'Reject'],
      ['OFMarker', 'Reject'],
      ['IFMarkInt', 'Reject'],
      ['OFMarkInt', 'Reject'],
    ]);
  });

  it('F-22 X#NodeArchitecture: at most 255 bytes, declared once, NotUnderstood tolerated, peer value has no effect', () => {
    expect(thrownCode(() => start({ nodeArchitecture: 'a'.repeat(256) }), ConfigError)).toBe(TEXT_ERR.OFFER_INVALID);
    const { n, offered } = start({ nodeArchitecture: 'tsiscsi/0.1,Linux' });
    expect(offered.filter(([k]) => k === 'X#NodeArchitecture')).toEqual([['X#NodeArchitecture', 'tsiscsi/0.1,Linux']]);
    expect(n.offer()).toEqual([]);
    n.receive([...NORMAL_ANSWERS, ['X#NodeArchitecture', 'NotUnderstood']], 1);
    const plain = start().n;
    plain.receive(NORMAL_ANSWERS, 1);
    const peer = start().n;
    expect(peer.receive([...NORMAL_ANSWERS, ['X#NodeArchitecture', 'ExampleOS/v1234,Firmware/2.0']], 1)).toEqual([]);
    expect(peer.result()).toEqual(plain.result());
    expect(n.result()).toEqual(plain.result());
  });

  it('F-23 discovery: Irrelevant or missing answers still succeed; a proposed ErrorRecoveryLevel gets 0', () => {
    const { n, offered } = discovery();
    expect(keysOf(offered)).toEqual(['HeaderDigest', 'DataDigest', 'DefaultTime2Wait', 'DefaultTime2Retain', 'ErrorRecoveryLevel', 'MaxRecvDataSegmentLength']);
    n.receive([['HeaderDigest', 'None'], ['DefaultTime2Wait', 'Irrelevant'], ['MaxBurstLength', '65536']], 1);
    expect(n.receive([], 1, { final: true })).toEqual([]);
    expect(n.result()).toMatchObject({ headerDigest: 'None', dataDigest: 'None', defaultTime2Wait: 2, maxConnections: 1, errorRecoveryLevel: 0 });
    const proposes = new OperationalNegotiation(defaultOffer('Discovery'), { leading: true });
    expect(proposes.receive([['ErrorRecoveryLevel', '2'], ['InitialR2T', 'No']], 1)).toEqual([
      ['ErrorRecoveryLevel', '0'],
      ['InitialR2T', 'Irrelevant'],
    ]);
  });

  it('F-24 TargetAlias / TargetAddress are accepted without an answer in either stage', () => {
    const { n } = start();
    expect(n.receive([['TargetAlias', 'Database Server 1 Log Disk'], ['TargetAddress', '10.0.0.1:5003,1']], 0)).toEqual([]);
    expect(n.receive([['TargetAddress', 'computingcenter.example.com,23'], ...NORMAL_ANSWERS], 1)).toEqual([]);
    expect(n.result()).toMatchObject({
      targetAlias: 'Database Server 1 Log Disk',
      targetAddresses: ['10.0.0.1:5003,1', 'computingcenter.example.com,23'],
    });
    expect(n.result().targetPortalGroupTag).toBeUndefined();
  });
});

describe('Q: iSCSIProtocolLevel', () => {
  it('Q-01 offered 2: an answer of 1, NotUnderstood or nothing means level 1 (no RFC 7144 features)', () => {
    for (const answer of ['1', 'NotUnderstood', undefined]) {
      const { n } = start({ iSCSIProtocolLevel: 2 });
      n.receive(answersWith('iSCSIProtocolLevel', answer), 1, { final: true });
      expect(n.result().iSCSIProtocolLevel, String(answer)).toBe(1);
    }
    expect(resultWith('iSCSIProtocolLevel', '2', { iSCSIProtocolLevel: 2 }).iSCSIProtocolLevel).toBe(2);
    expect(answerCode('iSCSIProtocolLevel', '2', { iSCSIProtocolLevel: 1 })).toBe(TEXT_ERR.NEGOTIATION_VIOLATION);
  });

  it('Q-05 an RFC 7143-only offer uses level 1 and answers a proposal with 1', () => {
    expect(keysOf(start().offered)).not.toContain('iSCSIProtocolLevel');
    expect(new Map(start({ iSCSIProtocolLevel: 1 }).offered).get('iSCSIProtocolLevel')).toBe('1');
    const n = new OperationalNegotiation(defaultOffer('Normal'), { leading: true });
    expect(n.receive([['iSCSIProtocolLevel', '2']], 1)).toEqual([['iSCSIProtocolLevel', '1']]);
    n.offer();
    n.receive(NORMAL_ANSWERS, 1);
    expect(n.result().iSCSIProtocolLevel).toBe(1);
  });
});
