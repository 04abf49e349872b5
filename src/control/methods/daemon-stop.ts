/**
 * `daemon.stop`: `iscsiadm -k 0`. The daemon answers, then stops: usertcp sessions are
 * logged out except those of onboot records; kernel sessions keep running.
 */
import { z } from 'zod';
import { methodSpec } from './spec.js';

export const daemonStop = methodSpec({
  name: 'daemon.stop',
  description: 'Stop the daemon after answering (onboot sessions are not logged out).',
  params: z.strictObject({}),
  result: z.object({ stopping: z.literal(true) }),
});
