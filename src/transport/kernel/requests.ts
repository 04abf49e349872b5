/**
 * Encoder of every user → kernel request (ISCSI_UEVENT_*), reference §3.2/§3.3.
 *
 * Wire form: nlmsghdr (16 bytes, nlmsg_type = uevent type, flags 0, seq, pid) +
 * `struct iscsi_uevent` (56 bytes) + optional payload, nlmsg_len = 16 + 56 +
 * payload with no trailing padding (as iscsid sends it).
 *
 *   uevent @0 type u32 · @4 iferror u32 (0) · @8 transport_handle u64 ·
 *          @16 request union `u` (24 bytes) · @40 reply union `r` (16 bytes, zero)
 *
 * Each request kind is one row of SPECS: its type and the `u` fields at their
 * absolute offsets, plus the payload that follows the uevent.
 */
import { ConfigError } from '../../shared/errors.js';
import { STOP_CONN_BY_NAME, TGT_DSCVR, UEV, UEVENT_SIZE, type StopConnFlag } from './abi.js';
import { ISCSI_IFACE_TYPE } from './abi-params.js';
import { encodeSockaddr, type SockAddr } from './inet.js';
import { encodeNlMsg } from './netlink.js';
import {
  chapEntryParams, cstringValue, encodeIfaceParams, encodeIscsiPath, encodeParamInfos,
  type ChapEntryInput, type IfaceParamValue, type IscsiPath, type ParamInfoValue,
} from './payloads.js';

interface SidCid { sid: number; cid: number }
type HostIdx = { hostNo: number; flashnodeIdx: number };

/** Every request the daemon can send, discriminated by `kind`. */
export type UeventRequest =
  | { kind: 'createSession'; initialCmdSn: number; cmdsMax: number; queueDepth: number }
  | { kind: 'createBoundSession'; epHandle: bigint; initialCmdSn: number; cmdsMax: number; queueDepth: number }
  | { kind: 'destroySession'; sid: number }
  | { kind: 'destroySessionAsync'; sid: number }
  | { kind: 'unbindSession'; sid: number }
  | ({ kind: 'createConn' } & SidCid)
  | ({ kind: 'destroyConn' } & SidCid)
  | ({ kind: 'bindConn'; transportEph: bigint; isLeading: boolean } & SidCid)
  | ({ kind: 'setParam'; param: number; value: string } & SidCid)
  | ({ kind: 'startConn' } & SidCid)
  | ({ kind: 'stopConn'; flag: StopConnFlag; connHandle?: bigint } & SidCid)
  | ({ kind: 'sendPdu'; header: Buffer; data: Buffer } & SidCid)
  | ({ kind: 'getStats' } & SidCid)
  | { kind: 'epConnect'; address: SockAddr; nonBlocking: boolean }
  | { kind: 'epConnectThroughHost'; hostNo: number; address: SockAddr; nonBlocking: boolean }
  | { kind: 'epPoll'; epHandle: bigint; timeoutMs: number }
  | { kind: 'epDisconnect'; epHandle: bigint }
  | { kind: 'tgtDscvr'; discovery: 'sendtargets' | 'isns' | 'slp'; hostNo: number; enable: boolean; address: SockAddr }
  | { kind: 'setHostParam'; hostNo: number; param: number; value: string }
  | { kind: 'pathUpdate'; hostNo: number; path: IscsiPath }
  | { kind: 'setIfaceParams'; hostNo: number; params: readonly IfaceParamValue[] }
  | { kind: 'ping'; hostNo: number; ifaceNum: number; ifaceType: 'ipv4' | 'ipv6'; payloadSize: number; pingId: number; address: SockAddr }
  | { kind: 'getChap'; hostNo: number; numEntries: number; chapTblIdx: number }
  | { kind: 'deleteChap'; hostNo: number; chapTblIdx: number }
  | { kind: 'setChap'; hostNo: number; entry: ChapEntryInput }
  | ({ kind: 'setFlashnodeParams'; params: readonly ParamInfoValue[] } & HostIdx)
  | { kind: 'newFlashnode'; hostNo: number; portalType: 'ipv4' | 'ipv6' }
  | ({ kind: 'delFlashnode' } & HostIdx)
  | ({ kind: 'loginFlashnode' } & HostIdx)
  | ({ kind: 'logoutFlashnode' } & HostIdx)
  | { kind: 'logoutFlashnodeSid'; hostNo: number; sid: number }
  | { kind: 'getHostStats'; hostNo: number };

export type RequestKind = UeventRequest['kind'];
type Req<K extends RequestKind> = Extract<UeventRequest, { kind: K }>;

type Width = 'u16' | 'u32' | 'u64';
/** [field name, absolute offset in the uevent, width, value]. */
type Field = readonly [string, number, Width, number | bigint];

interface Spec<R> {
  type: number;
  u: (r: R) => readonly Field[];
  payload?: (r: R) => Buffer;
}

