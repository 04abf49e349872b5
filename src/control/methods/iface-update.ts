/**
 * `iface.update`: `iscsiadm -m iface -I NAME -o update -n k -v v` ("NAME updated."); also
 * rewrites the iface block of its node records. Errors: 21 not found, 7 built-in / bad
 * key / IFACE_BINDING_SWITCH.
 */
import { z } from 'zod';
import { methodSpec } from './spec.js';
import { ifaceName, patchValues } from './schemas.js';

export const ifaceUpdate = methodSpec({
  name: 'iface.update',
  description: 'Update keys of an iface record and its node records.',
  params: z.strictObject({ name: ifaceName, values: patchValues }),
  result: z.object({ name: ifaceName, keys: z.array(z.string()) }),
});
