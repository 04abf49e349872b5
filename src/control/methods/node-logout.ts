/**
 * `node.logout`: log out every session matching target/portal/iface by the session
 * matching rule (`iscsiadm -m node [-T t] [-p p] [-I i] -u`); no record is needed.
 * Errors: 21 NO_MATCHING_SESSIONS ("No matching sessions found"). `force` as in
 * session.logout.
 */
import { z } from 'zod';
import { logoutOutcome } from './outcome-schemas.js';
import { forceLogout } from './session-logout.js';
import { methodSpec } from './spec.js';
import { firstErrno, nodeSelectorShape } from './schemas.js';

export const nodeLogout = methodSpec({
  name: 'node.logout',
  description: 'Log out sessions matching target/portal/iface.',
  params: z.strictObject({ ...nodeSelectorShape, force: forceLogout }),
  result: z.object({ results: z.array(logoutOutcome), firstErrno }),
});
