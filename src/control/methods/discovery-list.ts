/**
 * `discovery.list`: the stored discovery records (`iscsiadm -m discovery [-P 1]`), each
 * with the node records that came from it, plus the static and firmware sections.
 */
import { z } from 'zod';
import { methodSpec } from './spec.js';
import { dbWarning, nodeKey, portalAddress, tcpPort } from './schemas.js';

export const discoveryList = methodSpec({
  name: 'discovery.list',
  description: 'List SendTargets/iSNS discovery records with their node records, plus static and firmware nodes.',
  params: z.strictObject({}),
  result: z.object({
    /** `<addr>:<port> via sendtargets|isns` lines; SendTargets first, then iSNS. */
    records: z.array(z.object({
      type: z.enum(['sendtargets', 'isns']),
      address: portalAddress,
      port: tcpPort,
      nodes: z.array(nodeKey),
    })),
    /** `STATIC:` section (`-o new` nodes). */
    static: z.array(nodeKey),
    /** `FIRMWARE:` section. */
    firmware: z.array(nodeKey),
    /** Nodes from iSNS servers without an isns_config record (`-m discovery -t isns` stores none). */
    isnsUnlisted: z.array(nodeKey).optional(),
    warnings: z.array(dbWarning),
  }),
});
