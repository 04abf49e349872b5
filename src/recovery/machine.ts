/**
 * The session supervisor as data (DESIGN.md §5.8): a state, and a pure
 * `transition(state, event, ctx) → { state, effects }`. supervisor.ts runs the effects
 * (timers, login/logout calls, held commands); this file decides them.
 *
 *   FREE ──start──▶ IN_LOGIN ──login ok──▶ LOGGED_IN ──connection lost──▶ REOPEN
 *                     │  ▲ delay/login (initial_login_retry_max budget)     │  ▲ delay/login
 *                     ▼  │                                                  │  │ (reopen_max)
 *                   FREE (start rejected)     LOGGED_IN ◀──login ok─────────┘  │
 *                                             REOPEN ──not retryable / reopen_max──▶ FAILED
 *   any ──logout──▶ IN_LOGOUT / FREE          any ──terminate──▶ FREE
 *
 * `io` says what a new SCSI command meets: `pass` (sent), `hold` (queued until the
 * session is back: REOPEN while replacement_timeout runs), `fail` (rejected at once).
 */
import type { IscsiError } from '../shared/errors.js';
import {
  classify, initialLoginMayRetry, initialRetryDelayMs, reopenDelayMs, reopenExhausted, type DelayHints, type RecoveryConfig,
} from './policy.js';
import { loggedOutError, recoveryFailedError, replacementTimeoutError, terminatedError } from './errors.js';

/** Supervisor states (open-iscsi's words where it has them). */
export type Phase = 'FREE' | 'IN_LOGIN' | 'LOGGED_IN' | 'REOPEN' | 'FAILED' | 'IN_LOGOUT';
/** What IN_LOGIN / REOPEN is doing right now. */
export type Step = 'none' | 'logout-wait' | 'delay' | 'login';
export type IoMode = 'pass' | 'hold' | 'fail';
export type TimerName = 'reopen' | 'replacement';

export interface MachineState {
  readonly phase: Phase;
  readonly step: Step;
  readonly io: IoMode;
  /** Login attempts made in the current IN_LOGIN / REOPEN episode. */
  readonly attempts: number;
  /** Clock time the current episode started (initial login budget; failure time in REOPEN). */
  readonly startedAt: number;
  /** Timing hints of the failure that started the episode (AsyncEvent Parameter2/3). */
  readonly hints: DelayHints;
  /** The last failure. */
  readonly cause: IscsiError | undefined;
  readonly replacementExpired: boolean;
  /** Delay of the reopen timer last armed. */
  readonly delayMs: number;
}

export const INITIAL_STATE: MachineState = Object.freeze({
  phase: 'FREE', step: 'none', io: 'fail', attempts: 0, startedAt: 0, hints: {}, cause: undefined, replacementExpired: false, delayMs: 0,
});

export type MachineEvent =
  | { type: 'start'; now: number }
  | { type: 'login-ok'; now: number }
  | { type: 'login-failed'; error: IscsiError; now: number }
  /** The live connection failed (`awaitLogout`: the target asked for a logout that is still running). */
  | { type: 'connection-lost'; error: IscsiError; hints: DelayHints; awaitLogout: boolean; now: number }
  | { type: 'target-logout-done'; now: number }
  | { type: 'delay-elapsed'; now: number }
  | { type: 'replacement-timeout'; now: number }
  | { type: 'logout'; now: number }
  | { type: 'logout-done'; now: number }
  | { type: 'terminate'; now: number };

export type NotifyEvent = 'recovered' | 'gave-up' | 'replacement-timeout' | 'login-failed';

/** Data of the `login-failed` notification: one failed attempt (initial login or reopen). */
export interface LoginFailedData {
  error: IscsiError;
  /** 1-based attempt number within the episode. */
  attempt: number;
  /** No further attempt follows (gave up). */
  final: boolean;
  phase: 'IN_LOGIN' | 'REOPEN';
}

export type Effect =
  | { type: 'login' }
  | { type: 'arm'; timer: TimerName; ms: number }
  | { type: 'cancel'; timer: TimerName }
  | { type: 'release-held' }
  | { type: 'fail-held'; error: IscsiError }
  | { type: 'logout-session' }
  | { type: 'close-session' }
  /** Settle the promise of start(): resolved without error. */
  | { type: 'settle-start'; error?: IscsiError }
  | { type: 'notify'; event: NotifyEvent; data: Record<string, unknown> }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; msg: string; data: Record<string, unknown> };

