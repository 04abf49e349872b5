/**
 * `session.list`: every live session (`iscsiadm -m session [-P n]`), in sid order (the
 * CLI applies open-iscsi's `sessionN` string order). Sessions still in their first login
 * and failed sessions are listed too. An empty list is not an error here (the CLI prints
 * "No active sessions." and exits 21).
 *
 * `detail` picks the fields: `full` (default) all `-P 0..3` fields, `brief` those of
 * `-P 1`, `flat` those of `-P 0`; every form has `sid`, `node` and `persistentPortal`.
 */
import { z } from 'zod';
import { sessionBrief, sessionDetail, sessionFlat, sessionInfo, sessionVersions } from './session-schemas.js';
import { methodSpec } from './spec.js';
import { showSecrets } from './schemas.js';

export const sessionList = methodSpec({
  name: 'session.list',
  description: 'List sessions with state, timeouts, CHAP (masked), negotiated parameters and LUNs.',
  params: z.strictObject({ showSecrets, detail: sessionDetail }),
  result: z.object({ sessions: z.array(z.union([sessionInfo, sessionBrief, sessionFlat])), versions: sessionVersions }),
});
