/**
 * Login redirects over real loopback sockets: 127.0.0.1, 127.0.0.2 and [::1] listeners
 * (RFC 7143 §11.13.5, §13.8; checklist G-01, G-02, G-03, G-05, G-07, G-08).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_REDIRECTS } from '../../../src/session/login-runner.js';
import type { Portal } from '../../../src/transport/types.js';
import { freePort } from '../../support/net.js';
import type { FakeTarget } from '../../support/fake-target/index.js';
import { ISID, newSession, ofKind, recordingTransport, rejectionOf, startTarget, tur } from './helpers-jnr.js';

/** A target that redirects every login to `to()` with status 0x01NN. */
async function redirector(to: () => string[], detail: 1 | 2 = 1, host = '127.0.0.1'): Promise<FakeTarget> {
  return (await startTarget({ status: { statusClass: 1, statusDetail: detail, addresses: () => to() } }, { host })).target;
}

const key = (p: Portal): string => `${p.host}:${p.port}`;

describe('login redirects', () => {
  it('G-01 a temporary redirect closes the connection and starts a new leading login (TSIH 0, same ISID) at the new address', async () => {
    const { target: b } = await startTarget({}, { host: '127.0.0.2' });
    const a = await redirector(() => [`127.0.0.2:${b.port}`]);
    const session = newSession(a.portal);
    await session.login();
    expect((await tur(session)).status).toBe(0);
    await a.waitForClosed(0);
    expect(ofKind(a, 'login-request')).toHaveLength(1);
    const first = ofKind(b, 'login-request')[0]!;
    expect(first.raw.readUInt16BE(14)).toBe(0); // TSIH
    expect(first.raw.subarray(8, 14).equals(ISID)).toBe(true);
    expect(session.portal).toEqual(a.portal);
    expect(b.violations()).toEqual([]);
  });

  it.each([
    ['a new IPv4 address', '127.0.0.2', (p: number) => `127.0.0.2:${p}`],
    ['the same address and a new port', '127.0.0.1', (p: number) => `127.0.0.1:${p}`],
    ['an IPv6 literal', '::1', (p: number) => `[::1]:${p}`],
    ['a DNS name', '127.0.0.1', (p: number) => `localhost:${p}`],
  ])('G-02 follows a redirect to %s', async (_what, host, address) => {
    const { target: b } = await startTarget({}, { host });
    const a = await redirector(() => [address(b.port)]);
    const transport = recordingTransport();
    const session = newSession(a.portal, { transport });
    await session.login();
    expect((await tur(session)).status).toBe(0);
    expect(transport.asked).toHaveLength(2);
    expect(transport.asked[1]!.port).toBe(b.port);
    expect(ofKind(b, 'login-request').length).toBeGreaterThan(0);
  });

  it('G-02 a redirect address without a port means port 3260', async () => {
    const { target: b } = await startTarget({}, { host: '127.0.0.2' });
    const a = await redirector(() => ['127.0.0.3']);
    const transport = recordingTransport({ '127.0.0.3:3260': b.portal });
    const session = newSession(a.portal, { transport });
    await session.login();
    expect(transport.asked.map(key)).toEqual([key(a.portal), '127.0.0.3:3260']);
    expect(ofKind(b, 'login-request').length).toBeGreaterThan(0);
  });

  it('G-03 several TargetAddress values are tried in turn', async () => {
    const dead = await freePort('127.0.0.2');
    const { target: b } = await startTarget({}, { host: '::1' });
    const a = await redirector(() => [`127.0.0.2:${dead}`, `[::1]:${b.port}`]);
    const transport = recordingTransport();
    const session = newSession(a.portal, { transport });
    await session.login();
    expect(transport.asked.map((p) => p.port)).toEqual([a.port, dead, b.port]);
    expect(session.state).toBe('logged-in');
  });

  it('G-05 temporary (0x0101) keeps the configured portal for reconnects; permanent (0x0102) replaces it', async () => {
    for (const detail of [1, 2] as const) {
      const { target: b } = await startTarget({}, { host: '127.0.0.2' });
      const a = await redirector(() => [`127.0.0.2:${b.port}`], detail);
      const transport = recordingTransport();
      const session = newSession(a.portal, { transport });
      await session.login();
      expect(session.portal).toEqual(detail === 1 ? a.portal : { host: '127.0.0.2', port: b.port });
      const failed = new Promise((resolve) => session.once('connection-error', resolve));
      b.ctx(0).reset();
      await failed;
      await session.login();
      const expected = detail === 1 ? [a.portal, b.portal, a.portal, b.portal] : [a.portal, b.portal, b.portal];
      expect(transport.asked.map(key)).toEqual(expected.map(key));
      expect(session.state).toBe('logged-in');
    }
  });

  it('G-07 a redirect loop A -> B -> A is cut after maxRedirects with TOO_MANY_REDIRECTS', async () => {
    let bPort = 0;
    const a = await redirector(() => [`127.0.0.2:${bPort}`]);
    const b = await redirector(() => [`127.0.0.1:${a.port}`], 1, '127.0.0.2');
    bPort = b.port;
    const session = newSession(a.portal, { maxRedirects: 3 });
    const err = await rejectionOf(session.login());
    expect(err.code).toBe('TOO_MANY_REDIRECTS');
    expect(a.connections() + b.connections()).toBe(4); // the first login and 3 redirects followed
    expect(session.state).toBe('failed');
    // The default bound holds too.
    const unbounded = newSession(a.portal);
    expect((await rejectionOf(unbounded.login())).code).toBe('TOO_MANY_REDIRECTS');
    expect(a.connections() + b.connections()).toBe(4 + 1 + DEFAULT_MAX_REDIRECTS);
  });

  it('G-08 a ,tag on a redirect TargetAddress is ignored', async () => {
    const { target: b } = await startTarget({}, { host: '127.0.0.2' });
    const a = await redirector(() => [`127.0.0.2:${b.port},7`]);
    const session = newSession(a.portal);
    await session.login();
    expect((await tur(session)).status).toBe(0);
  });
});
