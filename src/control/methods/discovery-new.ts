/**
 * `discovery.new`: create a discovery record without discovering (`iscsiadm -m
 * discoverydb -t st -p A:P -o new [-n k -v v]`). Errors: 6 RECORD_EXISTS, 7 bad key/value.
 */
import { z } from 'zod';
import { discoveryRecordType } from './discovery-show.js';
import { methodSpec } from './spec.js';
import { patchValues, portalAddress, tcpPort } from './schemas.js';

export const discoveryNew = methodSpec({
  name: 'discovery.new',
  description: 'Create a discovery record from the defaults plus the given keys.',
  params: z.strictObject({
    type: discoveryRecordType.optional(),
    address: portalAddress,
    port: tcpPort.optional(),
    values: patchValues.optional(),
  }),
  result: z.object({ type: discoveryRecordType, address: portalAddress, port: tcpPort }),
});
