/**
 * Operational parameters as the rest of tsiscsi sees them: what we offer
 * (OperationalOffer), what the login settled (NegotiatedParams), and the two
 * binding tables that map those fields to keys of the key table.
 */
import { ConfigError, ProtocolError } from '../../shared/errors.js';
import { lookupKey } from './keys.js';
import { TEXT_ERR, textError } from './text-errors.js';
import { formatBoolean, formatList, formatNumber, parseKeyValue } from './values.js';

export type Digest = 'None' | 'CRC32C';

/** Our operational preferences for one login (initiator side). */
export interface OperationalOffer {
  sessionType: 'Normal' | 'Discovery';
  /** Ordered preference lists (§13.1). */
  headerDigest: Digest[];
  dataDigest: Digest[];
  /** Ours, declared (§13.12). */
  maxRecvDataSegmentLength: number;
  maxBurstLength: number;
  firstBurstLength: number;
  initialR2T: boolean;
  immediateData: boolean;
  maxOutstandingR2T: number;
  maxConnections: number;
  defaultTime2Wait: number;
  defaultTime2Retain: number;
  /** We implement ERL 0 only: must be 0 (F-12). */
  errorRecoveryLevel: number;
  dataPDUInOrder: boolean;
  dataSequenceInOrder: boolean;
  /** Offered only when set. */
  iSCSIProtocolLevel?: number;
  /** X#NodeArchitecture list (≤ 255 bytes), declared only when set (F-22, §13.26). */
  nodeArchitecture?: string;
}

/** Outcome of the operational negotiation of one connection login. */
export interface NegotiatedParams {
  headerDigest: Digest;
  dataDigest: Digest;
  /** What we declared: limit for PDUs we receive. */
  maxRecvDataSegmentLength: number;
  /** What the target declared; 8192 if it declared nothing (F-03). */
  maxXmitDataSegmentLength: number;
  maxBurstLength: number;
  firstBurstLength: number;
  initialR2T: boolean;
  immediateData: boolean;
  maxOutstandingR2T: number;
  maxConnections: number;
  defaultTime2Wait: number;
  defaultTime2Retain: number;
  errorRecoveryLevel: number;
  dataPDUInOrder: boolean;
  dataSequenceInOrder: boolean;
  /** 1 if not negotiated (RFC 7144 default). */
  iSCSIProtocolLevel: number;
  targetAlias?: string;
  targetPortalGroupTag?: number;
  targetAddresses: string[];
}

/** Offer field -> key. Order is the order of our first Operational request (open-iscsi's). */
export const OFFER_BINDINGS: readonly { key: string; field: keyof OperationalOffer }[] = [
  { key: 'HeaderDigest', field: 'headerDigest' },
  { key: 'DataDigest', field: 'dataDigest' },
  { key: 'DefaultTime2Wait', field: 'defaultTime2Wait' },
  { key: 'DefaultTime2Retain', field: 'defaultTime2Retain' },
  { key: 'ErrorRecoveryLevel', field: 'errorRecoveryLevel' },
  { key: 'InitialR2T', field: 'initialR2T' },
  { key: 'ImmediateData', field: 'immediateData' },
  { key: 'MaxBurstLength', field: 'maxBurstLength' },
  { key: 'FirstBurstLength', field: 'firstBurstLength' },
  { key: 'MaxOutstandingR2T', field: 'maxOutstandingR2T' },
  { key: 'MaxConnections', field: 'maxConnections' },
  { key: 'DataPDUInOrder', field: 'dataPDUInOrder' },
  { key: 'DataSequenceInOrder', field: 'dataSequenceInOrder' },
  { key: 'MaxRecvDataSegmentLength', field: 'maxRecvDataSegmentLength' },
  { key: 'iSCSIProtocolLevel', field: 'iSCSIProtocolLevel' },
  { key: 'X#NodeArchitecture', field: 'nodeArchitecture' },
];

