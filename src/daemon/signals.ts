/**
 * Signals of tsiscsid:
 * - SIGTERM: orderly stop (systemd's stop; iscsid leaves its event loop).
 * - SIGINT: the same. iscsid honours SIGINT only in the foreground, because a forked
 *   iscsid has no terminal; tsiscsid never forks, so Ctrl-C always means stop.
 * - SIGHUP: re-read iscsid.conf and initiatorname.iscsi.
 * - SIGPIPE: ignored (Node ignores it already; writes fail with EPIPE instead).
 * A second stop signal while stopping is logged; a third one exits at once with
 * status 1 (for a shutdown that hangs on an unreachable target in a terminal; under
 * systemd, TimeoutStopSec and KillMode=mixed handle that).
 */
import type { Logger } from '../shared/logger.js';

/** Signals that stop the daemon. */
export type StopSignal = 'SIGTERM' | 'SIGINT';

/** What the daemon does on each signal. */
export interface SignalHandlers {
  stop(signal: StopSignal): void;
  reload(): void;
}

/** The part of `process` used here (injectable for tests). */
export interface SignalTarget {
  on(signal: NodeJS.Signals, fn: () => void): unknown;
  off(signal: NodeJS.Signals, fn: () => void): unknown;
  exit(code: number): never;
}

/** How many stop signals force an immediate exit. */
export const FORCE_EXIT_AFTER = 3;

/** Install the handlers; returns a function that removes them. */
export function installSignalHandlers(h: SignalHandlers, log: Logger, target: SignalTarget = process): () => void {
  let stops = 0;
  const onStop = (signal: StopSignal) => (): void => {
    stops += 1;
    if (stops === 1) {
      log.info({ signal }, 'stop requested');
      h.stop(signal);
    } else if (stops < FORCE_EXIT_AFTER) {
      log.warn({ signal, count: stops }, `already stopping; send ${FORCE_EXIT_AFTER - stops} more to exit at once`);
    } else {
      log.error({ signal, count: stops }, 'exiting without an orderly shutdown');
      target.exit(1);
    }
  };
  const handlers: [NodeJS.Signals, () => void][] = [
    ['SIGTERM', onStop('SIGTERM')],
    ['SIGINT', onStop('SIGINT')],
    ['SIGHUP', () => {
      log.info({ signal: 'SIGHUP' }, 'reload requested');
      h.reload();
    }],
    ['SIGPIPE', () => {}],
  ];
  for (const [sig, fn] of handlers) target.on(sig, fn);
  return () => {
    for (const [sig, fn] of handlers) target.off(sig, fn);
  };
}
