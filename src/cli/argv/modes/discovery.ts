/**
 * `-m discovery` (exec_disc_op) and `-m discoverydb` (exec_disc2_op). Default ports: 3260,
 * iSNS 3205, applied to any negative port. Where iscsiadm first reads the stored discovery
 * record, its later argument errors are deferred behind 'discovery-record-found'.
 */
import { MSG } from '../messages.js';
import { OP_BITS, type RawArgs } from '../raw-args.js';
import type { CliError, DiscoveryCommand, DiscoveryDbCommand, Portal } from '../types.js';
import { commonFields, deferred, fail, portalOf, type BuildContext } from './common.js';

type DiscAction = DiscoveryCommand['action'];
type DbAction = DiscoveryDbCommand['action'];

function portalFor(raw: RawArgs): Portal | undefined {
  const fallback = raw.type === 'isns' ? 3205 : 3260;
  return portalOf(raw, (port) => (port < 0 ? fallback : port));
}

function fields(raw: RawArgs) {
  const portal = portalFor(raw);
  return {
    ...commonFields(raw),
    ...(raw.type === undefined ? {} : { type: raw.type }),
    ...(portal === undefined ? {} : { portal }),
    ifaces: [...raw.ifaces],
    login: raw.login,
    discover: raw.discover,
    show: raw.show,
  };
}

/** The typeless discovery branch with a portal: acts on the stored sendtargets record. */
function recordAction(raw: RawArgs): { action: DiscAction } | { error: string } {
  if (raw.discover || raw.login) return { action: 'record-discover' };
  if (raw.opMask === 0 || raw.opMask === OP_BITS.show) return { action: 'record-show' };
  if (raw.opMask === OP_BITS.delete) return { action: 'record-delete' };
  if (raw.opMask === OP_BITS.update || raw.opMask === OP_BITS.new) return { error: MSG.newUpdateInDiscovery() };
  return { error: MSG.invalidOperation() };
}

/** Build the discovery command, or the error iscsiadm stops with. */
export function buildDiscovery(raw: RawArgs, ctx: BuildContext): DiscoveryCommand | CliError {
  const base = { mode: 'discovery' as const, ...fields(raw) };
  const hasIp = base.portal !== undefined;
  switch (raw.type) {
    case 'sendtargets':
      return hasIp ? { ...base, action: 'sendtargets' } : fail(ctx, raw, 7, [MSG.portalNeeded()]);
    case 'slp': return fail(ctx, raw, 7, [MSG.slp()]);
    case 'isns':
      return hasIp ? { ...base, action: 'isns' } : fail(ctx, raw, 7, [MSG.portalNeededIsns()]);
    case 'fw': return { ...base, action: 'fw' };
    default: {
      if (!hasIp) {
        if (raw.opMask === 0 || raw.opMask === OP_BITS.show) return { ...base, action: 'list' };
        return fail(ctx, raw, 7, [MSG.invalidOperation()]);
      }
      const r = recordAction(raw);
      if ('action' in r) return { ...base, action: r.action };
      return { ...base, action: 'error', deferredError: deferred('discovery-record-found', fail(ctx, raw, 7, [r.error])) };
    }
  }
}

/** discoverydb with st/isns and a portal. */
function dbRecordAction(raw: RawArgs): { action: DbAction } | { error: string } {
  if ((raw.opMask & OP_BITS.new) !== 0 && !raw.discover) return { action: 'new-record' };
  if (raw.discover) return { action: 'discover' };
  if (raw.opMask === 0 || raw.opMask === OP_BITS.show) return { action: 'show' };
  if (raw.opMask === OP_BITS.delete) return { action: 'delete' };
  if (raw.opMask === OP_BITS.update) {
    return raw.params.length > 0 ? { action: 'update' } : { error: MSG.dbUpdateNeedsParams() };
  }
  return { error: MSG.dbOpNotSupported() };
}

/** Build the discoverydb command, or the error iscsiadm stops with. */
export function buildDiscoveryDb(raw: RawArgs, ctx: BuildContext): DiscoveryDbCommand | CliError {
  const base = { mode: 'discoverydb' as const, ...fields(raw) };
  const hasIp = base.portal !== undefined;
  switch (raw.type) {
    case 'sendtargets':
    case 'isns': {
      if (!hasIp) return fail(ctx, raw, 7, [MSG.portalNeeded()]);
      const r = dbRecordAction(raw);
      if ('action' in r) return { ...base, action: r.action };
      return { ...base, action: 'error', deferredError: deferred('discovery-record-found', fail(ctx, raw, 7, [r.error])) };
    }
    case 'slp': return fail(ctx, raw, 7, [MSG.slp()]);
    case 'fw': return raw.discover ? { ...base, action: 'fw' } : fail(ctx, raw, 7, [MSG.dbMissingDiscover()]);
    default:
      if (!hasIp) {
        if (raw.opMask === 0 || raw.opMask === OP_BITS.show) return { ...base, action: 'list' };
        return fail(ctx, raw, 7, [MSG.dbInvalidOperation()]);
      }
      return fail(ctx, raw, 7, [raw.opMask !== 0 ? MSG.dbMissingType() : MSG.dbPortalNotNeeded()]);
  }
}
