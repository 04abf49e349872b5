/**
 * qla4xxx host tables and bnx2i/qedi iscsiuio paths against the fake kernel
 * (reference §3.2/§3.3/§3.6/§4.1/§7.4): GET_CHAP paging and iscsi_chap_rec bytes,
 * SET_CHAP / DELETE_CHAP attributes, GET_HOST_STATS, flashnode sysfs records and
 * requests, PATH_REQ -> PATH_UPDATE bytes, iscsiuio status.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { KernelTcpDriver, type DriverEvent } from '../../../src/transport/kernel/driver.js';
import { KernelRequestError } from '../../../src/transport/kernel/errors.js';
import { FLASHNODE_KEYS, flashnodeIndexes, flashnodeOp, flashnodeParams, newFlashnode, readFlashnode } from '../../../src/transport/kernel/flashnode.js';
import { CHAP_PAGE_ENTRIES, chapEntryFromParams, chapRecordEntries, deleteChapEntry, readChapTable, writeChapEntry } from '../../../src/transport/kernel/host-chap.js';
import { hostStatsRows, readHostStats } from '../../../src/transport/kernel/host-stats.js';
import { answerPathReq, iscsiuioStatus, parseProcNetArp, planPathUpdate, readIscsiuioStatus, readNeighbours, respondToPathRequests } from '../../../src/transport/kernel/iscsiuio.js';
import type { IscsiPath } from '../../../src/transport/kernel/payloads.js';
import { TRANSPORTS } from '../../../src/transport/kernel/transports.js';
import { IscsiError } from '../../../src/shared/errors.js';
import { FakeKernel, parseAttrs } from '../../support/fake-kernel/index.js';
import { raw, rd16, rd32, struct, u16, u32, u64 } from '../../support/fake-kernel/dsl.js';
import { T } from '../../support/fake-kernel/types.js';

function setup(transport = 'qla4xxx', groups: number[] = [1]) {
  const k = new FakeKernel({ hosts: [{ hostNo: 6, transport }] });
  const ch = k.open({ pid: 4321, groups });
  const driver = new KernelTcpDriver({ channel: ch, pid: ch.pid, transportHandle: k.transport(transport).handle, transportName: transport, timeoutMs: 1000 });
  return { k, driver, host: k.hosts.get(6)! };
}

describe('host CHAP table (GET_CHAP / SET_CHAP / DELETE_CHAP)', () => {
  it('pages GET_CHAP like iscsiadm: 7 entries per request, then from last index + 1', async () => {
    const { k, driver, host } = setup();
    for (let i = 0; i < 9; i++) host.chap.set(i * 2, { type: i % 2, username: `user${i}`, password: Buffer.from(`secret-${i}`) });
    const table = await readChapTable(driver, 6);
    expect(CHAP_PAGE_ENTRIES).toBe(7);
    expect(table.map((e) => e.chapTblIdx)).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16]);
    const gets = k.received.filter((r) => r.type === T.GET_CHAP);
    // u.get_chap: host_no @16, num_entries @20, chap_tbl_idx u16 @24.
    expect(gets.map((r) => [rd32(r.u, 0), rd32(r.u, 4), rd16(r.u, 8)])).toEqual([[6, 7, 0], [6, 7, 13]]);
    expect(table[1]).toEqual({ chapTblIdx: 2, type: 'in', username: 'user1', password: Buffer.from('secret-1') });
  });

  it('prints an entry as iscsiadm does: tbl_idx, then username/password or username_in/password_in', () => {
    expect(chapRecordEntries({ chapTblIdx: 3, type: 'in', username: 'u', password: Buffer.from('pw\0junk') }).map((e) => [e.key, e.value])).toEqual([
      ['host.auth.tbl_idx', '3'], ['host.auth.username_in', 'u'], ['host.auth.password_in', 'pw'],
    ]);
  });

  it('SET_CHAP carries INDEX u16, CHAP_TYPE u8, USERNAME, PASSWORD, PASSWORD_LEN as iscsi_param_info attributes', async () => {
    const { k, driver, host } = setup();
    await writeChapEntry(driver, 6, chapEntryFromParams(5, [['host.auth.username_in', 'tgt'], ['host.auth.password_in', 'mutual-secret']]));
    const req = k.received.find((r) => r.type === T.SET_CHAP)!;
    expect(rd32(req.u, 0)).toBe(6);
    const attrs = parseAttrs(k, req.payload, 'SET_CHAP');
    expect(attrs.map((a) => a.type)).toEqual([0, 1, 2, 3, 4]);
    // iscsi_param_info: len u32 @0, param u16 @4, value @6.
    expect(attrs[0]!.data).toEqual(struct(8, u32(0, 2), u16(4, 0), u16(6, 5)));
    expect(attrs[1]!.data).toEqual(struct(7, u32(0, 1), u16(4, 1), raw(6, [1])));
    expect(attrs[4]!.data).toEqual(struct(7, u32(0, 1), u16(4, 4), raw(6, [13])));
    expect(host.chap.get(5)).toEqual({ type: 1, username: 'tgt', password: Buffer.from('mutual-secret') });
    expect(k.violations).toEqual([]);
  });

  it('a mixed username/password pair is refused with iscsiadm\'s message (errno 7)', () => {
    const err = (() => { try { chapEntryFromParams(1, [['host.auth.username', 'a'], ['host.auth.password_in', 'b']]); } catch (e) { return e; } })();
    expect((err as IscsiError).errno).toBe(7);
    expect((err as IscsiError).message).toBe('Invalid username/password pair passed. Unable to determine the type of chap entry');
  });

  it('DELETE_CHAP {host_no @16, chap_tbl_idx u16 @20}; an unknown index comes back as a typed IF_ERROR', async () => {
    const { k, driver, host } = setup();
    host.chap.set(4, { type: 0, username: 'a', password: Buffer.from('b') });
    await deleteChapEntry(driver, 6, 4);
    const req = k.received.find((r) => r.type === T.DELETE_CHAP)!;
    expect([rd32(req.u, 0), rd16(req.u, 4)]).toEqual([6, 4]);
    const err = await deleteChapEntry(driver, 6, 4).catch((e: unknown) => e);
    expect((err as KernelRequestError).request).toBe('ISCSI_UEVENT_DELETE_CHAP');
    expect((err as KernelRequestError).errnoName).toBe('EINVAL');
  });

  it('a transport without a CHAP table (bnx2i) refuses GET_CHAP (-EINVAL) and SET_CHAP (-ENOSYS, admin advice)', async () => {
    const { driver } = setup('bnx2i');
    expect(((await readChapTable(driver, 6).catch((e: unknown) => e)) as KernelRequestError).errnoName).toBe('EINVAL');
    const err = (await writeChapEntry(driver, 6, { index: 0, type: 'out', username: 'a', password: 'b' }).catch((e: unknown) => e)) as KernelRequestError;
    expect([err.code, err.errno]).toEqual(['KERNEL_NOT_SUPPORTED', 27]);
    expect(err.message).toMatch(/does not implement ISCSI_UEVENT_SET_CHAP/);
  });
});

describe('GET_HOST_STATS', () => {
  it('decodes the 82 u64 counters in order and prints them as %lld', async () => {
    const { driver, host } = setup();
    host.stats = struct(664, u64(0, 11), u64(8, 22), u64(15 * 8, 33), u64(81 * 8, 2n ** 64n - 1n), u32(656, 0));
    const { stats } = await readHostStats(driver, 6);
    const rows = hostStatsRows(stats);
    expect(rows).toHaveLength(82);
    expect(rows[0]).toEqual(['mactx_frames', '11']);
    expect(rows[1]).toEqual(['mactx_bytes', '22']);
    expect(rows[15]).toEqual(['macrx_frames', '33']);
    expect(rows[81]).toEqual(['iscsi_sequence_error', '-1']);
  });

  it('a transport without host stats answers -ENOSYS: typed, names the request', async () => {
    const { driver } = setup('bnx2i');
    const err = (await readHostStats(driver, 6).catch((e: unknown) => e)) as KernelRequestError;
    expect([err.request, err.errno]).toEqual(['ISCSI_UEVENT_GET_HOST_STATS', 27]);
  });
});

describe('flashnodes', () => {
  const dirs: string[] = [];
  afterAll(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); });

  async function sysfsWith(files: Record<string, string>): Promise<string> {
    const root = await mkdtemp(join(tmpdir(), 'tsi-fnode-'));
    dirs.push(root);
    for (const [rel, value] of Object.entries(files)) {
      const p = join(root, 'sys/bus/iscsi_flashnode/devices', rel);
      await mkdir(join(p, '..'), { recursive: true });
      await writeFile(p, `${value}\n`);
    }
    return root;
  }

  it('reads flashnode_sess-H:I and flashnode_conn-H:I:0 into the record in key order', async () => {
    const root = await sysfsWith({
      'flashnode_sess-6:0/targetname': 'iqn.2026-11.test:fw', 'flashnode_sess-6:0/portal_type': 'ipv4', 'flashnode_sess-6:0/tpgt': '1',
      'flashnode_sess-6:0/chap_auth': '1', 'flashnode_sess-6:0/password': 'fw-secret',
      'flashnode_conn-6:0:0/ipaddress': '10.0.0.5', 'flashnode_conn-6:0:0/port': '3260', 'flashnode_conn-6:0:0/header_digest': '1',
      'flashnode_sess-6:2/targetname': 'x', 'flashnode_sess-7:0/targetname': 'other host',
    });
    expect(await flashnodeIndexes(root, 6)).toEqual([0, 2]);
    const rec = (await readFlashnode(root, 6, 0))!;
    expect(rec.entries.map((e) => e.key)).toEqual(FLASHNODE_KEYS.map((k) => k.key));
    const v = Object.fromEntries(rec.entries.map((e) => [e.key, e.value]));
    expect(v['flashnode.session.targetname']).toBe('iqn.2026-11.test:fw');
    expect(v['flashnode.session.chap_auth_en']).toBe('1');
    expect(v['flashnode.session.erl']).toBe('0');
    expect(v['flashnode.session.targetalias']).toBe('');
    expect(v['flashnode.conn[0].header_digest_en']).toBe('1');
    expect(v['flashnode.conn[0].port']).toBe('3260');
    expect(rec.entries.find((e) => e.key === 'flashnode.session.password')?.secret).toBe(true);
    expect(await readFlashnode(root, 6, 1)).toBeUndefined();
  });

  it('NEW/SET_FLASHNODE_PARAMS/LOGIN/LOGOUT/DEL with the bytes of §3.3', async () => {
    const { k, driver, host } = setup();
    const idx = await newFlashnode(driver, 6, 'ipv4');
    const nf = k.received.find((r) => r.type === T.NEW_FLASHNODE)!;
    expect([rd32(nf.u, 0), rd32(nf.u, 4), nf.payload.toString('latin1')]).toEqual([6, 5, 'ipv4\0']);
    await flashnodeOp(driver, 6, idx, { kind: 'update', params: flashnodeParams([['flashnode.session.targetname', 'iqn.x:y'], ['flashnode.conn[0].port', '3261'], ['flashnode.conn[0].ipaddress', '10.0.0.7']], 'ipv4') });
    const set = k.received.find((r) => r.type === T.SET_FLASHNODE_PARAMS)!;
    expect([rd32(set.u, 0), rd32(set.u, 4), rd32(set.u, 8)]).toEqual([6, idx, 3]);
    const params = host.flashnodes.get(idx)!.params;
    expect(params.get(43)).toEqual(Buffer.from('iqn.x:y\0')); // NAME
    expect(params.get(32)).toEqual(Buffer.from([0xbd, 0x0c])); // PORT 3261 = 0x0cbd, u16 LE
    expect(params.get(35)).toEqual(Buffer.from([10, 0, 0, 7])); // IPADDR
    await flashnodeOp(driver, 6, idx, { kind: 'login' });
    expect(host.flashnodes.get(idx)!.loggedIn).toBe(true);
    await flashnodeOp(driver, 6, idx, { kind: 'logout' });
    await flashnodeOp(driver, 6, idx, { kind: 'delete' });
    expect(host.flashnodes.size).toBe(0);
    expect(k.violations).toEqual([]);
    expect(() => flashnodeParams([['flashnode.session.bogus', '1']], 'ipv4')).toThrow(/Unknown parameter flashnode.session.bogus./);
  });
});

describe('iscsiuio (bnx2i/qedi)', () => {
  const ARP = 'IP address       HW type     Flags       HW address            Mask     Device\n'
    + '10.0.0.5         0x1         0x2         00:11:22:33:44:55     *        eth1\n'
    + '10.0.0.1         0x1         0x2         aa:bb:cc:dd:ee:ff     *        eth1\n'
    + '10.0.0.6         0x1         0x0         00:00:00:00:00:00     *        eth1\n';
  const IFACE = { name: 'bnx2i.00:10:18:aa:bb:cc', ipaddress: '10.0.0.9', subnetMask: '255.255.255.0', gateway: '10.0.0.1', vlanId: 12, mtu: 9000 };
  const req = (dst: string): IscsiPath => ({ handle: 0x51n, macAddr: Buffer.alloc(6), macAddrOld: Buffer.alloc(6), family: 'ipv4', src: '0.0.0.0', dst, vlanId: 0, pmtu: 0 });

  it('answers PATH_REQ with PATH_UPDATE: on-link MAC, source, VLAN, MTU (iscsi_path bytes)', async () => {
    const { k, driver, host } = setup('bnx2i', [1, 2]);
    const got = new Promise<DriverEvent>((resolve) => driver.onEvent((e) => { if (e.type === 'other') resolve(e); }));
    k.pathReq(6, struct(64, u64(0, 0x51), u32(20, 4), raw(40, [10, 0, 0, 5])));
    const ev = await got;
    if (ev.type !== 'other' || ev.event.event !== 'pathReq') throw new Error('expected a PATH_REQ');
    expect(await answerPathReq(driver, ev.event, IFACE, parseProcNetArp(ARP))).toBeUndefined();
    expect(host.paths).toEqual([struct(64, u64(0, 0x51), raw(8, [0x00, 0x11, 0x22, 0x33, 0x44, 0x55]), u32(20, 4), raw(24, [10, 0, 0, 9]), raw(40, [10, 0, 0, 5]), u16(56, 12), u16(58, 9000))]);
    const upd = k.received.find((r) => r.type === T.PATH_UPDATE)!;
    expect(rd32(upd.u, 0)).toBe(6);
  });

  it('routes off-link destinations through the gateway; missing pieces are typed errors', () => {
    expect(planPathUpdate(req('192.168.7.7'), IFACE, parseProcNetArp(ARP)).macAddr).toEqual(Buffer.from([0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]));
    const code = (f: () => unknown): string => { try { f(); return 'none'; } catch (e) { return (e as IscsiError).code; } };
    expect(code(() => planPathUpdate(req('192.168.7.7'), { ...IFACE, gateway: '' }, []))).toBe('UIO_PATH_NO_ROUTE');
    expect(code(() => planPathUpdate(req('10.0.0.6'), IFACE, parseProcNetArp(ARP)))).toBe('UIO_PATH_NO_NEIGHBOUR');
    expect(code(() => planPathUpdate(req('10.0.0.5'), { name: 'x' }, []))).toBe('UIO_PATH_NO_ADDRESS');
    expect(code(() => planPathUpdate({ ...req('::1'), family: 'ipv6' }, IFACE, []))).toBe('UIO_PATH_IPV6_UNSUPPORTED');
  });

  it('reports whether iscsiuio is needed and running', () => {
    const unix = 'Num       RefCount Protocol Flags    Type St Inode Path\n0000: 00000002 00000000 00010000 0001 01 3345 @ISCSID_UIP_ABSTRACT_NAMESPACE\n';
    expect(iscsiuioStatus(TRANSPORTS.bnx2i, unix)).toMatchObject({ needed: true, running: true });
    const down = iscsiuioStatus(TRANSPORTS.qedi, 'Num RefCount\n');
    expect(down).toMatchObject({ needed: true, running: false });
    expect(down.message).toMatch(/^uIP daemon is not up: transport qedi needs iscsiuio/);
    expect(iscsiuioStatus(TRANSPORTS.qla4xxx, '').needed).toBe(false);
  });

  it('respondToPathRequests answers every PATH_REQ of the group-2 channel from the host\'s iface and /proc/net/arp', async () => {
    const { k, driver, host } = setup('bnx2i', [1, 2]);
    const proc = await mkdtemp(join(tmpdir(), 'tsi-proc-'));
    await mkdir(join(proc, 'proc/net'), { recursive: true });
    await writeFile(join(proc, 'proc/net/arp'), ARP);
    const stop = respondToPathRequests(driver, (h) => (h === 6 ? IFACE : undefined), () => readNeighbours(proc));
    k.pathReq(6, struct(64, u64(0, 0x77), u32(20, 4), raw(40, [10, 0, 0, 5])));
    await vi.waitFor(() => expect(host.paths).toHaveLength(1));
    expect(host.paths[0]!.subarray(8, 14)).toEqual(Buffer.from([0x00, 0x11, 0x22, 0x33, 0x44, 0x55]));
    stop();
    expect(await readNeighbours(join(proc, 'missing'))).toEqual([]);
    expect((await readIscsiuioStatus(TRANSPORTS.bnx2i, proc)).running).toBe(false);
    await rm(proc, { recursive: true, force: true });
  });
});
