/**
 * `node.logoutAll`: log out every session whose record has startup `startup`
 * (`iscsiadm -m node --logoutall=all|manual|automatic`). Sessions of `onboot` records
 * (and firmware nodes) are never logged out. Errors: 21 no session matched.
 */
import { z } from 'zod';
import { logoutOutcome } from './outcome-schemas.js';
import { methodSpec } from './spec.js';
import { firstErrno } from './schemas.js';

export const nodeLogoutAll = methodSpec({
  name: 'node.logoutAll',
  description: 'Log out all sessions of a startup mode (never onboot).',
  params: z.strictObject({ startup: z.enum(['all', 'manual', 'automatic']) }),
  result: z.object({ results: z.array(logoutOutcome), firstErrno }),
});
