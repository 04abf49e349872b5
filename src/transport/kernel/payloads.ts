/**
 * Payload structures that follow the 56-byte uevent in some requests/events.
 *
 * - netlink attributes (`struct nlattr`: nla_len u16 = 4 + data length, nla_type u16,
 *   data, padded to 4) carrying
 *   - `iscsi_iface_param_info` (SET_IFACE_PARAMS): iface_num u32 @0, len u32 @4,
 *     param u16 @8, iface_type u8 @10, param_type u8 @11, value @12 (packed)
 *   - `iscsi_param_info` / `iscsi_flashnode_param_info` (SET_CHAP, SET_FLASHNODE_PARAMS):
 *     len u32 @0, param u16 @4, value @6 (packed)
 * - `struct iscsi_path` (PATH_UPDATE / PATH_REQ, 64 bytes): handle u64 @0, mac_addr[6] @8,
 *   mac_addr_old[6] @14, ip_addr_len u32 @20 (4 or 16), src @24 (16), dst @40 (16),
 *   vlan_id u16 @56, pmtu u16 @58, 4 bytes of alignment.
 *
 * Integer values inside attributes are host order (little-endian), as the drivers read them.
 */
import { ConfigError, ProtocolError } from '../../shared/errors.js';
import {
  ISCSI_IFACE_PARAM_INFO_SIZE, ISCSI_PARAM_INFO_SIZE, ISCSI_PATH_SIZE, NLA_HDRLEN,
} from './abi.js';
import { ISCSI_CHAP_PARAM, ISCSI_IFACE_TYPE, ISCSI_PARAM_TYPE } from './abi-params.js';
import { formatIPv4, formatIPv6, ipv4Bytes, ipv6Bytes } from './inet.js';

/** One SET_IFACE_PARAMS attribute. */
export interface IfaceParamValue {
  ifaceNum: number;
  ifaceType: 'ipv4' | 'ipv6';
  /** An `iscsi_net_param` (paramType 'net') or `iscsi_iface_param` (paramType 'iface') id. */
  param: number;
  paramType: 'net' | 'iface';
  value: Buffer;
}

/** One `iscsi_param_info` attribute (SET_CHAP, SET_FLASHNODE_PARAMS). */
export interface ParamInfoValue {
  param: number;
  value: Buffer;
}

/** Little-endian integer bytes of the given width (1, 2 or 4), as drivers read `value`. */
export function intValue(value: number, width: 1 | 2 | 4): Buffer {
  const b = Buffer.alloc(width);
  if (width === 1) b.writeUInt8(value, 0);
  else if (width === 2) b.writeUInt16LE(value, 0);
  else b.writeUInt32LE(value >>> 0, 0);
  return b;
}

/** A C string value: the bytes plus the terminating NUL. */
export function cstringValue(s: string): Buffer {
  return Buffer.concat([Buffer.from(s, 'utf8'), Buffer.alloc(1)]);
}

/** `struct nlattr` + data, padded to 4 bytes. */
function nlattr(type: number, data: Buffer): Buffer {
  const len = NLA_HDRLEN + data.length;
  if (len > 0xffff) throw new ConfigError('KERNEL_REQUEST_INVALID', `netlink attribute of ${len} bytes does not fit nla_len`);
  const out = Buffer.alloc((len + 3) & ~3);
  out.writeUInt16LE(len, 0);
  out.writeUInt16LE(type, 2);
  data.copy(out, NLA_HDRLEN);
  return out;
}

/** The attribute list of SET_IFACE_PARAMS (nla_type = param id, as open-iscsi builds it). */
export function encodeIfaceParams(params: readonly IfaceParamValue[]): Buffer {
  return Buffer.concat(params.map((p) => {
    const info = Buffer.alloc(ISCSI_IFACE_PARAM_INFO_SIZE + p.value.length);
    info.writeUInt32LE(p.ifaceNum >>> 0, 0);
    info.writeUInt32LE(p.value.length, 4);
    info.writeUInt16LE(p.param, 8);
    info.writeUInt8(p.ifaceType === 'ipv4' ? ISCSI_IFACE_TYPE.IPV4 : ISCSI_IFACE_TYPE.IPV6, 10);
    info.writeUInt8(p.paramType === 'net' ? ISCSI_PARAM_TYPE.NET_PARAM : ISCSI_PARAM_TYPE.IFACE_PARAM, 11);
    p.value.copy(info, ISCSI_IFACE_PARAM_INFO_SIZE);
    return nlattr(p.param, info);
  }));
}

