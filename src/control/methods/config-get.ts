/**
 * `config.get`: the iscsid.conf in use (open-iscsi CONFIG_FILE): its path, the
 * `iscsid.*` settings, the defaults it gives new records (display form, passwords masked
 * unless showSecrets) and every problem found in it, with file and line.
 */
import { z } from 'zod';
import { methodSpec } from './spec.js';
import { dbWarning, showSecrets } from './schemas.js';

const entries = z.array(z.tuple([z.string(), z.string()]));

export const configGet = methodSpec({
  name: 'config.get',
  description: 'The iscsid.conf in use: path, iscsid.* settings, new-record defaults, warnings.',
  params: z.strictObject({ showSecrets }),
  result: z.object({
    file: z.string(),
    exists: z.boolean(),
    iscsid: z.object({ startup: z.string(), safeLogout: z.boolean(), ipcAuthUid: z.boolean() }),
    defaults: z.object({ node: entries, sendtargets: entries, isns: entries }),
    warnings: z.array(dbWarning),
  }),
});
