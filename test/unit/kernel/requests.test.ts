/**
 * Golden bytes of every ISCSI_UEVENT_* request. Expected messages come from the
 * independent DSL (test/support/fake-kernel/dsl.ts) with offsets copied from
 * reference open-iscsi.md §3.3, never from the encoder.
 */
import { describe, expect, it } from 'vitest';
import { encodeRequest, REQUEST_TYPE, type UeventRequest } from '../../../src/transport/kernel/codec.js';
import { be16, nlmsg, raw, sockaddrIn, sockaddrIn6, struct, text, u16, u32, u64, u8, uevent, type Place } from '../../support/fake-kernel/dsl.js';

const H = 0xffffffffc0a01000n;
const PID = 1234;

/** nlmsghdr(type, pid) + uevent(type @0, handle @8, places) + payload. */
function golden(type: number, places: Place[], payload: Buffer = Buffer.alloc(0)): Buffer {
  return nlmsg({ type, pid: PID }, Buffer.concat([uevent(u32(0, type), u64(8, H), ...places), payload]));
}

const hex = (b: Buffer): string => b.toString('hex');
const enc = (r: UeventRequest): Buffer => encodeRequest(r, { transportHandle: H, pid: PID });
const ADDR4 = { host: '192.168.77.1', port: 3260 };
const SA4 = sockaddrIn([192, 168, 77, 1], 3260);

