/**
 * Adoption at daemon start of offload sessions (issue 6 §4; boot-and-isns.md §1.8,
 * open-iscsi.md §1.5 and §4.1) against the fake kernel (requests parsed with its own
 * offsets, reference §3.3) and a fake sysfs tree:
 *
 * - a bnx2i session whose connection is `up` is attached with NO request (no bytes reach
 *   the kernel), listed with its host, LUNs, TSIH and the transport's data path, its
 *   stats come through the bnx2i channel, and it logs out (Logout through SEND_PDU, no
 *   EP_DISCONNECT: its endpoint is not known from sysfs);
 * - a CONN_ERROR on such a session reconnects without EP_DISCONNECT of the unknown ep;
 * - a session whose connection `failed` is reconnected at once: STOP_CONN(RECOVER),
 *   EP_CONNECT_THROUGH_HOST on its own host, BIND_CONN, login with the sysfs ISID and
 *   initiator name, START_CONN; CHAP credentials come from sysfs too;
 * - a user-created qla4xxx session is attached too; its logout leaves the Logout to the firmware;
 * - skipped, as iscsid skips them: qla4xxx flash sessions (creator -1), CAP_FW_DB
 *   transports (host rescanned only); unknown transports or hosts are reported, not fatal.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Api } from '../../../src/cli/exec/api.js';
import { execSession } from '../../../src/cli/exec/session.js';
import type { KernelPathOptions } from '../../../src/daemon/kernel-path.js';
import { FakeKernel } from '../../support/fake-kernel/index.js';
import { rd32, rd64 } from '../../support/fake-kernel/dsl.js';
import { T } from '../../support/fake-kernel/types.js';
import { command, context } from '../cli/exec-helpers.js';
import { startDaemon, type TestDaemon } from './helpers.js';
import { offloadKernelOpts, playTarget as answerAsTarget, readTree, until, writeTree } from './kernel-fixture.js';

const TARGET = 'iqn.2026-11.test.tsiscsi:adopt-offload';
const SYSFS_INITIATOR = 'iqn.2026-11.test.tsiscsi:from-sysfs';
const OLD_EP = 40n;

let root: string;
let k: FakeKernel;
let d: TestDaemon | undefined;
const opened: number[][] = [];

const tree = (files: Record<string, string>): void => writeTree(root, files);
const types = (from = 0): number[] => k.received.slice(from).map((r) => r.type);

const kernelOpts = (): KernelPathOptions => offloadKernelOpts(root, k, opened);

/** A session left in the kernel by an earlier run: fake kernel state plus its sysfs files. */
function existing(o: { sid: number; hostNo: number; transport: string; conn: 'up' | 'failed'; creator?: number; ifacename?: string }): void {
  const up = o.conn === 'up';
  k.endpoints.set(OLD_EP + BigInt(o.sid), { handle: OLD_EP + BigInt(o.sid), transport: o.transport, hostNo: o.hostNo, address: Buffer.alloc(16), nonBlocking: true });
  k.sessions.set(o.sid, {
    sid: o.sid, hostNo: o.hostNo, transport: o.transport, creator: o.creator ?? 812, recoveryTmo: 120, state: up ? 'LOGGED_IN' : 'FAILED',
    conns: new Map([[0, { cid: 0, state: o.conn, params: new Map(), cleanup: !up, transportEph: OLD_EP + BigInt(o.sid) }]]),
    epHandle: OLD_EP + BigInt(o.sid),
  });
  const s = `sys/class/iscsi_session/session${o.sid}/`;
  const c = `sys/class/iscsi_connection/connection${o.sid}:0/`;
  const lun = `${s}device/target${o.hostNo}:0:0/${o.hostNo}:0:0:0/`;
  tree({
    [`${s}targetname`]: `${TARGET}\n`, [`${s}tpgt`]: '1\n', [`${s}state`]: up ? 'LOGGED_IN\n' : 'FAILED\n',
    [`${s}creator`]: `${o.creator ?? 812}\n`, [`${s}ifacename`]: `${o.ifacename ?? ''}\n`, [`${s}isid`]: `00023d00000${o.sid}\n`, [`${s}tsid`]: '49\n',
    [`${s}initiatorname`]: `${SYSFS_INITIATOR}\n`, [`${s}max_burst_len`]: '262144\n', [`${s}first_burst_len`]: '65536\n',
    [`${s}initial_r2t`]: '0\n', [`${s}immediate_data`]: '1\n', [`${s}erl`]: '0\n',
    [`${lun}state`]: 'running\n', [`${lun}type`]: '0\n', [`${lun}block/sde/`]: '',
    [`${c}persistent_address`]: '10.0.0.5\n', [`${c}persistent_port`]: '3260\n', [`${c}state`]: `${o.conn}\n`,
    [`${c}address`]: '10.0.0.5\n', [`${c}port`]: '3260\n', [`${c}exp_statsn`]: '4242\n',
    [`${c}header_digest`]: 'None\n', [`${c}data_digest`]: 'None\n', [`${c}max_recv_dlength`]: '262144\n', [`${c}max_xmit_dlength`]: '65536\n',
  });
}

