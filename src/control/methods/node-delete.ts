/**
 * `node.delete`: delete every matching node record (`iscsiadm -m node ... -o delete`). A
 * record a session uses is kept with error 15 (the CLI prints "This command will remove
 * the record [...], but a session is using it..."). Errors: 21 nothing matched.
 */
import { z } from 'zod';
import { methodSpec } from './spec.js';
import { firstErrno, itemError, nodeKey, nodeSelectorShape } from './schemas.js';

export const nodeDelete = methodSpec({
  name: 'node.delete',
  description: 'Delete matching node records (not those a session uses).',
  params: z.strictObject({ ...nodeSelectorShape }),
  result: z.object({
    results: z.array(z.object({ node: nodeKey, error: itemError.optional() })),
    firstErrno,
  }),
});
