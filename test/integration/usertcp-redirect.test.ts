/**
 * Login redirection against two real tgtd instances (checklist T2): tgtd A on
 * 127.0.0.1 answers every login to its targets with 0x0101/0x0102 and
 * `TargetAddress=127.0.0.2:PORT`, where tgtd B serves the same target names.
 * tgtd checks the redirect before the target state (an offline target still
 * redirects) and ignores a redirect to the *initiator's* address (peer name), so the
 * loop test binds our side to 127.0.0.3.
 *
 * Skips only when tgtd is missing AND `CI` is unset; in CI a missing tgtd fails.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isidFromQualifier } from '../../src/iscsi/isid.js';
import { inquiry } from '../../src/session/scsi-ops.js';
import { Session } from '../../src/session/session.js';
import { IscsiError, ISCSI_ERR, LoginError } from '../../src/shared/errors.js';
import { userTcpTransport } from '../../src/transport/usertcp/index.js';
import { freePort } from '../support/net.js';
import { Tgtd } from '../support/tgtd.js';

const INITIATOR = 'iqn.2024-01.org.tsiscsi:it-redirect';
const PREFIX = 'iqn.2024-01.org.tsiscsi.it-redirect';
const TEMP = { tid: 1, iqn: `${PREFIX}:temporary` };
const PERM = { tid: 2, iqn: `${PREFIX}:permanent` };
/** A redirects to B and B back to A. */
const LOOP = { tid: 3, iqn: `${PREFIX}:loop` };

let nextQualifier = 0x300;

describe.skipIf(!Tgtd.available() && !process.env.CI)('usertcp login redirects between two tgtd', () => {
  let a: Tgtd;
  let b: Tgtd;
  const open: Session[] = [];

  function session(targetName: string, extra: { maxRedirects?: number; localAddress?: string } = {}): Session {
    const s = new Session({
      transport: userTcpTransport,
      portal: { host: '127.0.0.1', port: a.port },
      initiatorName: INITIATOR,
      targetName,
      sessionType: 'Normal',
      isid: isidFromQualifier(nextQualifier++),
      loginTimeoutMs: 5000,
      logoutTimeoutMs: 5000,
      noopOutIntervalMs: 0,
      ...extra,
    });
    open.push(s);
    return s;
  }

  beforeAll(async () => {
    [a, b] = await Promise.all([Tgtd.start(), Tgtd.start({ host: '127.0.0.2' })]);
    for (const t of [TEMP, PERM, LOOP]) {
      await a.addTarget({ tid: t.tid, iqn: t.iqn, luns: [{ lun: 1, sizeMiB: 4 }] });
      await b.addTarget({ tid: t.tid, iqn: t.iqn, luns: [{ lun: 1, sizeMiB: 4 }] });
    }
    await a.redirect(TEMP.tid, '127.0.0.2', b.port, 'Temporary');
    await a.redirect(PERM.tid, '127.0.0.2', b.port, 'Permanent');
    await a.redirect(LOOP.tid, '127.0.0.2', b.port, 'Temporary');
    await b.redirect(LOOP.tid, '127.0.0.1', a.port, 'Temporary');
  });

  afterEach(async () => {
    for (const s of open.splice(0)) {
      if (s.state === 'logged-in') await s.logout();
      else s.close();
    }
    // Undo a test's re-pointing of A's redirects.
    await a.redirect(TEMP.tid, '127.0.0.2', b.port, 'Temporary');
    await a.redirect(PERM.tid, '127.0.0.2', b.port, 'Permanent');
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('G-01 G-05 follows a temporary redirect (0x0101) and keeps the original portal for reconnects', async () => {
    const s = session(TEMP.iqn);
    const result = await s.login();
    expect(result.tsih).not.toBe(0);
    // The session lives on B; A holds no connection (the redirected one was closed, C-14).
    expect(await b.connections(TEMP.tid)).toHaveLength(1);
    expect(await a.connections(TEMP.tid)).toEqual([]);
    expect((await inquiry(s, 1)).vendor).toBe('IET');
    // Temporary: later logins start at the configured portal again (S-05).
    expect(s.portal).toEqual({ host: '127.0.0.1', port: a.port });

    await s.logout();
    expect(await b.connections(TEMP.tid)).toEqual([]);
    // Prove the re-login starts at A: A now redirects to a port where nothing listens.
    await a.redirect(TEMP.tid, '127.0.0.2', await freePort('127.0.0.2'), 'Temporary');
    const err: unknown = await s.login().then(
      () => new Error('login unexpectedly succeeded'),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(IscsiError);
    expect((err as IscsiError).code).toBe('CONNECT_FAILED');
    expect(s.state).toBe('failed');
  });

  it('G-05 follows a permanent redirect (0x0102) and moves session.portal to the new address', async () => {
    const s = session(PERM.iqn);
    await s.login();
    expect(s.portal).toEqual({ host: '127.0.0.2', port: b.port });
    expect(await b.connections(PERM.tid)).toHaveLength(1);
    expect(await a.connections(PERM.tid)).toEqual([]);

    await s.logout();
    // A re-login goes straight to B: A now redirects to a dead port, which must not matter.
    await a.redirect(PERM.tid, '127.0.0.2', await freePort('127.0.0.2'), 'Permanent');
    await s.login();
    expect(s.state).toBe('logged-in');
    expect(s.loginCount).toBe(2);
    expect(await b.connections(PERM.tid)).toHaveLength(1);
  });

  it('G-07 a redirect loop between the two tgtd is bounded and fails with TOO_MANY_REDIRECTS', async () => {
    const s = session(LOOP.iqn, { maxRedirects: 3, localAddress: '127.0.0.3' });
    const err: unknown = await s.login().then(
      () => new Error('login unexpectedly succeeded'),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LoginError);
    expect((err as IscsiError).code).toBe('TOO_MANY_REDIRECTS');
    expect((err as IscsiError).errno).toBe(ISCSI_ERR.FATAL_LOGIN);
    expect(s.state).toBe('failed');
    expect(await a.connections(LOOP.tid)).toEqual([]);
    expect(await b.connections(LOOP.tid)).toEqual([]);
  });
});
