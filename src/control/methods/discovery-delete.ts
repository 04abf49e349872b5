/**
 * `discovery.delete`: delete a discovery record and every node record that came from it
 * (`iscsiadm -m discoverydb -t st -p A:P -o delete`). Errors: 21 RECORD_NOT_FOUND,
 * 15 SESSION_EXISTS (a session uses one of its nodes; nothing is deleted).
 */
import { z } from 'zod';
import { discoveryRecordType } from './discovery-show.js';
import { methodSpec } from './spec.js';
import { nodeKey, portalAddress, tcpPort } from './schemas.js';

export const discoveryDelete = methodSpec({
  name: 'discovery.delete',
  description: 'Delete a discovery record and its node records.',
  params: z.strictObject({
    type: discoveryRecordType.optional(),
    address: portalAddress,
    port: tcpPort.optional(),
  }),
  result: z.object({ type: discoveryRecordType, address: portalAddress, port: tcpPort, deletedNodes: z.array(nodeKey) }),
});
