/**
 * Session life cycle of the userspace initiator against a real tgtd: answering
 * target NOP-In pings, our own NOP-Out keepalive, logout, a connection dropped by
 * the target and re-login, 20 parallel sessions, and no leaked sockets or timers.
 * Two tgtd instances: one pings (nop_interval=1, nop_count=3), one is quiet, so
 * NOP counters of the keepalive test count only our own pings.
 *
 * Skips only when tgtd is missing AND `CI` is unset; in CI a missing tgtd fails.
 */
import type { Duplex } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { discoverSendTargets } from '../../src/discovery/sendtargets.js';
import { isidFromQualifier } from '../../src/iscsi/isid.js';
import { testUnitReady } from '../../src/session/scsi-ops.js';
import { Session, type SessionOptions } from '../../src/session/session.js';
import type { IscsiError } from '../../src/shared/errors.js';
import type { Transport } from '../../src/transport/types.js';
import { userTcpTransport } from '../../src/transport/usertcp/index.js';
import { sleep } from '../support/net.js';
import { Tgtd } from '../support/tgtd.js';

const INITIATOR = 'iqn.2024-01.org.tsiscsi:it-session';
const PREFIX = 'iqn.2024-01.org.tsiscsi.it-session';
const PINGED = { tid: 1, iqn: `${PREFIX}:pinged` };
const QUIET = { tid: 1, iqn: `${PREFIX}:quiet` };
/**
 * One-way CHAP on purpose: tgtd checks for session reinstatement (same InitiatorName and
 * ISID, TSIH 0) only when a login leaves the Security stage (observed, tgt 1.0.85), so
 * only logins through CHAP show what a repeated ISID does.
 */
const MANY = { tid: 2, iqn: `${PREFIX}:many` };
const BOB = { username: 'bob', password: 'bob-secret-890123' };
const BOB_CHAP = { username: BOB.username, secret: BOB.password };
const PARALLEL = 20;

let nextQualifier = 0x400;

/** ISID and TSIH of one Login Request as it went on the wire (BHS bytes 8-13, 14-15). */
interface SeenLogin {
  isid: string;
  tsih: number;
}

/**
 * usertcp with a tap on the socket: `onBhs` sees every outgoing BHS as written on the
 * wire (not our PDU objects) and returns false to swallow that PDU.
 */
function tappedTransport(onBhs: (bhs: Buffer) => boolean): Transport {
  return {
    name: 'usertcp-tapped',
    async connect(portal, opts) {
      const stream = await userTcpTransport.connect(portal, opts);
      const socket = stream.socket as Duplex;
      const write = socket.write.bind(socket) as (chunk: unknown, ...rest: unknown[]) => boolean;
      socket.write = ((chunk: unknown, ...rest: unknown[]): boolean => {
        if (Buffer.isBuffer(chunk) && chunk.length >= 48 && !onBhs(chunk)) return true;
        return write(chunk, ...rest);
      }) as typeof socket.write;
      return stream;
    },
  };
}

/** Records ISID/TSIH of every Login Request (opcode 0x03). */
function recordLogins(seen: SeenLogin[]): (bhs: Buffer) => boolean {
  return (bhs) => {
    if ((bhs[0]! & 0x3f) === 0x03) seen.push({ isid: bhs.subarray(8, 14).toString('hex'), tsih: bhs.readUInt16BE(14) });
    return true;
  };
}

/** Swallows NOP-Outs that answer a target ping (opcode 0x00, TTT at bytes 20-23 not 0xffffffff). */
function dropPingAnswers(bhs: Buffer): boolean {
  return !((bhs[0]! & 0x3f) === 0x00 && bhs.readUInt32BE(20) !== 0xffffffff);
}

/** Poll `fn` until it returns true (tgtd reacts asynchronously to a closed socket). */
async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** `p`, or undefined after `ms` (the timer is cleared either way: the leak test counts timers). */
async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Count of I_T nexus entries tgtd lists for the target named `iqn` (`--op show`). */
async function nexusCount(tgt: Tgtd, iqn: string): Promise<number> {
  const text = await tgt.showTargets();
  const block = text.split(/^Target \d+: /m).find((b) => b.startsWith(`${iqn}\n`)) ?? '';
  return [...block.matchAll(/^\s+I_T nexus: \d+$/gm)].length;
}

/** Our kinds of handle among the process's active, referenced resources. */
const HANDLE_KINDS = ['TCPSocketWrap', 'TCPWrap', 'Timeout'] as const;
type Handles = Record<(typeof HANDLE_KINDS)[number], number>;
function ourHandles(): Handles {
  const out: Handles = { TCPSocketWrap: 0, TCPWrap: 0, Timeout: 0 };
  for (const r of process.getActiveResourcesInfo()) if ((HANDLE_KINDS as readonly string[]).includes(r)) out[r as keyof Handles]++;
  return out;
}

