/**
 * `-m fw`: print the firmware (iBFT) targets, or log in to them (-l, -W to not wait).
 * iscsiadm makes no argument checks here beyond the letters (dmlWnv).
 */
import type { RawArgs } from '../raw-args.js';
import type { FwCommand } from '../types.js';
import { commonFields } from './common.js';

/** Build the fw command (it cannot fail once the letters passed). */
export function buildFw(raw: RawArgs): FwCommand {
  return { mode: 'fw', ...commonFields(raw), action: raw.login ? 'login' : 'show', noWait: raw.noWait };
}