/** The fake kernel plays the target for PDUs sent through SEND_PDU, answering with the kernel's ITT. */
function playTarget(): void {
  k.rewriteSendPduItt = true;
  answerAsTarget(k, { tsih: 0x31, maxCmdSN: 32, login: { statSN: 700, expCmdSN: 1 }, logout: { statSN: 701, expCmdSN: 2 } });
}

/** tsiscsiadm's session mode through the real argv layer against the test daemon. */
async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const api: Api = {
    call: (method, params) => d!.call(method, params) as never,
    callAny: (method, params) => d!.call(method, params as object),
    methods: async () => [],
    subscribe: async () => async () => undefined,
    close: () => {},
  };
  const { ctx, io } = context(api, { sysfs: join(root, 'sys') });
  const code = await execSession(command('session', argv), ctx);
  return { code, out: io.stdout, err: io.stderr };
}

interface Listed { sid: number; dataPath: string; tsih: number; iface: { name: string; transport: string }; states: { connection: string }; scsi: { hostNumber: number | null; luns: Array<{ blockDevice: string | null }> } }

beforeEach(() => {
  root = mkdtempSync('/tmp/tsi-koffadopt-');
  opened.length = 0;
  k = new FakeKernel({ firstSid: 20, hosts: [{ hostNo: 6, transport: 'bnx2i' }, { hostNo: 7, transport: 'qla4xxx' }] });
  tree({
    'sys/class/iscsi_transport/bnx2i/handle': `${k.transport('bnx2i').handle}\n`, 'sys/class/iscsi_transport/bnx2i/caps': '0x8b9\n',
    'sys/class/iscsi_transport/qla4xxx/handle': `${k.transport('qla4xxx').handle}\n`, 'sys/class/iscsi_transport/qla4xxx/caps': '0x48b8\n',
    'sys/class/iscsi_host/host6/hwaddress': '00:10:18:AA:BB:CC\n', 'sys/class/iscsi_host/host6/ipaddress': '10.0.0.9\n',
    'sys/class/scsi_host/host6/proc_name': 'bnx2i\n', 'sys/class/scsi_host/host6/state': 'running\n', 'sys/class/scsi_host/host6/scan': '',
    'sys/class/iscsi_host/host7/hwaddress': '00:c0:dd:08:63:e8\n', 'sys/class/scsi_host/host7/proc_name': 'qla4xxx\n', 'sys/class/scsi_host/host7/scan': '',
    'sys/module/scsi_transport_iscsi/version': '2.0-870\n',
    'proc/net/arp': 'IP address       HW type     Flags       HW address            Mask     Device\n',
    'proc/net/unix': 'Num       RefCount Protocol Flags    Type St Inode Path\n',
  });
});

afterEach(async () => {
  await d?.stop();
  d = undefined;
  rmSync(root, { recursive: true, force: true });
});

