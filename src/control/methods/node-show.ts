/**
 * `node.show`: matching node records dumped as `iscsiadm -m node -T t [-p p] [-I i] -o show
 * [-S]` prints them. Errors: 21 NO_RECORDS_FOUND.
 */
import { z } from 'zod';
import { methodSpec } from './spec.js';
import { dbWarning, nodeKey, nodeSelectorShape, recordDump, recordVersion, showSecrets } from './schemas.js';

export const nodeShow = methodSpec({
  name: 'node.show',
  description: 'Dump matching node records (passwords masked unless showSecrets).',
  params: z.strictObject({ ...nodeSelectorShape, showSecrets, recordVersion }),
  result: z.object({
    records: z.array(z.object({ node: nodeKey, record: recordDump })),
    warnings: z.array(dbWarning),
  }),
});
