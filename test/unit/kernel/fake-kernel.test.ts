/**
 * Self-tests of the fake kernel (test/support/fake-kernel): it parses requests
 * on its own, so driving it with our encoder and reading its answers with our
 * decoder cross-checks both against the reference layouts; a few answers are
 * also compared with golden DSL bytes.
 */
import { describe, expect, it } from 'vitest';
import {
  encodeRequest, KernelMessageReader, type KernelMessage, type UeventRequest,
} from '../../../src/transport/kernel/codec.js';
import { ifErrorToError } from '../../../src/transport/kernel/errors.js';
import { FakeKernel, FAKE_ERRNO, FAKE_TYPES, type FakeChannel } from '../../support/fake-kernel/index.js';
import { i32, nlmsg, raw, struct, u16, u32, u64, u8, uevent } from '../../support/fake-kernel/dsl.js';

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A daemon-side socket: our encoder out, our reader in. */
class Client {
  readonly reader = new KernelMessageReader();
  readonly inbox: KernelMessage[] = [];
  constructor(readonly ch: FakeChannel, readonly handle: bigint) {
    ch.onMessage((d) => this.inbox.push(...this.reader.read(d).messages));
  }

  /** Sends, waits for delivery, returns (and drains) everything received. */
  async call(req: UeventRequest): Promise<KernelMessage[]> {
    this.ch.send(encodeRequest(req, { transportHandle: this.handle, pid: this.ch.pid }));
    await flush();
    return this.inbox.splice(0);
  }
}

function tcp(kernel = new FakeKernel(), opts: Parameters<FakeKernel['open']>[0] = {}): { kernel: FakeKernel; c: Client } {
  return { kernel, c: new Client(kernel.open({ pid: 4242, ...opts }), kernel.transport('tcp').handle) };
}

/** CREATE_SESSION + CREATE_CONN + BIND_CONN on tcp; returns the sid. */
async function boundSession(c: Client): Promise<number> {
  const created = await c.call({ kind: 'createSession', initialCmdSn: 0, cmdsMax: 128, queueDepth: 32 });
  const rep = created.find((m) => m.kind === 'reply');
  if (rep?.kind !== 'reply' || rep.request !== 'createSession') throw new Error('no create reply');
  await c.call({ kind: 'createConn', sid: rep.sid, cid: 0 });
  await c.call({ kind: 'bindConn', sid: rep.sid, cid: 0, transportEph: 17n, isLeading: true });
  return rep.sid;
}

