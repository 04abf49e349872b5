/**
 * The daemon against a real tgtd (Debian `tgt`), through the control API: SendTargets
 * discovery into records, logins (plain and CHAP), the session report with negotiated
 * parameters and the LUN tree from REPORT LUNS / INQUIRY, stats, rescan after a LUN is
 * added, session exists, auth failure, logout.
 *
 * Skips only when tgtd is missing AND `CI` is unset; in CI a missing tgtd fails.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tgtd } from '../../support/tgtd.js';
import { startDaemon, type Key, type TestDaemon } from './helpers.js';

const PREFIX = 'iqn.2024-01.org.tsiscsi.daemon-tgtd';
const PLAIN = { tid: 1, iqn: `${PREFIX}:plain` };
const CHAPPED = { tid: 2, iqn: `${PREFIX}:chapped` };
const BOB = { username: 'bob', password: 'bob-secret-890123' };

interface Lun {
  lun: number;
  deviceType: number;
  vendor: string;
  sizeBytes?: number;
}

interface SessionView {
  sid: number;
  target: string;
  tpgt: number;
  states: { connection: string; session: string; internal: string };
  negotiated: Record<string, unknown>;
  scsi: { luns: Lun[] };
}

describe.skipIf(!Tgtd.available() && !process.env.CI)('daemon against tgtd', () => {
  let tgt: Tgtd;
  let d: TestDaemon;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tsd-tgt-'));
    tgt = await Tgtd.start();
    await tgt.addTarget({ tid: PLAIN.tid, iqn: PLAIN.iqn, luns: [{ lun: 1, sizeMiB: 4 }, { lun: 2, sizeMiB: 8 }] });
    await tgt.addTarget({ tid: CHAPPED.tid, iqn: CHAPPED.iqn, luns: [{ lun: 1, sizeMiB: 4 }], chap: BOB });
    d = await startDaemon();
  });

  afterAll(async () => {
    await d?.stop();
    await tgt?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('discovers both targets into node records', async () => {
    const r = await d.call<{ portals: Key[]; created: Key[] }>('discovery.sendtargets', { address: '127.0.0.1', port: tgt.port });
    expect(r.portals.map((k) => [k.target, k.tpgt, k.port]).sort()).toEqual([[CHAPPED.iqn, 1, tgt.port], [PLAIN.iqn, 1, tgt.port]]);
    expect(r.created).toHaveLength(2);
  });

  it('logs in (CHAP where configured) and reports negotiated parameters and the LUN tree', async () => {
    await d.call('node.update', { target: CHAPPED.iqn, values: { 'node.session.auth.username': BOB.username, 'node.session.auth.password': BOB.password } });
    const login = await d.call<{ results: Array<{ node: Key; sids: number[]; error?: unknown }>; firstErrno: number }>('node.login', {});
    expect(login.firstErrno).toBe(0);
    expect(login.results.every((o) => o.sids.length === 1)).toBe(true);

    const { sessions } = await d.call<{ sessions: SessionView[] }>('session.list');
    expect(sessions).toHaveLength(2);
    const plain = sessions.find((s) => s.target === PLAIN.iqn)!;
    expect(plain.tpgt).toBe(1);
    expect(plain.states).toEqual({ connection: 'LOGGED IN', session: 'LOGGED_IN', internal: 'NO CHANGE' });
    // tgtd declares no MaxRecvDataSegmentLength by default: we send at most 8192 (F-03).
    expect(plain.negotiated).toMatchObject({ headerDigest: 'None', dataDigest: 'None', maxXmitDataSegmentLength: 8192, maxRecvDataSegmentLength: 262144 });
    // LUN 0 is tgtd's controller (peripheral type 0x0c), then the two backing files.
    expect(plain.scsi.luns.map((l) => [l.lun, l.deviceType])).toEqual([[0, 0x0c], [1, 0], [2, 0]]);
    expect(plain.scsi.luns.find((l) => l.lun === 2)?.sizeBytes).toBe(8 * 2 ** 20);
    expect(plain.scsi.luns[1]!.vendor).toBe('IET');
    expect((await tgt.connections(PLAIN.tid)).map((c) => c.initiator)).toEqual(['iqn.2024-01.org.tsiscsi:daemon-test']);
  });

  it('answers 15 for a record that already has its session', async () => {
    const again = await d.call<{ results: Array<{ error?: { errno: number } }> }>('node.login', { target: PLAIN.iqn });
    expect(again.results[0]!.error?.errno).toBe(15);
  });

  it('counts PDUs in session.stats', async () => {
    const { sessions } = await d.call<{ sessions: SessionView[] }>('session.list');
    const sid = sessions.find((s) => s.target === PLAIN.iqn)!.sid;
    const { stats } = await d.call<{ stats: Array<{ counters: [string, number][] }> }>('session.stats', { sid });
    const c = Object.fromEntries(stats[0]!.counters);
    expect(c.scsicmd_pdus).toBeGreaterThanOrEqual(4);
    expect(c.scsirsp_pdus! + c.datain_pdus!).toBeGreaterThan(0);
    expect(c.rxdata_octets).toBeGreaterThan(0);
  });

  it('finds a LUN added on the target after a rescan', async () => {
    const file = join(dir, 'lun3.img');
    execFileSync('truncate', ['-s', '4M', file]);
    await tgt.tgtadm(['--op', 'new', '--mode', 'logicalunit', '--tid', String(PLAIN.tid), '--lun', '3', '-b', file]);
    const { sessions } = await d.call<{ sessions: SessionView[] }>('session.list');
    const sid = sessions.find((s) => s.target === PLAIN.iqn)!.sid;
    const r = await d.call<{ results: Array<{ luns: Lun[]; error?: unknown }> }>('session.rescan', { sid });
    expect(r.results[0]!.error).toBeUndefined();
    expect(r.results[0]!.luns.map((l) => l.lun)).toEqual([0, 1, 2, 3]);
    const info = await d.call<{ session: SessionView }>('session.info', { sid });
    expect(info.session.scsi.luns.map((l) => l.lun)).toEqual([0, 1, 2, 3]);
  });

  it('logs every session out, and tgtd sees them go', async () => {
    const r = await d.call<{ results: Array<{ sid: number; response?: number }>; firstErrno: number }>('session.logout', {});
    expect(r.firstErrno).toBe(0);
    expect(r.results.map((o) => o.response)).toEqual([0, 0]);
    const deadline = Date.now() + 3000;
    while ((await tgt.connections(PLAIN.tid)).length > 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
    expect(await tgt.connections(PLAIN.tid)).toEqual([]);
  });

  it('reports a wrong CHAP secret as errno 24 with an action', async () => {
    await d.call('node.update', { target: CHAPPED.iqn, values: { 'node.session.auth.password': 'not-the-right-one' } });
    const r = await d.call<{ results: Array<{ sids: number[]; error?: { errno: number; action?: string } }> }>('node.login', { target: CHAPPED.iqn });
    expect(r.results[0]!.sids).toEqual([]);
    expect(r.results[0]!.error?.errno).toBe(24);
    expect(r.results[0]!.error?.action).toMatch(/auth|CHAP|credential/i);
    expect((await d.call<{ sessions: unknown[] }>('session.list')).sessions).toEqual([]);
  });
});
