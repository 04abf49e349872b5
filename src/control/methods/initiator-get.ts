/** `initiator.get`: the InitiatorName / InitiatorAlias the daemon uses (open-iscsi CONFIG_INAME/IALIAS). */
import { z } from 'zod';
import { methodSpec } from './spec.js';

export const initiatorGet = methodSpec({
  name: 'initiator.get',
  description: 'The initiator name and alias in use, and the file they come from.',
  params: z.strictObject({}),
  result: z.object({ name: z.string(), alias: z.string().nullable(), file: z.string() }),
});
