/**
 * `profile.list`: the recovery profiles (docs/recovery.md) with the node record keys each
 * sets, and the ifaces that have a default profile.
 */
import { z } from 'zod';
import { methodSpec } from './spec.js';
import { ifaceName } from './schemas.js';

/** Profile names: `multipath` (fail over fast) and `root` (hold I/O patiently). */
export const profileName = z.enum(['multipath', 'root']);

/** One profile: name, what it is for, and the record keys it writes. */
export const profileEntry = z.object({
  name: profileName,
  description: z.string(),
  values: z.record(z.string(), z.number()),
});

export const profileList = methodSpec({
  name: 'profile.list',
  description: 'Recovery profiles and the iface defaults.',
  params: z.strictObject({}),
  result: z.object({
    profiles: z.array(profileEntry),
    ifaces: z.array(z.object({ iface: ifaceName, profile: profileName })),
  }),
});
