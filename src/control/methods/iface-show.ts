/** `iface.show`: `iscsiadm -m iface -I NAME [-o show]`. Errors: 21 RECORD_NOT_FOUND. */
import { z } from 'zod';
import { methodSpec } from './spec.js';
import { dbWarning, ifaceName, recordDump, recordVersion } from './schemas.js';

export const ifaceShow = methodSpec({
  name: 'iface.show',
  description: 'Dump one iface record.',
  params: z.strictObject({ name: ifaceName, recordVersion }),
  result: z.object({ name: ifaceName, builtin: z.boolean(), record: recordDump, warnings: z.array(dbWarning) }),
});
