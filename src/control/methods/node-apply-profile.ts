/**
 * `node.applyProfile`: write a recovery profile's keys (noop_out_interval,
 * noop_out_timeout, replacement_timeout) into every matching node record, as
 * `node.update` would. Live sessions keep the timers they logged in with until they log
 * in again (`relogin` lists them). Errors: 21 nothing matched, 7 bad profile.
 */
import { z } from 'zod';
import { profileName } from './profile-list.js';
import { methodSpec } from './spec.js';
import { firstErrno, itemError, nodeKey, nodeSelectorShape, sid } from './schemas.js';

export const nodeApplyProfile = methodSpec({
  name: 'node.applyProfile',
  description: 'Apply a recovery profile (multipath | root) to matching node records.',
  params: z.strictObject({ ...nodeSelectorShape, profile: profileName }),
  result: z.object({
    profile: profileName,
    /** The keys written. */
    values: z.record(z.string(), z.number()),
    results: z.array(z.object({ node: nodeKey, error: itemError.optional() })),
    /** Sessions of these records still running with their old timers. */
    relogin: z.array(sid),
    firstErrno,
  }),
});
