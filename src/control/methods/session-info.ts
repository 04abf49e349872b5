/**
 * `session.info`: one session (`iscsiadm -m session -r SID [-P n]`), plus the node
 * record(s) matching it, which `-r SID` without `-P` prints. Errors: 2 SESSION_NOT_FOUND.
 */
import { z } from 'zod';
import { sessionInfo, sessionVersions } from './session-schemas.js';
import { methodSpec } from './spec.js';
import { dbWarning, nodeKey, recordDump, recordVersion, showSecrets, sid } from './schemas.js';

export const sessionInfoMethod = methodSpec({
  name: 'session.info',
  description: 'One session, with its matching node records.',
  params: z.strictObject({ sid, showSecrets, recordVersion }),
  result: z.object({
    session: sessionInfo,
    versions: sessionVersions,
    records: z.array(z.object({ node: nodeKey, record: recordDump })),
    warnings: z.array(dbWarning),
  }),
});
