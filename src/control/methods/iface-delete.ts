/**
 * `iface.delete`: `iscsiadm -m iface -I NAME -o delete` ("NAME unbound and deleted."),
 * deleting its node records first. Errors: 21 not found, 7 built-in, 15 a session uses
 * one of its node records (nothing deleted).
 */
import { z } from 'zod';
import { methodSpec } from './spec.js';
import { ifaceName } from './schemas.js';

export const ifaceDelete = methodSpec({
  name: 'iface.delete',
  description: 'Delete an iface record and its node records.',
  params: z.strictObject({ name: ifaceName }),
  result: z.object({ name: ifaceName }),
});
