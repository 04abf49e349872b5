/**
 * `host.flashnode.list`: `iscsiadm -m host -H N -C flashnode [-x IDX]` — flashnode
 * records read from sysfs (/sys/bus/iscsi_flashnode). Without `index`: every
 * flashnode of the host (possibly none); with it: that one (errno 21 when absent).
 */
import { z } from 'zod';
import { hostNo, hostRecordEntry } from './host-offload-schemas.js';
import { showSecrets } from './schemas.js';
import { methodSpec } from './spec.js';

export const hostFlashnodeList = methodSpec({
  name: 'host.flashnode.list',
  description: 'Flash target entries of an offload host.',
  params: z.strictObject({ hostNo, index: z.number().int().min(0).max(0xffffffff).optional(), showSecrets }),
  result: z.object({
    hostNo,
    transport: z.string(),
    flashnodes: z.array(z.object({ index: z.number().int(), record: z.array(hostRecordEntry) })),
  }),
});
