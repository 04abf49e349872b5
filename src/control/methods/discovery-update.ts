/**
 * `discovery.update`: change keys of a discovery record (`iscsiadm -m discoverydb -t st
 * -p A:P -o update -n k -v v`). Errors: 21 RECORD_NOT_FOUND, 7 bad key/value (details.key).
 */
import { z } from 'zod';
import { discoveryRecordType } from './discovery-show.js';
import { methodSpec } from './spec.js';
import { patchValues, portalAddress, tcpPort } from './schemas.js';

export const discoveryUpdate = methodSpec({
  name: 'discovery.update',
  description: 'Update keys of a discovery record.',
  params: z.strictObject({
    type: discoveryRecordType.optional(),
    address: portalAddress,
    port: tcpPort.optional(),
    values: patchValues,
  }),
  result: z.object({ type: discoveryRecordType, address: portalAddress, port: tcpPort, keys: z.array(z.string()) }),
});
