/**
 * `node.loginAll`: log in to every record whose `node.startup` or `node.conn[0].startup`
 * is `startup` (`iscsiadm -m node --loginall=all|manual|automatic|onboot [-W]`), through
 * the bounded pool so a dead portal never delays the others. `wait: false` (-W) answers
 * once the logins are queued. Records that already have their sessions get error 15.
 * Errors: 21 no record has that startup mode.
 */
import { z } from 'zod';
import { loginOutcome } from './outcome-schemas.js';
import { methodSpec } from './spec.js';
import { firstErrno, nodeKey } from './schemas.js';

export const nodeLoginAll = methodSpec({
  name: 'node.loginAll',
  description: 'Log in to all node records with a startup mode (bounded concurrency).',
  params: z.strictObject({
    startup: z.enum(['all', 'manual', 'automatic', 'onboot']),
    /** false = `-W`: return once queued (results empty). Default true. */
    wait: z.boolean().optional(),
  }),
  result: z.object({
    /** Records selected, in record order. */
    nodes: z.array(nodeKey),
    /** Empty with wait: false. */
    results: z.array(loginOutcome),
    firstErrno,
  }),
});
