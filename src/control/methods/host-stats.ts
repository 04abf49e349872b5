/**
 * `host.stats`: `iscsiadm -m host -H N -C stats` (GET_HOST_STATS). The 82 counters
 * of `iscsi_offload_host_stats` in print order, as decimal strings of iscsiadm's
 * %lld (64-bit values do not fit a JSON number).
 */
import { z } from 'zod';
import { hostNo } from './host-offload-schemas.js';
import { methodSpec } from './spec.js';

export const hostStats = methodSpec({
  name: 'host.stats',
  description: 'Offload statistics of an iSCSI host.',
  params: z.strictObject({ hostNo }),
  result: z.object({ hostNo, transport: z.string(), counters: z.array(z.tuple([z.string(), z.string().regex(/^-?\d+$/)])) }),
});
