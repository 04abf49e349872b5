/**
 * Issue 5 "Detect": a stalled command window. A target that keeps MaxCmdSN closed while
 * commands wait, but still answers pings, never trips the NOP timeout; after
 * windowStallTimeoutMs the connection fails so recovery can reinstate the session.
 */
import { describe, expect, it } from 'vitest';
import type { IscsiError } from '../../../src/shared/errors.js';
import { nopIn } from '../../support/fake-target/index.js';
import { FakeClock } from '../../support/fake-clock.js';
import { loggedIn, ofKind, quiet, settle, tur, until } from './helpers-jnr.js';

describe('stalled command window', () => {
  it('J-03 O-02 fails the connection with COMMAND_WINDOW_STALLED when the window stays closed past the limit', async () => {
    const clock = new FakeClock();
    const { target, session } = await loggedIn({ window: 0 }, { clock, windowStallTimeoutMs: 30_000 });
    const failed = new Promise<IscsiError>((resolve) => session.once('connection-error', resolve));
    const cmd = quiet(tur(session));
    await settle();
    expect(ofKind(target, 'scsi-command')).toHaveLength(0); // queued behind the closed window
    clock.advance(29_999);
    expect(session.state).toBe('logged-in');
    clock.advance(1);
    const err = await failed;
    expect(err.code).toBe('COMMAND_WINDOW_STALLED');
    expect(session.state).toBe('failed');
    await expect(cmd).rejects.toMatchObject({ code: 'SESSION_FAILED' });
  });

  it('J-03 a window that opens before the limit disarms the stall timer', async () => {
    const clock = new FakeClock();
    const { target, session } = await loggedIn({ window: 0 }, { clock, windowStallTimeoutMs: 30_000 });
    const cmd = quiet(tur(session));
    await settle();
    clock.advance(20_000);
    const ctx = target.ctx(0);
    ctx.sn.window = 4;
    ctx.send(nopIn(ctx)); // informational NOP-In opens the window
    await until(() => ofKind(target, 'scsi-command').length === 1);
    expect((await cmd).status).toBe(0);
    clock.advance(60_000);
    expect(session.state).toBe('logged-in');
  });

  it('windowStallTimeoutMs 0 disables the check', async () => {
    const clock = new FakeClock();
    const { session } = await loggedIn({ window: 0 }, { clock, windowStallTimeoutMs: 0 });
    void quiet(tur(session));
    await settle();
    clock.advance(3_600_000);
    expect(session.state).toBe('logged-in');
    expect(session.outstanding).toBe(1);
  });
});
