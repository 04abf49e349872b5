/**
 * `session.logout`: `iscsiadm -m session [-r SID] -u`. With `sid`: that session (throws 2
 * SESSION_NOT_FOUND); without: every session matching the selector fields (all when none
 * given; throws 21 when none matched). Works from any state: a logged-in session
 * gets a Logout PDU (bounded by logout_timeout); one that is reopening or FAILED is
 * closed without one. Per session, error 9 LOGIN_IN_PROGRESS / LOGOUT_IN_PROGRESS when
 * its first login or another logout is running — unless `force`: then it is torn down
 * at once without a Logout PDU, and a Logout that gets no answer within logout_timeout
 * is abandoned (open-iscsi #228/#513).
 */
import { z } from 'zod';
import { logoutOutcome } from './outcome-schemas.js';
import { methodSpec } from './spec.js';
import { firstErrno, nodeSelectorShape, sid } from './schemas.js';

/** Tear down without a Logout PDU when a normal logout cannot complete within logout_timeout. */
export const forceLogout = z.boolean().optional();

export const sessionLogout = methodSpec({
  name: 'session.logout',
  description: 'Log out a session by sid, or the sessions matching a selector.',
  params: z.strictObject({ sid: sid.optional(), ...nodeSelectorShape, force: forceLogout }),
  result: z.object({ results: z.array(logoutOutcome), firstErrno }),
});
