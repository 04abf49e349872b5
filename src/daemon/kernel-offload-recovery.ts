/**
 * The re-login loop of a kernel-path session after ISCSI_KEVENT_CONN_ERROR (iscsid's
 * session_conn_reopen; offload: OffloadSession.reconnect, iscsi_tcp: a new socket bound
 * to the same connection, kernel-managed-session.ts): wait
 * DefaultTime2Wait (first attempt, src/recovery/policy.ts reopenDelayMs) or open-iscsi's
 * 3 s reopen delay, reconnect, until it works, the session stops reopening (logout), or
 * node.session.reopen_max attempts were made (0 = forever).
 */
import { reopenDelayMs, reopenExhausted, recoveryConfig } from '../recovery/policy.js';
import type { Clock } from '../shared/clock.js';
import { sleep } from './kernel-login.js';
import type { RecordSessionConfig } from './session-options.js';

/** open-iscsi ISCSI_CONN_ERR_REOPEN_DELAY: pause after a failed reconnect, ms. */
const REOPEN_DELAY_MS = 3000;

export interface ReconnectLoop {
  clock: Clock;
  config: RecordSessionConfig;
  /** Negotiated DefaultTime2Wait of the last login, ms. */
  time2WaitMs?: number;
  /** False once the session left REOPEN (logout, teardown). */
  reopening: () => boolean;
  /** One reconnect attempt (number `n`, 1-based). */
  attempt: (n: number) => Promise<void>;
  /** A failed attempt; `final` when no other follows. */
  failed: (err: unknown, n: number, final: boolean) => void;
}

/** 'ok' when an attempt worked, 'stopped' when the session stopped reopening, 'gave-up' after reopen_max. */
export async function reconnectLoop(l: ReconnectLoop): Promise<'ok' | 'stopped' | 'gave-up'> {
  const cfg = recoveryConfig({ ...l.config.recovery });
  for (let n = 1; ; n++) {
    await sleep(l.clock, n === 1 ? reopenDelayMs(0, cfg, l.time2WaitMs, {}, Math.random) : REOPEN_DELAY_MS);
    if (!l.reopening()) return 'stopped';
    try {
      await l.attempt(n);
      return l.reopening() ? 'ok' : 'stopped';
    } catch (err) {
      const final = reopenExhausted(n, cfg);
      l.failed(err, n, final);
      if (final) return 'gave-up';
    }
  }
}
