/**
 * The one table of iSCSI login/text keys (RFC 7143 §12, §13; RFC 7144 §7.1.1;
 * RFC 7145 §6 names for recognition; RFC 3720 marker keys, obsolete per §13.25).
 * Negotiation code is generic over these rows (DESIGN.md §5.4): no per-key
 * branches elsewhere.
 *
 * Column meanings (§13 introduction):
 * - stage: `security` = SecurityNegotiation only (§12); `any` = "Any-Stage";
 *   `operational` = LoginOperationalNegotiation only.
 * - use: IO initialize (login) only, LO leading connection only, ALL login and
 *   FFP, FFPO full feature phase only.
 * - scope: SW session-wide, CO connection-only.
 * - kind: result function (`min`: selection may not exceed the offer, `max`:
 *   may not be lower, `and`/`or`: Boolean functions, `list`: first supported
 *   value of the proposer's list, §6.2.1), `declarative` (no answer, §6.2),
 *   `enumerated` (SessionType: declared, one of a fixed set).
 * - maxLength: longest simple-value in bytes (binary: decoded bytes), 255 unless
 *   the key says otherwise (§6.1).
 */

export type KeyStage = 'security' | 'operational' | 'any';
export type KeyUse = 'IO' | 'LO' | 'ALL' | 'FFPO';
export type KeyScope = 'SW' | 'CO';
export type NegotiatedKind = 'list' | 'and' | 'or' | 'min' | 'max';
export type KeyKind = NegotiatedKind | 'declarative' | 'enumerated';
/** Who may send the key during login (TargetName from a target is FFP-only, §13.4). */
export type KeySenders = 'initiator' | 'target' | 'both';
/** Value grammar (§6.1). `binary-numeric` is a regular-binary-value read as a number (TPGT). */
export type ValueType =
  | 'numeric'
  | 'boolean'
  | 'list'
  | 'numeric-list'
  | 'text'
  | 'iscsi-name'
  | 'local-name'
  | 'binary'
  | 'binary-numeric';

/** "Irrelevant when: <key>=<value>" (all conditions of one row must hold). */
export interface KeyCondition {
  readonly key: string;
  readonly value: string;
}

/** One key of the table. */
export interface KeyDef {
  readonly name: string;
  readonly stage: KeyStage;
  readonly use: KeyUse;
  readonly scope: KeyScope;
  readonly kind: KeyKind;
  readonly type: ValueType;
  readonly senders: KeySenders;
  /** Default in wire form; absent when the RFC defines none. */
  readonly default?: string;
  /** Admissible numerical range (inclusive). */
  readonly range?: { readonly min: number; readonly max: number };
  /** Values the RFC defines for list/enumerated keys (others may exist). */
  readonly values?: readonly string[];
  /** Longest simple-value (each list item) in bytes, §6.1. */
  readonly maxLength: number;
  /** Longest whole value, when the key limits it (X#NodeArchitecture, §13.26.1). */
  readonly maxTotalLength?: number;
  /** "Irrelevant when: SessionType=Discovery". */
  readonly irrelevantForDiscovery: boolean;
  /** Other "Irrelevant when" conditions. */
  readonly irrelevantWhen?: readonly KeyCondition[];
  /** May be declared more than once (TargetAddress, §6.3). */
  readonly repeatable: boolean;
  /** A "later" key (§6.2): NotUnderstood concludes it instead of being a protocol error. */
  readonly notUnderstoodOk: boolean;
  /** Obsolete (§13.25): never offered; answered Reject when received. */
  readonly obsolete: boolean;
  /** Where the key is defined. */
  readonly ref: string;
}

type RowOpts = Partial<Omit<KeyDef, 'name' | 'stage' | 'use' | 'scope' | 'kind' | 'type' | 'senders' | 'ref'>>;

function row(
  name: string,
  ref: string,
  stage: KeyStage,
  use: KeyUse,
  scope: KeyScope,
  kind: KeyKind,
  type: ValueType,
  senders: KeySenders,
  opts: RowOpts = {},
): KeyDef {
  return {
    name, ref, stage, use, scope, kind, type, senders,
    maxLength: 255, irrelevantForDiscovery: false, repeatable: false, notUnderstoodOk: false, obsolete: false,
    ...opts,
  };
}

