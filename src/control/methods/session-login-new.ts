/**
 * `session.loginNew`: one more session like session `sid` (`iscsiadm -m session -r SID
 * -o new`, reference §5.3 "nr_sessions"): the node record(s) matching that session
 * (target, persistent portal, iface) are logged in once more with open-iscsi's
 * `session.multiple` set, so the nr_sessions check does not apply and the login lines
 * end in ` (multiple)`. Errors: 2 SESSION_NOT_FOUND, 21 NO_RECORDS_FOUND (the record
 * was deleted since).
 */
import { z } from 'zod';
import { loginOutcome } from './outcome-schemas.js';
import { methodSpec } from './spec.js';
import { firstErrno, sid } from './schemas.js';

export const sessionLoginNew = methodSpec({
  name: 'session.loginNew',
  description: 'Log in one more session from the node record of a live session.',
  params: z.strictObject({ sid }),
  result: z.object({ results: z.array(loginOutcome), firstErrno }),
});
