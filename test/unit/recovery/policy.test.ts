/**
 * The pure recovery policy: error classification (G-09, G-10, O-15), reopen delays
 * (O-03, M-05, M-07, S-06), reopen_max, the initial login budget (S-04), and the unit
 * attentions that are retried after recovery (O-11).
 */
import { describe, expect, it } from 'vitest';
import { loginStatusError } from '../../../src/iscsi/login/status.js';
import {
  backoffMs, classify, DEFAULT_RECOVERY, initialLoginDeadline, initialLoginMayRetry, isRetryableUnitAttention,
  recoveryConfig, reopenDelayMs, reopenExhausted,
} from '../../../src/recovery/policy.js';
import { ConfigError, IscsiError, ISCSI_ERR, LoginError, ProtocolError, TransportError } from '../../../src/shared/errors.js';
import { checkCondition, GOOD } from './stub-session.js';

const CLASS_2 = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b];
const CLASS_3 = [0x00, 0x01, 0x02];

describe('classify', () => {
  it.each(CLASS_2)('G-09 O-15 class 2 detail %i stops retries', (detail) => {
    const c = classify(loginStatusError(2, detail));
    expect(c.retry).toBe(false);
    expect(['auth', 'login-rejected']).toContain(c.reason);
  });

  it('G-09 authentication and authorization failures are classified auth', () => {
    expect(classify(loginStatusError(2, 0x01))).toMatchObject({ retry: false, reason: 'auth' });
    expect(classify(loginStatusError(2, 0x02))).toMatchObject({ retry: false, reason: 'auth' });
    // A CHAP failure found by the initiator (errno 24) stops too.
    expect(classify(new LoginError('AUTH_FAILED', 'bad CHAP_R', { errno: ISCSI_ERR.LOGIN_AUTH_FAILED }))).toMatchObject({ retry: false, reason: 'auth' });
  });

  it.each(CLASS_3)('G-10 O-15 class 3 detail %i retries', (detail) => {
    expect(classify(loginStatusError(3, detail))).toMatchObject({ retry: true, reason: 'target-error' });
  });

  it('G-11 an unknown detail of class 3 still retries, an unknown class does not', () => {
    expect(classify(loginStatusError(3, 0x77)).retry).toBe(true);
    expect(classify(loginStatusError(4, 0x00)).retry).toBe(false);
  });

  it('O-15 transport errors and timeouts retry', () => {
    expect(classify(new TransportError('CONNECT_FAILED', 'ECONNREFUSED'))).toMatchObject({ retry: true, reason: 'transport' });
    expect(classify(new TransportError('CONNECTION_CLOSED', 'closed'))).toMatchObject({ retry: true, reason: 'transport' });
    expect(classify(new TransportError('LOGIN_TIMEOUT', 't', { errno: ISCSI_ERR.TRANS_TIMEOUT }))).toMatchObject({ retry: true, reason: 'timeout' });
    expect(classify(new TransportError('NOP_OUT_TIMEOUT', 't', { errno: ISCSI_ERR.PDU_TIMEOUT }))).toMatchObject({ retry: true, reason: 'timeout' });
  });

  it('protocol errors retry only when the error says so', () => {
    expect(classify(new ProtocolError('UNKNOWN_ITT', 'x'))).toMatchObject({ retry: true, reason: 'protocol' });
    expect(classify(new ProtocolError('TSIH_ZERO', 'x', { retryable: false }))).toMatchObject({ retry: false, reason: 'protocol' });
  });

  it('G-07 a redirect loop, configuration errors and unknown throwables stop', () => {
    expect(classify(new LoginError('TOO_MANY_REDIRECTS', 'loop', { errno: ISCSI_ERR.FATAL_LOGIN, retryable: true }))).toMatchObject({ retry: false, reason: 'redirect-loop' });
    expect(classify(new ConfigError('CHAP_SECRET_MISSING', 'x', { retryable: true }))).toMatchObject({ retry: false, reason: 'config' });
    expect(classify(new Error('bug'))).toMatchObject({ retry: false, reason: 'unknown' });
    expect(classify(new IscsiError('SOMETHING', 'x', { retryable: true })).retry).toBe(true);
  });

  it('M-05 S-06 an AsyncEvent 2/3 drop carries Parameter2/3 as delay hints', () => {
    const err = new TransportError('TARGET_DROPPED_CONNECTION', 'drop', { details: { asyncEvent: 2, time2Wait: 5, time2Retain: 20 } });
    expect(classify(err)).toEqual({ retry: true, reason: 'target-drop', hints: { time2WaitMs: 5000, time2RetainMs: 20_000 } });
    expect(classify(err, { time2WaitMs: 1 }).hints).toEqual({ time2WaitMs: 1 });
  });
});

