/**
 * CHAP secrets never leave the daemon: every byte a control client receives (replies,
 * errors, events) and every log line is searched for the secrets during a run with
 * mutual CHAP logins, discovery CHAP, a failed login and config reads. Only a request
 * with `showSecrets: true` gets them (the positive control at the end).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RawClient } from '../control/helpers.js';
import { FakeTarget, standardTarget } from '../../support/fake-target/index.js';
import { startDaemon, TEST_CONF, type TestDaemon } from './helpers.js';

const T = 'iqn.2024-01.test.fake:chap';
const SECRET = 'initiator-secret-0123';
const SECRET_IN = 'target-secret-456789';
const WRONG = 'wrong-secret-987654321';
const DISC_SECRET = 'discovery-secret-24680';
const CONF_SECRET = 'conf-default-secret-1357';

let d: TestDaemon;
let target: FakeTarget;
let raw: RawClient;
let received = '';
let nextId = 1;

async function call(method: string, params: object = {}): Promise<Record<string, unknown>> {
  const id = nextId++;
  raw.send({ jsonrpc: '2.0', id, method, params });
  return raw.byId(id);
}

beforeEach(async () => {
  target = await FakeTarget.start(standardTarget({
    targets: [{ name: T }],
    auth: { username: 'alice', secret: SECRET, mutual: { secret: SECRET_IN } },
  }));
  d = await startDaemon({ conf: `${TEST_CONF}\nnode.session.auth.password_in = ${CONF_SECRET}` });
  raw = await RawClient.hello(d.socket);
  raw.socket.on('data', (chunk: Buffer | string) => {
    received += chunk.toString();
  });
  raw.send({ jsonrpc: '2.0', id: 'sub', method: 'subscribe', params: {} });
  await raw.byId('sub');
});

afterEach(async () => {
  raw.destroy();
  await d.stop();
  await target.stop();
  received = '';
});

describe('CHAP secrets', () => {
  it('appear in no reply, error, event or log line unless showSecrets is asked for', async () => {
    const chap = {
      'node.session.auth.authmethod': 'CHAP', 'node.session.auth.username': 'alice', 'node.session.auth.password': SECRET,
      'node.session.auth.username_in': T, 'node.session.auth.password_in': SECRET_IN, 'node.session.auth.chap_algs': 'SHA256,MD5',
    };
    expect((await call('node.new', { target: T, address: '127.0.0.1', port: target.port, tpgt: 1, values: chap })).error).toBeUndefined();
    await call('node.show', { target: T });
    const login = await call('node.login', { target: T });
    expect((login.result as { firstErrno: number }).firstErrno).toBe(0);
    await raw.until((m) => m.some((x) => x.method === 'event' && (x.params as { event: { type: string } }).event.type === 'login'));
    const list = await call('session.list', {});
    const chapView = (list.result as { sessions: Array<{ chap: Record<string, string> }> }).sessions[0]!.chap;
    expect(chapView).toEqual({ username: 'alice', password: '********', usernameIn: T, passwordIn: '********' });
    await call('session.info', { sid: 1 });
    await call('session.logout', { sid: 1 });

    // A failed login (wrong secret): the error, the events and the logs name no secret.
    await call('node.update', { target: T, values: { 'node.session.auth.password': WRONG } });
    const bad = await call('node.login', { target: T });
    const outcome = (bad.result as { results: Array<{ error?: { errno: number } }> }).results[0]!;
    expect(outcome.error?.errno).toBe(24);

    // Discovery CHAP and the iscsid.conf defaults.
    await call('discovery.new', { address: '127.0.0.1', port: target.port, values: {
      'discovery.sendtargets.auth.authmethod': 'CHAP', 'discovery.sendtargets.auth.username': 'alice', 'discovery.sendtargets.auth.password': SECRET,
    } });
    await call('discovery.show', { address: '127.0.0.1', port: target.port });
    await call('discovery.update', { address: '127.0.0.1', port: target.port, values: { 'discovery.sendtargets.auth.password': DISC_SECRET } });
    const disc = await call('discovery.sendtargets', { address: '127.0.0.1', port: target.port, ops: ['nonpersistent'] });
    expect((disc.error as { data: { errno: number } } | undefined)?.data.errno).toBe(24);
    await call('config.get', {});
    await call('daemon.status', {});

    for (const s of [SECRET, SECRET_IN, WRONG, DISC_SECRET, CONF_SECRET]) {
      expect(received.includes(s), `reply/event text contains ${s}`).toBe(false);
      expect(JSON.stringify(d.logs).includes(s), `log contains ${s}`).toBe(false);
      expect(JSON.stringify(d.events).includes(s), `event contains ${s}`).toBe(false);
    }
    expect(received).toContain('********');
    expect(d.events.some((e) => e.type === 'login.failed' && e.errno === 24)).toBe(true);

    // Positive control: the same calls with showSecrets return them.
    await call('node.show', { target: T, showSecrets: true });
    await call('config.get', { showSecrets: true });
    expect(received).toContain(WRONG);
    expect(received).toContain(CONF_SECRET);
  });
});
