/**
 * Node-record listings (reference §6.2), checked against Debian's iscsiadm 2.1.8:
 *
 *   iscsiadm -m node                 10.0.0.9:3260,1 iqn.a          (`%s:%u %s`, TPGT unsigned)
 *                                    [fd00::1]:3260,1 iqn.a
 *   iscsiadm -m node -P 1            Target: iqn.a
 *                                    \tPortal: 10.0.0.9:3260,1        (every record)
 *                                    \t\tIface Name: default
 *
 * Both are sorted by target, portal directory name (`<addr>,<port>,<tpgt>`) and iface
 * name, byte order (libopeniscsiusr scans each directory sorted). The renderers sort
 * a copy themselves, so the producer's order does not matter.
 *
 * The discovery-record tree (`-m discovery -P 1`) uses iscsiadm's *other* tree printer
 * (idbm): the Portal line only when address or port change (TPGT ignored): see
 * `renderIdbmNodeTree`.
 */
import { asUnsigned32, compareC, hostPort } from './text.js';
import type { NodeView, Rendered } from './types.js';

/** The record's portal directory name, the sort key after the target. */
function portalDir(n: NodeView): string {
  return `${n.address},${n.port},${n.tpgt}`;
}

/** iscsiadm's node order: target, portal directory name, iface (byte order). */
export function compareNodes(a: NodeView, b: NodeView): number {
  return compareC(a.target, b.target) || compareC(portalDir(a), portalDir(b)) || compareC(a.iface, b.iface);
}

/** A sorted copy. */
export function sortNodes(nodes: readonly NodeView[]): NodeView[] {
  return [...nodes].sort(compareNodes);
}

/** `-m node` (`-P 0`): one `<portal>,<tpgt unsigned> <target>` line per record, sorted. */
export function renderNodeFlat(nodes: readonly NodeView[]): Rendered {
  return {
    stdout: sortNodes(nodes).map((n) => `${hostPort(n.address, n.port)},${asUnsigned32(n.tpgt)} ${n.target}`),
    stderr: [],
  };
}

/**
 * Target/Portal lines of the libopeniscsiusr tree (node -P 1, iface -P 1): Target when
 * the name changes, Portal for every record.
 */
export function nodeTreeLines(nodes: readonly NodeView[], prefix: string, withIface: boolean): string[] {
  const out: string[] = [];
  let last: string | undefined;
  for (const n of nodes) {
    if (n.target !== last) out.push(`${prefix}Target: ${n.target}`);
    last = n.target;
    out.push(`${prefix}\tPortal: ${hostPort(n.address, n.port)},${n.tpgt}`);
    if (withIface) out.push(`${prefix}\t\tIface Name: ${n.iface}`);
  }
  return out;
}

/** `-m node -P 1`: the tree, sorted. */
export function renderNodeTree(nodes: readonly NodeView[]): Rendered {
  return { stdout: nodeTreeLines(sortNodes(nodes), '', true), stderr: [] };
}

/**
 * idbm's tree (`idbm_print_node_tree` + Iface Name), used by the discovery printers:
 * Target when the name changes; Portal when address or port differ from the previous
 * record (a new Target always gets one; a TPGT change alone does not); Iface Name for
 * every record. Printed in the given order.
 */
export function idbmNodeTreeLines(nodes: readonly NodeView[]): string[] {
  const out: string[] = [];
  let prev: NodeView | undefined;
  for (const n of nodes) {
    if (prev === undefined || prev.target !== n.target) {
      out.push(`Target: ${n.target}`);
      prev = undefined;
    }
    if (prev === undefined || prev.address !== n.address || prev.port !== n.port) {
      out.push(`\tPortal: ${hostPort(n.address, n.port)},${n.tpgt}`);
    }
    out.push(`\t\tIface Name: ${n.iface}`);
    prev = n;
  }
  return out;
}
