/**
 * CHAP secrets are redacted everywhere (issue 3 §5): run the real daemon at -d 8 with
 * secrets in iscsid.conf, do a mutual-CHAP login through the control API against the
 * fake target, a login with a wrong secret, a record show, a session listing and a
 * SIGHUP, then grep everything the daemon wrote (stdout, stderr) and every API reply
 * for each secret.
 */
import { appendFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../../src/control/client.js';
import { DEFAULT_TARGET_NAME, FakeTarget, standardTarget } from '../../support/fake-target/index.js';
import { ensureBuilt, pathsIn, spawnDaemon, tempRoot, type DaemonProcess } from './helpers.js';

const SECRET_OUT = 'OutboundChapSecret1';
const SECRET_IN = 'InboundChapSecret22';
const SECRET_WRONG = 'WrongChapSecret333x';
const SECRET_CONF = 'ConfFileChapSecret4';
const SECRET_DISC = 'DiscoveryChapSecret5';
const ALL = [SECRET_OUT, SECRET_IN, SECRET_WRONG, SECRET_CONF, SECRET_DISC];
const OTHER_TARGET = 'iqn.2024-01.test.fake:disk2';

const root = tempRoot();
let target: FakeTarget | undefined;
let daemon: DaemonProcess | undefined;

beforeAll(() => ensureBuilt(), 120_000);
afterAll(async () => {
  daemon?.kill();
  await target?.stop();
  root.rm();
});

describe('CHAP secrets never leave the daemon', () => {
  it('absent from all output of a CHAP login run at -d 8, and from every API reply', async () => {
    target = await FakeTarget.start(standardTarget({
      targets: [{ name: DEFAULT_TARGET_NAME }, { name: OTHER_TARGET }],
      auth: { username: 'alice', secret: SECRET_OUT, mutual: { name: 'tgt', secret: SECRET_IN } },
    }));
    const p = pathsIn(root.dir);
    // First start writes the shipped iscsid.conf; add secrets to it, then restart.
    const first = spawnDaemon(root.dir, ['-f', '-d', '8']);
    await first.ready();
    first.child.kill('SIGTERM');
    await first.exited;
    appendFileSync(p.config, `node.session.auth.password = ${SECRET_CONF}\ndiscovery.sendtargets.auth.password = ${SECRET_DISC}\n`);

    daemon = spawnDaemon(root.dir, ['-f', '-d', '8']);
    await daemon.ready();
    const replies: unknown[] = [];
    const c = await ControlClient.connect(p.socket, { timeoutMs: 20_000 });
    const call = async (method: string, params: object): Promise<Record<string, unknown>> => {
      try {
        const r = await c.call<Record<string, unknown>>(method, params);
        replies.push(r);
        return r;
      } catch (err) {
        replies.push(err, (err as { details?: unknown }).details);
        throw err;
      }
    };
    const chap = (password: string) => ({
      'node.session.auth.authmethod': 'CHAP',
      'node.session.auth.username': 'alice',
      'node.session.auth.password': password,
      'node.session.auth.username_in': 'tgt',
      'node.session.auth.password_in': SECRET_IN,
    });
    const { port } = target.portal;
    await call('node.new', { target: DEFAULT_TARGET_NAME, address: '127.0.0.1', port, tpgt: 1, values: chap(SECRET_OUT) });
    await call('node.new', { target: OTHER_TARGET, address: '127.0.0.1', port, tpgt: 1, values: chap(SECRET_WRONG) });

    const good = await call('node.login', { target: DEFAULT_TARGET_NAME });
    expect(good.firstErrno).toBe(0);
    const bad = await call('node.login', { target: OTHER_TARGET });
    expect(bad.firstErrno).toBe(24); // ISCSI_ERR_LOGIN_AUTH_FAILED
    // The good login really used CHAP with our name.
    expect(target.received.some((r) => r.pdu.kind === 'login-request' && r.pdu.data.toString('latin1').includes('CHAP_N=alice'))).toBe(true);

    await call('node.show', { target: DEFAULT_TARGET_NAME });
    await call('session.list', {});
    daemon.child.kill('SIGHUP');
    await daemon.waitForLog((r) => r.msg === 'configuration reloaded');
    await c.close();
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);

    const everything = [first.stdout, first.stderr, daemon.stdout, daemon.stderr, JSON.stringify(replies)].join('\n');
    expect(everything.length).toBeGreaterThan(1000);
    for (const s of ALL) expect(everything.includes(s), `secret ${s} found in output`).toBe(false);
  });
});
