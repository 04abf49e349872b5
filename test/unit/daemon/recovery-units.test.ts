/**
 * Pure pieces of the daemon's recovery wiring: record → recovery timers, profile
 * inheritance, the extended statistics layout, and the supervisor machine's first-login
 * pause and per-attempt notifications (fake clock, no sockets).
 */
import { describe, expect, it } from 'vitest';
import { nodeDefaults, type NodeRecord } from '../../../src/db/index.js';
import { inheritProfile, PROFILES } from '../../../src/daemon/profiles.js';
import { recoveryFromRecord, timeoutsFromRecord } from '../../../src/daemon/session-options.js';
import { extendedStats } from '../../../src/daemon/session-reporting.js';
import { INITIAL_STATE, transition, type MachineContext, type MachineState } from '../../../src/recovery/machine.js';
import { recoveryConfig } from '../../../src/recovery/policy.js';
import { emptyAsyncEventCounts } from '../../../src/session/async-events.js';
import { LoginError, TransportError } from '../../../src/shared/errors.js';

function record(values: Partial<Record<keyof NodeRecord, unknown>> = {}): NodeRecord {
  return { ...nodeDefaults(), ...values } as NodeRecord;
}

describe('recovery timers from a node record', () => {
  it('S-01 S-03 S-04 maps replacement_timeout, reopen_max, login timeout, initial_login_retry_max, DefaultTime2Wait', () => {
    const rec = record({
      'node.session.timeo.replacement_timeout': 15, 'node.session.reopen_max': 3, 'node.conn[0].timeo.login_timeout': 7,
      'node.session.initial_login_retry_max': 2, 'node.session.iscsi.DefaultTime2Wait': 1,
    });
    expect(recoveryFromRecord(rec, timeoutsFromRecord(rec))).toEqual({
      replacementTimeoutMs: 15_000, reopenMax: 3, loginTimeoutMs: 7000, initialLoginRetryMax: 2, defaultTime2WaitMs: 1000,
    });
  });

  it('S-01 keeps 0 (fail at once) and negative (hold forever); clamps nonsense', () => {
    const zero = record({ 'node.session.timeo.replacement_timeout': 0, 'node.session.reopen_max': -4, 'node.session.initial_login_retry_max': 0 });
    expect(recoveryFromRecord(zero, timeoutsFromRecord(zero))).toMatchObject({ replacementTimeoutMs: 0, reopenMax: 0, initialLoginRetryMax: 1 });
    const forever = record({ 'node.session.timeo.replacement_timeout': -1, 'node.conn[0].timeo.login_timeout': 0, 'node.session.iscsi.DefaultTime2Wait': 99999 });
    expect(recoveryFromRecord(forever, timeoutsFromRecord(forever))).toMatchObject({ replacementTimeoutMs: -1000, loginTimeoutMs: 30_000, defaultTime2WaitMs: 2000 });
  });
});

describe('profile inheritance', () => {
  const defaults = record();

  it('sets the profile keys a node leaves at the defaults', () => {
    const r = inheritProfile(record(), 'multipath', defaults);
    // The compiled defaults already have noop 5/5: only replacement_timeout changes.
    expect(r.applied).toEqual(['node.session.timeo.replacement_timeout']);
    const root = inheritProfile(record(), 'root', defaults);
    expect(root.applied.sort()).toEqual(Object.keys(PROFILES.root.values).sort());
    expect(r.record['node.session.timeo.replacement_timeout']).toBe(15);
    expect(r.record['node.conn[0].timeo.noop_out_interval']).toBe(5);
  });

  it('keeps a value the node set', () => {
    const r = inheritProfile(record({ 'node.session.timeo.replacement_timeout': 40 }), 'root', defaults);
    expect(r.record['node.session.timeo.replacement_timeout']).toBe(40);
    expect(r.record['node.conn[0].timeo.noop_out_interval']).toBe(0);
    expect(r.applied).not.toContain('node.session.timeo.replacement_timeout');
  });
});

describe('extended statistics', () => {
  it('lists AsyncEvents by kind, then the recovery counters, in a fixed order', () => {
    const counts = { ...emptyAsyncEventCounts(), scsiEvent: 2, vendor: 1 };
    const x = extendedStats(counts, { connectionErrors: 3, recoveries: 2, reopenFailures: 5, replacementTimeouts: 1, giveUps: 0 });
    expect(x).toEqual([
      ['async_scsi_event', 2], ['async_logout_request', 0], ['async_drop_connection', 0], ['async_drop_all_connections', 0],
      ['async_renegotiate', 0], ['async_task_termination', 0], ['async_vendor', 1], ['async_unassigned', 0],
      ['conn_errors', 3], ['session_recoveries', 2], ['reopen_failures', 5], ['replacement_timeouts', 1], ['recovery_giveups', 0],
    ]);
  });
});

describe('supervisor machine: first login pause and attempt notifications', () => {
  const ctx: MachineContext = { config: recoveryConfig({ initialRetryDelayMs: 3000 }), time2WaitMs: undefined, random: () => 0 };
  const inLogin: MachineState = { ...INITIAL_STATE, phase: 'IN_LOGIN', step: 'login', attempts: 1, startedAt: 0 };

  it('S-04 waits initialRetryDelayMs after a refused connect, nothing after a login timeout', () => {
    const refused = transition(inLogin, { type: 'login-failed', error: new TransportError('CONNECT_FAILED', 'refused'), now: 10 }, ctx);
    expect(refused.state).toMatchObject({ phase: 'IN_LOGIN', step: 'delay', delayMs: 3000 });
    const timedOut = transition(inLogin, { type: 'login-failed', error: new TransportError('LOGIN_TIMEOUT', 'slow', { errno: 8 }), now: 10 }, ctx);
    expect(timedOut.state).toMatchObject({ step: 'delay', delayMs: 0 });
    expect(refused.effects.find((e) => e.type === 'notify')).toMatchObject({ event: 'login-failed', data: { attempt: 1, final: false, phase: 'IN_LOGIN' } });
  });

  it('G-09 a final failure is announced as final before start() settles', () => {
    const auth = new LoginError('AUTH_FAILED', 'bad secret', { errno: 24 });
    const t = transition(inLogin, { type: 'login-failed', error: auth, now: 10 }, ctx);
    expect(t.state.phase).toBe('FREE');
    const kinds = t.effects.map((e) => (e.type === 'notify' ? `notify:${e.event}` : e.type));
    expect(kinds.indexOf('notify:login-failed')).toBeLessThan(kinds.indexOf('settle-start'));
    expect(t.effects.find((e) => e.type === 'notify')).toMatchObject({ data: { final: true, error: { code: 'AUTH_FAILED' } } });
  });

  it('O-03 REOPEN ignores initialRetryDelayMs and waits DefaultTime2Wait', () => {
    const reopening: MachineState = { ...INITIAL_STATE, phase: 'REOPEN', step: 'login', io: 'hold', attempts: 1 };
    const t = transition(reopening, { type: 'login-failed', error: new TransportError('CONNECT_FAILED', 'refused'), now: 10 }, { ...ctx, time2WaitMs: 2000 });
    expect(t.state).toMatchObject({ phase: 'REOPEN', step: 'delay', delayMs: 2000 });
    expect(t.effects.find((e) => e.type === 'notify')).toMatchObject({ data: { phase: 'REOPEN', final: false } });
  });
});
