/**
 * Golden kernel -> user messages: replies (the `r` union), the multicast data
 * replies (iscsi_stats, host stats, CHAP records), IF_ERROR and every
 * ISCSI_KEVENT_*. Bytes come from the independent DSL with offsets from
 * reference open-iscsi.md §3.3/§3.6, then go through our decoder.
 */
import { describe, expect, it } from 'vitest';
import { decodeKernelDatagram, HOST_STATS_FIELDS, KernelMessageReader, type KernelMessage } from '../../../src/transport/kernel/codec.js';
import { i32, nlmsg, raw, struct, text, u16, u32, u64, u8, uevent, type Place } from '../../support/fake-kernel/dsl.js';

const H = 0xffffffffc0a01000n;

/** A unicast reply: nlmsg_type = request type, pid 0; uevent type @0 = request type. */
const reply = (type: number, ...places: Place[]): Buffer => nlmsg({ type }, uevent(u32(0, type), u64(8, H), ...places));
/** A multicast: nlmsg_type 0, padded to 4 like the kernel's skb. */
const mcast = (type: number, places: Place[], data: Buffer = Buffer.alloc(0)): Buffer =>
  nlmsg({ type: 0 }, Buffer.concat([uevent(u32(0, type), u64(8, H), ...places), data]), true);

function one(buf: Buffer): KernelMessage {
  const msgs = decodeKernelDatagram(buf);
  expect(msgs).toHaveLength(1);
  return msgs[0]!;
}

describe('replies (reply union r)', () => {
  it('CREATE_SESSION -> c_session_ret {sid @40, host_no @44}', () => {
    expect(one(reply(11, u32(16, 0), u16(20, 128), u16(22, 32), u32(40, 5), u32(44, 7)))).toMatchObject({ kind: 'reply', request: 'createSession', sid: 5, hostNo: 7, transportHandle: H });
  });

  it('CREATE_BOUND_SESSION -> c_session_ret', () => {
    expect(one(reply(28, u64(16, 3), u32(40, 6), u32(44, 8)))).toMatchObject({ request: 'createBoundSession', sid: 6, hostNo: 8 });
  });

  it('an old kernel\'s creation event typed ISCSI_UEVENT_CREATE_SESSION (11) decodes as c_session_ret too', () => {
    expect(one(mcast(11, [u32(40, 12), u32(44, 3)]))).toMatchObject({ kind: 'reply', request: 'createSession', sid: 12, hostNo: 3, header: { type: 0 } });
  });

  it('CREATE_CONN -> c_conn_ret {sid @40, cid @44}', () => {
    expect(one(reply(13, u32(16, 5), u32(40, 5), u32(44, 0)))).toMatchObject({ request: 'createConn', sid: 5, cid: 0 });
  });

  it('TRANSPORT_EP_CONNECT(_THROUGH_HOST) -> ep_connect_ret.handle u64 @40', () => {
    expect(one(reply(22, u64(40, 0x1234567890abcdefn)))).toMatchObject({ request: 'epConnect', handle: 0x1234567890abcdefn });
    expect(one(reply(29, u64(40, 2)))).toMatchObject({ request: 'epConnectThroughHost', handle: 2n });
  });

  it.each([
    [15, 'bindConn', -22], [17, 'startConn', 0], [17, 'startConn', -17], [19, 'sendPdu', 0], [23, 'epPoll', 1],
    [16, 'setParam', 0], [12, 'destroySession', 0], [18, 'stopConn', 0], [27, 'unbindSession', 0],
  ] as const)('type %i (%s) -> retcode i32 @40 = %i', (type, request, rc) => {
    expect(one(reply(type, i32(40, rc)))).toMatchObject({ kind: 'reply', request, retcode: rc });
  });

  it('NEW_FLASHNODE -> new_flashnode_ret.flashnode_idx @40', () => {
    expect(one(reply(36, u32(16, 5), u32(40, 9)))).toMatchObject({ request: 'newFlashnode', flashnodeIdx: 9 });
  });
});