describe('tcp session lifecycle', () => {
  it('CREATE_SESSION: KEVENT_CREATE_SESSION is multicast before the unicast c_session_ret reply', async () => {
    const { kernel, c } = tcp();
    const msgs = await c.call({ kind: 'createSession', initialCmdSn: 0, cmdsMax: 128, queueDepth: 32 });
    expect(msgs).toEqual([
      expect.objectContaining({ kind: 'event', event: 'createSession', sid: 1, hostNo: 2 }),
      expect.objectContaining({ kind: 'reply', request: 'createSession', sid: 1, hostNo: 2, header: expect.objectContaining({ type: 11, pid: 0 }) }),
    ]);
    expect(kernel.sessions.get(1)).toMatchObject({ hostNo: 2, creator: 4242, state: 'FREE' });
    expect(kernel.violations).toEqual([]);
  });

  it('CREATE_CONN reply is the request uevent echoed with c_conn_ret {sid @40, cid @44} (golden bytes)', async () => {
    const { kernel, c } = tcp();
    await c.call({ kind: 'createSession', initialCmdSn: 0, cmdsMax: 128, queueDepth: 32 });
    await c.call({ kind: 'createConn', sid: 1, cid: 0 });
    const h = kernel.transport('tcp').handle;
    expect(c.ch.delivered.at(-1)?.toString('hex')).toBe(nlmsg({ type: 13 }, uevent(u32(0, 13), u64(8, h), u32(16, 1), u32(20, 0), u32(40, 1), u32(44, 0))).toString('hex'));
  });

  it('create -> conn -> bind -> set_param -> send_pdu/recv_pdu -> start: state and params as the kernel keeps them', async () => {
    const { kernel, c } = tcp();
    kernel.onSendPdu = (pdu) => kernel.recvPdu(pdu.sid, pdu.cid, struct(48, u8(0, 0x23), u8(1, 0x87), raw(5, [0, 0, 4])), Buffer.from('a=b\0'));
    const sid = await boundSession(c);
    expect(kernel.sessions.get(sid)?.conns.get(0)).toMatchObject({ state: 'bound', transportEph: 17n, isLeading: true });
    expect(await c.call({ kind: 'setParam', sid, cid: 0, param: 15, value: 'iqn.x:t' })).toEqual([expect.objectContaining({ request: 'setParam', retcode: 0 })]);
    await c.call({ kind: 'setParam', sid, cid: 0, param: 19, value: '-1' });
    const pdu = await c.call({ kind: 'sendPdu', sid, cid: 0, header: struct(48, u8(0, 0x43)), data: Buffer.from('x=y\0') });
    expect(pdu).toEqual([
      expect.objectContaining({ kind: 'reply', request: 'sendPdu', retcode: 0 }),
      expect.objectContaining({ kind: 'event', event: 'recvPdu', sid, cid: 0 }),
    ]);
    expect(kernel.sentPdus[0]?.data.toString()).toBe('x=y\0');
    expect(await c.call({ kind: 'startConn', sid, cid: 0 })).toEqual([expect.objectContaining({ request: 'startConn', retcode: 0 })]);
    const s = kernel.sessions.get(sid)!;
    expect(s).toMatchObject({ state: 'LOGGED_IN', recoveryTmo: -1 });
    expect(s.conns.get(0)?.params.get(15)).toBe('iqn.x:t');
    expect(kernel.violations).toEqual([]);
  });

  it('teardown: STOP_CONN TERM, DESTROY_CONN, DESTROY_SESSION, then KEVENT_DESTROY_SESSION {host_no, sid}', async () => {
    const { kernel, c } = tcp();
    const sid = await boundSession(c);
    expect(await c.call({ kind: 'destroySession', sid })).toEqual([expect.objectContaining({ kind: 'ifError', errno: -FAKE_ERRNO.EBUSY })]);
    await c.call({ kind: 'stopConn', sid, cid: 0, flag: 'term' });
    expect(kernel.sessions.get(sid)?.conns.get(0)?.state).toBe('down');
    await c.call({ kind: 'destroyConn', sid, cid: 0 });
    expect(await c.call({ kind: 'destroySession', sid })).toEqual([
      expect.objectContaining({ kind: 'reply', request: 'destroySession', retcode: 0 }),
      expect.objectContaining({ kind: 'event', event: 'destroySession', sid, hostNo: 2 }),
    ]);
    expect(kernel.sessions.size).toBe(0);
  });

  it('GET_STATS answers with a multicast uevent + iscsi_stats + custom; unknown conn is -EEXIST', async () => {
    const { kernel, c } = tcp();
    const sid = await boundSession(c);
    kernel.setStats(sid, 0, struct(96 + 72, u64(0, 4096), u32(16, 3), u32(92, 1), raw(96, Buffer.from('frag')), u64(160, 9)));
    const [m] = await c.call({ kind: 'getStats', sid, cid: 0 });
    expect(m).toMatchObject({ kind: 'reply', request: 'getStats', sid, cid: 0, header: { type: 0 }, custom: [{ desc: 'frag', value: 9n }] });
    if (m?.kind === 'reply' && m.request === 'getStats') expect([m.stats.txdata_octets, m.stats.noptx_pdus]).toEqual([4096n, 3]);
    const [e] = await c.call({ kind: 'getStats', sid, cid: 5 });
    expect(e?.kind === 'ifError' && ifErrorToError(e.requestType, e.errno).code).toBe('KERNEL_NO_SUCH_CONNECTION');
  });
});

