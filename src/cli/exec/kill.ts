/**
 * `-k 0` (`--killiscsid=0`): ask the daemon to stop. It answers first, then logs out
 * usertcp sessions (never onboot ones) and exits. When that fails iscsiadm 2.1.8 prints
 * the error and a hint, and still exits 0; tsiscsiadm does the same.
 */
import { actionJson } from '../render/json.js';
import * as msg from '../render/messages.js';
import { concat } from '../render/text.js';
import type { ExecContext } from './context.js';
import { fail } from './report.js';

/** Stop the daemon; returns the exit status (always 0, like iscsiadm). */
export async function execKill(ctx: ExecContext): Promise<number> {
  try {
    await ctx.api.call('daemon.stop', {}, { noAutostart: true });
    ctx.io.doc(() => actionJson('daemon.stop', [{ object: {}, ok: true, errno: 0, error: '' }], 0));
  } catch (err) {
    const errno = typeof (err as { errno?: unknown }).errno === 'number' ? (err as { errno: number }).errno : 9;
    fail(ctx, errno, concat(msg.initiatorError(errno), msg.error('Could not stop iscsid. Trying sending iscsid SIGTERM or SIGKILL signals manually')));
  }
  return 0;
}