describe('delays', () => {
  const cfg = recoveryConfig({ backoff: { initialMs: 500, factor: 2, maxMs: 4000, jitter: 0.5 } });
  const noJitter = (): number => 0;

  it('backoff: none before the first attempt, then doubling up to the cap, jitter only shortens it', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffMs(n, cfg.backoff, noJitter))).toEqual([0, 500, 1000, 2000, 4000, 4000]);
    expect(backoffMs(3, cfg.backoff, () => 1)).toBe(500); // 1000 less 50 %
    expect(backoffMs(3, cfg.backoff, () => 0.5)).toBe(750);
  });

  it('O-03 the first reopen waits the negotiated DefaultTime2Wait, later ones max(Time2Wait, backoff)', () => {
    expect(reopenDelayMs(1, cfg, 2000, {}, noJitter)).toBe(2000);
    expect(reopenDelayMs(2, cfg, 2000, {}, noJitter)).toBe(2000);
    expect(reopenDelayMs(4, cfg, 2000, {}, noJitter)).toBe(2000);
    expect(reopenDelayMs(5, cfg, 2000, {}, noJitter)).toBe(4000);
    // Nothing negotiated yet: the configured default.
    expect(reopenDelayMs(1, cfg, undefined, {}, noJitter)).toBe(cfg.defaultTime2WaitMs);
  });

  it('M-05 M-07 Parameter2 replaces Time2Wait for the first attempt only; 0 = at once', () => {
    expect(reopenDelayMs(1, cfg, 2000, { time2WaitMs: 5000 }, noJitter)).toBe(5000);
    expect(reopenDelayMs(2, cfg, 2000, { time2WaitMs: 5000 }, noJitter)).toBe(2000);
    expect(reopenDelayMs(1, cfg, 2000, { time2WaitMs: 0 }, noJitter)).toBe(0);
  });

  it('reopen_max: 0 is unlimited, N allows N attempts', () => {
    expect(reopenExhausted(1_000_000, recoveryConfig({ reopenMax: 0 }))).toBe(false);
    expect(reopenExhausted(2, recoveryConfig({ reopenMax: 3 }))).toBe(false);
    expect(reopenExhausted(3, recoveryConfig({ reopenMax: 3 }))).toBe(true);
  });

  it('S-04 the initial login budget is initial_login_retry_max × login_timeout (8 × 15 s)', () => {
    expect(DEFAULT_RECOVERY).toMatchObject({ initialLoginRetryMax: 8, loginTimeoutMs: 15_000, replacementTimeoutMs: 120_000, reopenMax: 0 });
    expect(initialLoginDeadline(1000, DEFAULT_RECOVERY)).toBe(121_000);
    expect(initialLoginMayRetry(1000, 120_999, DEFAULT_RECOVERY)).toBe(true);
    expect(initialLoginMayRetry(1000, 121_000, DEFAULT_RECOVERY)).toBe(false);
    expect(initialLoginMayRetry(0, 0, recoveryConfig({ initialLoginRetryMax: 0 }))).toBe(false);
  });
});

describe('unit attention after recovery', () => {
  it('O-11 47h/7Fh and 29h/xx unit attentions are retried, other results are not', () => {
    expect(isRetryableUnitAttention(checkCondition(6, 0x47, 0x7f))).toBe(true);
    expect(isRetryableUnitAttention(checkCondition(6, 0x29, 0x02))).toBe(true);
    expect(isRetryableUnitAttention(checkCondition(6, 0x3f, 0x0e))).toBe(false);
    expect(isRetryableUnitAttention(checkCondition(5, 0x47, 0x7f))).toBe(false);
    expect(isRetryableUnitAttention(GOOD)).toBe(false);
    expect(isRetryableUnitAttention({ ...GOOD, status: 2, sense: Buffer.from([0x10]) })).toBe(false);
  });
});