/**
 * Result field -> key and which value: `negotiated` outcome, `ours` (our
 * declaration), `theirs` (the target's first declaration, or undefined),
 * `theirs-all` (every declaration, for TargetAddress).
 */
export type BindingSide = 'negotiated' | 'ours' | 'theirs' | 'theirs-all';
export const RESULT_BINDINGS: readonly { key: string; field: keyof NegotiatedParams; side: BindingSide }[] = [
  { key: 'HeaderDigest', field: 'headerDigest', side: 'negotiated' },
  { key: 'DataDigest', field: 'dataDigest', side: 'negotiated' },
  { key: 'MaxRecvDataSegmentLength', field: 'maxRecvDataSegmentLength', side: 'ours' },
  { key: 'MaxRecvDataSegmentLength', field: 'maxXmitDataSegmentLength', side: 'theirs' },
  { key: 'MaxBurstLength', field: 'maxBurstLength', side: 'negotiated' },
  { key: 'FirstBurstLength', field: 'firstBurstLength', side: 'negotiated' },
  { key: 'InitialR2T', field: 'initialR2T', side: 'negotiated' },
  { key: 'ImmediateData', field: 'immediateData', side: 'negotiated' },
  { key: 'MaxOutstandingR2T', field: 'maxOutstandingR2T', side: 'negotiated' },
  { key: 'MaxConnections', field: 'maxConnections', side: 'negotiated' },
  { key: 'DefaultTime2Wait', field: 'defaultTime2Wait', side: 'negotiated' },
  { key: 'DefaultTime2Retain', field: 'defaultTime2Retain', side: 'negotiated' },
  { key: 'ErrorRecoveryLevel', field: 'errorRecoveryLevel', side: 'negotiated' },
  { key: 'DataPDUInOrder', field: 'dataPDUInOrder', side: 'negotiated' },
  { key: 'DataSequenceInOrder', field: 'dataSequenceInOrder', side: 'negotiated' },
  { key: 'iSCSIProtocolLevel', field: 'iSCSIProtocolLevel', side: 'negotiated' },
  { key: 'TargetAlias', field: 'targetAlias', side: 'theirs' },
  { key: 'TargetPortalGroupTag', field: 'targetPortalGroupTag', side: 'theirs' },
  { key: 'TargetAddress', field: 'targetAddresses', side: 'theirs-all' },
];

/**
 * open-iscsi's defaults (reference open-iscsi.md §5.3, Appendix B): digests
 * None, MaxRecvDataSegmentLength 262144 (32768 for discovery), MaxBurstLength
 * 16776192, FirstBurstLength 262144, InitialR2T No, ImmediateData Yes,
 * MaxOutstandingR2T 1, MaxConnections 1, DefaultTime2Wait 2,
 * DefaultTime2Retain 0, ERL 0; the rest RFC defaults.
 */
export function defaultOffer(sessionType: 'Normal' | 'Discovery'): OperationalOffer {
  return {
    sessionType,
    headerDigest: ['None'],
    dataDigest: ['None'],
    maxRecvDataSegmentLength: sessionType === 'Discovery' ? 32768 : 262144,
    maxBurstLength: 16776192,
    firstBurstLength: 262144,
    initialR2T: false,
    immediateData: true,
    maxOutstandingR2T: 1,
    maxConnections: 1,
    defaultTime2Wait: 2,
    defaultTime2Retain: 0,
    errorRecoveryLevel: 0,
    dataPDUInOrder: true,
    dataSequenceInOrder: true,
  };
}

/** Wire form of an offer field value. */
function formatOfferValue(v: unknown): string {
  if (Array.isArray(v)) return formatList(v as string[]);
  if (typeof v === 'boolean') return formatBoolean(v);
  if (typeof v === 'number') return formatNumber(v);
  return String(v);
}

/** Validated preferences by their wire form (one entry per distinct offer; a login validated every value again, ~1.5 % of its CPU). */
const validatedOffers = new Map<string, ReadonlyMap<string, string>>();
const MAX_CACHED_OFFERS = 64;

