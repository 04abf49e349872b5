/**
 * `-m discovery` / `-m discoverydb` without a portal: the stored discovery records
 * (`-P 0`: `<addr>:<port> via sendtargets`; `-P 1`: the SENDTARGETS / iSNS / STATIC /
 * FIRMWARE tree). iscsiadm prints them in directory order, which is not reproducible
 * from the daemon's answer; tsiscsiadm sorts records by type, then address and port
 * (byte order), and nodes like `-m node`. Nothing stored: exit 21.
 */
import { discoveryRecordsJson, discoveryTreeJson } from '../render/json.js';
import { renderDiscoveryRecords, renderDiscoveryTree } from '../render/discovery.js';
import { sortNodes } from '../render/node.js';
import { compareC } from '../render/text.js';
import type { DiscoveryRecordView, DiscoverySourceView, DiscoveryTreeView } from '../render/types.js';
import type { ExecContext } from './context.js';
import { nodeView } from './views.js';

const TYPE_ORDER = { sendtargets: 0, isns: 1 } as const;

function compareRecords(a: DiscoveryRecordView, b: DiscoveryRecordView): number {
  return TYPE_ORDER[a.type] - TYPE_ORDER[b.type] || compareC(`${a.address},${a.port}`, `${b.address},${b.port}`);
}

/** Print the stored discovery records at `level`; returns the exit status. */
export async function listDiscovery(ctx: ExecContext, level: number): Promise<number> {
  const r = await ctx.api.call('discovery.list', {});
  const sources: DiscoverySourceView[] = r.records
    .map((x) => ({ type: x.type, address: x.address, port: x.port, nodes: sortNodes(x.nodes.map(nodeView)) }))
    .sort(compareRecords);
  if (level === 1) {
    const tree: DiscoveryTreeView = {
      sendtargets: sources.filter((s) => s.type === 'sendtargets'),
      isns: sources.filter((s) => s.type === 'isns'),
      static: sortNodes(r.static.map(nodeView)),
      firmware: sortNodes(r.firmware.map(nodeView)),
      isnsUnlisted: sortNodes((r.isnsUnlisted ?? []).map(nodeView)),
    };
    ctx.io.text(renderDiscoveryTree(tree));
    ctx.io.doc(() => discoveryTreeJson(tree));
    const unlisted = tree.isns.length === 0 ? tree.isnsUnlisted?.length ?? 0 : 0;
    return sources.length + tree.static.length + tree.firmware.length + unlisted === 0 ? 21 : 0;
  }
  const records = sources.map(({ type, address, port }) => ({ type, address, port }));
  ctx.io.text(renderDiscoveryRecords(records));
  ctx.io.doc(() => discoveryRecordsJson(records));
  return records.length === 0 ? 21 : 0;
}
