/**
 * `session.rescan`: `iscsiadm -m session [-r SID] -R`: REPORT LUNS / INQUIRY again for
 * usertcp sessions (the result is what `-P 3` then shows). Errors: 2 SESSION_NOT_FOUND
 * (with sid); per session 32 SESSION_NOT_CONNECTED when it is not logged in.
 */
import { z } from 'zod';
import { lunInfo, portal } from './session-schemas.js';
import { methodSpec } from './spec.js';
import { firstErrno, iscsiName, itemError, sid } from './schemas.js';

export const sessionRescan = methodSpec({
  name: 'session.rescan',
  description: 'Rescan the LUNs of one or all sessions.',
  params: z.strictObject({ sid: sid.optional() }),
  result: z.object({
    /** `Rescanning session [sid: s, target: t, portal: a,p]` per entry. */
    results: z.array(z.object({
      sid,
      target: iscsiName,
      persistentPortal: portal,
      currentPortal: portal,
      luns: z.array(lunInfo),
      error: itemError.optional(),
    })),
    firstErrno,
  }),
});