export interface MachineContext {
  config: RecoveryConfig;
  /** DefaultTime2Wait of the last login, in ms (undefined before the first). */
  time2WaitMs: number | undefined;
  random: () => number;
}

export interface Transition {
  state: MachineState;
  effects: Effect[];
}

const same = (state: MachineState): Transition => ({ state, effects: [] });
const CANCEL_ALL: Effect[] = [{ type: 'cancel', timer: 'reopen' }, { type: 'cancel', timer: 'replacement' }];

/** The pure step function. Events that do not apply to the current state change nothing. */
export function transition(s: MachineState, e: MachineEvent, ctx: MachineContext): Transition {
  switch (e.type) {
    case 'start':
      if (s.phase !== 'FREE' && s.phase !== 'FAILED') return same(s);
      return {
        state: { ...INITIAL_STATE, phase: 'IN_LOGIN', step: 'login', attempts: 1, startedAt: e.now },
        effects: [...CANCEL_ALL, { type: 'login' }],
      };
    case 'login-ok':
      return s.step === 'login' ? loggedIn(s) : same(s);
    case 'login-failed':
      return s.step === 'login' ? loginFailed(s, e.error, e.now, ctx) : same(s);
    case 'connection-lost':
      return s.phase === 'LOGGED_IN' ? connectionLost(s, e, ctx) : same(s);
    case 'target-logout-done':
      return s.phase === 'REOPEN' && s.step === 'logout-wait' ? schedule(s, ctx) : same(s);
    case 'delay-elapsed':
      return s.step === 'delay' ? { state: { ...s, step: 'login', attempts: s.attempts + 1 }, effects: [{ type: 'login' }] } : same(s);
    case 'replacement-timeout':
      return s.phase === 'REOPEN' && s.io === 'hold' ? replacementExpired(s, ctx) : same(s);
    case 'logout':
      return logout(s);
    case 'logout-done':
      return s.phase === 'IN_LOGOUT' ? { state: { ...INITIAL_STATE }, effects: [{ type: 'fail-held', error: loggedOutError() }] } : same(s);
    case 'terminate':
      return {
        state: { ...INITIAL_STATE, cause: s.cause },
        effects: [
          ...CANCEL_ALL, { type: 'close-session' }, { type: 'fail-held', error: terminatedError() },
          ...(s.phase === 'IN_LOGIN' ? [{ type: 'settle-start', error: terminatedError() } as const] : []),
          { type: 'log', level: 'warn', msg: 'session torn down by force', data: { from: s.phase } },
        ],
      };
  }
}

function loggedIn(s: MachineState): Transition {
  const state: MachineState = { ...s, phase: 'LOGGED_IN', step: 'none', io: 'pass', attempts: 0, replacementExpired: false, hints: {} };
  if (s.phase === 'IN_LOGIN') {
    return { state, effects: [{ type: 'settle-start' }, { type: 'log', level: 'info', msg: 'logged in', data: { attempts: s.attempts } }] };
  }
  return {
    state,
    effects: [
      { type: 'cancel', timer: 'replacement' },
      { type: 'release-held' },
      { type: 'notify', event: 'recovered', data: { attempts: s.attempts } },
      { type: 'log', level: 'info', msg: `operational after recovery (${s.attempts} attempts)`, data: { attempts: s.attempts, cause: s.cause?.code } },
    ],
  };
}

function loginFailed(s: MachineState, error: IscsiError, now: number, ctx: MachineContext): Transition {
  const c = classify(error);
  const failed: MachineState = { ...s, cause: error };
  const note = (final: boolean): Effect => ({
    type: 'notify', event: 'login-failed', data: { error, attempt: s.attempts, final, phase: s.phase === 'IN_LOGIN' ? 'IN_LOGIN' : 'REOPEN' } satisfies LoginFailedData,
  });
  if (s.phase === 'IN_LOGIN') {
    const why = !c.retry ? `not retryable (${c.reason})` : !initialLoginMayRetry(s.startedAt, now, ctx.config) ? 'initial_login_retry_max × login_timeout used up' : undefined;
    if (why === undefined) return merge([note(false)], schedule(failed, ctx));
    return {
      state: { ...INITIAL_STATE, cause: error },
      effects: [note(true), { type: 'settle-start', error }, { type: 'log', level: 'error', msg: `initial login failed: ${why}`, data: { attempts: s.attempts, err: error.toJSON() } }],
    };
  }
  if (!c.retry) return merge([note(true)], giveUp(failed, `not retryable (${c.reason})`));
  if (reopenExhausted(s.attempts, ctx.config)) return merge([note(true)], giveUp(failed, `Giving up after ${s.attempts} retries (reopen_max)`));
  return merge([note(false)], schedule(failed, ctx));
}

