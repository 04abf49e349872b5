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
import { jsonDocument } from '../render/json.js';
import * as msg from '../render/messages.js';
import { renderDiscoveredFlat, renderDiscoveredTree } from '../render/discovery.js';
import { concat, ERR_PREFIX } from '../render/text.js';
import type { Rendered } from '../render/types.js';
import { IscsiError } from '../../shared/errors.js';
import type { Result } from './api.js';
import type { ExecContext } from './context.js';
import { loginEnds, loginItems, loginStarts } from './outcomes.js';
import { codeOf, detailOf, fail, failWith, unexpected } from './report.js';
import { nodeView } from './views.js';

type Command = DiscoveryCommand | DiscoveryDbCommand;
type IsnsResult = Result<'discovery.isns'>;
const OPS = ['new', 'update', 'delete', 'nonpersistent'] as const;
type Op = (typeof OPS)[number];

function printResults(ctx: ExecContext, cmd: Command, r: IsnsResult): number {
  const extra = [...r.ifaceErrors.map((e) => e.error.message), ...r.failed.map((f) => f.error.message)];
  ctx.io.text(concat(...extra.map((m) => msg.error(m))));
  const nodes = r.portals.map(nodeView);
  ctx.io.text(cmd.printLevel === 1 ? renderDiscoveredTree(nodes) : renderDiscoveredFlat(nodes));
  if (r.logins) ctx.io.text(concat(loginStarts(r.logins), loginEnds(r.logins)));
  ctx.io.doc(() => jsonDocument('discovery.results', { nodes, ...(r.logins ? { logins: loginItems(r.logins) } : {}), errno: r.firstErrno }));
  return r.firstErrno;
}

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
  if (code === 'IFACE_NOT_FOUND') {
    const name = detailOf(err, 'iface');
    return failWith(ctx, 21, `Could not read iface info for ${name}. Make sure an iface config with the file name and iface.iscsi_ifacename ${name} is in ${ctx.dbRoot}/ifaces.`);
  }
  const r = renderIsnsFailure(err);
  return r && err instanceof IscsiError ? fail(ctx, err.errno, r) : unexpected(ctx, err);
}

/**
 * iSNS discovery at `p`; `record` (discoverydb) creates the isns_config record when
 * missing. With `-l`, then log in to what was found.
 */
export async function isnsDiscovery(ctx: ExecContext, cmd: Command, p: Portal, record: boolean): Promise<number> {
  const ops = cmd.ops.filter((o): o is Op => (OPS as readonly string[]).includes(o));
  const params = {
    address: p.address, port: p.port,
    ...(cmd.ifaces.length > 0 ? { ifaces: [...cmd.ifaces] } : {}),
    ...(ops.length > 0 ? { ops } : {}),
    ...(cmd.login ? { login: true } : {}),
    ...(record ? { record: true } : {}),
  };
  try {
    // No login progress bar: how many portals the server will name is unknown beforehand.
    const r = await ctx.api.call('discovery.isns', params, { timeoutMs: 0 });
    return printResults(ctx, cmd, r);
  } catch (err) {
    return isnsFailed(ctx, err);
  }
}
