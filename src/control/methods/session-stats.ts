/**
 * `session.stats`: `iscsiadm -m session [-r SID] -s`. Counters come as `[name, value]` in
 * open-iscsi's print order (`iSCSI SNMP:`), extended ones (`iSCSI Extended:`) likewise.
 * Errors: 2 SESSION_NOT_FOUND (with sid). Without sid: every session (maybe none).
 */
import { z } from 'zod';
import { portal } from './session-schemas.js';
import { methodSpec } from './spec.js';
import { iscsiName, sid } from './schemas.js';

export const sessionStatsEntry = z.object({
  sid,
  target: iscsiName,
  /** `Stats for session [sid: s, target: t, portal: <persistent address>,<current port>]`. */
  persistentPortal: portal,
  currentPortal: portal,
  /** The 21 `struct iscsi_stats` counters in print order (octets are 64-bit, as numbers). */
  counters: z.array(z.tuple([z.string(), z.number()])),
  /**
   * Custom counters (`iSCSI Extended:`). usertcp sessions report the AsyncEvents received
   * by kind (`async_scsi_event`, `async_logout_request`, `async_drop_connection`,
   * `async_drop_all_connections`, `async_renegotiate`, `async_task_termination`,
   * `async_vendor`, `async_unassigned`) and recovery counters (`conn_errors`,
   * `session_recoveries`, `reopen_failures`, `replacement_timeouts`, `recovery_giveups`).
   */
  extended: z.array(z.tuple([z.string(), z.number()])),
});

export const sessionStats = methodSpec({
  name: 'session.stats',
  description: 'iSCSI statistics of one or all sessions.',
  params: z.strictObject({ sid: sid.optional() }),
  result: z.object({ stats: z.array(sessionStatsEntry) }),
});
