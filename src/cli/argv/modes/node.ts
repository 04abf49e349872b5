/**
 * `-m node`: loginall/logoutall first, then (after the one-interface warning and, with -I,
 * reading that iface record) exec_node_op's decision.
 */
import { cliError, MSG, prefixed } from '../messages.js';
import type { RawArgs } from '../raw-args.js';
import type { CliError, NodeCommand, StartupFilter } from '../types.js';
import { commonFields, deferred, fail, portalOf, type BuildContext } from './common.js';
import { decideNodeOp } from './node-op.js';

const LOGIN_ALL: readonly StartupFilter[] = ['automatic', 'all', 'manual', 'onboot'];
const LOGOUT_ALL: readonly StartupFilter[] = ['automatic', 'all', 'manual'];

/** The part of NodeCommand that does not depend on the decision. */
function nodeBase(raw: RawArgs, notices: readonly string[]): Omit<NodeCommand, 'action'> {
  const portal = portalOf(raw, (port) => (port === -1 ? 3260 : port));
  return {
    mode: 'node',
    ...commonFields(raw, notices),
    ...(raw.targetName === undefined ? {} : { targetName: raw.targetName }),
    ...(portal === undefined ? {} : { portal }),
    ifaces: [...raw.ifaces],
    login: raw.login,
    logout: raw.logout,
    rescan: raw.rescan,
    stats: raw.stats,
    show: raw.show,
    noWait: raw.noWait,
  };
}

/** -L / -U: validated before anything else; an invalid word also prints the usage hint. */
function startupAll(raw: RawArgs, ctx: BuildContext): NodeCommand | CliError | undefined {
  if (!raw.loginAll && !raw.logoutAll) return undefined;
  const word = raw.groupMode ?? '';
  const login = raw.loginAll;
  const allowed = login ? LOGIN_ALL : LOGOUT_ALL;
  const filter = allowed.find((f) => f === word);
  if (filter === undefined) {
    const msg = login ? MSG.badLoginAll(word) : MSG.badLogoutAll(word);
    return cliError(7, [prefixed(ctx.prog, msg), MSG.usageHint(ctx.prog)], raw.json);
  }
  return { ...nodeBase(raw, []), action: login ? 'loginall' : 'logoutall', startupFilter: filter };
}

/** Build the node command, or the error iscsiadm stops with. */
export function buildNode(raw: RawArgs, ctx: BuildContext): NodeCommand | CliError {
  const all = startupAll(raw, ctx);
  if (all !== undefined) return all;
  const notices = raw.ifaces.length > 1 ? [prefixed(ctx.prog, MSG.nodeOneIface())] : [];
  const base = nodeBase(raw, notices);
  const listable = !raw.targetName && !base.portal?.address && raw.ifaces.length === 0;
  const outcome = decideNodeOp({ ...raw, params: raw.params, listable });
  if ('action' in outcome) return { ...base, action: outcome.action, params: outcome.params };
  const error = fail(ctx, raw, 7, [outcome.error]);
  // With -I, iscsiadm reads the iface record before deciding; its failure wins.
  if (raw.ifaces.length > 0) return { ...base, action: 'error', deferredError: deferred('iface-record-readable', error) };
  return error;
}