/** 512 .. 2^24-1, the segment/burst length range (§13.12-§13.14). */
const LENGTH = { min: 512, max: 16777215 } as const;
const NO_RDMA: readonly KeyCondition[] = [{ key: 'RDMAExtensions', value: 'No' }];
const DISC = { irrelevantForDiscovery: true } as const;

/** Every key, in RFC order. */
export const KEY_TABLE: readonly KeyDef[] = [
  // §12: SecurityNegotiation keys. "All security keys have connection-wide applicability."
  row('AuthMethod', '7143 §12.1', 'security', 'IO', 'CO', 'list', 'list', 'both', { values: ['KRB5', 'SRP', 'CHAP', 'None'] }),
  row('KRB_AP_REQ', '7143 §12.1.1', 'security', 'IO', 'CO', 'declarative', 'binary', 'initiator', { maxLength: 65536 }),
  row('KRB_AP_REP', '7143 §12.1.1', 'security', 'IO', 'CO', 'declarative', 'binary', 'target', { maxLength: 65536 }),
  row('SRP_U', '7143 §12.1.2', 'security', 'IO', 'CO', 'declarative', 'text', 'initiator'),
  row('TargetAuth', '7143 §12.1.2', 'security', 'IO', 'CO', 'declarative', 'boolean', 'initiator'),
  row('SRP_GROUP', '7143 §12.1.2', 'security', 'IO', 'CO', 'list', 'list', 'both'),
  row('SRP_s', '7143 §12.1.2', 'security', 'IO', 'CO', 'declarative', 'binary', 'target', { maxLength: 1024 }),
  row('SRP_A', '7143 §12.1.2', 'security', 'IO', 'CO', 'declarative', 'binary', 'initiator', { maxLength: 1024 }),
  row('SRP_B', '7143 §12.1.2', 'security', 'IO', 'CO', 'declarative', 'binary', 'target', { maxLength: 1024 }),
  row('SRP_M', '7143 §12.1.2', 'security', 'IO', 'CO', 'declarative', 'binary', 'initiator', { maxLength: 1024 }),
  row('SRP_HM', '7143 §12.1.2', 'security', 'IO', 'CO', 'declarative', 'binary', 'target', { maxLength: 1024 }),
  row('CHAP_A', '7143 §12.1.3', 'security', 'IO', 'CO', 'list', 'numeric-list', 'both'),
  row('CHAP_I', '7143 §12.1.3', 'security', 'IO', 'CO', 'declarative', 'numeric', 'both', { range: { min: 0, max: 255 } }),
  row('CHAP_C', '7143 §12.1.3', 'security', 'IO', 'CO', 'declarative', 'binary', 'both', { maxLength: 1024 }),
  row('CHAP_N', '7143 §12.1.3', 'security', 'IO', 'CO', 'declarative', 'text', 'both'),
  row('CHAP_R', '7143 §12.1.3', 'security', 'IO', 'CO', 'declarative', 'binary', 'both', { maxLength: 1024 }),

  // §13: Any-Stage keys (also allowed in SecurityNegotiation, §12).
  row('SessionType', '7143 §13.21', 'any', 'LO', 'SW', 'enumerated', 'text', 'initiator', { default: 'Normal', values: ['Discovery', 'Normal'] }),
  row('InitiatorName', '7143 §13.5', 'any', 'IO', 'SW', 'declarative', 'iscsi-name', 'initiator', { maxLength: 223 }),
  row('TargetName', '7143 §13.4', 'any', 'IO', 'SW', 'declarative', 'iscsi-name', 'initiator', { maxLength: 223 }),
  row('InitiatorAlias', '7143 §13.7', 'any', 'ALL', 'SW', 'declarative', 'local-name', 'initiator'),
  row('TargetAlias', '7143 §13.6', 'any', 'ALL', 'SW', 'declarative', 'local-name', 'target'),
  row('TargetAddress', '7143 §13.8', 'any', 'ALL', 'SW', 'declarative', 'text', 'target', { repeatable: true }),
  row('TargetPortalGroupTag', '7143 §13.9', 'any', 'IO', 'SW', 'declarative', 'binary-numeric', 'target', {
    maxLength: 2, range: { min: 0, max: 65535 },
  }),

  // §13: operational keys.
  row('HeaderDigest', '7143 §13.1', 'operational', 'IO', 'CO', 'list', 'list', 'both', { default: 'None', values: ['CRC32C', 'None'] }),
  row('DataDigest', '7143 §13.1', 'operational', 'IO', 'CO', 'list', 'list', 'both', { default: 'None', values: ['CRC32C', 'None'] }),
  row('MaxConnections', '7143 §13.2', 'operational', 'LO', 'SW', 'min', 'numeric', 'both', { ...DISC, default: '1', range: { min: 1, max: 65535 } }),
  row('SendTargets', '7143 §13.3', 'operational', 'FFPO', 'SW', 'declarative', 'text', 'initiator'),
  row('InitialR2T', '7143 §13.10', 'operational', 'LO', 'SW', 'or', 'boolean', 'both', { ...DISC, default: 'Yes' }),
  row('ImmediateData', '7143 §13.11', 'operational', 'LO', 'SW', 'and', 'boolean', 'both', { ...DISC, default: 'Yes' }),
  row('MaxRecvDataSegmentLength', '7143 §13.12', 'operational', 'ALL', 'CO', 'declarative', 'numeric', 'both', { default: '8192', range: LENGTH }),
  row('MaxBurstLength', '7143 §13.13', 'operational', 'LO', 'SW', 'min', 'numeric', 'both', { ...DISC, default: '262144', range: LENGTH }),
  row('FirstBurstLength', '7143 §13.14', 'operational', 'LO', 'SW', 'min', 'numeric', 'both', {
    ...DISC, default: '65536', range: LENGTH,
    irrelevantWhen: [{ key: 'InitialR2T', value: 'Yes' }, { key: 'ImmediateData', value: 'No' }],
  }),
  row('DefaultTime2Wait', '7143 §13.15', 'operational', 'LO', 'SW', 'max', 'numeric', 'both', { default: '2', range: { min: 0, max: 3600 } }),
  row('DefaultTime2Retain', '7143 §13.16', 'operational', 'LO', 'SW', 'min', 'numeric', 'both', { default: '20', range: { min: 0, max: 3600 } }),
  row('MaxOutstandingR2T', '7143 §13.17', 'operational', 'LO', 'SW', 'min', 'numeric', 'both', { ...DISC, default: '1', range: { min: 1, max: 65535 } }),
  row('DataPDUInOrder', '7143 §13.18', 'operational', 'LO', 'SW', 'or', 'boolean', 'both', { ...DISC, default: 'Yes' }),
  row('DataSequenceInOrder', '7143 §13.19', 'operational', 'LO', 'SW', 'or', 'boolean', 'both', { ...DISC, default: 'Yes' }),
  row('ErrorRecoveryLevel', '7143 §13.20', 'operational', 'LO', 'SW', 'min', 'numeric', 'both', { default: '0', range: { min: 0, max: 2 } }),
  row('TaskReporting', '7143 §13.23', 'operational', 'LO', 'SW', 'list', 'list', 'both', {
    ...DISC, default: 'RFC3720', values: ['RFC3720', 'ResponseFence', 'FastAbort'],
  }),
  // RFC 7144 §7.1.1 ("Use: LO, IO"); RFC 7143 §13.24. A later key: NotUnderstood allowed (E-08, Q-01).
  row('iSCSIProtocolLevel', '7144 §7.1.1', 'operational', 'LO', 'SW', 'min', 'numeric', 'both', {
    ...DISC, default: '1', range: { min: 0, max: 31 }, notUnderstoodOk: true,
  }),
  // §13.26: may be declared on Discovery sessions; peers that do not understand it are tolerated.
  row('X#NodeArchitecture', '7143 §13.26.1', 'operational', 'LO', 'SW', 'declarative', 'list', 'both', {
    default: 'None', maxTotalLength: 255, notUnderstoodOk: true,
  }),

  // §13.25: obsolete RFC 3720 marker keys. Never offered; answered Reject (never NotUnderstood).
  row('IFMarker', '7143 §13.25', 'operational', 'IO', 'CO', 'and', 'boolean', 'both', { default: 'No', obsolete: true }),
  row('OFMarker', '7143 §13.25', 'operational', 'IO', 'CO', 'and', 'boolean', 'both', { default: 'No', obsolete: true }),
  // RFC 3720 marker intervals were numerical-range negotiations (1~65535).
  row('IFMarkInt', '7143 §13.25', 'operational', 'IO', 'CO', 'min', 'numeric', 'both', { default: '2048', obsolete: true }),
  row('OFMarkInt', '7143 §13.25', 'operational', 'IO', 'CO', 'min', 'numeric', 'both', { default: '2048', obsolete: true }),

  // RFC 7145 §6 (iSER): recognised so that a TCP login answers them sensibly, never offered here.
  row('RDMAExtensions', '7145 §6.3', 'operational', 'LO', 'SW', 'and', 'boolean', 'both', { ...DISC, default: 'No', notUnderstoodOk: true }),
  row('TargetRecvDataSegmentLength', '7145 §6.4', 'operational', 'IO', 'CO', 'min', 'numeric', 'both', {
    default: '8192', range: LENGTH, irrelevantWhen: NO_RDMA, notUnderstoodOk: true,
  }),
  row('InitiatorRecvDataSegmentLength', '7145 §6.5', 'operational', 'IO', 'CO', 'min', 'numeric', 'both', {
    default: '8192', range: LENGTH, irrelevantWhen: NO_RDMA, notUnderstoodOk: true,
  }),
  row('MaxOutstandingUnexpectedPDUs', '7145 §6.7', 'operational', 'LO', 'SW', 'declarative', 'numeric', 'both', {
    default: '0', range: { min: 0, max: 4294967295 }, irrelevantWhen: NO_RDMA, notUnderstoodOk: true,
  }),
  row('MaxAHSLength', '7145 §6.8', 'operational', 'LO', 'SW', 'declarative', 'numeric', 'both', {
    default: '256', range: { min: 0, max: 4294967295 }, irrelevantWhen: NO_RDMA, notUnderstoodOk: true,
  }),
  row('TaggedBufferForSolicitedDataOnly', '7145 §6.9', 'operational', 'LO', 'SW', 'declarative', 'boolean', 'initiator', {
    default: 'No', irrelevantWhen: NO_RDMA, notUnderstoodOk: true,
  }),
  row('iSERHelloRequired', '7145 §6.10', 'operational', 'LO', 'SW', 'declarative', 'boolean', 'initiator', {
    default: 'No', irrelevantWhen: NO_RDMA, notUnderstoodOk: true,
  }),
];