const sidCid = (r: SidCid): Field[] => [['sid', 16, 'u32', r.sid], ['cid', 20, 'u32', r.cid]];
const hostIdx = (r: HostIdx): Field[] => [['host_no', 16, 'u32', r.hostNo], ['flashnode_idx', 20, 'u32', r.flashnodeIdx]];
const sid16 = (r: { sid: number }): Field[] => [['sid', 16, 'u32', r.sid]];
const host16 = (r: { hostNo: number }): Field[] => [['host_no', 16, 'u32', r.hostNo]];
const bool = (b: boolean): number => (b ? 1 : 0);
const DSCVR = { sendtargets: TGT_DSCVR.SEND_TARGETS, isns: TGT_DSCVR.ISNS, slp: TGT_DSCVR.SLP } as const;

/** A C string and its `len` (bytes including the NUL), as SET_PARAM/SET_HOST_PARAM send it. */
function valueString(value: string, where: string): Buffer {
  if (value.includes('\0')) throw new ConfigError('KERNEL_REQUEST_INVALID', `${where}: value contains a NUL byte`);
  return cstringValue(value);
}

/** One row per request kind: type, `u` fields at absolute offsets, payload after the uevent. */
const SPECS: { readonly [K in RequestKind]: Spec<Req<K>> } = {
  createSession: { type: UEV.CREATE_SESSION, u: (r) => [['initial_cmdsn', 16, 'u32', r.initialCmdSn], ['cmds_max', 20, 'u16', r.cmdsMax], ['queue_depth', 22, 'u16', r.queueDepth]] },
  createBoundSession: {
    type: UEV.CREATE_BOUND_SESSION,
    u: (r) => [['ep_handle', 16, 'u64', r.epHandle], ['initial_cmdsn', 24, 'u32', r.initialCmdSn], ['cmds_max', 28, 'u16', r.cmdsMax], ['queue_depth', 30, 'u16', r.queueDepth]],
  },
  destroySession: { type: UEV.DESTROY_SESSION, u: sid16 },
  destroySessionAsync: { type: UEV.DESTROY_SESSION_ASYNC, u: sid16 },
  unbindSession: { type: UEV.UNBIND_SESSION, u: sid16 },
  createConn: { type: UEV.CREATE_CONN, u: sidCid },
  destroyConn: { type: UEV.DESTROY_CONN, u: sidCid },
  bindConn: { type: UEV.BIND_CONN, u: (r) => [...sidCid(r), ['transport_eph', 24, 'u64', r.transportEph], ['is_leading', 32, 'u32', bool(r.isLeading)]] },
  setParam: {
    type: UEV.SET_PARAM,
    u: (r) => [...sidCid(r), ['param', 24, 'u32', r.param], ['len', 28, 'u32', valueString(r.value, 'setParam').length]],
    payload: (r) => valueString(r.value, 'setParam'),
  },
  startConn: { type: UEV.START_CONN, u: sidCid },
  stopConn: { type: UEV.STOP_CONN, u: (r) => [...sidCid(r), ['conn_handle', 24, 'u64', r.connHandle ?? 0n], ['flag', 32, 'u32', STOP_CONN_BY_NAME[r.flag]]] },
  sendPdu: {
    type: UEV.SEND_PDU,
    u: (r) => [...sidCid(r), ['hdr_size', 24, 'u32', r.header.length], ['data_size', 28, 'u32', r.data.length]],
    payload: (r) => Buffer.concat([r.header, r.data]),
  },
  getStats: { type: UEV.GET_STATS, u: sidCid },
  epConnect: { type: UEV.TRANSPORT_EP_CONNECT, u: (r) => [['non_blocking', 16, 'u32', bool(r.nonBlocking)]], payload: (r) => encodeSockaddr(r.address) },
  epConnectThroughHost: {
    type: UEV.TRANSPORT_EP_CONNECT_THROUGH_HOST,
    u: (r) => [['host_no', 16, 'u32', r.hostNo], ['non_blocking', 20, 'u32', bool(r.nonBlocking)]],
    payload: (r) => encodeSockaddr(r.address),
  },
  epPoll: { type: UEV.TRANSPORT_EP_POLL, u: (r) => [['ep_handle', 16, 'u64', r.epHandle], ['timeout_ms', 24, 'u32', r.timeoutMs]] },
  epDisconnect: { type: UEV.TRANSPORT_EP_DISCONNECT, u: (r) => [['ep_handle', 16, 'u64', r.epHandle]] },
  tgtDscvr: {
    type: UEV.TGT_DSCVR,
    u: (r) => [['type', 16, 'u32', DSCVR[r.discovery]], ['host_no', 20, 'u32', r.hostNo], ['enable', 24, 'u32', bool(r.enable)]],
    payload: (r) => encodeSockaddr(r.address),
  },
  setHostParam: {
    type: UEV.SET_HOST_PARAM,
    u: (r) => [['host_no', 16, 'u32', r.hostNo], ['param', 20, 'u32', r.param], ['len', 24, 'u32', valueString(r.value, 'setHostParam').length]],
    payload: (r) => valueString(r.value, 'setHostParam'),
  },
  pathUpdate: { type: UEV.PATH_UPDATE, u: host16, payload: (r) => encodeIscsiPath(r.path) },
  setIfaceParams: {
    type: UEV.SET_IFACE_PARAMS,
    u: (r) => [['host_no', 16, 'u32', r.hostNo], ['count', 20, 'u32', r.params.length]],
    payload: (r) => encodeIfaceParams(r.params),
  },
  ping: {
    type: UEV.PING,
    u: (r) => [
      ['host_no', 16, 'u32', r.hostNo], ['iface_num', 20, 'u32', r.ifaceNum],
      ['iface_type', 24, 'u32', r.ifaceType === 'ipv4' ? ISCSI_IFACE_TYPE.IPV4 : ISCSI_IFACE_TYPE.IPV6],
      ['payload_size', 28, 'u32', r.payloadSize], ['pid', 32, 'u32', r.pingId],
    ],
    payload: (r) => encodeSockaddr(r.address),
  },
  getChap: { type: UEV.GET_CHAP, u: (r) => [['host_no', 16, 'u32', r.hostNo], ['num_entries', 20, 'u32', r.numEntries], ['chap_tbl_idx', 24, 'u16', r.chapTblIdx]] },
  deleteChap: { type: UEV.DELETE_CHAP, u: (r) => [['host_no', 16, 'u32', r.hostNo], ['chap_tbl_idx', 20, 'u16', r.chapTblIdx]] },
  // The kernel reads SET_CHAP's host from u.set_path.host_no (@16).
  setChap: { type: UEV.SET_CHAP, u: host16, payload: (r) => encodeParamInfos(chapEntryParams(r.entry)) },
  setFlashnodeParams: {
    type: UEV.SET_FLASHNODE_PARAMS,
    u: (r) => [...hostIdx(r), ['count', 24, 'u32', r.params.length]],
    payload: (r) => encodeParamInfos(r.params),
  },
  newFlashnode: {
    type: UEV.NEW_FLASHNODE,
    u: (r) => [['host_no', 16, 'u32', r.hostNo], ['len', 20, 'u32', cstringValue(r.portalType).length]],
    payload: (r) => cstringValue(r.portalType),
  },
  delFlashnode: { type: UEV.DEL_FLASHNODE, u: hostIdx },
  loginFlashnode: { type: UEV.LOGIN_FLASHNODE, u: hostIdx },
  logoutFlashnode: { type: UEV.LOGOUT_FLASHNODE, u: hostIdx },
  logoutFlashnodeSid: { type: UEV.LOGOUT_FLASHNODE_SID, u: (r) => [['host_no', 16, 'u32', r.hostNo], ['sid', 20, 'u32', r.sid]] },
  getHostStats: { type: UEV.GET_HOST_STATS, u: host16 },
};

