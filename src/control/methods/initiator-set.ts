/**
 * `initiator.set`: change the InitiatorName and/or InitiatorAlias: the file is rewritten
 * atomically and new logins use the new values (live sessions keep theirs). Errors: 7
 * INVALID_ISCSI_NAME (details.reason) or nothing to set.
 */
import { z } from 'zod';
import { methodSpec } from './spec.js';

export const initiatorSet = methodSpec({
  name: 'initiator.set',
  description: 'Set the initiator name and/or alias (rewrites initiatorname.iscsi).',
  params: z.strictObject({
    name: z.string().min(1).max(223).optional(),
    /** '' removes the alias. */
    alias: z.string().max(255).optional(),
  }),
  result: z.object({ name: z.string(), alias: z.string().nullable(), file: z.string() }),
});
