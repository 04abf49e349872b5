/**
 * `session.logout`: `iscsiadm -m session [-r SID] -u`. With `sid`: that session (throws 2
 * SESSION_NOT_FOUND); without: every session matching the selector fields (all when none
 * given; throws 21 when none matched). Per session, error 9 LOGIN_IN_PROGRESS /
 * LOGOUT_IN_PROGRESS when it cannot be logged out now. A failed session is torn down
 * without a Logout PDU.
 */
import { z } from 'zod';
import { logoutOutcome } from './outcome-schemas.js';
import { methodSpec } from './spec.js';
import { firstErrno, nodeSelectorShape, sid } from './schemas.js';

export const sessionLogout = methodSpec({
  name: 'session.logout',
  description: 'Log out a session by sid, or the sessions matching a selector.',
  params: z.strictObject({ sid: sid.optional(), ...nodeSelectorShape }),
  result: z.object({ results: z.array(logoutOutcome), firstErrno }),
});