describe('multicast data replies', () => {
  it('GET_STATS: u.get_stats {sid, cid} + iscsi_stats (96) + custom (72 each)', () => {
    const counters = Array.from({ length: 19 }, (_, i) => u32(16 + i * 4, 1000 + i));
    const stats = struct(96 + 2 * 72, u64(0, 0x1_0000_0001n), u64(8, 42), ...counters, u32(92, 2),
      text(96, 'rx_discontiguous'), u64(96 + 64, 7), text(168, 'eh_abort_cnt'), u64(168 + 64, 2n ** 63n));
    const m = one(mcast(20, [u32(16, 4), u32(20, 0)], stats));
    expect(m).toMatchObject({ kind: 'reply', request: 'getStats', sid: 4, cid: 0 });
    if (m.kind !== 'reply' || m.request !== 'getStats') throw new Error('unreachable');
    expect(m.stats.txdata_octets).toBe(0x1_0000_0001n);
    expect(m.stats.rxdata_octets).toBe(42n);
    expect(m.stats.noptx_pdus).toBe(1000);
    expect(m.stats.snack_pdus).toBe(1007);
    expect(m.stats.noprx_pdus).toBe(1008);
    expect(m.stats.rjt_pdus).toBe(1016);
    expect(m.stats.digest_err).toBe(1017);
    expect(m.stats.timeout_err).toBe(1018);
    expect(m.custom).toEqual([{ desc: 'rx_discontiguous', value: 7n }, { desc: 'eh_abort_cnt', value: 2n ** 63n }]);
  });

  it('GET_HOST_STATS: 82 u64 counters in structure order, custom_length @656, custom @664', () => {
    const counters = Array.from({ length: 82 }, (_, i) => u64(i * 8, 100 + i));
    const body = struct(664 + 72, ...counters, u32(656, 1), text(664, 'fw_resets'), u64(664 + 64, 3));
    const m = one(mcast(42, [u32(16, 6)], body));
    if (m.kind !== 'reply' || m.request !== 'getHostStats') throw new Error(`unexpected ${m.kind}`);
    expect(m.hostNo).toBe(6);
    expect(m.stats.mactx_frames).toBe(100n);
    expect(m.stats.macrx_broadcast_frames).toBe(131n); // 32nd MAC counter
    expect(m.stats.iptx_packets).toBe(132n);
    expect(m.stats.tcptx_segments).toBe(156n);
    expect(m.stats.ecc_error_correction).toBe(171n);
    expect(m.stats.iscsi_sequence_error).toBe(181n);
    expect(HOST_STATS_FIELDS).toHaveLength(82);
    expect(m.custom).toEqual([{ desc: 'fw_resets', value: 3n }]);
  });

  it('GET_CHAP: u.get_chap.num_entries (@20) valid records of 524 bytes out of the requested slots', () => {
    const rec = (idx: number, type: number, user: string, pass: string): Buffer =>
      struct(524, u16(0, idx), u32(4, type), text(8, user), text(264, pass), u8(520, pass.length));
    const data = Buffer.concat([rec(0, 0, 'alice', 'secret12345678'), rec(1, 1, 'tgt', 'mutual'), Buffer.alloc(524)]);
    const m = one(mcast(33, [u32(16, 6), u32(20, 2), u16(24, 0)], data));
    if (m.kind !== 'reply' || m.request !== 'getChap') throw new Error(`unexpected ${m.kind}`);
    expect(m.numEntries).toBe(2);
    expect(m.entries.map((e) => ({ ...e, password: e.password.toString() }))).toEqual([
      { chapTblIdx: 0, type: 'out', username: 'alice', password: 'secret12345678' },
      { chapTblIdx: 1, type: 'in', username: 'tgt', password: 'mutual' },
    ]);
  });
});

describe('IF_ERROR', () => {
  it('type 103 with iferror -errno @4; the request comes from nlmsg_type', () => {
    const m = one(nlmsg({ type: 16 }, uevent(u32(0, 103), i32(4, -38), u64(8, H), u32(16, 1), u32(24, 30))));
    expect(m).toMatchObject({ kind: 'ifError', requestType: 16, request: 'setParam', errno: -38 });
  });
});