/**
 * Our preferences in wire form, in offer order, after validating every value
 * against the key table (ConfigError OFFER_INVALID on a bad offer). The result is
 * shared between offers with the same values: do not modify it.
 */
export function offerPreferences(offer: OperationalOffer): ReadonlyMap<string, string> {
  const values: Array<string | undefined> = OFFER_BINDINGS.map(({ field }) => (offer[field] === undefined ? undefined : formatOfferValue(offer[field])));
  const id = values.map((v) => (v === undefined ? '\u0001' : v)).join('\u0000');
  let prefs = validatedOffers.get(id);
  if (prefs === undefined) {
    prefs = validateOffer(values);
    if (validatedOffers.size >= MAX_CACHED_OFFERS) validatedOffers.clear();
    validatedOffers.set(id, prefs);
  }
  if (offer.errorRecoveryLevel !== 0) {
    throw new ConfigError(TEXT_ERR.OFFER_INVALID, 'only ErrorRecoveryLevel 0 is implemented (F-12)');
  }
  if (offer.firstBurstLength > offer.maxBurstLength) {
    throw new ConfigError(TEXT_ERR.OFFER_INVALID, 'FirstBurstLength must not exceed MaxBurstLength (§13.14)');
  }
  return prefs;
}

/** Check each formatted value (in OFFER_BINDINGS order, undefined: not offered) against the key table. */
function validateOffer(values: ReadonlyArray<string | undefined>): Map<string, string> {
  const prefs = new Map<string, string>();
  OFFER_BINDINGS.forEach(({ key, field }, i) => {
    const value = values[i];
    if (value === undefined) return;
    const def = lookupKey(key)!;
    try {
      const items = parseKeyValue(def, value, `offer.${field}`);
      if (def.values !== undefined && Array.isArray(items) && (items.length === 0 || !items.every((it) => def.values!.includes(it)))) {
        throw textError(TEXT_ERR.VALUE_SYNTAX, `unknown value in ${value}`, `offer.${field}`);
      }
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      throw new ConfigError(TEXT_ERR.OFFER_INVALID, `invalid ${field} in our offer: ${err.message}`, { cause: err });
    }
    prefs.set(key, value);
  });
  return prefs;
}

/** One integrity rule between negotiated values (§6.2: checked once all values are known). */
interface IntegrityRule {
  readonly ref: string;
  readonly what: string;
  holds(p: NegotiatedParams, discovery: boolean): boolean;
}

/** FirstBurstLength is irrelevant for discovery and with InitialR2T=Yes, ImmediateData=No (§13.14). */
function firstBurstIrrelevant(p: NegotiatedParams, discovery: boolean): boolean {
  return discovery || (p.initialR2T && !p.immediateData);
}

export const INTEGRITY_RULES: readonly IntegrityRule[] = [
  {
    ref: '7143 §13.14',
    what: 'FirstBurstLength must not exceed MaxBurstLength',
    holds: (p, discovery) => firstBurstIrrelevant(p, discovery) || p.firstBurstLength <= p.maxBurstLength,
  },
  {
    ref: '7143 §13.19',
    what: 'ErrorRecoveryLevel > 0 with DataSequenceInOrder=Yes needs MaxOutstandingR2T=1',
    holds: (p) => p.errorRecoveryLevel === 0 || !p.dataSequenceInOrder || p.maxOutstandingR2T === 1,
  },
];

/** Throw ProtocolError INTEGRITY_VIOLATION when a rule is broken (F-07, F-17). */
export function checkIntegrity(p: NegotiatedParams, discovery: boolean): void {
  for (const rule of INTEGRITY_RULES) {
    if (!rule.holds(p, discovery)) throw textError(TEXT_ERR.INTEGRITY_VIOLATION, rule.what, `negotiation (${rule.ref})`);
  }
}
