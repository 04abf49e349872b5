/**
 * `-m node -T t -p a[:p][,tpgt] [-I i] -o new`: one static record, announced as
 * `New iSCSI node [tcp:[hw=,ip=,net_if=,iscsi_if=default] a,p,tpgt t] added`. Without a
 * target or portal iscsiadm 2.1.8 prints `Error while adding record: ` and exits 0;
 * that quirk is kept. Like iscsiadm, `-n/-v` pairs are not applied here (use -o update).
 */
import type { NodeCommand } from '../argv/types.js';
import { actionJson } from '../render/json.js';
import * as msg from '../render/messages.js';
import { concat } from '../render/text.js';
import type { ExecContext } from './context.js';
import { failWith } from './report.js';
import { isConnectError } from './api.js';

/** Create the record(s); returns the exit status. */
export async function createNodes(ctx: ExecContext, cmd: NodeCommand): Promise<number> {
  const portal = cmd.portal;
  if (cmd.targetName === undefined || portal === undefined || portal.address === '') return failWith(ctx, 0, 'Error while adding record: ');
  const iface = cmd.ifaces[0];
  let r;
  try {
    r = await ctx.api.call('node.new', {
      target: cmd.targetName, address: portal.address, port: portal.port, tpgt: portal.tpgt,
      ...(iface === undefined ? {} : { ifaces: [iface] }),
    });
  } catch (err) {
    if (isConnectError(err) || !(err instanceof Error) || !('errno' in err)) throw err;
    const errno = (err as { errno: number }).errno;
    return failWith(ctx, errno, `Error while adding record: ${msg.errText(errno)}`);
  }
  ctx.io.text(concat(...r.nodes.map((n) => (n.error
    ? msg.error(`Error while adding record: ${msg.errText(n.error.errno)}`)
    : msg.newNode({ ...n.node, transport: n.transport, hwAddress: n.hwAddress, ipAddress: n.ipAddress, netIfacename: n.netIfacename })))));
  ctx.io.doc(() => actionJson('node.new', r.nodes.map((n) => ({
    object: { ...n.node, transport: n.transport, hwAddress: n.hwAddress, ipAddress: n.ipAddress, netIfacename: n.netIfacename },
    ok: !n.error, errno: n.error?.errno ?? 0, error: n.error ? msg.errText(n.error.errno) : '',
  })), r.firstErrno));
  return r.firstErrno;
}