describe('refusals like the kernel', () => {
  it('without CAP_SYS_ADMIN every request gets IF_ERROR -EPERM, nlmsg_type = request type (golden bytes)', async () => {
    const { kernel, c } = tcp(undefined, { capSysAdmin: false });
    const [m] = await c.call({ kind: 'createSession', initialCmdSn: 0, cmdsMax: 128, queueDepth: 32 });
    expect(m).toMatchObject({ kind: 'ifError', requestType: 11, request: 'createSession', errno: -1 });
    const h = kernel.transport('tcp').handle;
    expect(c.ch.delivered[0]?.toString('hex')).toBe(nlmsg({ type: 11 }, uevent(u32(0, 103), i32(4, -1), u64(8, h), u16(20, 128), u16(22, 32))).toString('hex'));
  });

  it('an unknown transport handle is -EINVAL; GET_PARAM and unknown types -ENOSYS', async () => {
    const kernel = new FakeKernel();
    const c = new Client(kernel.open(), 0xdeadn);
    expect(await c.call({ kind: 'createSession', initialCmdSn: 0, cmdsMax: 1, queueDepth: 1 })).toEqual([expect.objectContaining({ kind: 'ifError', errno: -22 })]);
    const t = tcp(kernel);
    const raw21 = nlmsg({ type: 21, pid: 4242 }, uevent(u32(0, 21), u64(8, kernel.transport('tcp').handle)));
    t.c.ch.send(raw21);
    await flush();
    expect(t.c.inbox).toEqual([expect.objectContaining({ kind: 'ifError', requestType: 21, request: undefined, errno: -38 })]);
  });

  it('failNext answers a chosen request with -ENOSYS (e.g. SET_PARAM PING_TMO on an old kernel)', async () => {
    const { kernel, c } = tcp();
    const sid = await boundSession(c);
    kernel.failNext(FAKE_TYPES.SET_PARAM, FAKE_ERRNO.ENOSYS);
    expect(await c.call({ kind: 'setParam', sid, cid: 0, param: 30, value: '5' })).toEqual([expect.objectContaining({ kind: 'ifError', errno: -38 })]);
    expect(await c.call({ kind: 'setParam', sid, cid: 0, param: 30, value: '5' })).toEqual([expect.objectContaining({ kind: 'reply', retcode: 0 })]);
  });

  it('records ABI violations: START_CONN before BIND_CONN, bad lengths, nlmsg_type != uevent type', async () => {
    const { kernel, c } = tcp();
    await c.call({ kind: 'createSession', initialCmdSn: 0, cmdsMax: 1, queueDepth: 1 });
    await c.call({ kind: 'createConn', sid: 1, cid: 0 });
    expect(await c.call({ kind: 'startConn', sid: 1, cid: 0 })).toEqual([expect.objectContaining({ request: 'startConn', retcode: -22 })]);
    c.ch.send(nlmsg({ type: 11, pid: 4242, len: 40 }, uevent()));
    const bad = encodeRequest({ kind: 'startConn', sid: 1, cid: 0 }, { transportHandle: kernel.transport('tcp').handle, pid: 4242 });
    bad.writeUInt16LE(18, 4);
    c.ch.send(bad);
    await flush();
    expect(kernel.violations).toEqual([
      expect.stringContaining('START_CONN on connection 1:0 in state down'),
      expect.stringContaining('nlmsg_len 40'),
      expect.stringContaining('nlmsg_type 18 differs from uevent type 17'),
    ]);
  });

  it('SET_PARAM with len beyond the message is -EINVAL; on an unbound connection -ENOTCONN', async () => {
    const { kernel, c } = tcp();
    await c.call({ kind: 'createSession', initialCmdSn: 0, cmdsMax: 1, queueDepth: 1 });
    await c.call({ kind: 'createConn', sid: 1, cid: 0 });
    expect(await c.call({ kind: 'setParam', sid: 1, cid: 0, param: 0, value: '8192' })).toEqual([expect.objectContaining({ errno: -107 })]);
    const lie = encodeRequest({ kind: 'setParam', sid: 1, cid: 0, param: 0, value: '8192' }, { transportHandle: kernel.transport('tcp').handle, pid: 4242 });
    lie.writeUInt32LE(400, 16 + 28);
    c.ch.send(lie);
    await flush();
    expect(c.inbox.splice(0)).toEqual([expect.objectContaining({ kind: 'ifError', errno: -22 })]);
  });
});

