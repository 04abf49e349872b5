/**
 * What SendTargets (discovery.ts) and iSNS (discovery-isns.ts) discovery share in the
 * CLI: the params built from the command, the output of a result (per-iface and
 * per-record errors, the `-P 0` portal lines or the `-P 1` tree, the logins of `-l`,
 * the `--json` document) and iscsiadm's message for an `-I` iface that does not exist.
 */
import type { DiscoveryCommand, DiscoveryDbCommand, Portal } from '../argv/types.js';
import { jsonDocument } from '../render/json.js';
import * as msg from '../render/messages.js';
import { renderDiscoveredFlat, renderDiscoveredTree } from '../render/discovery.js';
import { concat } from '../render/text.js';
import type { Result } from './api.js';
import type { ExecContext } from './context.js';
import { loginEnds, loginItems, loginStarts } from './outcomes.js';
import { detailOf, failWith } from './report.js';
import { nodeView } from './views.js';

type Command = DiscoveryCommand | DiscoveryDbCommand;
const OPS = ['new', 'update', 'delete', 'nonpersistent'] as const;
type Op = (typeof OPS)[number];

/** Params of a discovery at `p`: the command's `-I` ifaces, its discovery `-o` ops, `-l`. */
export function discoveryParams(cmd: Command, p: Portal): {
  address: string; port: number; ifaces?: string[]; ops?: Op[]; login?: true;
} {
  const ops = cmd.ops.filter((o): o is Op => (OPS as readonly string[]).includes(o));
  return {
    address: p.address, port: p.port,
    ...(cmd.ifaces.length > 0 ? { ifaces: [...cmd.ifaces] } : {}),
    ...(ops.length > 0 ? { ops } : {}),
    ...(cmd.login ? { login: true } : {}),
  };
}

/** Print a discovery result; returns the exit status (its first errno). */
export function printDiscovered(ctx: ExecContext, cmd: Command, r: Result<'discovery.sendtargets'> | Result<'discovery.isns'>): number {
  const extra = [...r.ifaceErrors.map((e) => e.error.message), ...r.failed.map((f) => f.error.message)];
  ctx.io.text(concat(...extra.map((m) => msg.error(m))));
  const nodes = r.portals.map(nodeView);
  ctx.io.text(cmd.printLevel === 1 ? renderDiscoveredTree(nodes) : renderDiscoveredFlat(nodes));
  if (r.logins) ctx.io.text(concat(loginStarts(r.logins), loginEnds(r.logins)));
  ctx.io.doc(() => jsonDocument('discovery.results', { nodes, ...(r.logins ? { logins: loginItems(r.logins) } : {}), errno: r.firstErrno }));
  return r.firstErrno;
}

/** iscsiadm's words for an `-I` iface with no record (IFACE_NOT_FOUND), exit 21. */
export function ifaceMissing(ctx: ExecContext, err: unknown): number {
  const name = detailOf(err, 'iface');
  return failWith(ctx, 21, `Could not read iface info for ${name}. Make sure an iface config with the file name and iface.iscsi_ifacename ${name} is in ${ctx.dbRoot}/ifaces.`);
}
