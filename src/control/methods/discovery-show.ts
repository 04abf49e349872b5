/**
 * `discovery.show`: one discovery record as `iscsiadm -m discoverydb -t st -p A:P -o show
 * [-S]` prints it. Errors: 21 RECORD_NOT_FOUND.
 */
import { z } from 'zod';
import { methodSpec } from './spec.js';
import { dbWarning, portalAddress, recordDump, recordVersion, showSecrets, tcpPort } from './schemas.js';

export const discoveryRecordType = z.enum(['sendtargets', 'isns']);

export const discoveryShow = methodSpec({
  name: 'discovery.show',
  description: 'Show one discovery record (passwords masked unless showSecrets).',
  params: z.strictObject({
    /** Default sendtargets. */
    type: discoveryRecordType.optional(),
    address: portalAddress,
    /** Default 3260 (sendtargets) or 3205 (isns). */
    port: tcpPort.optional(),
    showSecrets,
    recordVersion,
  }),
  result: z.object({
    type: discoveryRecordType,
    address: portalAddress,
    port: tcpPort,
    record: recordDump,
    warnings: z.array(dbWarning),
  }),
});
