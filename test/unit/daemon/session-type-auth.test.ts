/**
 * Per session type, through the control API against the fake target:
 * - H-24: discovery CHAP (discovery.sendtargets.auth.*) and session CHAP
 *   (node.session.auth.*) are configured apart; neither is used for the other.
 * - F-18: a target refusing the SessionType (status 0x0209, class 2) is not retried,
 *   for a Normal session and for a Discovery session, however many retries are allowed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeTarget, standardTarget } from '../../support/fake-target/index.js';
import { startDaemon, TEST_CONF, type TestDaemon } from './helpers.js';

const T = 'iqn.2024-01.test.fake:typed';
const USER = 'alice';
const SECRET = 'right-secret-0123';
const WRONG = 'wrong-secret-4567';

interface LoginResult {
  results: Array<{ sids: number[]; error?: { errno: number; code: string } }>;
}

let d: TestDaemon | undefined;
let target: FakeTarget | undefined;

afterEach(async () => {
  await d?.stop();
  await target?.stop();
  d = undefined;
  target = undefined;
});

const loginCount = (t: FakeTarget): number => t.received.filter((r) => r.pdu.kind === 'login-request' && r.raw.subarray(48).includes('InitiatorName=')).length;

describe('H-24 discovery CHAP is configured apart from session CHAP', () => {
  it('H-24 discovery uses only discovery.sendtargets.auth.*, sessions only node.session.auth.*', async () => {
    target = await FakeTarget.start(standardTarget({ targets: [{ name: T }], auth: { username: USER, secret: SECRET } }));
    // Session credentials right (iscsid.conf defaults for new node records), discovery credentials unset.
    d = await startDaemon({ conf: `${TEST_CONF}\nnode.session.auth.authmethod = CHAP\nnode.session.auth.username = ${USER}\nnode.session.auth.password = ${SECRET}` });
    const where = { address: '127.0.0.1', port: target.port };
    const noDiscoveryChap = await d.fail('discovery.sendtargets', { ...where, ops: ['nonpersistent'] });
    expect(noDiscoveryChap.errno).toBe(24); // the session's CHAP was not offered for discovery

    // Discovery credentials set: discovery works; the records it creates take the session defaults.
    await d.call('discovery.new', { ...where, values: {
      'discovery.sendtargets.auth.authmethod': 'CHAP', 'discovery.sendtargets.auth.username': USER, 'discovery.sendtargets.auth.password': SECRET,
    } });
    await d.call('discovery.sendtargets', where);
    expect((await d.call<LoginResult>('node.login', { target: T })).results[0]!.sids).toHaveLength(1);
    await d.call('node.logout', { target: T });

    // Wrong session secret: the session fails with 24 although discovery's secret is right.
    await d.call('node.update', { target: T, values: { 'node.session.auth.password': WRONG } });
    expect((await d.call<LoginResult>('node.login', { target: T })).results[0]!.error?.errno).toBe(24);
    await d.call('discovery.sendtargets', { ...where, ops: ['nonpersistent'] }); // discovery still authenticates

    // Wrong discovery secret: discovery fails with 24; the session's (fixed) secret still logs in.
    await d.call('node.update', { target: T, values: { 'node.session.auth.password': SECRET } });
    await d.call('discovery.update', { ...where, values: { 'discovery.sendtargets.auth.password': WRONG } });
    expect((await d.fail('discovery.sendtargets', { ...where, ops: ['nonpersistent'] })).errno).toBe(24);
    expect((await d.call<LoginResult>('node.login', { target: T })).results[0]!.sids).toHaveLength(1);
  });
});

describe('F-18 SessionType refused (0x0209)', () => {
  it('F-18 a Normal session is not retried, with initial_login_retry_max 4', async () => {
    target = await FakeTarget.start(standardTarget({ targets: [{ name: T }], status: { statusClass: 2, statusDetail: 0x09 } }));
    d = await startDaemon();
    await d.call('node.new', { target: T, address: '127.0.0.1', port: target.port, values: { 'node.session.initial_login_retry_max': 4 } });
    const r = await d.call<LoginResult>('node.login', { target: T });
    expect(r.results[0]!.error).toMatchObject({ errno: 19, code: 'SESSION_TYPE_NOT_SUPPORTED' });
    expect(loginCount(target)).toBe(1);
    const failed = d.events.filter((e) => e.type === 'login.failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ final: true, errno: 19 });
  });

  it('F-18 a Discovery session is not retried, with discovery.sendtargets.reopen_max 3', async () => {
    target = await FakeTarget.start(standardTarget({ targets: [{ name: T }], status: { statusClass: 2, statusDetail: 0x09 } }));
    d = await startDaemon();
    const where = { address: '127.0.0.1', port: target.port };
    await d.call('discovery.new', { ...where, values: { 'discovery.sendtargets.reopen_max': 3 } });
    const err = await d.fail('discovery.sendtargets', where);
    expect(err).toMatchObject({ errno: 19, code: 'SESSION_TYPE_NOT_SUPPORTED' });
    expect(loginCount(target)).toBe(1);
    expect(target.connections()).toBe(1);
  });
});
