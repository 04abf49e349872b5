/**
 * Session settings from node records (pure): CHAP and chap_algs, the clamped offer,
 * effective timeouts, ISIDs; the state-word table; login failure diagnostics.
 */
import { describe, expect, it } from 'vitest';
import { nodeDefaults, type NodeRecord } from '../../../src/db/index.js';
import { diagnoseLoginFailure } from '../../../src/daemon/login-diagnostics.js';
import { chapAlgorithms, isidForSid, sessionConfigFromRecord, timeoutsFromRecord } from '../../../src/daemon/session-options.js';
import { phaseOf } from '../../../src/daemon/session-states.js';
import { loginStatusError } from '../../../src/iscsi/login/status.js';
import { IscsiError, TransportError } from '../../../src/shared/errors.js';

function record(values: Partial<Record<keyof NodeRecord, unknown>> = {}): NodeRecord {
  return { ...nodeDefaults(), 'node.name': 'iqn.2024-01.test:t', 'node.conn[0].address': '10.0.0.1', ...values } as NodeRecord;
}

const ME = { name: 'iqn.2024-01.test:me', alias: 'me' };

describe('CHAP from node.session.auth.*', () => {
  it('S-07 maps chap_algs words to CHAP_A values in the configured order', () => {
    expect(chapAlgorithms(['SHA3-256', 'SHA256', 'SHA1', 'MD5'])).toEqual([8, 7, 6, 5]);
    expect(chapAlgorithms(['MD5'])).toEqual([5]);
    const cfg = sessionConfigFromRecord(record({ 'node.session.auth.username': 'u', 'node.session.auth.password': 'p'.repeat(12), 'node.session.auth.chap_algs': ['SHA256', 'MD5'] }), 1, ME);
    expect(cfg.chap).toEqual({ username: 'u', secret: 'p'.repeat(12), algorithms: [7, 5] });
  });

  it('uses CHAP whenever outgoing credentials are set (authmethod ignored), mutual with incoming ones', () => {
    const cfg = sessionConfigFromRecord(record({
      'node.session.auth.authmethod': 'None', 'node.session.auth.username': 'u', 'node.session.auth.password': 'p'.repeat(12),
      'node.session.auth.username_in': 'tgt', 'node.session.auth.password_in': 'q'.repeat(12),
    }), 1, ME);
    expect(cfg.chap).toMatchObject({ usernameIn: 'tgt', secretIn: 'q'.repeat(12) });
  });

  it('ignores incoming-only credentials with a note', () => {
    const cfg = sessionConfigFromRecord(record({ 'node.session.auth.username_in': 'tgt', 'node.session.auth.password_in': 'q'.repeat(12) }), 1, ME);
    expect(cfg.chap).toBeUndefined();
    expect(cfg.notes.join()).toMatch(/incoming authentication credentials/);
  });
});

describe('operational offer and identity', () => {
  it('clamps lengths like open-iscsi and forces ERL 0 with a note', () => {
    const cfg = sessionConfigFromRecord(record({
      'node.conn[0].iscsi.MaxRecvDataSegmentLength': 65539, 'node.session.iscsi.MaxBurstLength': 100,
      'node.session.iscsi.FirstBurstLength': 20_000_000, 'node.session.iscsi.ERL': 2,
      'node.conn[0].iscsi.HeaderDigest': 'CRC32C,None', 'node.session.iscsi.InitialR2T': true,
    }), 1, ME);
    expect(cfg.offer).toMatchObject({
      maxRecvDataSegmentLength: 65536, maxBurstLength: 16776192, firstBurstLength: 262144, errorRecoveryLevel: 0,
      headerDigest: ['CRC32C', 'None'], dataDigest: ['None'], initialR2T: true, maxConnections: 1,
    });
    expect(cfg.notes.length).toBeGreaterThanOrEqual(3);
  });

  it('B-01 uses open-iscsi\'s OUI-format ISID 00 02 3D + 24-bit sid', () => {
    expect(isidForSid(1).toString('hex')).toBe('00023d000001');
    expect(isidForSid(0x123456).toString('hex')).toBe('00023d123456');
    expect(isidForSid(1)[0]! >> 6).toBe(0); // T = 00b, never the reserved 11b
  });

  it('takes the initiator name from iface.initiatorname when set, and initial_cmdsn as is', () => {
    expect(sessionConfigFromRecord(record(), 1, ME).initiatorName).toBe(ME.name);
    const cfg = sessionConfigFromRecord(record({ 'iface.initiatorname': 'iqn.2024-01.test:other', 'node.session.initial_cmdsn': 7 }), 1, ME);
    expect(cfg.initiatorName).toBe('iqn.2024-01.test:other');
    expect(cfg.initialCmdSN).toBe(7);
    expect(cfg.initiatorAlias).toBe('me');
  });
});

describe('effective timeouts', () => {
  it('S-03 applies open-iscsi\'s fix-ups: login ≤ 0 → 30, logout 0 → 15, a lone 0 NOP value → 5', () => {
    expect(timeoutsFromRecord(record({ 'node.conn[0].timeo.login_timeout': 0, 'node.conn[0].timeo.logout_timeout': 0 }))).toMatchObject({ login: 30, logout: 15 });
    expect(timeoutsFromRecord(record({ 'node.conn[0].timeo.noop_out_interval': 0, 'node.conn[0].timeo.noop_out_timeout': 7 }))).toMatchObject({ noopOutInterval: 5, noopOutTimeout: 7 });
    expect(timeoutsFromRecord(record({ 'node.conn[0].timeo.noop_out_interval': 0, 'node.conn[0].timeo.noop_out_timeout': 0 }))).toMatchObject({ noopOutInterval: 0, noopOutTimeout: 0 });
    expect(timeoutsFromRecord(record({ 'node.session.err_timeo.abort_timeout': -1 }))).toMatchObject({ abort: null, recovery: 120, lunReset: 30 });
  });
});

describe('state words', () => {
  it.each([
    ['IN_LOGIN', 'login', 'login'],
    ['IN_LOGIN', 'delay', 'login-wait'],
    ['LOGGED_IN', 'none', 'logged-in'],
    ['REOPEN', 'delay', 'reopen'],
    ['REOPEN', 'login', 'reopen'],
    ['FAILED', 'none', 'failed'],
    ['IN_LOGOUT', 'none', 'logging-out'],
    ['FREE', 'none', 'closed'],
  ] as const)('supervisor %s / %s is daemon phase %s', (state, step, phase) => {
    expect(phaseOf(state, step)).toBe(phase);
  });
});

describe('login failure diagnostics', () => {
  it('keeps the action of a login status failure', () => {
    const d = diagnoseLoginFailure(loginStatusError(2, 0x02));
    expect(d).toMatchObject({ code: 'AUTHORIZATION_FAILURE', errno: 24, retryable: false });
    expect(d.action).toMatch(/ACL/);
  });

  it('has actions for connection failures and falls back by errno', () => {
    expect(diagnoseLoginFailure(new TransportError('CONNECT_FAILED', 'refused')).action).toMatch(/firewall/);
    expect(diagnoseLoginFailure(new IscsiError('SOMETHING_NEW', 'x', { errno: 19 })).action).toMatch(/target name/);
    expect(diagnoseLoginFailure(new Error('boom'))).toMatchObject({ code: 'LOGIN_INTERNAL_ERROR', errno: 9 });
  });
});
