/**
 * A real Session over usertcp to the fake target, driven by a SessionSupervisor; both
 * share one FakeClock, so recovery timers (Time2Wait, backoff, replacement_timeout)
 * move only when a test advances it while the I/O is real. Used by the M- and O-
 * checklist tests in test/unit/session.
 */
import type { RecoveryConfig } from '../../../src/recovery/policy.js';
import { SessionSupervisor, type SupervisorTransition } from '../../../src/recovery/supervisor.js';
import type { Session, SessionOptions } from '../../../src/session/session.js';
import type { FakeClock } from '../../support/fake-clock.js';
import type { Received } from '../../support/fake-target/index.js';
import type { Fixture, Harness } from '../session/helpers-ikl.js';

export const TUR = { lun: 0, cdb: Buffer.alloc(6) };
/** READ(10) of one 512-byte block at `lba`. */
export function read10(lba: number): { lun: number; cdb: Buffer; dataInLength: number } {
  const cdb = Buffer.alloc(10);
  cdb[0] = 0x28;
  cdb.writeUInt32BE(lba, 2);
  cdb.writeUInt16BE(1, 7);
  return { lun: 0, cdb, dataInLength: 512 };
}

export interface Rig {
  fx: Fixture;
  s: Session;
  clock: FakeClock;
  sup: SessionSupervisor;
  transitions: SupervisorTransition[];
}

/** A supervised session, logged in. Keepalives are off unless `sessionOpts` turns them on. */
export async function supervised(
  h: Harness,
  fx: Fixture,
  sessionOpts: Partial<SessionOptions> = {},
  config: Partial<Omit<RecoveryConfig, 'backoff'>> = {},
): Promise<Rig> {
  const { s, clock } = h.session(fx, { noopOutIntervalMs: 0, ...sessionOpts });
  const sup = new SessionSupervisor(s, { clock, config, random: () => 0 });
  const transitions: SupervisorTransition[] = [];
  sup.on('transition', (t: SupervisorTransition) => transitions.push(t));
  await sup.start();
  return { fx, s, clock, sup, transitions };
}

/** Resolves with the first transition (already seen or future) matching `pred`. */
export function transition(r: Rig, pred: (t: SupervisorTransition) => boolean, timeoutMs = 3000): Promise<SupervisorTransition> {
  const seen = r.transitions.find(pred);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      r.sup.off('transition', on);
      reject(new Error(`no matching transition within ${timeoutMs} ms; state ${JSON.stringify(r.sup.snapshot().state)}`));
    }, timeoutMs);
    const on = (t: SupervisorTransition): void => {
      if (!pred(t)) return;
      clearTimeout(timer);
      r.sup.off('transition', on);
      resolve(t);
    };
    r.sup.on('transition', on);
  });
}

/** Wait for REOPEN/delay (the reopen timer is armed). */
export function reopening(r: Rig): Promise<SupervisorTransition> {
  return transition(r, (t) => t.to === 'REOPEN' && t.step === 'delay');
}

/** Transitions recorded from now on (to wait for the next LOGGED_IN, not an old one). */
export function fromNow(r: Rig): (pred: (t: SupervisorTransition) => boolean) => Promise<SupervisorTransition> {
  const mark = r.transitions.length;
  return (pred) => transition({ ...r, transitions: r.transitions.slice(mark) } as Rig, pred);
}

/** Advance the clock by `ms` and wait until the supervisor is LOGGED_IN again. */
export async function recoverAfter(r: Rig, ms: number): Promise<void> {
  const next = fromNow(r);
  r.clock.advance(ms);
  await next((t) => t.to === 'LOGGED_IN');
}

/** Login Requests of connection `conn`. */
export function loginsOn(fx: Fixture, conn: number): Received[] {
  return fx.target.received.filter((x) => x.conn === conn && x.pdu.kind === 'login-request');
}
