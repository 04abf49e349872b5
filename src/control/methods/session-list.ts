/**
 * `session.list`: every live session with all `-P 0..3` fields (`iscsiadm -m session
 * [-P n]`), in sid order (the CLI applies open-iscsi's `sessionN` string order). Sessions
 * still in their first login and failed sessions are listed too. An empty list is not an
 * error here (the CLI prints "No active sessions." and exits 21).
 */
import { z } from 'zod';
import { sessionInfo, sessionVersions } from './session-schemas.js';
import { methodSpec } from './spec.js';
import { showSecrets } from './schemas.js';

export const sessionList = methodSpec({
  name: 'session.list',
  description: 'List sessions with state, timeouts, CHAP (masked), negotiated parameters and LUNs.',
  params: z.strictObject({ showSecrets }),
  result: z.object({ sessions: z.array(sessionInfo), versions: sessionVersions }),
});
