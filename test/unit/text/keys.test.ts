import { describe, expect, it } from 'vitest';
import { isValidKeyName } from '../../../src/iscsi/text/codec.js';
import {
  allowedInFullFeaturePhase, allowedInStage, KEY_TABLE, lookupKey,
} from '../../../src/iscsi/text/keys.js';
import { parseKeyValue } from '../../../src/iscsi/text/values.js';

const def = (name: string) => {
  const d = lookupKey(name);
  expect(d, name).toBeDefined();
  return d!;
};

describe('key table', () => {
  it('has unique, syntactically valid names and defaults that parse with their own row', () => {
    const names = KEY_TABLE.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
    for (const d of KEY_TABLE) {
      expect(isValidKeyName(d.name), d.name).toBe(true);
      if (d.default !== undefined && d.default !== 'None') expect(() => parseKeyValue(d, d.default!, d.name)).not.toThrow();
    }
  });

  it('is case-sensitive (E-01)', () => {
    expect(lookupKey('headerdigest')).toBeUndefined();
    expect(lookupKey('HeaderDigest')).toBeDefined();
  });

  it('F-13 DefaultTime2Wait uses Maximum and DefaultTime2Retain Minimum', () => {
    expect(def('DefaultTime2Wait')).toMatchObject({ kind: 'max', default: '2', range: { min: 0, max: 3600 } });
    expect(def('DefaultTime2Retain')).toMatchObject({ kind: 'min', default: '20', range: { min: 0, max: 3600 } });
  });

  it('E-12 MaxRecvDataSegmentLength, the aliases and X#NodeArchitecture are declarative', () => {
    for (const k of ['MaxRecvDataSegmentLength', 'InitiatorAlias', 'TargetAlias', 'X#NodeArchitecture', 'TargetAddress']) {
      expect(def(k).kind, k).toBe('declarative');
    }
  });

  it('D-12 only the Section 12 keys are allowed in the Security stage', () => {
    const stage0 = KEY_TABLE.filter((d) => allowedInStage(d, 0)).map((d) => d.name);
    const anyStage = ['SessionType', 'InitiatorName', 'TargetName', 'TargetAddress', 'InitiatorAlias', 'TargetAlias', 'TargetPortalGroupTag'];
    expect(stage0).toEqual(expect.arrayContaining([...anyStage, 'AuthMethod', 'CHAP_A', 'CHAP_I', 'CHAP_C', 'CHAP_N', 'CHAP_R']));
    for (const name of stage0) {
      expect(anyStage.includes(name) || def(name).stage === 'security', name).toBe(true);
    }
    for (const op of ['MaxBurstLength', 'HeaderDigest', 'MaxRecvDataSegmentLength', 'ErrorRecoveryLevel']) {
      expect(allowedInStage(def(op), 0), op).toBe(false);
      expect(allowedInStage(def(op), 1), op).toBe(true);
    }
    expect(allowedInStage(def('CHAP_A'), 1)).toBe(false);
    expect(allowedInStage(def('SendTargets'), 1)).toBe(false);
  });

  it('F-19 leading-only keys are marked LO and are never allowed in FFP Text Requests', () => {
    const lo = ['MaxConnections', 'InitialR2T', 'ImmediateData', 'MaxBurstLength', 'FirstBurstLength', 'DefaultTime2Wait',
      'DefaultTime2Retain', 'MaxOutstandingR2T', 'DataPDUInOrder', 'DataSequenceInOrder', 'ErrorRecoveryLevel',
      'SessionType', 'TaskReporting', 'iSCSIProtocolLevel'];
    for (const k of lo) {
      expect(def(k).use, k).toBe('LO');
      expect(allowedInFullFeaturePhase(def(k)), k).toBe(false);
    }
  });

  it('F-20 login-only keys (digests, names) are never allowed in FFP Text Requests', () => {
    for (const k of ['HeaderDigest', 'DataDigest', 'InitiatorName', 'TargetName']) {
      expect(def(k).use, k).toBe('IO');
      expect(allowedInFullFeaturePhase(def(k)), k).toBe(false);
    }
    for (const k of ['MaxRecvDataSegmentLength', 'TargetAlias', 'InitiatorAlias', 'SendTargets']) {
      expect(allowedInFullFeaturePhase(def(k)), k).toBe(true);
    }
  });

  it('F-02 digests are connection-scoped (each connection negotiates its own)', () => {
    expect(def('HeaderDigest').scope).toBe('CO');
    expect(def('DataDigest').scope).toBe('CO');
  });

  it('F-21 marker keys are known, obsolete keys (so never answered NotUnderstood)', () => {
    for (const k of ['IFMarker', 'OFMarker', 'IFMarkInt', 'OFMarkInt']) expect(def(k).obsolete, k).toBe(true);
  });

  it('Q-05 iSCSIProtocolLevel defaults to 1 (RFC 7143) with Minimum over 0..31', () => {
    expect(def('iSCSIProtocolLevel')).toMatchObject({ kind: 'min', default: '1', range: { min: 0, max: 31 }, notUnderstoodOk: true });
  });

  it('F-23 operational keys irrelevant for Discovery are flagged', () => {
    for (const k of ['MaxConnections', 'InitialR2T', 'ImmediateData', 'MaxBurstLength', 'FirstBurstLength', 'MaxOutstandingR2T',
      'DataPDUInOrder', 'DataSequenceInOrder']) {
      expect(def(k).irrelevantForDiscovery, k).toBe(true);
    }
    for (const k of ['DefaultTime2Wait', 'DefaultTime2Retain', 'ErrorRecoveryLevel', 'HeaderDigest', 'MaxRecvDataSegmentLength']) {
      expect(def(k).irrelevantForDiscovery, k).toBe(false);
    }
  });
});