describe.skipIf(!Tgtd.available() && !process.env.CI)('usertcp session life cycle against tgtd', () => {
  let pinging: Tgtd;
  let quiet: Tgtd;
  const open: Session[] = [];

  function session(tgt: Tgtd, iqn: string, extra: Partial<SessionOptions> = {}): Session {
    const s = new Session({
      transport: userTcpTransport,
      portal: { host: '127.0.0.1', port: tgt.port },
      initiatorName: INITIATOR,
      targetName: iqn,
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
    [pinging, quiet] = await Promise.all([Tgtd.start({ nopInterval: 1, nopCount: 3 }), Tgtd.start()]);
    await pinging.addTarget({ tid: PINGED.tid, iqn: PINGED.iqn, luns: [{ lun: 1, sizeMiB: 4 }] });
    await quiet.addTarget({ tid: QUIET.tid, iqn: QUIET.iqn, luns: [{ lun: 1, sizeMiB: 4 }] });
    await quiet.addTarget({ tid: MANY.tid, iqn: MANY.iqn, luns: [{ lun: 1, sizeMiB: 4 }], chap: BOB });
  });

  afterEach(async () => {
    for (const s of open.splice(0)) {
      if (s.state === 'logged-in') await s.logout();
      else s.close();
    }
  });

  afterAll(async () => {
    await Promise.all([pinging?.stop(), quiet?.stop()]);
  });

  it('K-01 J-07 answers tgtd NOP-In pings: an idle session stays up for more than 4 s', async () => {
    // Our own keepalive is off: only the answers to tgtd's pings keep the connection.
    const s = session(pinging, PINGED.iqn, { noopOutIntervalMs: 0 });
    const errors: IscsiError[] = [];
    s.on('connection-error', (e: IscsiError) => errors.push(e));
    // Control: the same session type whose ping answers never reach the wire is dropped.
    const mute = session(pinging, PINGED.iqn, { noopOutIntervalMs: 0, transport: tappedTransport(dropPingAnswers) });
    const muteFailed = new Promise<IscsiError>((resolve) => mute.once('connection-error', resolve));
    await Promise.all([s.login(), mute.login()]);
    // At least 4.5 s idle, and long enough for tgtd to give up on the mute one (~3-4 s).
    const [, muteErr] = await Promise.all([sleep(4500), within(muteFailed, 10_000)]);
    expect(mute.state).toBe('failed');
    expect(muteErr?.code).toBe('CONNECTION_CLOSED');
    expect(errors).toEqual([]);
    expect(s.state).toBe('logged-in');
    const stats = s.stats!;
    expect(stats.noprx_pdus).toBeGreaterThanOrEqual(3); // tgtd's pings (every 1 s)
    expect(stats.noptx_pdus).toBe(stats.noprx_pdus); // one answer per ping
    expect(await pinging.connections(PINGED.tid)).toHaveLength(1);
    // StatSN of the pings was not taken as consumed (J-07): a command still completes.
    await testUnitReady(s, 1);
  });

  it('K-03 our NOP-Out keepalive every 1 s is answered and keeps the session logged in', async () => {
    const s = session(quiet, QUIET.iqn, { noopOutIntervalMs: 1000, noopOutTimeoutMs: 1000 });
    await s.login();
    await sleep(3200);
    expect(s.state).toBe('logged-in');
    const stats = s.stats!;
    expect(stats.noptx_pdus).toBeGreaterThanOrEqual(2);
    expect(stats.noprx_pdus).toBeGreaterThanOrEqual(stats.noptx_pdus - 1); // answers (last may be in flight)
    expect(stats.timeout_err).toBe(0);
  });

  it('L-01 L-03 logout closes the session: tgtd has no connection left, state is closed', async () => {
    const s = session(quiet, QUIET.iqn);
    const states: string[] = [];
    s.on('state', (st: string) => states.push(st));
    await s.login();
    expect(await quiet.connections(QUIET.tid)).toHaveLength(1);
    await s.logout();
    expect(s.state).toBe('closed');
    expect(states).toEqual(['logging-in', 'logged-in', 'logging-out', 'closed']);
    expect(s.stats).toMatchObject({ logout_pdus: 1, logoutrsp_pdus: 1 });
    await until('tgtd to forget the connection', async () => (await quiet.connections(QUIET.tid)).length === 0);
    expect(await nexusCount(quiet, QUIET.iqn)).toBe(0);
  });

  it('B-05 O-02 a connection dropped by tgtd fails the session; login() again reinstates it with the same ISID', async () => {
    const seen: SeenLogin[] = [];
    const s = session(quiet, QUIET.iqn, { transport: tappedTransport(recordLogins(seen)) });
    await s.login();
    const [conn] = await quiet.connections(QUIET.tid);
    expect(conn).toBeDefined();
    const failed = new Promise<IscsiError>((resolve) => s.once('connection-error', resolve));
    await quiet.dropConnection(QUIET.tid, conn!.sid, conn!.cid);
    const err = await failed;
    expect(err.code).toBe('CONNECTION_CLOSED');
    expect(s.state).toBe('failed');
    // Outstanding work fails fast instead of hanging.
    await expect(testUnitReady(s, 1)).rejects.toMatchObject({ code: 'SESSION_NOT_LOGGED_IN' });

    await s.login();
    expect(s.state).toBe('logged-in');
    expect(s.loginCount).toBe(2);
    await testUnitReady(s, 1);
    // Both leading logins used one ISID and TSIH 0 (B-05, B-06, B-09) ...
    expect(new Set(seen.map((l) => l.isid))).toEqual(new Set([s.opts.isid.toString('hex')]));
    expect(seen.every((l) => l.tsih === 0)).toBe(true);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    // ... and tgtd holds a single I_T nexus for us.
    expect(await nexusCount(quiet, QUIET.iqn)).toBe(1);
    expect(await quiet.connections(QUIET.tid)).toHaveLength(1);
  });

  it('B-03 why ISIDs must differ: a second login with the same ISID makes tgtd end the first session', async () => {
    const isid = isidFromQualifier(nextQualifier++);
    const first = session(quiet, MANY.iqn, { isid, chap: BOB_CHAP });
    await first.login();
    const failed = new Promise<IscsiError>((resolve) => first.once('connection-error', resolve));
    const second = session(quiet, MANY.iqn, { isid, chap: BOB_CHAP });
    await second.login();
    expect((await failed).code).toBe('CONNECTION_CLOSED');
    expect(first.state).toBe('failed');
    expect(second.state).toBe('logged-in');
    await until('tgtd to drop the reinstated session', async () => (await nexusCount(quiet, MANY.iqn)) === 1);
  });

  it(`B-03 ${PARALLEL} parallel sessions with different ISIDs all log in and out`, async () => {
    const sessions = Array.from({ length: PARALLEL }, () => session(quiet, MANY.iqn, { chap: BOB_CHAP }));
    expect(new Set(sessions.map((s) => s.opts.isid.toString('hex'))).size).toBe(PARALLEL);
    const results = await Promise.all(sessions.map((s) => s.login()));
    expect(new Set(results.map((r) => r.tsih)).size).toBe(PARALLEL);
    expect(sessions.every((s) => s.state === 'logged-in')).toBe(true);
    const conns = await quiet.connections(MANY.tid);
    expect(new Set(conns.map((c) => c.sid)).size).toBe(PARALLEL);
    expect(await nexusCount(quiet, MANY.iqn)).toBe(PARALLEL);
    await Promise.all(sessions.map((s) => testUnitReady(s, 1)));

    await Promise.all(sessions.map((s) => s.logout()));
    expect(sessions.every((s) => s.state === 'closed')).toBe(true);
    await until('tgtd to forget all connections', async () => (await quiet.connections(MANY.tid)).length === 0);
  });

  it('leaves no socket or timer behind once every session is closed', async () => {
    await sleep(50); // let earlier tests' closed sockets finish closing
    const before = ourHandles();
    // A mix of everything that opens sockets or arms timers: keepalive sessions, discovery,
    // a refused login, a dropped connection, a forced close and parallel logouts.
    const keep = Array.from({ length: 5 }, () => session(quiet, MANY.iqn, { chap: BOB_CHAP, noopOutIntervalMs: 200, noopOutTimeoutMs: 1000 }));
    await Promise.all(keep.map((s) => s.login()));
    const pinged = session(pinging, PINGED.iqn, { noopOutIntervalMs: 300 });
    await pinged.login();
    await discoverSendTargets({ transport: userTcpTransport, portal: { host: '127.0.0.1', port: quiet.port }, initiatorName: INITIATOR, isid: isidFromQualifier(1) });
    await expect(session(quiet, `${PREFIX}:missing`).login()).rejects.toMatchObject({ code: 'TARGET_NOT_FOUND' });
    const dropped = session(quiet, QUIET.iqn, { noopOutIntervalMs: 200 });
    await dropped.login();
    const failed = new Promise((resolve) => dropped.once('connection-error', resolve));
    const [conn] = await quiet.connections(QUIET.tid);
    await quiet.dropConnection(QUIET.tid, conn!.sid, conn!.cid);
    await failed;
    await sleep(500); // keepalives fire a few times
    expect(ourHandles().TCPSocketWrap).toBeGreaterThan(before.TCPSocketWrap); // the probe sees our sockets
    keep[0]!.close();
    await Promise.all([...keep.slice(1), pinged].map((s) => s.logout()));
    dropped.close();
    await sleep(50);
    // Never more than before (a handle from an earlier test may have gone meanwhile).
    const after = ourHandles();
    for (const kind of HANDLE_KINDS) expect(after[kind], kind).toBeLessThanOrEqual(before[kind]);
  });
});
