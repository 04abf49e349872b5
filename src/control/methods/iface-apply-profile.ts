/**
 * `iface.applyProfile`: make a recovery profile the default of an iface (`none` clears
 * it). Nothing is written into node records: at each login, a node bound to the iface
 * takes the profile's value for every profile key it leaves at its new-record default
 * (a value set on the node wins). Errors: 21 iface not found, 7 bad profile.
 */
import { z } from 'zod';
import { profileName } from './profile-list.js';
import { methodSpec } from './spec.js';
import { ifaceName, nodeKey } from './schemas.js';

export const ifaceApplyProfile = methodSpec({
  name: 'iface.applyProfile',
  description: 'Set (or clear with none) the default recovery profile of an iface.',
  params: z.strictObject({ name: ifaceName, profile: z.union([profileName, z.literal('none')]) }),
  result: z.object({
    name: ifaceName,
    /** The default now; null when cleared. */
    profile: profileName.nullable(),
    values: z.record(z.string(), z.number()),
    /** Node records bound to the iface (they inherit at their next login). */
    nodes: z.array(nodeKey),
  }),
});
