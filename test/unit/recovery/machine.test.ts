/**
 * The pure supervisor machine (machine.ts) and its open-iscsi state words (words.ts):
 * events that do not apply change nothing, and each state prints the words of
 * reference §4.2.
 */
import { describe, expect, it } from 'vitest';
import { INITIAL_STATE, transition, type MachineContext, type MachineEvent, type MachineState } from '../../../src/recovery/machine.js';
import { recoveryConfig } from '../../../src/recovery/policy.js';
import { stateWords } from '../../../src/recovery/words.js';
import { TransportError } from '../../../src/shared/errors.js';

const ctx: MachineContext = { config: recoveryConfig({ replacementTimeoutMs: 15_000 }), time2WaitMs: 2000, random: () => 0 };
const lost: MachineEvent = { type: 'connection-lost', error: new TransportError('CONNECTION_CLOSED', 'x'), hints: {}, awaitLogout: false, now: 5 };
const loggedIn: MachineState = { ...INITIAL_STATE, phase: 'LOGGED_IN', io: 'pass' };

describe('supervisor machine', () => {
  it('ignores events that do not apply to the state', () => {
    for (const e of [lost, { type: 'login-ok', now: 0 }, { type: 'delay-elapsed', now: 0 }, { type: 'replacement-timeout', now: 0 }, { type: 'logout-done', now: 0 }] as MachineEvent[]) {
      expect(transition(INITIAL_STATE, e, ctx)).toEqual({ state: INITIAL_STATE, effects: [] });
    }
    expect(transition(loggedIn, { type: 'start', now: 0 }, ctx).effects).toEqual([]);
  });

  it('S-01 connection lost: REOPEN, hold I/O, arm replacement_timeout and the Time2Wait delay', () => {
    const { state, effects } = transition(loggedIn, lost, ctx);
    expect(state).toMatchObject({ phase: 'REOPEN', step: 'delay', io: 'hold', attempts: 0, startedAt: 5, delayMs: 2000 });
    expect(effects.filter((e) => e.type === 'arm')).toEqual([
      { type: 'arm', timer: 'replacement', ms: 15_000 },
      { type: 'arm', timer: 'reopen', ms: 2000 },
    ]);
  });

  it('S-01 replacement_timeout 0 fails at once, a negative one arms no timer', () => {
    const zero = transition(loggedIn, lost, { ...ctx, config: recoveryConfig({ replacementTimeoutMs: 0 }) });
    expect(zero.state).toMatchObject({ io: 'fail', replacementExpired: true });
    expect(zero.effects.find((e) => e.type === 'fail-held')).toMatchObject({ error: { code: 'REPLACEMENT_TIMEOUT' } });
    const forever = transition(loggedIn, lost, { ...ctx, config: recoveryConfig({ replacementTimeoutMs: -1 }) });
    expect(forever.state.io).toBe('hold');
    expect(forever.effects.some((e) => e.type === 'arm' && e.timer === 'replacement')).toBe(false);
  });

  it('prints the open-iscsi state words', () => {
    const w = (phase: MachineState['phase'], step: MachineState['step'], io: MachineState['io']): string => Object.values(stateWords({ phase, step, io })).join(' | ');
    expect(w('FREE', 'none', 'fail')).toBe('FREE | FREE | NO CHANGE');
    expect(w('IN_LOGIN', 'login', 'fail')).toBe('IN LOGIN | FREE | NO CHANGE');
    expect(w('IN_LOGIN', 'delay', 'fail')).toBe('TRANSPORT WAIT | FREE | NO CHANGE');
    expect(w('LOGGED_IN', 'none', 'pass')).toBe('LOGGED IN | LOGGED_IN | NO CHANGE');
    expect(w('REOPEN', 'delay', 'hold')).toBe('TRANSPORT WAIT | FAILED | REOPEN');
    expect(w('REOPEN', 'login', 'fail')).toBe('IN LOGIN | FREE | REOPEN');
    expect(w('REOPEN', 'logout-wait', 'hold')).toBe('LOGOUT REQUESTED | FAILED | REOPEN');
    expect(w('FAILED', 'none', 'fail')).toBe('CLEANUP WAIT | FREE | NO CHANGE');
    expect(w('IN_LOGOUT', 'none', 'fail')).toBe('IN LOGOUT | LOGGED_IN | CLEANUP');
  });
});
