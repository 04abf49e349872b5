/** `host.chap.delete`: `iscsiadm -m host -H N -C chap -x IDX -o delete` (DELETE_CHAP; -EBUSY = index in use, errno 28). */
import { z } from 'zod';
import { hostNo } from './host-offload-schemas.js';
import { methodSpec } from './spec.js';

export const hostChapDelete = methodSpec({
  name: 'host.chap.delete',
  description: 'Delete one entry of an offload host CHAP table.',
  params: z.strictObject({ hostNo, index: z.number().int().min(0).max(0xffff) }),
  result: z.object({ hostNo, index: z.number().int() }),
});
