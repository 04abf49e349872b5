/**
 * Discovery output (reference §6.1), checked against Debian's iscsiadm 2.1.8.
 *
 * Results of `-m discovery -t st -p P` (one entry per node record, discovery order):
 *   -P 0   127.0.0.1:3260,1 iqn.2024-01.org.example:t1     (`%s:%d,%d %s`; TPGT -1 prints -1)
 *          [::1]:3260,1 iqn.2024-01.org.example:t1
 *   -P 1   the idbm tree (Target / Portal on change / Iface Name)
 *
 * Stored records, `-m discovery` (no portal):
 *   -P 0   ::1:3260 via sendtargets                           (`%s:%d via %s`, never bracketed)
 *   -P 1   SENDTARGETS: / DiscoveryAddress: ::1,3260 / <idbm tree of its nodes> ...
 *          iSNS: ... STATIC: ... FIRMWARE: ...; a section without records prints
 *          `No targets found.` (a record without nodes prints only its DiscoveryAddress).
 * No stored record at all with -P 0: nothing is printed and the exit status is 21.
 */
import { idbmNodeTreeLines } from './node.js';
import { hostPort } from './text.js';
import type { DiscoveryRecordView, DiscoverySourceView, DiscoveryTreeView, NodeView, Rendered } from './types.js';

const NO_TARGETS = 'No targets found.';

/** `-m discovery -t st -p P` (and `-o nonpersistent`, `discoverydb --discover`) at -P 0. */
export function renderDiscoveredFlat(nodes: readonly NodeView[]): Rendered {
  return { stdout: nodes.map((n) => `${hostPort(n.address, n.port)},${n.tpgt} ${n.target}`), stderr: [] };
}

/** The same results at -P 1. */
export function renderDiscoveredTree(nodes: readonly NodeView[]): Rendered {
  return { stdout: idbmNodeTreeLines(nodes), stderr: [] };
}

/** `-m discovery` at -P 0: `<addr>:<port> via sendtargets|isns`, in the given order. */
export function renderDiscoveryRecords(records: readonly DiscoveryRecordView[]): Rendered {
  return { stdout: records.map((r) => `${r.address}:${r.port} via ${r.type}`), stderr: [] };
}

function sourceLines(sources: readonly DiscoverySourceView[]): string[] {
  return sources.flatMap((s) => [`DiscoveryAddress: ${s.address},${s.port}`, ...idbmNodeTreeLines(s.nodes)]);
}

function nodesOrNone(nodes: readonly NodeView[]): string[] {
  return nodes.length === 0 ? [NO_TARGETS] : idbmNodeTreeLines(nodes);
}

/** `-m discovery -P 1`: the four sections. */
export function renderDiscoveryTree(tree: DiscoveryTreeView): Rendered {
  const isns = tree.isns.length > 0 ? sourceLines(tree.isns) : nodesOrNone(tree.isnsUnlisted ?? []);
  return {
    stdout: [
      'SENDTARGETS:',
      ...(tree.sendtargets.length > 0 ? sourceLines(tree.sendtargets) : [NO_TARGETS]),
      'iSNS:',
      ...isns,
      'STATIC:',
      ...nodesOrNone(tree.static),
      'FIRMWARE:',
      ...nodesOrNone(tree.firmware),
    ],
    stderr: [],
  };
}
