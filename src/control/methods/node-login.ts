/**
 * `node.login`: log in to every matching node record (`iscsiadm -m node [-T t] [-p p]
 * [-I i] -l`). Logins run concurrently in the daemon's bounded pool; results come back in
 * record order (each with the time it completed), and a `login` event is published as
 * each completes. A record whose sessions already exist gets error 15 (session exists).
 * Errors: 21 nothing matched.
 */
import { z } from 'zod';
import { loginOutcome } from './outcome-schemas.js';
import { methodSpec } from './spec.js';
import { firstErrno, nodeSelectorShape } from './schemas.js';

export const nodeLogin = methodSpec({
  name: 'node.login',
  description: 'Log in to matching node records.',
  params: z.strictObject({ ...nodeSelectorShape }),
  result: z.object({ results: z.array(loginOutcome), firstErrno }),
});
