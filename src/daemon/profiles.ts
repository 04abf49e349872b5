/**
 * Recovery profiles: named sets of node record timers for the two ways a path failure
 * should be handled (docs/recovery.md; open-iscsi README §8):
 *
 *   profile     noop_out_interval / timeout   replacement_timeout   for
 *   multipath   5 / 5 s                       15 s                  dm-multipath: detect a dead path
 *                                                                   fast, fail held I/O to the other
 *                                                                   paths soon, keep reconnecting
 *   root        0 / 0 (no pings)              86400 s               iSCSI root disk: never fail I/O
 *                                                                   up, hold it until the path is back
 *
 * A profile is applied to node records (`node.applyProfile`: the keys are written like
 * `-o update`), or set as the default of an iface (`iface.applyProfile`): then every node
 * bound to that iface inherits it *at login* for each profile key it leaves at its
 * new-record default (iscsid.conf); a value set on the node wins. Iface defaults are kept
 * in `<db>/iface-profiles.json` (iface records have no such keys in open-iscsi's format).
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ConfigError } from '../shared/errors.js';
import { atomicWriteFile, ensureDir, errCode, PUBLIC_FILE_MODE } from '../db/atomic.js';
import type { NodeRecord } from '../db/index.js';

/** Profile names. */
export const PROFILE_NAMES = ['multipath', 'root'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/** Keys a profile sets. */
export type ProfileKey = 'node.conn[0].timeo.noop_out_interval' | 'node.conn[0].timeo.noop_out_timeout' | 'node.session.timeo.replacement_timeout';

export interface Profile {
  name: ProfileName;
  description: string;
  values: Readonly<Record<ProfileKey, number>>;
}

/** The presets (values from open-iscsi README §8.1 / §8.2; checklist S-01, S-02). */
export const PROFILES: Readonly<Record<ProfileName, Profile>> = {
  multipath: {
    name: 'multipath',
    description: 'dm-multipath path: detect a dead path within 10 s and fail held I/O to the other paths after 15 s',
    values: {
      'node.conn[0].timeo.noop_out_interval': 5,
      'node.conn[0].timeo.noop_out_timeout': 5,
      'node.session.timeo.replacement_timeout': 15,
    },
  },
  root: {
    name: 'root',
    description: 'iSCSI root disk: no NOP-Out pings, hold I/O for a day while the session is re-established',
    values: {
      'node.conn[0].timeo.noop_out_interval': 0,
      'node.conn[0].timeo.noop_out_timeout': 0,
      'node.session.timeo.replacement_timeout': 86400,
    },
  },
};

/** The profile called `name`, or ConfigError UNKNOWN_PROFILE (errno 7). */
export function profileOf(name: string): Profile {
  const p = (PROFILES as Readonly<Record<string, Profile>>)[name];
  if (p === undefined) throw new ConfigError('UNKNOWN_PROFILE', `unknown profile '${name}' (known: ${PROFILE_NAMES.join(', ')})`, { details: { profile: name } });
  return p;
}

/**
 * A record with `profile` inherited: each profile key whose value equals the new-record
 * default takes the profile's value; keys the node changed keep theirs.
 */
export function inheritProfile(rec: Readonly<NodeRecord>, profile: ProfileName, defaults: Readonly<NodeRecord>): { record: Readonly<NodeRecord>; applied: ProfileKey[] } {
  const applied: ProfileKey[] = [];
  const out: Record<string, unknown> = { ...rec };
  for (const [key, value] of Object.entries(PROFILES[profile].values) as Array<[ProfileKey, number]>) {
    if (rec[key] === defaults[key] && rec[key] !== value) {
      out[key] = value;
      applied.push(key);
    }
  }
  return { record: out as unknown as NodeRecord, applied };
}

/** File name of the iface defaults under the DB root. */
export const IFACE_PROFILES_FILE = 'iface-profiles.json';

/** Iface → default profile, persisted as JSON (written atomically). */
export class IfaceProfiles {
  private map = new Map<string, ProfileName>();

  constructor(private readonly file: string) {}

  /** The store under a DB root. */
  static under(dbRoot: string): IfaceProfiles {
    return new IfaceProfiles(join(dbRoot, IFACE_PROFILES_FILE));
  }

  /** Read the file; a missing file is an empty map. Unknown profile names are dropped with a warning. */
  async load(): Promise<string[]> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if (errCode(err) === 'ENOENT') return [];
      throw err;
    }
    const warnings: string[] = [];
    const next = new Map<string, ProfileName>();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return [`${this.file}: not valid JSON; iface profiles ignored`];
    }
    const ifaces = (parsed as { ifaces?: unknown }).ifaces;
    if (ifaces !== null && typeof ifaces === 'object') {
      for (const [iface, name] of Object.entries(ifaces)) {
        if (typeof name === 'string' && (PROFILE_NAMES as readonly string[]).includes(name)) next.set(iface, name as ProfileName);
        else warnings.push(`${this.file}: iface ${iface}: unknown profile ${String(name)} ignored`);
      }
    }
    this.map = next;
    return warnings;
  }

  get(iface: string): ProfileName | undefined {
    return this.map.get(iface);
  }

  /** Every iface with a default profile, by name. */
  entries(): Array<{ iface: string; profile: ProfileName }> {
    return [...this.map.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([iface, profile]) => ({ iface, profile }));
  }

  /** Set (or clear with undefined) the default of `iface` and write the file. */
  async set(iface: string, profile: ProfileName | undefined): Promise<void> {
    const next = new Map(this.map);
    if (profile === undefined) next.delete(iface);
    else next.set(iface, profile);
    const body = { ifaces: Object.fromEntries([...next.entries()].sort(([a], [b]) => a.localeCompare(b))) };
    await ensureDir(dirname(this.file));
    await atomicWriteFile(this.file, `${JSON.stringify(body, null, 2)}\n`, PUBLIC_FILE_MODE);
    this.map = next;
  }
}
