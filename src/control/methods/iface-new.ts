/**
 * `iface.new`: `iscsiadm -m iface -I NAME -o new` ("New interface NAME added"). Errors:
 * 7 INVALID_NAME / BUILTIN_IFACE / bad key, 6 RECORD_EXISTS.
 */
import { z } from 'zod';
import { methodSpec } from './spec.js';
import { ifaceName, patchValues } from './schemas.js';

export const ifaceNew = methodSpec({
  name: 'iface.new',
  description: 'Create an iface record (transport tcp unless values say otherwise).',
  params: z.strictObject({ name: ifaceName, values: patchValues.optional() }),
  result: z.object({ name: ifaceName }),
});