/** The attribute list of SET_CHAP / SET_FLASHNODE_PARAMS. */
export function encodeParamInfos(params: readonly ParamInfoValue[]): Buffer {
  return Buffer.concat(params.map((p) => {
    const info = Buffer.alloc(ISCSI_PARAM_INFO_SIZE + p.value.length);
    info.writeUInt32LE(p.value.length, 0);
    info.writeUInt16LE(p.param, 4);
    p.value.copy(info, ISCSI_PARAM_INFO_SIZE);
    return nlattr(p.param, info);
  }));
}

/** A host CHAP table entry to write with SET_CHAP. */
export interface ChapEntryInput {
  index: number;
  type: 'out' | 'in';
  username: string;
  password: Buffer | string;
}

/**
 * The five SET_CHAP attributes: INDEX u16, CHAP_TYPE u8 (0 out, 1 in), USERNAME
 * (C string), PASSWORD (raw bytes), PASSWORD_LEN u8 — the widths qla4xxx reads.
 */
export function chapEntryParams(e: ChapEntryInput): ParamInfoValue[] {
  const password = typeof e.password === 'string' ? Buffer.from(e.password, 'utf8') : e.password;
  if (password.length > 255) throw new ConfigError('KERNEL_REQUEST_INVALID', `CHAP secret of ${password.length} bytes does not fit password_length (u8)`);
  return [
    { param: ISCSI_CHAP_PARAM.INDEX, value: intValue(e.index, 2) },
    { param: ISCSI_CHAP_PARAM.CHAP_TYPE, value: intValue(e.type === 'in' ? 1 : 0, 1) },
    { param: ISCSI_CHAP_PARAM.USERNAME, value: cstringValue(e.username) },
    { param: ISCSI_CHAP_PARAM.PASSWORD, value: password },
    { param: ISCSI_CHAP_PARAM.PASSWORD_LEN, value: intValue(password.length, 1) },
  ];
}

/** `struct iscsi_path` as a record. Addresses are numeric; MACs are 6 bytes. */
export interface IscsiPath {
  handle: bigint;
  macAddr: Buffer;
  macAddrOld: Buffer;
  /** 'ipv4' writes ip_addr_len 4, 'ipv6' 16. */
  family: 'ipv4' | 'ipv6';
  src: string;
  dst: string;
  vlanId: number;
  pmtu: number;
}

/** 64 bytes of `struct iscsi_path`. */
export function encodeIscsiPath(p: IscsiPath): Buffer {
  const out = Buffer.alloc(ISCSI_PATH_SIZE);
  out.writeBigUInt64LE(p.handle, 0);
  p.macAddr.subarray(0, 6).copy(out, 8);
  p.macAddrOld.subarray(0, 6).copy(out, 14);
  const bytes = p.family === 'ipv4' ? ipv4Bytes : ipv6Bytes;
  out.writeUInt32LE(p.family === 'ipv4' ? 4 : 16, 20);
  bytes(p.src).copy(out, 24);
  bytes(p.dst).copy(out, 40);
  out.writeUInt16LE(p.vlanId, 56);
  out.writeUInt16LE(p.pmtu, 58);
  return out;
}

/** Reads `struct iscsi_path` from untrusted bytes. */
export function decodeIscsiPath(buf: Buffer, where: string): IscsiPath {
  if (buf.length < ISCSI_PATH_SIZE) {
    throw new ProtocolError('UEVENT_PAYLOAD_TRUNCATED', `iscsi_path needs ${ISCSI_PATH_SIZE} bytes, got ${buf.length}`, { where });
  }
  const ipLen = buf.readUInt32LE(20);
  if (ipLen !== 4 && ipLen !== 16) {
    throw new ProtocolError('UEVENT_BAD_VALUE', `ip_addr_len ${ipLen} is neither 4 nor 16`, { where: `${where}.ip_addr_len` });
  }
  const fmt = (at: number): string => (ipLen === 4 ? formatIPv4(buf.subarray(at, at + 4)) : formatIPv6(buf.subarray(at, at + 16)));
  return {
    handle: buf.readBigUInt64LE(0),
    macAddr: Buffer.from(buf.subarray(8, 14)),
    macAddrOld: Buffer.from(buf.subarray(14, 20)),
    family: ipLen === 4 ? 'ipv4' : 'ipv6',
    src: fmt(24),
    dst: fmt(40),
    vlanId: buf.readUInt16LE(56),
    pmtu: buf.readUInt16LE(58),
  };
}
