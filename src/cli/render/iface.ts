/**
 * Iface listings (reference §6.6), checked against Debian's iscsiadm 2.1.8:
 *
 *   iscsiadm -m iface        aa tcp,00:11:22:33:44:55,<empty>,<empty>,<empty>
 *                            default tcp,<empty>,<empty>,<empty>,<empty>
 *                            iser iser,<empty>,<empty>,<empty>,<empty>
 *   iscsiadm -m iface -P 1   Iface: aa
 *                            \tTarget: iqn.a
 *                            \t\tPortal: 10.0.0.9:3260,1      (every record)
 *
 * Order: stored ifaces by name (byte order), then the built-ins `default` and `iser`;
 * the nodes under each iface in node order. The renderers sort a copy.
 * `-m iface -I x` is a record dump (record.ts). The ipaddress is printed as stored in
 * the flat line (no brackets).
 */
import { compareNodes, nodeTreeLines } from './node.js';
import { compareC, orEmpty } from './text.js';
import type { IfaceTreeView, IfaceView, Rendered } from './types.js';

const BUILTIN_ORDER = ['default', 'iser'];

/** -1 for stored ifaces (first), then the built-ins in iscsiadm's order. */
function builtinRank(i: IfaceView): number {
  if (!(i.builtin ?? BUILTIN_ORDER.includes(i.name))) return -1;
  const at = BUILTIN_ORDER.indexOf(i.name);
  return at >= 0 ? at : BUILTIN_ORDER.length;
}

/** iscsiadm's iface order: stored ifaces by name, then `default`, then `iser`. */
export function compareIfaces(a: IfaceView, b: IfaceView): number {
  return builtinRank(a) - builtinRank(b) || compareC(a.name, b.name);
}

/** `-m iface`: `<name> <transport>,<hwaddress>,<ipaddress>,<net_ifacename>,<initiatorname>`. */
export function renderIfaceFlat(ifaces: readonly IfaceView[]): Rendered {
  const lines = [...ifaces].sort(compareIfaces).map((i) =>
    `${i.name} ${[i.transport, i.hwAddress, i.ipAddress, i.netIfacename, i.initiatorName].map(orEmpty).join(',')}`,
  );
  return { stdout: lines, stderr: [] };
}

/** `-m iface -P 1`: each iface and the node records bound to it. */
export function renderIfaceTree(ifaces: readonly IfaceTreeView[]): Rendered {
  const lines = [...ifaces].sort(compareIfaces).flatMap((i) => [
    `Iface: ${i.name}`,
    ...nodeTreeLines([...i.nodes].sort(compareNodes), '\t', false),
  ]);
  return { stdout: lines, stderr: [] };
}
