/**
 * The reduced forms of `session.list` (control/methods/session-schemas.ts `sessionFlat`,
 * `sessionBrief`): only what `-m session -P 0` / `-P 1` print, built without touching
 * the negotiated parameters, recovery state, CHAP or LUNs.
 */
import type { z } from 'zod';
import type { sessionBrief, sessionFlat } from '../../control/methods/session-schemas.js';
import type { ManagedSession } from '../managed-session.js';
import { ifaceOf, portalsOf } from '../session-view.js';

export type SessionFlat = z.infer<typeof sessionFlat>;
export type SessionBrief = z.infer<typeof sessionBrief>;

/** `-P 0`: `tcp: [sid] addr:port,tpgt target (non-flash)` and the record key. */
export function sessionFlatOf(ms: ManagedSession): SessionFlat {
  return {
    sid: ms.sid,
    target: ms.key.target,
    tpgt: ms.session.params?.targetPortalGroupTag ?? ms.key.tpgt,
    transport: ms.record['iface.transport_name'],
    flash: false,
    persistentPortal: { address: ms.key.address, port: ms.key.port },
    node: { ...ms.key },
  };
}

/** `-P 1`: the flat fields plus the portals, the Interface block and the three states. */
export function sessionBriefOf(ms: ManagedSession): SessionBrief {
  return {
    ...sessionFlatOf(ms),
    ...portalsOf(ms),
    iface: ifaceOf(ms),
    states: { ...ms.states },
  };
}