describe('events (ISCSI_KEVENT_*)', () => {
  it('RECV_PDU: recv_req {sid, cid, recv_handle u64 @48} + 48-byte BHS + DataSegmentLength bytes', () => {
    const bhs = struct(48, u8(0, 0x23), raw(5, [0, 0, 5]));
    const m = one(mcast(101, [u32(40, 4), u32(44, 0), u64(48, 0)], Buffer.concat([bhs, Buffer.from('ABCDE')])));
    expect(m).toMatchObject({ kind: 'event', event: 'recvPdu', sid: 4, cid: 0, recvHandle: 0n });
    if (m.kind !== 'event' || m.event !== 'recvPdu') throw new Error('unreachable');
    expect(m.bhs.toString('hex')).toBe(bhs.toString('hex'));
    expect(m.data.toString()).toBe('ABCDE');
  });

  it.each([
    ['CONN_ERROR connerror {sid, cid, error @48}', 102, [u32(40, 4), u32(44, 0), u32(48, 1020)], { event: 'connError', sid: 4, cid: 0, error: 1020 }],
    ['DESTROY_SESSION d_session {host_no @40, sid @44} (host first)', 104, [u32(40, 7), u32(44, 4)], { event: 'destroySession', hostNo: 7, sid: 4 }],
    ['UNBIND_SESSION unbind_session {sid @40, host_no @44}', 105, [u32(40, 4), u32(44, 7)], { event: 'unbindSession', sid: 4, hostNo: 7 }],
    ['CREATE_SESSION c_session_ret {sid, host_no}', 106, [u32(40, 4), u32(44, 7)], { event: 'createSession', sid: 4, hostNo: 7 }],
    ['IF_DOWN notify_if_down {host_no @40}', 108, [u32(40, 9)], { event: 'ifDown', hostNo: 9 }],
    ['CONN_LOGIN_STATE conn_login {sid, cid, state @48}', 109, [u32(40, 4), u32(44, 0), u32(48, 3)], { event: 'connLoginState', sid: 4, cid: 0, state: 3 }],
  ] as const)('%s', (_t, type, places, expected) => {
    expect(one(mcast(type, [...places]))).toMatchObject({ kind: 'event', ...expected });
  });

  it('HOST_EVENT host_event {host_no @40, data_size @44, code @48} + data', () => {
    const m = one(mcast(110, [u32(40, 9), u32(44, 3), u32(48, 2)], Buffer.from([1, 2, 3])));
    expect(m).toMatchObject({ event: 'hostEvent', hostNo: 9, code: 2 });
    if (m.kind === 'event' && m.event === 'hostEvent') expect([...m.data]).toEqual([1, 2, 3]);
  });

  it('PING_COMP ping_comp {host_no, status @44, pid @48, data_size @52}', () => {
    expect(one(mcast(111, [u32(40, 9), u32(44, 4), u32(48, 0xbeef), u32(52, 0)]))).toMatchObject({ event: 'pingComp', hostNo: 9, status: 4, pingId: 0xbeef });
  });

  it('PATH_REQ req_path {host_no @40} + iscsi_path (64)', () => {
    const path = struct(64, u64(0, 77), raw(8, [0, 0x10, 0x18, 1, 2, 3]), u32(20, 16), raw(24, [0xfe, 0x80, ...Array<number>(13).fill(0), 2]),
      raw(40, [0xfe, 0x80, ...Array<number>(13).fill(0), 1]), u16(56, 0), u16(58, 9000));
    const m = one(mcast(107, [u32(40, 9)], path));
    expect(m).toMatchObject({ event: 'pathReq', hostNo: 9, path: { handle: 77n, family: 'ipv6', src: 'fe80::2', dst: 'fe80::1', pmtu: 9000 } });
  });
});

describe('unknown types are typed, not errors', () => {
  it.each([
    [150, false], [112, false], [21, true], [44, false], [0, false],
  ])('type %i -> unknown (inRange %s)', (type, inRange) => {
    expect(one(mcast(type, []))).toMatchObject({ kind: 'unknown', type, inRange });
  });
});

describe('datagrams and the reader', () => {
  it('splits several 4-aligned messages of one datagram', () => {
    const dgram = Buffer.concat([mcast(102, [u32(40, 1), u32(44, 0), u32(48, 1011)]), mcast(101, [u32(40, 1)], struct(49, raw(5, [0, 0, 1]))), mcast(108, [u32(40, 2)])]);
    expect(decodeKernelDatagram(dgram).map((m) => (m.kind === 'event' ? m.event : m.kind))).toEqual(['connError', 'recvPdu', 'ifDown']);
  });

  it('counts unknown and malformed messages and keeps the good ones', () => {
    const reader = new KernelMessageReader();
    const truncated = nlmsg({ type: 0 }, Buffer.alloc(40));
    const r = reader.read(Buffer.concat([mcast(150, []), truncated, mcast(108, [u32(40, 2)])]));
    expect(r.messages.map((m) => m.kind)).toEqual(['unknown', 'event']);
    expect(r.errors.map((e) => e.code)).toEqual(['UEVENT_TRUNCATED']);
    expect(reader.counters).toEqual({ messages: 2, unknown: 1, malformed: 1 });
  });
});
