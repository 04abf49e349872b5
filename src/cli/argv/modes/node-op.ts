/**
 * The decision order of iscsiadm's exec_node_op, shared by node mode and by session mode
 * (which "drops down to node ops"). Pure: returns the branch taken or the message of the
 * argument error it stops with (every such error exits 7).
 */
import { MSG } from '../messages.js';
import { OP_BITS } from '../raw-args.js';
import type { Param } from '../types.js';

/** Inputs of the decision. */
export interface NodeOpInput {
  readonly opMask: number;
  readonly login: boolean;
  readonly logout: boolean;
  readonly rescan: boolean;
  readonly stats: boolean;
  readonly printLevel: number;
  readonly params: readonly Param[];
  /** No target, portal address or iface was given (or there is no record: session mode). */
  readonly listable: boolean;
}

/** The branch exec_node_op takes. */
export type NodeOpAction = 'new' | 'rescan' | 'stats' | 'list' | 'login' | 'logout' | 'show' | 'update' | 'delete';

/** Outcome: the branch (with the params to use) or an error message. */
export type NodeOpOutcome =
  | { readonly action: NodeOpAction; readonly params: readonly Param[] }
  | { readonly error: string };

/**
 * open-iscsi's verify_node_params: needs at least one pair; iface.* keys (other than
 * iface.transport_name) belong to iface mode; node.transport_name is an old alias of
 * iface.transport_name. (The running-session check on the transport name is a state check
 * left to the executor.)
 */
function verifyUpdateParams(params: readonly Param[]): NodeOpOutcome {
  if (params.length === 0) return { error: MSG.nodeUpdateNeedsParams() };
  const out: Param[] = [];
  for (const p of params) {
    if (p.name.startsWith('iface.') && p.name !== 'iface.transport_name') return { error: MSG.useIfaceMode(p.name) };
    out.push(p.name === 'node.transport_name' ? { name: 'iface.transport_name', value: p.value } : p);
  }
  return { action: 'update', params: out };
}

/** Decide like exec_node_op, in its order. */
export function decideNodeOp(input: NodeOpInput): NodeOpOutcome {
  const { opMask, login, logout, params } = input;
  const plain = (action: NodeOpAction): NodeOpOutcome => ({ action, params });
  if (opMask === OP_BITS.new) return plain('new');
  if (input.rescan) return plain('rescan');
  if (input.stats) return plain('stats');
  if (login && logout) return { error: MSG.bothLoginLogout() };
  if ((login || logout) && opMask > 0) return { error: MSG.loginWithOp() };
  if (!login && !logout && opMask === 0 && input.listable) {
    const level = input.printLevel;
    return level >= -1 && level <= 1 ? plain('list') : { error: MSG.nodeLevel(level) };
  }
  if (login) return plain('login');
  if (logout) return plain('logout');
  if (opMask === 0 || opMask === OP_BITS.show) return plain('show');
  if (opMask === OP_BITS.update) return verifyUpdateParams(params);
  if (opMask === OP_BITS.delete) return plain('delete');
  return { error: MSG.nodeOpNotSupported() };
}
