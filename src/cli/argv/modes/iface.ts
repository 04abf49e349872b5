/**
 * `-m iface`: the one-interface warning, then ping (-C ping) checks, then exec_iface_op's
 * switch on the exact operation value.
 */
import { MSG, prefixed } from '../messages.js';
import { OP_BITS, type RawArgs } from '../raw-args.js';
import type { CliError, IfaceCommand } from '../types.js';
import { commonFields, fail, type BuildContext } from './common.js';

type IfaceAction = IfaceCommand['action'];

/** Ping needs an iface, a destination and sane size/count/interval (checked in this order). */
function pingProblem(raw: RawArgs): string | undefined {
  if (raw.ifaces.length === 0) return MSG.pingNeedsIface();
  if (raw.pingAddress === undefined) return MSG.pingNeedsIp();
  if (raw.packetSize <= 0) return MSG.pingSize(raw.packetSize);
  if (raw.count <= 0) return MSG.pingCount(raw.count);
  if (raw.interval < 0) return MSG.pingInterval(raw.interval);
  return undefined;
}

/** exec_iface_op: returns the action, or [exit code, message or undefined for a silent 7]. */
function decideIfaceOp(raw: RawArgs): IfaceAction | [number, string | undefined] {
  const hasIface = raw.ifaces.length > 0;
  switch (raw.opMask) {
    case OP_BITS.new: return hasIface ? 'new' : [22, MSG.ifaceNewNeedsIface()];
    case OP_BITS.delete: return hasIface ? 'delete' : [7, MSG.ifaceDeleteNeedsIface()];
    case OP_BITS.update: return hasIface && raw.params.length > 0 ? 'update' : [7, MSG.ifaceUpdateNeeds()];
    case OP_BITS.apply: return hasIface ? 'apply' : [7, MSG.ifaceApplyNeedsIface()];
    case OP_BITS.applyall: return 'applyall';
    default:
      if (raw.opMask !== 0 && raw.opMask !== OP_BITS.show) return [7, undefined];
      if (raw.printLevel === -1 || raw.printLevel === 0) return hasIface ? 'show' : 'list';
      if (raw.printLevel === 1) return 'tree';
      return [7, MSG.ifaceLevel(raw.printLevel)];
  }
}

/** Build the iface command, or the error iscsiadm stops with. */
export function buildIface(raw: RawArgs, ctx: BuildContext): IfaceCommand | CliError {
  const first = raw.ifaces[0];
  const notices = first !== undefined && raw.ifaces.length > 1 ? [prefixed(ctx.prog, MSG.ifaceOneIface(first))] : [];
  let action: IfaceAction;
  if (raw.submode === 'ping') {
    const problem = pingProblem(raw);
    if (problem !== undefined) return fail(ctx, raw, 7, [problem], notices);
    action = 'ping';
  } else {
    const decided = decideIfaceOp(raw);
    if (Array.isArray(decided)) {
      const [code, message] = decided;
      return fail(ctx, raw, code, message === undefined ? [] : [message], notices);
    }
    action = decided;
  }
  return {
    mode: 'iface',
    ...commonFields(raw, notices),
    action,
    ifaces: [...raw.ifaces],
    ...(raw.host === undefined ? {} : { host: raw.host }),
    ...(raw.submode === undefined ? {} : { submode: raw.submode }),
    ...(raw.pingAddress === undefined ? {} : { pingAddress: raw.pingAddress }),
    packetSize: raw.packetSize,
    count: raw.count,
    interval: raw.interval,
  };
}