describe('events on command', () => {
  it('CONN_ERROR carries the iscsi_err code; the conn is failed and refuses START/BIND with -ENOTCONN until STOP_CONN RECOVER', async () => {
    const { kernel, c } = tcp();
    const sid = await boundSession(c);
    await c.call({ kind: 'startConn', sid, cid: 0 });
    kernel.connError(sid, 0, 1020);
    await flush();
    expect(c.inbox.splice(0)).toEqual([expect.objectContaining({ kind: 'event', event: 'connError', sid, cid: 0, error: 1020 })]);
    expect(kernel.sessions.get(sid)?.state).toBe('FAILED');
    expect(await c.call({ kind: 'bindConn', sid, cid: 0, transportEph: 18n, isLeading: true })).toEqual([expect.objectContaining({ retcode: -107 })]);
    await c.call({ kind: 'stopConn', sid, cid: 0, flag: 'recover' });
    expect(kernel.sessions.get(sid)?.conns.get(0)).toMatchObject({ state: 'failed', cleanup: false });
    expect(await c.call({ kind: 'bindConn', sid, cid: 0, transportEph: 18n, isLeading: true })).toEqual([expect.objectContaining({ retcode: 0 })]);
  });

  it('UNBIND_SESSION request: reply, then KEVENT_UNBIND_SESSION {sid, host_no}', async () => {
    const { c } = tcp();
    const sid = await boundSession(c);
    expect(await c.call({ kind: 'unbindSession', sid })).toEqual([
      expect.objectContaining({ kind: 'reply', request: 'unbindSession' }),
      expect.objectContaining({ kind: 'event', event: 'unbindSession', sid, hostNo: 2 }),
    ]);
  });

  it('IF_DOWN and PATH_REQ go to group 2 only (iscsiuio), HOST_EVENT to group 1', async () => {
    const kernel = new FakeKernel();
    const iscsid = tcp(kernel, { groups: [1] }).c;
    const uio = tcp(kernel, { pid: 77, groups: [1, 2] }).c;
    kernel.ifDown(5);
    kernel.pathReq(5, struct(64, u32(20, 4)));
    kernel.hostEvent(5, 2);
    await flush();
    expect(iscsid.inbox.map((m) => (m.kind === 'event' ? m.event : m.kind))).toEqual(['hostEvent']);
    expect(uio.inbox.map((m) => (m.kind === 'event' ? m.event : m.kind))).toEqual(['ifDown', 'pathReq', 'hostEvent']);
  });

  it('unknown event types and garbage are delivered; the reader counts them', async () => {
    const { kernel, c } = tcp();
    kernel.emitRaw(nlmsg({ type: 0 }, uevent(u32(0, 150))));
    kernel.emitRaw(Buffer.from([1, 2, 3]));
    await flush();
    expect(c.inbox).toEqual([expect.objectContaining({ kind: 'unknown', type: 150, inRange: false })]);
    expect(c.reader.counters).toEqual({ messages: 1, unknown: 1, malformed: 1 });
  });
});

