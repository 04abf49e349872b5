/**
 * SendTargets response parsing (RFC 7143 Appendix C, §13.8).
 *
 * The response is a list of records; each record is one `TargetName=` key
 * followed by zero or more `TargetAddress=` keys:
 *
 *   TargetName=iqn.2001-04.com.example:storage.disk1
 *   TargetAddress=10.0.0.5:3260,1
 *   TargetAddress=[2001:db8::5]:3260,1
 *
 * A record without TargetAddress means the target is reachable through the
 * portal the discovery session is connected to (App. C). Like open-iscsi
 * (reference §5.6), such a portal, and any address without `,tag`, gets the
 * tag TPGT_UNKNOWN (-1).
 *
 * The parser never throws: anything unusable is skipped and reported in
 * `warnings` for the caller to log.
 */
import { IscsiError } from '../shared/errors.js';
import { parseTargetAddress, TPGT_UNKNOWN } from './portal.js';

/** One portal of a discovered target. */
export interface DiscoveredPortal {
  host: string;
  port: number;
  /** Target portal group tag; TPGT_UNKNOWN (-1) when the target did not say. */
  tpgt: number;
}

/** One discovered target with its portals in response order. */
export interface DiscoveredTarget {
  /** TargetName exactly as sent (no case folding or normalization, A-05). */
  name: string;
  portals: DiscoveredPortal[];
}

/** Warning codes emitted by parseSendTargets. */
export type SendTargetsWarningCode = 'BAD_TARGET_ADDRESS' | 'ADDRESS_WITHOUT_TARGET' | 'EMPTY_TARGET_NAME' | 'UNEXPECTED_KEY';

/** Something skipped while parsing; never fatal. */
export interface SendTargetsWarning {
  code: SendTargetsWarningCode;
  message: string;
}

/** Result of parseSendTargets. */
export interface SendTargetsResult {
  /** Targets in order of first appearance, each with at least one portal; a name repeated in several records is merged. */
  targets: DiscoveredTarget[];
  warnings: SendTargetsWarning[];
}

interface Builder {
  targets: Map<string, DiscoveredTarget>;
  /** Record being filled; null before the first TargetName or after an empty one. */
  current: DiscoveredTarget | null;
  /** Whether the current record has seen any TargetAddress key (even a bad one). */
  sawAddress: boolean;
  warnings: SendTargetsWarning[];
  /**
   * TargetAddress values already parsed in this response (a portal, or the error text):
   * most targets behind one portal share one address, so 1000 targets parse it once.
   */
  parsed: Map<string, DiscoveredPortal | string>;
}

function addPortal(t: DiscoveredTarget, p: DiscoveredPortal): void {
  if (!t.portals.some((q) => q.host === p.host && q.port === p.port && q.tpgt === p.tpgt)) t.portals.push(p);
}

function closeRecord(b: Builder, discovery: { host: string; port: number }): void {
  const t = b.current;
  if (t !== null && !b.sawAddress) addPortal(t, { host: discovery.host, port: discovery.port, tpgt: TPGT_UNKNOWN });
  b.current = null;
  b.sawAddress = false;
}

function onTargetName(b: Builder, value: string, discovery: { host: string; port: number }): void {
  closeRecord(b, discovery);
  if (value === '') {
    b.warnings.push({ code: 'EMPTY_TARGET_NAME', message: 'TargetName with an empty value; record skipped' });
    return;
  }
  let t = b.targets.get(value);
  if (t === undefined) {
    t = { name: value, portals: [] };
    b.targets.set(value, t);
  }
  b.current = t;
}

function onTargetAddress(b: Builder, value: string): void {
  if (b.current === null) {
    b.warnings.push({ code: 'ADDRESS_WITHOUT_TARGET', message: `TargetAddress=${value} is not preceded by a TargetName; skipped` });
    return;
  }
  b.sawAddress = true;
  let p = b.parsed.get(value);
  if (p === undefined) {
    p = parsePortal(value);
    b.parsed.set(value, p);
  }
  if (typeof p === 'string') {
    b.warnings.push({ code: 'BAD_TARGET_ADDRESS', message: `target ${b.current.name}: ${p}; address skipped` });
    return;
  }
  // A fresh object per target: callers may keep or change one target's portals.
  addPortal(b.current, { host: p.host, port: p.port, tpgt: p.tpgt });
}

/** A TargetAddress value as a portal, or the reason it is not one. */
function parsePortal(value: string): DiscoveredPortal | string {
  try {
    const a = parseTargetAddress(value);
    return { host: a.host, port: a.port, tpgt: a.tpgt ?? TPGT_UNKNOWN };
  } catch (err) {
    return err instanceof IscsiError ? err.message : String(err);
  }
}

/**
 * Turn the key=value pairs of a SendTargets response (already reassembled
 * across Text Response PDUs) into targets and portals.
 *
 * - a record with no TargetAddress gets `discoveryPortal` with tag -1 (I-06);
 * - a target whose addresses are all malformed is dropped (each address was
 *   reported as a warning) rather than falling back to the discovery portal;
 * - IPv4 and IPv6 portals of one target are all kept (I-16); exact duplicate
 *   portals are dropped;
 * - keys other than TargetName/TargetAddress are ignored with a warning (I-21);
 * - an empty response yields no targets and no warnings (I-07).
 */
export function parseSendTargets(
  pairs: readonly (readonly [string, string])[],
  discoveryPortal: { host: string; port: number },
): SendTargetsResult {
  const b: Builder = { targets: new Map(), current: null, sawAddress: false, warnings: [], parsed: new Map() };
  for (const [key, value] of pairs) {
    if (key === 'TargetName') onTargetName(b, value, discoveryPortal);
    else if (key === 'TargetAddress') onTargetAddress(b, value);
    else b.warnings.push({ code: 'UNEXPECTED_KEY', message: `unexpected key ${key} in SendTargets response; ignored` });
  }
  closeRecord(b, discoveryPortal);
  const targets = [...b.targets.values()].filter((t) => t.portals.length > 0);
  return { targets, warnings: b.warnings };
}
