/** `daemon.status`: version, uptime, paths, session counts and the login pool. */
import { z } from 'zod';
import { methodSpec } from './spec.js';

export const daemonStatusResult = z.object({
  version: z.string(),
  pid: z.number().int(),
  startedAt: z.string(),
  uptimeMs: z.number().int().min(0),
  initiatorName: z.string(),
  configFile: z.string(),
  dbRoot: z.string(),
  socket: z.string(),
  /** Transports the daemon can log in with (`usertcp`; kernel ones later). */
  transports: z.array(z.string()),
  sessions: z.object({
    total: z.number().int(),
    loggedIn: z.number().int(),
    loggingIn: z.number().int(),
    loggingOut: z.number().int(),
    failed: z.number().int(),
    /** Sessions reopening after a connection failure (REOPEN). */
    recovering: z.number().int().optional(),
  }),
  logins: z.object({ running: z.number().int(), queued: z.number().int(), concurrency: z.number().int() }),
  stopping: z.boolean(),
});

export const daemonStatus = methodSpec({
  name: 'daemon.status',
  description: 'Daemon version, uptime, paths, sessions and login pool.',
  params: z.strictObject({}),
  result: daemonStatusResult,
});
