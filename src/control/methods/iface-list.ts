/**
 * `iface.list`: `iscsiadm -m iface [-P 1]`: stored ifaces in name order, then the
 * built-ins `default` and `iser`, each with the node records bound to it.
 */
import { z } from 'zod';
import { methodSpec } from './spec.js';
import { dbWarning, ifaceName, nodeKey } from './schemas.js';

export const ifaceSummary = z.object({
  name: ifaceName,
  builtin: z.boolean(),
  /** `<name> <transport>,<hwaddress>,<ipaddress>,<net_ifacename>,<initiatorname>`; '' prints `<empty>`. */
  transport: z.string(),
  hwAddress: z.string(),
  ipAddress: z.string(),
  netIfacename: z.string(),
  initiatorName: z.string(),
  nodes: z.array(nodeKey),
});

export const ifaceList = methodSpec({
  name: 'iface.list',
  description: 'List iface records (stored, then built-ins) with their node records.',
  params: z.strictObject({}),
  result: z.object({ ifaces: z.array(ifaceSummary), warnings: z.array(dbWarning) }),
});
