/**
 * Decoder of every kernel → user message: unicast replies to our requests (the
 * uevent sent back with `r` filled in), multicast replies carrying data
 * (GET_STATS, GET_CHAP, GET_HOST_STATS), ISCSI_KEVENT_IF_ERROR and the
 * asynchronous ISCSI_KEVENT_* events (reference §3.2, §3.3).
 *
 * Reply union `r` (absolute offsets): retcode i32 @40 · c_session_ret {sid @40,
 * host_no @44} · c_conn_ret {sid @40, cid @44} · unbind_session {sid @40,
 * host_no @44} · recv_req {sid @40, cid @44, recv_handle u64 @48} · conn_login
 * {sid, cid, state @48} · connerror {sid, cid, error @48} · d_session {host_no @40,
 * sid @44} · ep_connect_ret {handle u64 @40} · req_path / notify_if_down {host_no @40}
 * · host_event {host_no, data_size @44, code @48} · ping_comp {host_no, status @44,
 * pid @48, data_size @52} · new_flashnode_ret {flashnode_idx @40}.
 *
 * The message kind follows the uevent `type` (the kernel sets nlmsg_type to the
 * request type on unicast replies and to 0 on multicasts). Unknown types are not
 * errors: they come back as `{ kind: 'unknown' }` (other programs may share the socket).
 */
import { ProtocolError } from '../../shared/errors.js';
import type { SessionStats } from '../../iscsi/stats.js';
import { ISCSI_HDR_SIZE, KEV, KEVENT_BASE, KEVENT_MAX, UEVENT_MAX, UEVENT_SIZE } from './abi.js';
import { splitNetlinkDatagram, type NlMsg, type NlMsgHeader } from './netlink.js';
import { decodeIscsiPath, type IscsiPath } from './payloads.js';
import { requestKindOf, type RequestKind } from './requests.js';
import { decodeChapRecords, decodeHostStats, decodeIscsiStats, type ChapRecord, type CustomStat, type HostStats } from './stats.js';

interface Common {
  header: NlMsgHeader;
  transportHandle: bigint;
}
type RetcodeRequest = Exclude<RequestKind, 'createSession' | 'createBoundSession' | 'createConn' | 'epConnect' | 'epConnectThroughHost' | 'getStats' | 'getChap' | 'getHostStats' | 'newFlashnode'>;

/** A successful reply; `request` says which request it answers. */
export type KernelReply = Common & { kind: 'reply' } & (
  | { request: 'createSession' | 'createBoundSession'; sid: number; hostNo: number }
  | { request: 'createConn'; sid: number; cid: number }
  | { request: 'epConnect' | 'epConnectThroughHost'; handle: bigint }
  | { request: 'getStats'; sid: number; cid: number; stats: SessionStats; custom: CustomStat[] }
  | { request: 'getChap'; hostNo: number; chapTblIdx: number; numEntries: number; entries: ChapRecord[] }
  | { request: 'getHostStats'; hostNo: number; stats: HostStats; custom: CustomStat[] }
  | { request: 'newFlashnode'; flashnodeIdx: number }
  | { request: RetcodeRequest; retcode: number }
);

/** An asynchronous kernel event. */
export type KernelEvent = Common & { kind: 'event' } & (
  | { event: 'recvPdu'; sid: number; cid: number; recvHandle: bigint; bhs: Buffer; data: Buffer }
  | { event: 'connError'; sid: number; cid: number; error: number }
  | { event: 'destroySession'; hostNo: number; sid: number }
  | { event: 'unbindSession'; sid: number; hostNo: number }
  | { event: 'createSession'; sid: number; hostNo: number }
  | { event: 'pathReq'; hostNo: number; path: IscsiPath | undefined }
  | { event: 'ifDown'; hostNo: number }
  | { event: 'connLoginState'; sid: number; cid: number; state: number }
  | { event: 'hostEvent'; hostNo: number; code: number; data: Buffer }
  | { event: 'pingComp'; hostNo: number; status: number; pingId: number; data: Buffer }
);

/** A refused request: `requestType` from nlmsg_type, `errno` negative (e.g. -38). */
export type KernelIfError = Common & { kind: 'ifError'; requestType: number; request: RequestKind | undefined; errno: number };

/** A type we do not know. `inRange`: within the types known to us (another app's message). */
export type KernelUnknown = Common & { kind: 'unknown'; type: number; inRange: boolean };

export type KernelMessage = KernelReply | KernelEvent | KernelIfError | KernelUnknown;

function trailing(payload: Buffer, size: number, where: string): Buffer {
  const rest = payload.subarray(UEVENT_SIZE);
  if (rest.length < size) {
    throw new ProtocolError('UEVENT_PAYLOAD_TRUNCATED', `${where} announces ${size} bytes after the uevent, ${rest.length} present`, { where });
  }
  return Buffer.from(rest.subarray(0, size));
}