/** uevent type of each request kind. */
export const REQUEST_TYPE: Readonly<Record<RequestKind, number>> = Object.fromEntries(
  Object.entries(SPECS).map(([kind, spec]) => [kind, spec.type]),
) as Record<RequestKind, number>;

/** Request kind of a down type, or undefined (GET_PARAM and unknown types). */
export function requestKindOf(type: number): RequestKind | undefined {
  return (Object.keys(REQUEST_TYPE) as RequestKind[]).find((k) => REQUEST_TYPE[k] === type);
}

/** Who sends: the transport handle from sysfs and our netlink port id (pid). */
export interface EncodeContext {
  transportHandle: bigint;
  pid: number;
  seq?: number;
}

const MAX: Readonly<Record<Width, bigint>> = { u16: 0xffffn, u32: 0xffffffffn, u64: 0xffffffffffffffffn };

function writeField(ev: Buffer, kind: string, [name, at, width, value]: Field): void {
  const v = typeof value === 'bigint' ? value : Number.isInteger(value) ? BigInt(value) : -1n;
  if (v < 0n || v > MAX[width]) {
    throw new ConfigError('KERNEL_REQUEST_INVALID', `${kind}.${name} = ${String(value)} does not fit ${width}`, { details: { field: name } });
  }
  if (width === 'u16') ev.writeUInt16LE(Number(v), at);
  else if (width === 'u32') ev.writeUInt32LE(Number(v), at);
  else ev.writeBigUInt64LE(v, at);
}

/** The 56-byte uevent + payload of a request (without the netlink header). */
export function encodeUevent(req: UeventRequest, transportHandle: bigint): Buffer {
  const spec = SPECS[req.kind] as Spec<UeventRequest>;
  const ev = Buffer.alloc(UEVENT_SIZE);
  ev.writeUInt32LE(spec.type, 0);
  writeField(ev, req.kind, ['transport_handle', 8, 'u64', transportHandle]);
  for (const field of spec.u(req)) writeField(ev, req.kind, field);
  const payload = spec.payload?.(req);
  return payload === undefined ? ev : Buffer.concat([ev, payload]);
}

/** A complete netlink message carrying `req` (nlmsg_type = uevent type). */
export function encodeRequest(req: UeventRequest, ctx: EncodeContext): Buffer {
  return encodeNlMsg({ type: SPECS[req.kind].type, flags: 0, seq: ctx.seq ?? 0, pid: ctx.pid }, encodeUevent(req, ctx.transportHandle));
}
