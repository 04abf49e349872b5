/**
 * Node login/logout and session reporting through the control API, against the fake
 * target: session list/info/stats with the -P 1..3 fields, session exists (15), no match
 * (21), unknown sid (2), nr_sessions and distinct ISIDs, a failed session that is
 * reopened.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeTarget, standardTarget, type StandardScript } from '../../support/fake-target/index.js';
import { invalidEvents, startDaemon, type Key, type TestDaemon } from './helpers.js';

const TARGET = 'iqn.2024-01.test.fake:disk1';

interface SessionView {
  sid: number;
  target: string;
  tpgt: number;
  transport: string;
  dataPath: string;
  isid: string;
  states: { connection: string; session: string; internal: string };
  timeouts: Record<string, number | null>;
  chap: Record<string, string>;
  negotiated: Record<string, unknown> | null;
  currentPortal: { address: string; port: number };
  persistentPortal: { address: string; port: number };
  iface: Record<string, string>;
  scsi: { hostNumber: number | null; luns: Array<{ lun: number; vendor: string; sizeBytes?: number; serial?: string }> };
}

interface LoginResult {
  results: Array<{ node: Key; sids: number[]; error?: { errno: number; code: string } }>;
  firstErrno: number;
}

let d: TestDaemon;
let target: FakeTarget;
let script: StandardScript;

beforeEach(async () => {
  script = standardTarget({ targets: [{ name: TARGET, luns: [{ lun: 0, vendor: 'FAKE', serial: 'S0' }, { lun: 3, blocks: 2048 }] }] });
  target = await FakeTarget.start(script);
  d = await startDaemon();
  await d.call('node.new', { target: TARGET, address: '127.0.0.1', port: target.port, tpgt: 1 });
});

afterEach(async () => {
  await d.stop();
  await target.stop();
});

describe('node.login / session reporting', () => {
  it('logs in, reports the -P 1..3 fields, LUNs and stats, and logs out', async () => {
    const login = await d.call<LoginResult>('node.login', { target: TARGET });
    expect(login.firstErrno).toBe(0);
    expect(login.results).toHaveLength(1);
    expect(login.results[0]!.sids).toEqual([1]);

    const { sessions } = await d.call<{ sessions: SessionView[] }>('session.list');
    expect(sessions).toHaveLength(1);
    const s = sessions[0]!;
    expect(s).toMatchObject({
      sid: 1, target: TARGET, tpgt: 1, transport: 'tcp', dataPath: 'usertcp',
      states: { connection: 'LOGGED IN', session: 'LOGGED_IN', internal: 'NO CHANGE' },
      persistentPortal: { address: '127.0.0.1', port: target.port },
      currentPortal: { address: '127.0.0.1', port: target.port },
      iface: { name: 'default', transport: 'tcp', initiatorName: 'iqn.2024-01.org.tsiscsi:daemon-test', ipAddress: '127.0.0.1' },
      chap: { username: '', password: '', usernameIn: '', passwordIn: '' },
    });
    expect(s.isid).toBe('00023d000001');
    expect(s.timeouts).toMatchObject({ recovery: 120, targetReset: 30, lunReset: 30, abort: 15, login: 5, logout: 3 });
    expect(s.negotiated).toMatchObject({ headerDigest: 'None', dataDigest: 'None', maxRecvDataSegmentLength: 262144 });
    expect(s.scsi.hostNumber).toBeNull();
    expect(s.scsi.luns.map((l) => l.lun)).toEqual([0, 3]);
    expect(s.scsi.luns[0]).toMatchObject({ vendor: 'FAKE', serial: 'S0', sizeBytes: 16384 * 512 });

    const info = await d.call<{ session: SessionView; records: Array<{ record: { entries: [string, string][] } }> }>('session.info', { sid: 1 });
    expect(info.session.sid).toBe(1);
    expect(info.records).toHaveLength(1);
    expect(info.records[0]!.record.entries).toContainEqual(['node.name', TARGET]);

    const { stats } = await d.call<{ stats: Array<{ sid: number; counters: [string, number][] }> }>('session.stats', { sid: 1 });
    expect(stats[0]!.counters).toHaveLength(21);
    expect(stats[0]!.counters[0]![0]).toBe('txdata_octets');
    const counters = Object.fromEntries(stats[0]!.counters);
    expect(counters.scsicmd_pdus).toBeGreaterThan(0); // the LUN scan ran SCSI commands
    expect(counters.login_pdus).toBeGreaterThan(0);
    expect(counters.logout_pdus).toBe(0);

    const out = await d.call<{ results: Array<{ sid: number; response?: number; error?: unknown }>; firstErrno: number }>('node.logout', { target: TARGET });
    expect(out.firstErrno).toBe(0);
    expect(out.results).toEqual([expect.objectContaining({ sid: 1, response: 0 })]);
    await target.waitFor((r) => r.pdu.kind === 'logout-request');
    expect((await d.call<{ sessions: unknown[] }>('session.list')).sessions).toEqual([]);
    expect(d.events.some((e) => e.type === 'session.removed' && e.sid === 1 && e.reason === 'logout')).toBe(true);
    expect(invalidEvents(d.events)).toEqual([]);
  });

  it('publishes session.state events for the login and a login event per record', async () => {
    await d.call('node.login', { target: TARGET });
    const logged = await d.waitEvent((e) => e.type === 'session.state' && e.connection === 'LOGGED IN');
    expect(logged).toMatchObject({ sid: 1, target: TARGET, session: 'LOGGED_IN', internal: 'NO CHANGE' });
    const login = await d.waitEvent((e) => e.type === 'login');
    expect(login).toMatchObject({ sids: [1], node: { target: TARGET, port: target.port } });
  });

  it('answers 15 (session exists) for a second login of the same record', async () => {
    await d.call('node.login', { target: TARGET });
    const again = await d.call<LoginResult>('node.login', { target: TARGET });
    expect(again.firstErrno).toBe(15);
    expect(again.results[0]!.error).toMatchObject({ errno: 15, code: 'SESSION_EXISTS' });
    expect((await d.call<{ sessions: unknown[] }>('session.list')).sessions).toHaveLength(1);
  });

  it('lets only one of two concurrent logins of one record through (the other gets 15)', async () => {
    const [a, b] = await Promise.all([d.call<LoginResult>('node.login', { target: TARGET }), d.call<LoginResult>('node.login', { target: TARGET })]);
    const errnos = [a.firstErrno, b.firstErrno].sort();
    expect(errnos).toEqual([0, 15]);
    expect((await d.call<{ sessions: unknown[] }>('session.list')).sessions).toHaveLength(1);
    expect(target.received.filter((r) => r.pdu.kind === 'login-request' && r.conn === 1)).toEqual([]);
  });

  it('B-03 concurrent sessions of one record (nr_sessions 2) use different ISIDs', async () => {
    await d.call('node.update', { target: TARGET, values: { 'node.session.nr_sessions': '2' } });
    const login = await d.call<LoginResult>('node.login', { target: TARGET });
    expect(login.results[0]!.sids.sort()).toEqual([1, 2]);
    const isids = target.received.filter((r) => r.pdu.kind === 'login-request').map((r) => (r.pdu as { isid: Buffer }).isid.toString('hex'));
    expect(new Set(isids)).toEqual(new Set(['00023d000001', '00023d000002']));
    const third = await d.call<LoginResult>('node.login', { target: TARGET });
    expect(third.results[0]!.error?.errno).toBe(15);
  });

  it('answers 21 when no record matches a login and when no session matches a logout', async () => {
    expect((await d.fail('node.login', { target: 'iqn.2024-01.test:none' })).errno).toBe(21);
    const err = await d.fail('node.logout', { target: TARGET });
    expect(err.errno).toBe(21);
    expect(err.code).toBe('NO_MATCHING_SESSIONS');
  });

  it('answers 2 for a sid that is not ours (info, stats, logout, rescan)', async () => {
    for (const m of ['session.info', 'session.stats', 'session.logout', 'session.rescan']) {
      const err = await d.fail(m, { sid: 42 });
      expect(err.errno, m).toBe(2);
      expect(err.code, m).toBe('SESSION_NOT_FOUND');
    }
  });

  it('rescans LUNs (REPORT LUNS again) and reports what the target has now', async () => {
    await d.call('node.login', { target: TARGET });
    const before = target.received.filter((r) => r.pdu.kind === 'scsi-command' && (r.pdu as { cdb: Buffer }).cdb[0] === 0xa0).length;
    const r = await d.call<{ results: Array<{ sid: number; luns: Array<{ lun: number }> }>; firstErrno: number }>('session.rescan', { sid: 1 });
    expect(r.firstErrno).toBe(0);
    expect(r.results[0]!.luns.map((l) => l.lun)).toEqual([0, 3]);
    const after = target.received.filter((r) => r.pdu.kind === 'scsi-command' && (r.pdu as { cdb: Buffer }).cdb[0] === 0xa0).length;
    expect(after).toBe(before + 1);
  });

  it('O-02 reopens a session whose connection failed (REOPEN) and reports it LOGGED IN again', async () => {
    await d.call('node.update', { target: TARGET, values: { 'node.session.iscsi.DefaultTime2Wait': 0 } });
    await d.call('node.login', { target: TARGET });
    target.ctx(0).close();
    const failed = await d.waitEvent((e) => e.type === 'session.state' && e.internal === 'REOPEN');
    expect(failed).toMatchObject({ sid: 1, session: 'FAILED', from: 'LOGGED_IN', to: 'REOPEN', cause: 'CONNECTION_CLOSED' });
    expect(d.events.some((e) => e.type === 'connection.error' && e.sid === 1)).toBe(true);
    await d.waitEvent((e) => e.type === 'session.recovered' && e.sid === 1);
    const { sessions } = await d.call<{ sessions: SessionView[] }>('session.list');
    expect(sessions[0]!.states).toEqual({ connection: 'LOGGED IN', session: 'LOGGED_IN', internal: 'NO CHANGE' });
    const out = await d.call<{ results: Array<{ sid: number; response?: number; error?: unknown }> }>('session.logout', { sid: 1 });
    expect(out.results[0]).toMatchObject({ sid: 1, response: 0 });
    expect((await d.call<{ sessions: unknown[] }>('session.list')).sessions).toEqual([]);
    expect(invalidEvents(d.events)).toEqual([]);
  });

  it('refuses to delete a record a session uses (15) and deletes it after logout', async () => {
    await d.call('node.login', { target: TARGET });
    const del = await d.call<{ results: Array<{ error?: { errno: number } }>; firstErrno: number }>('node.delete', { target: TARGET });
    expect(del.firstErrno).toBe(15);
    await d.call('session.logout', { sid: 1 });
    const del2 = await d.call<{ results: Array<{ error?: unknown }>; firstErrno: number }>('node.delete', { target: TARGET });
    expect(del2.firstErrno).toBe(0);
    expect((await d.call<{ nodes: unknown[] }>('node.list')).nodes).toEqual([]);
  });
});
