/**
 * `node.update`: set keys on every matching node record (`iscsiadm -m node ... -o update
 * -n k -v v`). Keys become user edits that re-discovery keeps. `iface.*` keys belong to
 * iface mode except `iface.transport_name` (refused with 15 while a session uses the
 * record). Errors: 7 UNKNOWN_KEY / READ_ONLY_KEY / KEY_OWNED_BY_OTHER_MODE / INVALID_VALUE
 * (details.key; nothing is written), 21 nothing matched.
 */
import { z } from 'zod';
import { methodSpec } from './spec.js';
import { firstErrno, itemError, nodeKey, nodeSelectorShape, patchValues } from './schemas.js';

export const nodeUpdate = methodSpec({
  name: 'node.update',
  description: 'Update keys of matching node records.',
  params: z.strictObject({ ...nodeSelectorShape, values: patchValues }),
  result: z.object({
    results: z.array(z.object({ node: nodeKey, error: itemError.optional() })),
    firstErrno,
  }),
});