/**
 * Wait before the next attempt: max(Time2Wait, backoff), see policy.reopenDelayMs; the
 * initial login uses `initialRetryDelayMs` when configured.
 */
function schedule(s: MachineState, ctx: MachineContext): Transition {
  const initial = ctx.config.initialRetryDelayMs;
  const ms = s.phase === 'IN_LOGIN' && initial !== undefined
    ? initialRetryDelayMs(s.cause, initial)
    : reopenDelayMs(s.attempts + 1, ctx.config, ctx.time2WaitMs, s.hints, ctx.random);
  return {
    state: { ...s, step: 'delay', delayMs: ms },
    effects: [
      { type: 'arm', timer: 'reopen', ms },
      { type: 'log', level: 'info', msg: `next login attempt in ${ms} ms`, data: { attempt: s.attempts + 1, delayMs: ms, cause: s.cause?.code } },
    ],
  };
}

/** S-01: hold new and unfinished commands while replacement_timeout runs; 0 fails them at once, < 0 holds until logout. */
function connectionLost(s: MachineState, e: Extract<MachineEvent, { type: 'connection-lost' }>, ctx: MachineContext): Transition {
  const c = classify(e.error, e.hints);
  const rt = ctx.config.replacementTimeoutMs;
  const base: MachineState = {
    ...s, phase: 'REOPEN', step: e.awaitLogout ? 'logout-wait' : 'delay', io: rt === 0 ? 'fail' : 'hold',
    attempts: 0, startedAt: e.now, hints: c.hints, cause: e.error, replacementExpired: rt === 0,
  };
  const effects: Effect[] = [{ type: 'log', level: 'warn', msg: 'connection failed; reopening the session', data: { reason: c.reason, err: e.error.toJSON() } }];
  if (rt === 0) effects.push({ type: 'fail-held', error: replacementTimeoutError(0, e.error) });
  if (rt > 0) effects.push({ type: 'arm', timer: 'replacement', ms: rt });
  if (!c.retry) return merge(effects, giveUp(base, `not retryable (${c.reason})`));
  if (e.awaitLogout) return { state: base, effects };
  return merge(effects, schedule(base, ctx));
}

function replacementExpired(s: MachineState, ctx: MachineContext): Transition {
  const ms = ctx.config.replacementTimeoutMs;
  return {
    state: { ...s, io: 'fail', replacementExpired: true },
    effects: [
      { type: 'fail-held', error: replacementTimeoutError(ms, s.cause) },
      { type: 'notify', event: 'replacement-timeout', data: { replacementTimeoutMs: ms } },
      { type: 'log', level: 'warn', msg: `replacement_timeout (${ms} ms) expired: failing I/O until the session is back`, data: { cause: s.cause?.code } },
    ],
  };
}

function giveUp(s: MachineState, why: string): Transition {
  const cause = s.cause;
  return {
    state: { ...s, phase: 'FAILED', step: 'none', io: 'fail' },
    effects: [
      ...CANCEL_ALL,
      { type: 'fail-held', error: recoveryFailedError(cause) },
      { type: 'notify', event: 'gave-up', data: { why, cause } },
      { type: 'log', level: 'error', msg: `session recovery gave up: ${why}; log the session out`, data: { attempts: s.attempts, err: cause?.toJSON() } },
    ],
  };
}

function logout(s: MachineState): Transition {
  switch (s.phase) {
    case 'FREE':
    case 'IN_LOGOUT':
      return same(s);
    case 'LOGGED_IN':
      return { state: { ...s, phase: 'IN_LOGOUT', step: 'none', io: 'fail' }, effects: [{ type: 'logout-session' }] };
    case 'IN_LOGIN':
    case 'REOPEN':
    case 'FAILED':
      // No connection to log out on: close whatever is there (an attempt in progress too).
      return {
        state: { ...INITIAL_STATE, cause: s.cause },
        effects: [
          ...CANCEL_ALL, { type: 'close-session' }, { type: 'fail-held', error: loggedOutError() },
          ...(s.phase === 'IN_LOGIN' ? [{ type: 'settle-start', error: loggedOutError() } as const] : []),
        ],
      };
  }
}

function merge(first: Effect[], t: Transition): Transition {
  return { state: t.state, effects: [...first, ...t.effects] };
}
