/**
 * `-m host`: submodes chap / flashnode / stats (ping is refused), else the host listing
 * with -P 0..4. Index rules observed on iscsiadm 2.1.8: CHAP deletes take the index as a
 * uint16 and refuse > 2048 (MAX_CHAP_ENTRIES; the default is 2049); flashnode operations
 * other than show/new need an index that fits 32 bits.
 */
import { MSG } from '../messages.js';
import { OP_BITS, type RawArgs } from '../raw-args.js';
import type { CliError, HostCommand } from '../types.js';
import { commonFields, fail, type BuildContext } from './common.js';

const MAX_CHAP_ENTRIES = 2048n;
const MAX_FLASHNODE_IDX = 0xffff_ffffn;

type HostAction = HostCommand['action'];

/** exec_host_chap_op; returns the action or [exit code, message]. */
function decideChap(raw: RawArgs): HostAction | [number, string] {
  if (raw.opMask === 0) return [7, MSG.chapNeedsOp()];
  switch (raw.opMask) {
    case OP_BITS.show: return 'chap-show';
    case OP_BITS.new:
    case OP_BITS.update:
      return raw.params.length > 0 ? 'chap-set' : [0, MSG.chapNoCredentials()];
    case OP_BITS.delete: {
      const index = BigInt.asUintN(16, raw.index ?? MAX_CHAP_ENTRIES + 1n);
      return index > MAX_CHAP_ENTRIES ? [0, MSG.chapBadIndex()] : 'chap-delete';
    }
    default: return [7, MSG.invalidOperation()];
  }
}

/** Submode or listing decision; returns the action or [exit code, message]. */
function decideHost(raw: RawArgs): HostAction | [number, string] {
  switch (raw.submode) {
    case 'chap': return decideChap(raw);
    case 'flashnode': {
      const needsIndex = raw.opMask !== 0 && raw.opMask !== OP_BITS.show && raw.opMask !== OP_BITS.new;
      const index = raw.index ?? MAX_FLASHNODE_IDX + 1n;
      return needsIndex && index > MAX_FLASHNODE_IDX ? [7, MSG.flashnodeBadIndex()] : 'flashnode';
    }
    case 'stats': return 'stats';
    case 'ping': return [0, MSG.badSubmode()];
    default:
      return raw.printLevel >= -1 && raw.printLevel <= 4 ? 'list' : [7, MSG.hostLevel(raw.printLevel)];
  }
}

/** Build the host command, or the error iscsiadm stops with. */
export function buildHost(raw: RawArgs, ctx: BuildContext): HostCommand | CliError {
  const decided = decideHost(raw);
  if (Array.isArray(decided)) return fail(ctx, raw, decided[0], [decided[1]]);
  return {
    mode: 'host',
    ...commonFields(raw),
    action: decided,
    ...(raw.host === undefined ? {} : { host: raw.host }),
    ...(raw.submode === undefined ? {} : { submode: raw.submode }),
    ...(raw.index === undefined ? {} : { index: raw.index }),
    ...(raw.portalType === undefined ? {} : { portalType: raw.portalType }),
  };
}
