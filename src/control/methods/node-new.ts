/**
 * `node.new`: create (or replace, as open-iscsi's `-o new` does) a static node record
 * per iface (`iscsiadm -m node -T t -p a[:p][,tpgt] [-I i]... -o new`). The result has
 * what `New iSCSI node [tcp:[hw=,ip=,net_if=,iscsi_if=default] a,p,tpgt t] added` needs.
 * Errors: 7 bad name/key/value, 21 IFACE_NOT_FOUND... (per iface, see `firstErrno`).
 */
import { z } from 'zod';
import { methodSpec } from './spec.js';
import { firstErrno, ifaceName, iscsiName, itemError, nodeKey, patchValues, portalAddress, tcpPort, tpgt } from './schemas.js';

export const nodeNew = methodSpec({
  name: 'node.new',
  description: 'Create static node records (one per iface).',
  params: z.strictObject({
    target: iscsiName,
    address: portalAddress,
    /** Default 3260. */
    port: tcpPort.optional(),
    /** Default -1. */
    tpgt: tpgt.optional(),
    /** Default ['default']. */
    ifaces: z.array(ifaceName).min(1).max(64).optional(),
    /** Initial values of editable keys. */
    values: patchValues.optional(),
  }),
  result: z.object({
    nodes: z.array(z.object({
      node: nodeKey,
      transport: z.string(),
      hwAddress: z.string(),
      ipAddress: z.string(),
      netIfacename: z.string(),
      error: itemError.optional(),
    })),
    firstErrno,
  }),
});
