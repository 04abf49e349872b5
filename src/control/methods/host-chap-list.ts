/**
 * `host.chap.list`: `iscsiadm -m host -H N -C chap -o show` — every valid entry of
 * the HBA's CHAP table (GET_CHAP, paged). Passwords are `********` unless
 * `showSecrets` (iscsiadm prints them in clear, so the CLI asks for them).
 * Errors: 12 no transport for the host; kernel refusals as KERNEL_* (details name
 * the request and errno).
 */
import { z } from 'zod';
import { hostNo, hostRecordEntry } from './host-offload-schemas.js';
import { showSecrets } from './schemas.js';
import { methodSpec } from './spec.js';

export const hostChapList = methodSpec({
  name: 'host.chap.list',
  description: 'Entries of an offload host CHAP table.',
  params: z.strictObject({ hostNo, showSecrets }),
  result: z.object({
    hostNo,
    transport: z.string(),
    entries: z.array(z.object({ index: z.number().int(), type: z.enum(['out', 'in']), record: z.array(hostRecordEntry) })),
  }),
});
