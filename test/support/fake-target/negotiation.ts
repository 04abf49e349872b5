/**
 * Target-side answers to operational keys (RFC 7143 §6.2, §13), written apart
 * from src/ so the initiator's negotiation is checked against an independent
 * implementation. One table: key → result function and the target's own value.
 *
 *   list  first initiator value the target also supports (§6.2.1), else Reject
 *   and   Yes only if both say Yes       or   Yes if either says Yes
 *   min   smaller number                  max  larger number        (§6.2.2)
 *   declarative  no answer (§6.2: MaxRecvDataSegmentLength, aliases)
 */
import { parseNumber, type Pair } from './text.js';

/** Result function of a key. */
export type KeyKind = 'list' | 'and' | 'or' | 'min' | 'max' | 'declarative' | 'reject';

/** The target's side of one key. */
export interface KeyRule {
  kind: KeyKind;
  /** The target's value (list kinds: comma-separated values it supports). */
  value: string;
}

/** What a sane RFC 7143 target offers (tgtd-like defaults). */
export const TARGET_KEYS: Readonly<Record<string, KeyRule>> = {
  HeaderDigest: { kind: 'list', value: 'None,CRC32C' },
  DataDigest: { kind: 'list', value: 'None,CRC32C' },
  MaxConnections: { kind: 'min', value: '1' },
  InitialR2T: { kind: 'or', value: 'Yes' },
  ImmediateData: { kind: 'and', value: 'Yes' },
  MaxBurstLength: { kind: 'min', value: '262144' },
  FirstBurstLength: { kind: 'min', value: '65536' },
  DefaultTime2Wait: { kind: 'max', value: '2' },
  DefaultTime2Retain: { kind: 'min', value: '20' },
  MaxOutstandingR2T: { kind: 'min', value: '1' },
  DataPDUInOrder: { kind: 'or', value: 'Yes' },
  DataSequenceInOrder: { kind: 'or', value: 'Yes' },
  ErrorRecoveryLevel: { kind: 'min', value: '0' },
  iSCSIProtocolLevel: { kind: 'min', value: '1' },
  TaskReporting: { kind: 'list', value: 'RFC3720' },
  IFMarker: { kind: 'and', value: 'No' },
  OFMarker: { kind: 'and', value: 'No' },
  IFMarkInt: { kind: 'reject', value: 'Reject' },
  OFMarkInt: { kind: 'reject', value: 'Reject' },
  MaxRecvDataSegmentLength: { kind: 'declarative', value: '8192' },
  InitiatorAlias: { kind: 'declarative', value: '' },
  TargetAlias: { kind: 'declarative', value: '' },
  'X#NodeArchitecture': { kind: 'declarative', value: '' },
};

/** Keys that are Irrelevant in a Discovery session (§13, "Irrelevant when: SessionType=Discovery"). */
const DISCOVERY_IRRELEVANT = new Set([
  'MaxConnections', 'InitialR2T', 'ImmediateData', 'MaxBurstLength', 'FirstBurstLength',
  'MaxOutstandingR2T', 'DataPDUInOrder', 'DataSequenceInOrder',
]);

/** Values that are answers, never offers (§6.2). */
export const ANSWER_ONLY = new Set(['NotUnderstood', 'Reject', 'Irrelevant']);

/** The answer the table gives for one offered key; undefined = no answer (declarative). */
export function answerFor(key: string, offer: string, rules: Readonly<Record<string, KeyRule>>, discovery = false): string | undefined {
  const rule = rules[key];
  if (rule === undefined) return 'NotUnderstood';
  if (discovery && rule.kind !== 'declarative' && DISCOVERY_IRRELEVANT.has(key)) return 'Irrelevant';
  switch (rule.kind) {
    case 'declarative': return undefined;
    case 'reject': return 'Reject';
    case 'list': {
      const supported = rule.value.split(',');
      return offer.split(',').find((v) => supported.includes(v)) ?? 'Reject';
    }
    case 'and':
    case 'or': {
      if (offer !== 'Yes' && offer !== 'No') return 'Reject';
      const yes = rule.kind === 'and' ? offer === 'Yes' && rule.value === 'Yes' : offer === 'Yes' || rule.value === 'Yes';
      return yes ? 'Yes' : 'No';
    }
    case 'min':
    case 'max': {
      const n = parseNumber(offer);
      const mine = parseNumber(rule.value);
      if (Number.isNaN(n)) return 'Reject';
      return String(rule.kind === 'min' ? Math.min(n, mine) : Math.max(n, mine));
    }
  }
}

/** Session parameters the fake target's full feature phase honours. */
export interface Negotiated {
  headerDigest: boolean;
  dataDigest: boolean;
  initialR2T: boolean;
  immediateData: boolean;
  maxBurstLength: number;
  firstBurstLength: number;
  maxOutstandingR2T: number;
  errorRecoveryLevel: number;
  /** What the initiator declared as MaxRecvDataSegmentLength: the target's send limit (default 8192). */
  initiatorMaxRecv: number;
  /** What the target declared: the initiator's send limit (default 8192). */
  targetMaxRecv: number;
}

/**
 * Parameters from the values exchanged in a login: `agreed` holds the final value of
 * each negotiated key (the answer sent or received); declarations are separate.
 * Values missing or not parseable fall back to the RFC defaults.
 */
export function negotiatedFrom(agreed: ReadonlyMap<string, string>, initiatorDecl: ReadonlyMap<string, string>, targetDecl: ReadonlyMap<string, string>): Negotiated {
  const num = (v: string | undefined, dflt: number): number => {
    const n = v === undefined ? Number.NaN : parseNumber(v);
    return Number.isNaN(n) ? dflt : n;
  };
  const yes = (v: string | undefined, dflt: boolean): boolean => (v === 'Yes' ? true : v === 'No' ? false : dflt);
  return {
    headerDigest: agreed.get('HeaderDigest') === 'CRC32C',
    dataDigest: agreed.get('DataDigest') === 'CRC32C',
    initialR2T: yes(agreed.get('InitialR2T'), true),
    immediateData: yes(agreed.get('ImmediateData'), true),
    maxBurstLength: num(agreed.get('MaxBurstLength'), 262144),
    firstBurstLength: num(agreed.get('FirstBurstLength'), 65536),
    maxOutstandingR2T: num(agreed.get('MaxOutstandingR2T'), 1),
    errorRecoveryLevel: num(agreed.get('ErrorRecoveryLevel'), 0),
    initiatorMaxRecv: num(initiatorDecl.get('MaxRecvDataSegmentLength'), 8192),
    targetMaxRecv: num(targetDecl.get('MaxRecvDataSegmentLength'), 8192),
  };
}

/** Defaults before any login (FFP limits of an unnegotiated connection). */
export function defaultNegotiated(): Negotiated {
  return negotiatedFrom(new Map(), new Map(), new Map());
}

/** Pairs as a Map, last value wins (duplicates are the caller's concern). */
export function toMap(pairs: readonly Pair[]): Map<string, string> {
  return new Map(pairs);
}