/** The table indexed by key name (keys are case-sensitive, §6.1). */
export const KEYS: ReadonlyMap<string, KeyDef> = new Map(KEY_TABLE.map((d) => [d.name, d]));

/** The table row of `name`, or undefined for an unknown key (answered NotUnderstood, §6.2). */
export function lookupKey(name: string): KeyDef | undefined {
  return KEYS.get(name);
}

/** True for keys negotiated with a result function (an answer is part of the exchange). */
export function isNegotiated(def: KeyDef): def is KeyDef & { kind: NegotiatedKind } {
  return def.kind !== 'declarative' && def.kind !== 'enumerated';
}

/** Whether `def` may appear in a Login PDU of stage `csg` (0 security, 1 operational), §6.3 / §12. */
export function allowedInStage(def: KeyDef, csg: 0 | 1): boolean {
  if (def.use === 'FFPO') return false;
  if (def.stage === 'any') return true;
  return def.stage === (csg === 0 ? 'security' : 'operational');
}

/** Whether `def` may appear in a Full Feature Phase Text Request (not IO, not LO: F-19, F-20). */
export function allowedInFullFeaturePhase(def: KeyDef): boolean {
  return def.use === 'ALL' || def.use === 'FFPO';
}

/** Private extension key (§13.22): only for Normal sessions (E-20). */
export function isPrivateKey(name: string): boolean {
  return name.startsWith('X-');
}
