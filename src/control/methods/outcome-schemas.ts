/**
 * Per-object outcomes of many-object actions (login, logout, delete, rescan): one
 * entry per node record or session, in the order iscsiadm prints them.
 */
import { z } from 'zod';
import { portal } from './session-schemas.js';
import { ifaceName, iscsiName, itemError, nodeKey, sid } from './schemas.js';

/** Login of one node record (`Logging in to [iface: i, target: t, portal: a,p]`). */
export const loginOutcome = z.object({
  node: nodeKey,
  /** Sessions this login created (several when node.session.nr_sessions > 1). */
  sids: z.array(sid),
  /** The record asks for several sessions: iscsiadm adds ` (multiple)` to its message. */
  multiple: z.boolean(),
  /** Milliseconds from the start of the call until this record's login finished. */
  completedAfterMs: z.number().int().min(0),
  /** Absent on success. 15 = session exists, 24 auth, 19 fatal, 5/8/4 retryable failures. */
  error: itemError.optional(),
});

/** Logout of one session (`Logging out of session [sid: s, target: t, portal: a,p]`). */
export const logoutOutcome = z.object({
  sid,
  target: iscsiName,
  /** Address of the record (persistent), port of the connection (current): as iscsiadm prints. */
  persistentPortal: portal,
  currentPortal: portal,
  iface: ifaceName,
  /** Logout Response code (0 closed); absent when no Logout PDU was exchanged (failed session, timeout). */
  response: z.number().int().optional(),
  error: itemError.optional(),
});
