/**
 * `node.list`: node records (`iscsiadm -m node [-P 1]`), sorted like iscsiadm (target,
 * portal, iface; C collation), optionally filtered by the matching rule. An empty list
 * is not an error here (the CLI prints "No records found" and exits 21).
 */
import { z } from 'zod';
import { methodSpec } from './spec.js';
import { dbWarning, discoverySource, nodeKey, nodeSelectorShape, startupMode } from './schemas.js';

export const nodeSummary = z.object({
  node: nodeKey,
  startup: startupMode,
  /** `iface.transport_name`. */
  transport: z.string(),
  source: discoverySource,
  /** A session currently uses this record. */
  inUse: z.boolean(),
});

export const nodeList = methodSpec({
  name: 'node.list',
  description: 'List node records (optionally matching target/portal/iface).',
  params: z.strictObject({ ...nodeSelectorShape }),
  result: z.object({ nodes: z.array(nodeSummary), warnings: z.array(dbWarning) }),
});