describe('adoption of offload sessions at daemon start (issue 6 §4)', () => {
  it('an up bnx2i session is attached with no kernel request (no bytes sent), listed, its stats read through bnx2i, and logged out without EP_DISCONNECT', async () => {
    existing({ sid: 9, hostNo: 6, transport: 'bnx2i', conn: 'up', ifacename: 'bnx2i.00:10:18:aa:bb:cc' });
    d = await startDaemon({ deps: { kernel: kernelOpts() } });
    expect(k.received).toEqual([]); // no netlink request at all: no bytes reached the kernel
    expect(opened).toEqual([[1, 2]]); // only the bnx2i channel (iscsiuio groups); no iscsi_tcp channel
    expect(d.logs.some((l) => /offload session 9 \(bnx2i, host6\) adopted without a new login/.test(l.msg ?? ''))).toBe(true);

    const list = await d.call<{ sessions: Listed[] }>('session.list', {});
    expect(list.sessions).toHaveLength(1);
    expect(list.sessions[0]).toMatchObject({
      sid: 9, dataPath: 'kernel:bnx2i', tsih: 49, states: { connection: 'LOGGED IN' },
      scsi: { hostNumber: 6, luns: [{ blockDevice: 'sde' }] },
    });
    expect(list.sessions[0]!.iface).toMatchObject({ name: 'bnx2i.00:10:18:aa:bb:cc', transport: 'bnx2i' });
    expect(k.received).toEqual([]);
    const flat = await cli(['-m', 'session']);
    expect(flat).toMatchObject({ code: 0, out: `bnx2i: [9] 10.0.0.5:3260,1 ${TARGET} (non-flash)\n` });
    const p3 = await cli(['-m', 'session', '-r', '9', '-P', '3']);
    expect(p3.code).toBe(0);
    expect(p3.out).toContain('Iface Transport: bnx2i');
    expect(p3.out).toContain('Iface Name: bnx2i.00:10:18:aa:bb:cc');
    expect(p3.out).toMatch(/Host Number: 6\s+State: running/);
    expect(p3.out).toMatch(/Attached scsi disk sde\s+State: running/);
    expect(p3.out).toContain('iSCSI Connection State: LOGGED IN');
    expect(k.received).toEqual([]);
    const s3 = await cli(['-m', 'session', '-r', '9', '-s']);
    expect(s3.code).toBe(0);
    expect(types()).toEqual([T.GET_STATS]);

    const stats = await d.call<{ stats: Array<{ counters: Array<[string, number]> }> }>('session.stats', { sid: 9 });
    expect(stats.stats[0]!.counters).toHaveLength(21);
    const gs = k.received.at(-1)!;
    expect([gs.type, gs.handle, rd32(gs.u, 0), rd32(gs.u, 4)]).toEqual([T.GET_STATS, k.transport('bnx2i').handle, 9, 0]); // sid @16, cid @20

    playTarget();
    const from = k.received.length;
    const out = await d.call<{ results: Array<{ sid: number; error?: unknown }> }>('session.logout', { sid: 9 });
    expect(out.results[0]!.error).toBeUndefined();
    expect(types(from)).toEqual([T.SEND_PDU, T.STOP_CONN, T.DESTROY_CONN, T.DESTROY_SESSION]);
    const logout = k.sentPdus.at(-1)!;
    expect((logout.header[0] ?? 0) & 0x3f).toBe(0x06);
    expect(logout.header.readUInt32BE(28)).toBe(4242); // ExpStatSN from sysfs exp_statsn
    expect(rd32(k.received[from + 1]!.u, 16)).toBe(1); // STOP_CONN flag @32 = STOP_CONN_TERM (1)
    expect(k.sessions.has(9)).toBe(false);
    expect(k.violations).toEqual([]);
  });

  it('a CONN_ERROR on an adopted session reconnects on a new endpoint and never sends EP_DISCONNECT for the unknown old one', async () => {
    existing({ sid: 9, hostNo: 6, transport: 'bnx2i', conn: 'up' });
    playTarget();
    d = await startDaemon({ deps: { kernel: kernelOpts() } });
    expect(k.received).toEqual([]);
    k.connError(9, 0, 1020);
    await until(() => k.mustSession(9).conns.get(0)?.state === 'up' && types().includes(T.START_CONN));
    const seq = types();
    expect(seq[0]).toBe(T.STOP_CONN);
    expect(rd32(k.received[0]!.u, 16)).toBe(3); // STOP_CONN_RECOVER (3)
    expect(seq).not.toContain(T.EP_DISCONNECT);
    expect(k.endpoints.has(OLD_EP + 9n)).toBe(true); // we never touched it (the kernel disconnects a bound ep on STOP_CONN)
    expect(seq[1]).toBe(T.EP_CONNECT_THROUGH_HOST);
    expect(rd32(k.received[1]!.u, 0)).toBe(6); // host_no @16: the session's own host
    const bind = k.received.find((r) => r.type === T.BIND_CONN)!;
    const cbsEp = rd64(bind.u, 8);
    expect(cbsEp).not.toBe(OLD_EP + 9n);
    expect([rd32(bind.u, 0), rd32(bind.u, 4)]).toEqual([9, 0]);
    expect(seq).not.toContain(T.CREATE_BOUND_SESSION);
    await until(async () => (await d!.call<{ sessions: Listed[] }>('session.list', {})).sessions[0]?.states.connection === 'LOGGED IN');
    expect(k.violations).toEqual([]);
  });

  it('a session whose connection failed is reconnected at once: STOP_CONN(RECOVER), EP_CONNECT on its host, BIND_CONN, login with the sysfs ISID and initiator name, START_CONN', async () => {
    existing({ sid: 8, hostNo: 6, transport: 'bnx2i', conn: 'failed' });
    playTarget();
    d = await startDaemon({ deps: { kernel: kernelOpts() } });
    await until(() => k.mustSession(8).conns.get(0)?.state === 'up' && types().includes(T.START_CONN));
    const seq = types();
    expect(seq.slice(0, 4)).toEqual([T.STOP_CONN, T.EP_CONNECT_THROUGH_HOST, T.EP_POLL, T.BIND_CONN]);
    expect(rd32(k.received[0]!.u, 16)).toBe(3);
    expect(rd32(k.received[1]!.u, 0)).toBe(6);
    expect(seq).not.toContain(T.EP_DISCONNECT);
    expect(seq).not.toContain(T.CREATE_BOUND_SESSION);
    expect(seq.at(-1)).toBe(T.START_CONN);
    const ip = k.received.find((r) => r.type === T.SET_HOST_PARAM && rd32(r.u, 4) === 3)!;
    expect([rd32(ip.u, 0), ip.payload.toString('latin1')]).toEqual([6, '10.0.0.9\0']); // the host's ipaddress filled into the built record
    const login = k.sentPdus.find((p) => (p.header[0]! & 0x3f) === 0x03)!;
    expect(login.header.subarray(8, 14).toString('hex')).toBe('00023d000008'); // the session's own ISID
    expect(login.header.readUInt16BE(14)).toBe(0); // TSIH 0: reinstatement
    expect(login.data.toString('latin1')).toContain(`InitiatorName=${SYSFS_INITIATOR}\0`);
    expect(d.logs.some((l) => /offload session 8 \(bnx2i, host6\) adopted; its connection is failed: reconnecting/.test(l.msg ?? ''))).toBe(true);
    expect(k.violations).toEqual([]);
  });

  it('CHAP credentials shown in sysfs are used for the re-login (security stage offered) and never logged', async () => {
    existing({ sid: 8, hostNo: 6, transport: 'bnx2i', conn: 'failed' });
    tree({ 'sys/class/iscsi_session/session8/username': 'adoptuser\n', 'sys/class/iscsi_session/session8/password': 'AdoptSecret123\n' });
    playTarget();
    d = await startDaemon({ deps: { kernel: kernelOpts() } });
    await until(() => k.sentPdus.some((p) => (p.header[0]! & 0x3f) === 0x03));
    const first = k.sentPdus.find((p) => (p.header[0]! & 0x3f) === 0x03)!;
    expect(((first.header[1] ?? 0) >> 2) & 3).toBe(0); // CSG 0: security negotiation
    expect(first.data.toString('latin1')).toContain('AuthMethod=CHAP');
    expect(JSON.stringify(d.logs)).not.toContain('AdoptSecret123');
  });

  it('a user-created qla4xxx session (CAP_LOGIN_OFFLOAD) is attached with no request; its logout sends no Logout PDU (the firmware logs out)', async () => {
    existing({ sid: 5, hostNo: 7, transport: 'qla4xxx', conn: 'up', creator: 900 });
    d = await startDaemon({ deps: { kernel: kernelOpts() } });
    expect(k.received).toEqual([]);
    const list = await d.call<{ sessions: Listed[] }>('session.list', {});
    expect(list.sessions.map((s) => [s.sid, s.dataPath, s.iface.name])).toEqual([[5, 'kernel:qla4xxx', 'qla4xxx.00:c0:dd:08:63:e8']]);
    const out = await d.call<{ results: Array<{ error?: unknown }> }>('session.logout', { sid: 5 });
    expect(out.results[0]!.error).toBeUndefined();
    expect(types()).toEqual([T.STOP_CONN, T.DESTROY_CONN, T.DESTROY_SESSION]);
    expect(k.received.every((r) => r.handle === k.transport('qla4xxx').handle)).toBe(true);
  });

  it('a qla4xxx flash session (creator -1) is left alone: no request, not listed', async () => {
    existing({ sid: 3, hostNo: 7, transport: 'qla4xxx', conn: 'up', creator: -1 });
    d = await startDaemon({ deps: { kernel: kernelOpts() } });
    expect(k.received).toEqual([]);
    expect((await d.call<{ sessions: Listed[] }>('session.list', {})).sessions).toEqual([]);
    expect(d.logs.some((l) => /kernel session 3 left alone: created by the kernel\/firmware \(flash\)/.test(l.msg ?? ''))).toBe(true);
  });

  it('a transport with CAP_FW_DB is only rescanned (- - - > scan), not adopted', async () => {
    tree({ 'sys/class/iscsi_transport/qla4xxx/caps': `0x${(0x48b8 | 0x200).toString(16)}\n` });
    existing({ sid: 4, hostNo: 7, transport: 'qla4xxx', conn: 'up' });
    d = await startDaemon({ deps: { kernel: kernelOpts() } });
    expect(k.received).toEqual([]);
    expect(readTree(root, 'sys/class/scsi_host/host7/scan')).toBe('- - -');
    expect((await d.call<{ sessions: Listed[] }>('session.list', {})).sessions).toEqual([]);
    expect(d.logs.some((l) => /left alone: transport qla4xxx keeps its sessions in firmware \(CAP_FW_DB\)/.test(l.msg ?? ''))).toBe(true);
  });

  it('an unknown transport or a missing host is reported and skipped; the other sessions are still adopted', async () => {
    existing({ sid: 9, hostNo: 6, transport: 'bnx2i', conn: 'up' });
    existing({ sid: 11, hostNo: 12, transport: 'bnx2i', conn: 'up' }); // host12 is not in sysfs
    existing({ sid: 13, hostNo: 14, transport: 'bnx2i', conn: 'up' });
    tree({ 'sys/class/scsi_host/host14/proc_name': 'iscsi_mystery\n' });
    d = await startDaemon({ deps: { kernel: kernelOpts() } });
    expect(k.received).toEqual([]);
    const list = await d.call<{ sessions: Listed[] }>('session.list', {});
    expect(list.sessions.map((s) => [s.sid, s.dataPath])).toEqual([[9, 'kernel:bnx2i']]);
    const warned = d.logs.filter((l) => l.level === 'warn').map((l) => l.msg ?? '');
    expect(warned).toEqual(expect.arrayContaining([
      expect.stringMatching(/kernel session 11 left alone: its SCSI host host12 is not in sysfs/),
      expect.stringMatching(/kernel session 13 left alone: host14 has transport mystery, which tsiscsi has no template for/),
    ]));
  });
});