/** [title, request, expected bytes] for every request kind. */
const CASES: [string, UeventRequest, Buffer][] = [
  ['CREATE_SESSION c_session {initial_cmdsn @16, cmds_max u16 @20, queue_depth u16 @22}',
    { kind: 'createSession', initialCmdSn: 0x01020304, cmdsMax: 128, queueDepth: 32 },
    golden(11, [u32(16, 0x01020304), u16(20, 128), u16(22, 32)])],
  ['CREATE_BOUND_SESSION c_bound_session {ep_handle u64 @16, initial_cmdsn @24, cmds_max @28, queue_depth @30}',
    { kind: 'createBoundSession', epHandle: 0x1122334455667788n, initialCmdSn: 1, cmdsMax: 32, queueDepth: 1 },
    golden(28, [u64(16, 0x1122334455667788n), u32(24, 1), u16(28, 32), u16(30, 1)])],
  ['DESTROY_SESSION d_session {sid @16}', { kind: 'destroySession', sid: 7 }, golden(12, [u32(16, 7)])],
  ['DESTROY_SESSION_ASYNC uses d_session {sid @16}', { kind: 'destroySessionAsync', sid: 9 }, golden(43, [u32(16, 9)])],
  ['UNBIND_SESSION uses d_session {sid @16}', { kind: 'unbindSession', sid: 3 }, golden(27, [u32(16, 3)])],
  ['CREATE_CONN c_conn {sid @16, cid @20}', { kind: 'createConn', sid: 3, cid: 0 }, golden(13, [u32(16, 3), u32(20, 0)])],
  ['DESTROY_CONN d_conn {sid @16, cid @20}', { kind: 'destroyConn', sid: 3, cid: 1 }, golden(14, [u32(16, 3), u32(20, 1)])],
  ['BIND_CONN b_conn {sid, cid, transport_eph u64 @24, is_leading @32}',
    { kind: 'bindConn', sid: 3, cid: 0, transportEph: 17n, isLeading: true },
    golden(15, [u32(16, 3), u32(20, 0), u64(24, 17), u32(32, 1)])],
  ['SET_PARAM set_param {sid, cid, param @24, len @28 counting the NUL} + value + NUL',
    { kind: 'setParam', sid: 3, cid: 0, param: 15, value: 'iqn.2003-01.org.x:t1' },
    golden(16, [u32(16, 3), u32(20, 0), u32(24, 15), u32(28, 21)], Buffer.from('iqn.2003-01.org.x:t1\0', 'latin1'))],
  ['START_CONN start_conn {sid, cid}', { kind: 'startConn', sid: 3, cid: 0 }, golden(17, [u32(16, 3), u32(20, 0)])],
  ['STOP_CONN with STOP_CONN_RECOVER: flag @32 = 3', { kind: 'stopConn', sid: 3, cid: 0, flag: 'recover' }, golden(18, [u32(16, 3), u32(20, 0), u32(32, 3)])],
  ['STOP_CONN with STOP_CONN_TERM: flag = 1, conn_handle u64 @24', { kind: 'stopConn', sid: 3, cid: 0, flag: 'term', connHandle: 5n },
    golden(18, [u32(16, 3), u32(20, 0), u64(24, 5), u32(32, 1)])],
  ['SEND_PDU send_pdu {sid, cid, hdr_size @24, data_size @28} + BHS + data',
    { kind: 'sendPdu', sid: 3, cid: 0, header: Buffer.alloc(48, 0x43), data: Buffer.from('AuthMethod=None\0', 'latin1') },
    golden(19, [u32(16, 3), u32(20, 0), u32(24, 48), u32(28, 16)], Buffer.concat([Buffer.alloc(48, 0x43), Buffer.from('AuthMethod=None\0', 'latin1')]))],
  ['GET_STATS get_stats {sid, cid}', { kind: 'getStats', sid: 3, cid: 0 }, golden(20, [u32(16, 3), u32(20, 0)])],
  ['TRANSPORT_EP_CONNECT ep_connect {non_blocking @16} + sockaddr_in (16)',
    { kind: 'epConnect', address: ADDR4, nonBlocking: true }, golden(22, [u32(16, 1)], SA4)],
  ['TRANSPORT_EP_CONNECT + sockaddr_in6 (28) with scope id',
    { kind: 'epConnect', address: { host: 'fe80::1', port: 3260, scopeId: 2 }, nonBlocking: false },
    golden(22, [], sockaddrIn6([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 3260, 2))],
  ['TRANSPORT_EP_CONNECT_THROUGH_HOST {host_no @16, non_blocking @20} + sockaddr',
    { kind: 'epConnectThroughHost', hostNo: 4, address: ADDR4, nonBlocking: true }, golden(29, [u32(16, 4), u32(20, 1)], SA4)],
  ['TRANSPORT_EP_POLL ep_poll {ep_handle u64 @16, timeout_ms @24}', { kind: 'epPoll', epHandle: 0x42n, timeoutMs: 1 }, golden(23, [u64(16, 0x42), u32(24, 1)])],
  ['TRANSPORT_EP_DISCONNECT ep_disconnect {ep_handle u64 @16}', { kind: 'epDisconnect', epHandle: 0x42n }, golden(24, [u64(16, 0x42)])],
  ['TGT_DSCVR tgt_dscvr {type @16 (1 SEND_TARGETS), host_no @20, enable @24} + sockaddr',
    { kind: 'tgtDscvr', discovery: 'sendtargets', hostNo: 5, enable: true, address: ADDR4 }, golden(25, [u32(16, 1), u32(20, 5), u32(24, 1)], SA4)],
  ['SET_HOST_PARAM set_host_param {host_no @16, param @20, len @24} + value + NUL',
    { kind: 'setHostParam', hostNo: 5, param: 2, value: 'eth1' }, golden(26, [u32(16, 5), u32(20, 2), u32(24, 5)], Buffer.from('eth1\0', 'latin1'))],
  ['PATH_UPDATE set_path {host_no @16} + iscsi_path (64)',
    {
      kind: 'pathUpdate', hostNo: 5,
      path: { handle: 9n, macAddr: Buffer.from([1, 2, 3, 4, 5, 6]), macAddrOld: Buffer.alloc(6), family: 'ipv4', src: '10.0.0.2', dst: '10.0.0.1', vlanId: 100, pmtu: 1500 },
    },
    golden(30, [u32(16, 5)], struct(64, u64(0, 9), raw(8, [1, 2, 3, 4, 5, 6]), u32(20, 4), raw(24, [10, 0, 0, 2]), raw(40, [10, 0, 0, 1]), u16(56, 100), u16(58, 1500)))],
  ['SET_IFACE_PARAMS set_iface_params {host_no, count @20} + nlattr(iscsi_iface_param_info)',
    { kind: 'setIfaceParams', hostNo: 5, params: [{ ifaceNum: 0, ifaceType: 'ipv4', param: 1, paramType: 'net', value: Buffer.from([10, 0, 0, 2]) }] },
    golden(31, [u32(16, 5), u32(20, 1)], struct(20, u16(0, 20), u16(2, 1), u32(4, 0), u32(8, 4), u16(12, 1), u8(14, 1), u8(15, 2), raw(16, [10, 0, 0, 2])))],
  ['PING iscsi_ping {host_no, iface_num @20, iface_type @24, payload_size @28, pid @32} + sockaddr',
    { kind: 'ping', hostNo: 5, ifaceNum: 1, ifaceType: 'ipv4', payloadSize: 56, pingId: 0xdead, address: ADDR4 },
    golden(32, [u32(16, 5), u32(20, 1), u32(24, 1), u32(28, 56), u32(32, 0xdead)], SA4)],
  ['GET_CHAP get_chap {host_no, num_entries @20, chap_tbl_idx u16 @24}',
    { kind: 'getChap', hostNo: 5, numEntries: 128, chapTblIdx: 0 }, golden(33, [u32(16, 5), u32(20, 128), u16(24, 0)])],
  ['DELETE_CHAP delete_chap {host_no, chap_tbl_idx u16 @20}', { kind: 'deleteChap', hostNo: 5, chapTblIdx: 3 }, golden(34, [u32(16, 5), u16(20, 3)])],
  ['SET_CHAP {host_no @16} + 5 nlattr(iscsi_param_info): INDEX u16, TYPE u8, USERNAME, PASSWORD, PASSWORD_LEN',
    { kind: 'setChap', hostNo: 5, entry: { index: 3, type: 'in', username: 'bob', password: 'secretsecret' } },
    golden(41, [u32(16, 5)], Buffer.concat([
      struct(12, u16(0, 12), u16(2, 0), u32(4, 2), u16(8, 0), u16(10, 3)),
      struct(12, u16(0, 11), u16(2, 1), u32(4, 1), u16(8, 1), u8(10, 1)),
      struct(16, u16(0, 14), u16(2, 2), u32(4, 4), u16(8, 2), text(10, 'bob')),
      struct(24, u16(0, 22), u16(2, 3), u32(4, 12), u16(8, 3), text(10, 'secretsecret')),
      struct(12, u16(0, 11), u16(2, 4), u32(4, 1), u16(8, 4), u8(10, 12)),
    ]))],
  ['SET_FLASHNODE_PARAMS set_flashnode {host_no, flashnode_idx @20, count @24} + nlattr(iscsi_flashnode_param_info)',
    { kind: 'setFlashnodeParams', hostNo: 5, flashnodeIdx: 2, params: [{ param: 32, value: Buffer.from([0x0c, 0xbc]) }] },
    golden(35, [u32(16, 5), u32(20, 2), u32(24, 1)], struct(12, u16(0, 12), u16(2, 32), u32(4, 2), u16(8, 32), raw(10, [0x0c, 0xbc])))],
  ['NEW_FLASHNODE new_flashnode {host_no, len @20} + "ipv4" + NUL',
    { kind: 'newFlashnode', hostNo: 5, portalType: 'ipv4' }, golden(36, [u32(16, 5), u32(20, 5)], Buffer.from('ipv4\0', 'latin1'))],
  ['DEL_FLASHNODE {host_no, flashnode_idx}', { kind: 'delFlashnode', hostNo: 5, flashnodeIdx: 2 }, golden(37, [u32(16, 5), u32(20, 2)])],
  ['LOGIN_FLASHNODE {host_no, flashnode_idx}', { kind: 'loginFlashnode', hostNo: 5, flashnodeIdx: 2 }, golden(38, [u32(16, 5), u32(20, 2)])],
  ['LOGOUT_FLASHNODE {host_no, flashnode_idx}', { kind: 'logoutFlashnode', hostNo: 5, flashnodeIdx: 2 }, golden(39, [u32(16, 5), u32(20, 2)])],
  ['LOGOUT_FLASHNODE_SID {host_no, sid @20}', { kind: 'logoutFlashnodeSid', hostNo: 5, sid: 11 }, golden(40, [u32(16, 5), u32(20, 11)])],
  ['GET_HOST_STATS get_host_stats {host_no @16}', { kind: 'getHostStats', hostNo: 5 }, golden(42, [u32(16, 5)])],
];

describe('NETLINK_ISCSI request encoder (golden bytes, reference §3.3)', () => {
  it.each(CASES)('%s', (_title, request, expected) => {
    expect(hex(enc(request))).toBe(hex(expected));
  });

  it('covers every request kind of the encoder', () => {
    const kinds = [...new Set(CASES.map(([, r]) => r.kind))].sort();
    expect(kinds).toEqual(Object.keys(REQUEST_TYPE).sort());
    expect(kinds).toHaveLength(32); // ISCSI_UEVENT_CREATE_SESSION..DESTROY_SESSION_ASYNC minus GET_PARAM
  });

  it('writes nlmsg_len = 16 + 56 + payload without trailing padding, nlmsg_seq when given', () => {
    const m = encodeRequest({ kind: 'setParam', sid: 1, cid: 0, param: 16, value: '1' }, { transportHandle: H, pid: PID, seq: 77 });
    expect(m.length).toBe(16 + 56 + 2);
    expect(m.readUInt32LE(0)).toBe(74);
    expect(m.readUInt32LE(8)).toBe(77);
  });

  it('encodes a sockaddr_in port big-endian and the family in host order', () => {
    const m = enc({ kind: 'epConnect', address: { host: '10.1.2.3', port: 3261 }, nonBlocking: true });
    expect(hex(m.subarray(72))).toBe(hex(struct(16, u16(0, 2), be16(2, 3261), raw(4, [10, 1, 2, 3]))));
  });

  it('encodes an IPv4-mapped IPv6 portal', () => {
    const m = enc({ kind: 'epConnect', address: { host: '::ffff:10.0.0.1', port: 3260 }, nonBlocking: true });
    expect(hex(m.subarray(72))).toBe(hex(sockaddrIn6([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1], 3260)));
  });

  it.each([
    ['a sid beyond u32', { kind: 'destroySession', sid: 2 ** 32 } as UeventRequest],
    ['a negative cid', { kind: 'createConn', sid: 1, cid: -1 } as UeventRequest],
    ['cmds_max beyond u16', { kind: 'createSession', initialCmdSn: 0, cmdsMax: 70000, queueDepth: 1 } as UeventRequest],
    ['a SET_PARAM value with a NUL', { kind: 'setParam', sid: 1, cid: 0, param: 15, value: 'a\0b' } as UeventRequest],
    ['a host name instead of an address', { kind: 'epConnect', address: { host: 'target.example', port: 3260 }, nonBlocking: true } as UeventRequest],
  ])('refuses %s with a typed error', (_t, request) => {
    expect(() => enc(request)).toThrow(expect.objectContaining({ code: expect.stringMatching(/^KERNEL_(REQUEST_INVALID|BAD_ADDRESS)$/) }));
  });
});
