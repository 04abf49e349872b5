/**
 * Indexes over the live sessions of the SessionManager, so that finding the sessions of
 * one node record costs O(sessions of that target), not O(all sessions):
 *
 * - by exact record key (target, portal, tpgt, iface): `isBusy` (records in use are not
 *   deleted or retargeted) in O(1);
 * - by target name: the candidates of the open-iscsi session matching rule (reference
 *   Appendix B: a pattern with a target name only matches sessions of that target), so
 *   login dedup and logout-by-record test only that target's sessions.
 *
 * Without them a `loginAll` over N records compared every record with every session
 * (O(N²): 10^8 awaited comparisons for 10 000 records, bench/RESULTS.md problem 2).
 */
import type { NodeKey } from '../db/index.js';

/** What the index needs of a session. */
export interface Indexed {
  readonly sid: number;
  readonly key: NodeKey;
}

/** The exact identity of a record as one string. */
export function keyId(k: NodeKey): string {
  return `${k.target}\u0000${k.address}\u0000${k.port}\u0000${k.tpgt}\u0000${k.iface}`;
}

function addTo<T>(map: Map<string, Set<T>>, id: string, item: T): void {
  let set = map.get(id);
  if (!set) map.set(id, (set = new Set()));
  set.add(item);
}

function deleteFrom<T>(map: Map<string, Set<T>>, id: string, item: T): void {
  const set = map.get(id);
  if (!set) return;
  set.delete(item);
  if (set.size === 0) map.delete(id);
}

/** Sessions by record key and by target name. */
export class SessionIndex<S extends Indexed> {
  private readonly byKey = new Map<string, Set<S>>();
  private readonly byTarget = new Map<string, Set<S>>();

  add(s: S): void {
    addTo(this.byKey, keyId(s.key), s);
    addTo(this.byTarget, s.key.target, s);
  }

  delete(s: S): void {
    deleteFrom(this.byKey, keyId(s.key), s);
    deleteFrom(this.byTarget, s.key.target, s);
  }

  /** Sessions of exactly this record. */
  ofKey(k: NodeKey): ReadonlySet<S> {
    return this.byKey.get(keyId(k)) ?? EMPTY;
  }

  /** Sessions whose record names this target. */
  ofTarget(target: string): ReadonlySet<S> {
    return this.byTarget.get(target) ?? EMPTY;
  }
}

const EMPTY: ReadonlySet<never> = new Set<never>();