describe('offload (qla4xxx host 5)', () => {
  const qla = (): { kernel: FakeKernel; c: Client } => {
    const kernel = new FakeKernel({ hosts: [{ hostNo: 5, transport: 'qla4xxx' }] });
    return { kernel, c: new Client(kernel.open({ pid: 4242 }), kernel.transport('qla4xxx').handle) };
  };

  it('EP_CONNECT_THROUGH_HOST, EP_POLL, CREATE_BOUND_SESSION on the HBA host, START_CONN -> CONN_LOGIN_STATE', async () => {
    const { kernel, c } = qla();
    const address = { host: '192.168.77.1', port: 3260 };
    const [ep] = await c.call({ kind: 'epConnectThroughHost', hostNo: 5, address, nonBlocking: true });
    if (ep?.kind !== 'reply' || ep.request !== 'epConnectThroughHost') throw new Error('no ep');
    kernel.pollResults.push(0, 1);
    expect(await c.call({ kind: 'epPoll', epHandle: ep.handle, timeoutMs: 1 })).toEqual([expect.objectContaining({ retcode: 0 })]);
    expect(await c.call({ kind: 'epPoll', epHandle: ep.handle, timeoutMs: 1 })).toEqual([expect.objectContaining({ retcode: 1 })]);
    const created = await c.call({ kind: 'createBoundSession', epHandle: ep.handle, initialCmdSn: 0, cmdsMax: 128, queueDepth: 32 });
    expect(created.at(-1)).toMatchObject({ request: 'createBoundSession', sid: 1, hostNo: 5 });
    await c.call({ kind: 'createConn', sid: 1, cid: 0 });
    await c.call({ kind: 'bindConn', sid: 1, cid: 0, transportEph: ep.handle, isLeading: true });
    expect(await c.call({ kind: 'startConn', sid: 1, cid: 0 })).toEqual([
      expect.objectContaining({ request: 'startConn', retcode: 0 }),
      expect.objectContaining({ event: 'connLoginState', sid: 1, cid: 0, state: 3 }),
    ]);
    expect(await c.call({ kind: 'epDisconnect', epHandle: ep.handle })).toEqual([expect.objectContaining({ request: 'epDisconnect', retcode: 0 })]);
    expect(kernel.violations).toEqual([]);
  });

  it('host CHAP table: SET_CHAP then GET_CHAP returns the entries; DELETE_CHAP removes', async () => {
    const { kernel, c } = qla();
    await c.call({ kind: 'setChap', hostNo: 5, entry: { index: 0, type: 'out', username: 'alice', password: 'secret123456' } });
    await c.call({ kind: 'setChap', hostNo: 5, entry: { index: 1, type: 'in', username: 'tgt', password: 'mutualsecret' } });
    const [m] = await c.call({ kind: 'getChap', hostNo: 5, numEntries: 4, chapTblIdx: 0 });
    expect(m).toMatchObject({ request: 'getChap', numEntries: 2, entries: [{ chapTblIdx: 0, type: 'out', username: 'alice' }, { chapTblIdx: 1, type: 'in', username: 'tgt' }] });
    if (m?.kind === 'reply' && m.request === 'getChap') expect(m.entries[1]?.password.toString()).toBe('mutualsecret');
    await c.call({ kind: 'deleteChap', hostNo: 5, chapTblIdx: 0 });
    expect([...kernel.hosts.get(5)!.chap.keys()]).toEqual([1]);
  });

  it('flashnodes, host stats and ping', async () => {
    const { kernel, c } = qla();
    const [n] = await c.call({ kind: 'newFlashnode', hostNo: 5, portalType: 'ipv4' });
    expect(n).toMatchObject({ request: 'newFlashnode', flashnodeIdx: 0 });
    await c.call({ kind: 'setFlashnodeParams', hostNo: 5, flashnodeIdx: 0, params: [{ param: 32, value: Buffer.from([0xbc, 0x0c]) }] });
    expect(kernel.hosts.get(5)?.flashnodes.get(0)?.params.get(32)).toEqual(Buffer.from([0xbc, 0x0c]));
    await c.call({ kind: 'loginFlashnode', hostNo: 5, flashnodeIdx: 0 });
    expect(kernel.hosts.get(5)?.flashnodes.get(0)?.loggedIn).toBe(true);
    expect(await c.call({ kind: 'delFlashnode', hostNo: 5, flashnodeIdx: 9 })).toEqual([expect.objectContaining({ errno: -19 })]);
    kernel.hosts.get(5)!.stats = struct(664, u64(0, 11));
    expect(await c.call({ kind: 'getHostStats', hostNo: 5 })).toEqual([expect.objectContaining({ request: 'getHostStats', hostNo: 5, stats: expect.objectContaining({ mactx_frames: 11n }) })]);
    expect(await c.call({ kind: 'ping', hostNo: 5, ifaceNum: 0, ifaceType: 'ipv4', payloadSize: 56, pingId: 99, address: { host: '10.0.0.1', port: 0 } })).toEqual([
      expect.objectContaining({ request: 'ping', retcode: 0 }),
      expect.objectContaining({ event: 'pingComp', hostNo: 5, status: 0, pingId: 99 }),
    ]);
    expect(kernel.violations).toEqual([]);
  });

  it('operations a transport lacks: tcp PING is -ENOSYS, tcp EP_CONNECT -EINVAL, unknown host -ENODEV', async () => {
    const { c } = tcp(new FakeKernel({ hosts: [{ hostNo: 5, transport: 'qla4xxx' }] }));
    expect(await c.call({ kind: 'ping', hostNo: 5, ifaceNum: 0, ifaceType: 'ipv4', payloadSize: 1, pingId: 1, address: { host: '10.0.0.1', port: 0 } }))
      .toEqual([expect.objectContaining({ errno: -38 })]);
    expect(await c.call({ kind: 'epConnect', address: { host: '10.0.0.1', port: 3260 }, nonBlocking: true })).toEqual([expect.objectContaining({ errno: -22 })]);
    const q = qla();
    expect(await q.c.call({ kind: 'getHostStats', hostNo: 9 })).toEqual([expect.objectContaining({ errno: -19 })]);
  });

  it('SET_IFACE_PARAMS attributes are parsed with their iface number, type and param type', async () => {
    const { kernel, c } = qla();
    await c.call({ kind: 'setIfaceParams', hostNo: 5, params: [
      { ifaceNum: 0, ifaceType: 'ipv4', param: 1, paramType: 'net', value: Buffer.from([10, 0, 0, 5]) },
      { ifaceNum: 0, ifaceType: 'ipv4', param: 8, paramType: 'iface', value: Buffer.from([0, 0x20, 0, 0]) },
    ] });
    expect(kernel.hosts.get(5)?.ifaceParams.map((p) => [p.param, p.ifaceType, p.paramType, [...p.value]])).toEqual([[1, 1, 2, [10, 0, 0, 5]], [8, 1, 5, [0, 0x20, 0, 0]]]);
    expect(kernel.violations).toEqual([]);
  });
});