/** RECV_PDU: 48-byte BHS (struct iscsi_hdr, no AHS) then DataSegmentLength (BHS bytes 5-7, big-endian) data bytes. */
function recvPdu(c: Common, p: Buffer): KernelEvent {
  const pdu = p.subarray(UEVENT_SIZE);
  if (pdu.length < ISCSI_HDR_SIZE) {
    throw new ProtocolError('UEVENT_PAYLOAD_TRUNCATED', `RECV_PDU carries ${pdu.length} bytes, the BHS needs ${ISCSI_HDR_SIZE}`, { where: 'recv_pdu.bhs' });
  }
  const dsl = pdu.readUIntBE(5, 3);
  const data = pdu.subarray(ISCSI_HDR_SIZE);
  if (data.length < dsl) {
    throw new ProtocolError('UEVENT_PAYLOAD_TRUNCATED', `RECV_PDU DataSegmentLength ${dsl} but ${data.length} data bytes`, { where: 'recv_pdu.data' });
  }
  return {
    ...c, kind: 'event', event: 'recvPdu', sid: p.readUInt32LE(40), cid: p.readUInt32LE(44), recvHandle: p.readBigUInt64LE(48),
    bhs: Buffer.from(pdu.subarray(0, ISCSI_HDR_SIZE)), data: Buffer.from(data.subarray(0, dsl)),
  };
}

function decodeEvent(type: number, c: Common, p: Buffer): KernelEvent | undefined {
  const u32 = (at: number): number => p.readUInt32LE(at);
  const ev = { ...c, kind: 'event' as const };
  switch (type) {
    case KEV.RECV_PDU: return recvPdu(c, p);
    case KEV.CONN_ERROR: return { ...ev, event: 'connError', sid: u32(40), cid: u32(44), error: u32(48) };
    case KEV.DESTROY_SESSION: return { ...ev, event: 'destroySession', hostNo: u32(40), sid: u32(44) };
    case KEV.UNBIND_SESSION: return { ...ev, event: 'unbindSession', sid: u32(40), hostNo: u32(44) };
    case KEV.CREATE_SESSION: return { ...ev, event: 'createSession', sid: u32(40), hostNo: u32(44) };
    case KEV.PATH_REQ: {
      const rest = p.subarray(UEVENT_SIZE);
      return { ...ev, event: 'pathReq', hostNo: u32(40), path: rest.length === 0 ? undefined : decodeIscsiPath(rest, 'path_req.iscsi_path') };
    }
    case KEV.IF_DOWN: return { ...ev, event: 'ifDown', hostNo: u32(40) };
    case KEV.CONN_LOGIN_STATE: return { ...ev, event: 'connLoginState', sid: u32(40), cid: u32(44), state: u32(48) };
    case KEV.HOST_EVENT: return { ...ev, event: 'hostEvent', hostNo: u32(40), code: u32(48), data: trailing(p, u32(44), 'host_event.data_size') };
    case KEV.PING_COMP:
      return { ...ev, event: 'pingComp', hostNo: u32(40), status: u32(44), pingId: u32(48), data: trailing(p, u32(52), 'ping_comp.data_size') };
    default: return undefined;
  }
}

function decodeReply(kind: RequestKind, c: Common, p: Buffer): KernelReply {
  const u32 = (at: number): number => p.readUInt32LE(at);
  const r = { ...c, kind: 'reply' as const };
  switch (kind) {
    case 'createSession':
    case 'createBoundSession': return { ...r, request: kind, sid: u32(40), hostNo: u32(44) };
    case 'createConn': return { ...r, request: kind, sid: u32(40), cid: u32(44) };
    case 'epConnect':
    case 'epConnectThroughHost': return { ...r, request: kind, handle: p.readBigUInt64LE(40) };
    case 'getStats': return { ...r, request: kind, sid: u32(16), cid: u32(20), ...decodeIscsiStats(p.subarray(UEVENT_SIZE)) };
    case 'getHostStats': return { ...r, request: kind, hostNo: u32(16), ...decodeHostStats(p.subarray(UEVENT_SIZE)) };
    case 'getChap': {
      const numEntries = u32(20);
      return { ...r, request: kind, hostNo: u32(16), chapTblIdx: p.readUInt16LE(24), numEntries, entries: decodeChapRecords(p.subarray(UEVENT_SIZE), numEntries) };
    }
    case 'newFlashnode': return { ...r, request: kind, flashnodeIdx: u32(40) };
    default: return { ...r, request: kind, retcode: p.readInt32LE(40) };
  }
}

/** Decodes one netlink message from the kernel. Only ProtocolError can be thrown. */
export function decodeKernelMessage(msg: NlMsg): KernelMessage {
  const p = msg.payload;
  if (p.length < UEVENT_SIZE) {
    throw new ProtocolError('UEVENT_TRUNCATED', `message carries ${p.length} bytes, struct iscsi_uevent needs ${UEVENT_SIZE}`, { where: 'iscsi_uevent' });
  }
  const type = p.readUInt32LE(0);
  const c: Common = { header: msg.header, transportHandle: p.readBigUInt64LE(8) };
  if (type === KEV.IF_ERROR) {
    return { ...c, kind: 'ifError', requestType: msg.header.type, request: requestKindOf(msg.header.type), errno: p.readInt32LE(4) };
  }
  const event = decodeEvent(type, c, p);
  if (event !== undefined) return event;
  const request = type <= UEVENT_MAX ? requestKindOf(type) : undefined;
  if (request !== undefined) return decodeReply(request, c, p);
  const inRange = (type > 0 && type <= UEVENT_MAX) || (type > KEVENT_BASE && type <= KEVENT_MAX);
  return { ...c, kind: 'unknown', type, inRange };
}

/** Splits a datagram and decodes each message (ProtocolError on malformed bytes). */
export function decodeKernelDatagram(buf: Buffer): KernelMessage[] {
  return splitNetlinkDatagram(buf).map(decodeKernelMessage);
}

