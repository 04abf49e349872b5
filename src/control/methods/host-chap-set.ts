/**
 * `host.chap.set`: `iscsiadm -m host -H N -C chap -x IDX -o new|update -n host.auth.* -v …`
 * (SET_CHAP). The username/password pair decides the entry type (errno 7 otherwise).
 */
import { z } from 'zod';
import { hostNo, nameValues } from './host-offload-schemas.js';
import { methodSpec } from './spec.js';

export const hostChapSet = methodSpec({
  name: 'host.chap.set',
  description: 'Write one entry of an offload host CHAP table.',
  params: z.strictObject({ hostNo, index: z.number().int().min(0).max(0xffff), params: nameValues }),
  result: z.object({ hostNo, index: z.number().int(), type: z.enum(['out', 'in']) }),
});
