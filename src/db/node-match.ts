/**
 * open-iscsi's record/session matching rule (reference Appendix B), used by
 * `-m node -T/-p/-I` filters, login dedup and logout by record:
 * - target: equal when the pattern names one;
 * - address: matches when the pattern has none, when the strings are equal, or when both
 *   resolve to a common address (so a hostname matches its IP);
 * - port: equal unless the pattern port is -1 (or absent);
 * - iface: when the pattern names one the names must be equal; for `default` the
 *   transport is not compared, otherwise transports must be equal when the pattern
 *   gives one.
 * Name resolution is injected (the daemon passes a getaddrinfo wrapper; tests a table).
 */
import type { NodeKey } from './paths.js';

/** What to match; absent fields match anything. */
export interface NodePattern {
  readonly target?: string;
  readonly address?: string;
  /** -1 or absent: any port. */
  readonly port?: number;
  readonly iface?: string;
  readonly transport?: string;
}

/** Resolve a host name or literal to its addresses (empty when it does not resolve). */
export type Resolver = (host: string) => Promise<readonly string[]>;

/** Whether a record (key + its transport) matches `pattern`. */
export async function matchesNodePattern(pattern: NodePattern, key: NodeKey, transport: string, resolve?: Resolver): Promise<boolean> {
  if (pattern.target !== undefined && pattern.target !== key.target) return false;
  if (pattern.port !== undefined && pattern.port !== -1 && pattern.port !== key.port) return false;
  if (pattern.iface !== undefined) {
    if (pattern.iface !== key.iface) return false;
    if (pattern.iface !== 'default' && pattern.transport !== undefined && pattern.transport !== transport) return false;
  }
  return addressMatches(pattern.address, key.address, resolve);
}

async function addressMatches(pattern: string | undefined, address: string, resolve?: Resolver): Promise<boolean> {
  if (pattern === undefined || pattern === '' || pattern === address) return true;
  if (!resolve) return false;
  const none: readonly string[] = [];
  const [a, b] = await Promise.all([resolve(pattern).catch(() => none), resolve(address).catch(() => none)]);
  return a.some((x) => b.includes(x));
}
