/**
 * `-m discovery -t isns -p A[:P]` and `-m discoverydb -t isns -p A[:P] --discover`
 * (reference boot-and-isns.md §3.6): the daemon asks the iSNS server; the output is
 * iscsiadm 2.1.8's, byte for byte (verified against Debian's iscsiadm + isnsd):
 *   `<addr>:<port>,<tpgt> <target>` per portal (`-P 1`: the Target/Portal/Iface tree);
 *   server down: libisns' `socket disconnect, killing socket` / `Warning: Timed out while
 *   waiting for reply`, then `iscsiadm: iSNS discovery failed: Internal error` and
 *   `iscsiadm: Could not perform iSNS discovery: iSNS query failed`, exit 25;
 *   refused query: `iSNS discovery failed: <libisns status text>`, exit 25;
 *   refused registration: `Could not register <name> with iSNS server: <text>.`, exit 26;
 *   nothing visible: `iscsiadm: No portals found`, exit 21.
 */
import type { DiscoveryCommand, DiscoveryDbCommand, Portal } from '../argv/types.js';
import * as msg from '../render/messages.js';
import { ERR_PREFIX } from '../render/text.js';
import type { Rendered } from '../render/types.js';
import { IscsiError } from '../../shared/errors.js';
import type { ExecContext } from './context.js';
import { discoveryParams, ifaceMissing, printDiscovered } from './discovered.js';
import { codeOf, detailOf, fail, unexpected } from './report.js';

type Command = DiscoveryCommand | DiscoveryDbCommand;

/**
 * What iscsiadm (and libisns before it) prints when iSNS discovery failed with an
 * errno-25/26 error from the daemon; undefined for any other error.
 */
export function renderIsnsFailure(err: unknown): Rendered | undefined {
  if (!(err instanceof IscsiError) || (err.errno !== 25 && err.errno !== 26)) return undefined;
  const notes = Array.isArray(err.details.notes) ? err.details.notes.map(String) : [];
  const text = detailOf(err, 'statusText') || 'Internal error';
  const why = err.errno === 26
    ? `Could not ${detailOf(err, 'func') || 'register'} ${detailOf(err, 'initiator')} with iSNS server: ${text}.`
    : `iSNS discovery failed: ${text}`;
  return { stdout: [], stderr: [...notes, `${ERR_PREFIX}${why}`, `${ERR_PREFIX}Could not perform iSNS discovery: ${msg.errText(err.errno)}`] };
}

/** Report a failed iSNS discovery; returns the exit status. */
function isnsFailed(ctx: ExecContext, err: unknown): number {
  const code = codeOf(err);
  if (code === 'NO_PORTALS_FOUND') return fail(ctx, 21, msg.noPortalsFound());
  if (code === 'IFACE_NOT_FOUND') return ifaceMissing(ctx, err);
  const r = renderIsnsFailure(err);
  return r && err instanceof IscsiError ? fail(ctx, err.errno, r) : unexpected(ctx, err);
}

/**
 * iSNS discovery at `p`; `record` (discoverydb) creates the isns_config record when
 * missing. With `-l`, then log in to what was found.
 */
export async function isnsDiscovery(ctx: ExecContext, cmd: Command, p: Portal, record: boolean): Promise<number> {
  const params = { ...discoveryParams(cmd, p), ...(record ? { record: true } : {}) };
  try {
    // No login progress bar: how many portals the server will name is unknown beforehand.
    const r = await ctx.api.call('discovery.isns', params, { timeoutMs: 0 });
    return printDiscovered(ctx, cmd, r);
  } catch (err) {
    return isnsFailed(ctx, err);
  }
}
