/**
 * Firmware boot targets (`-m fw`, `-m discovery -t fw`, `discoverydb -t fw -D`). The
 * daemon has no firmware (iBFT) reader yet, so: without `/sys/firmware/ibft` this is
 * exactly iscsiadm's "no firmware" answer (exit 21); with an iBFT table present the
 * same message names error 27 (operation not supported) instead of pretending.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as msg from '../render/messages.js';
import type { ExecContext } from './context.js';
import { fail } from './report.js';

/** Report that no firmware targets can be listed; returns the exit status. */
export function firmwareTargets(ctx: ExecContext): number {
  const errno = existsSync(join(ctx.sysfs, 'firmware/ibft')) ? 27 : 21;
  return fail(ctx, errno, msg.fwNoTargets(errno));
}
