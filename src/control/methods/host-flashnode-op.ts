/**
 * `host.flashnode.op`: `iscsiadm -m host -H N -C flashnode -o new|update|delete|login|logout`.
 * new: NEW_FLASHNODE with `portalType` (default ipv4), answers the new index; update:
 * SET_FLASHNODE_PARAMS from `params`; delete/login/logout: DEL/LOGIN/LOGOUT_FLASHNODE.
 * The kernel driver decides whether a login/logout applies (already logged in: its errno).
 */
import { z } from 'zod';
import { hostNo, nameValues } from './host-offload-schemas.js';
import { methodSpec } from './spec.js';

export const hostFlashnodeOp = methodSpec({
  name: 'host.flashnode.op',
  description: 'Create, update, delete, log in or log out a flash target entry.',
  params: z.strictObject({
    hostNo,
    op: z.enum(['new', 'update', 'delete', 'login', 'logout']),
    index: z.number().int().min(0).max(0xffffffff).optional(),
    portalType: z.enum(['ipv4', 'ipv6']).optional(),
    params: nameValues.optional(),
  }),
  result: z.object({ hostNo, index: z.number().int(), outcome: z.enum(['done']) }),
});
