/**
 * `struct nlmsghdr` framing (16 bytes, host order = little-endian on x86_64):
 *
 *   @0 nlmsg_len   u32  header + payload, not counting trailing alignment
 *   @4 nlmsg_type  u16  requests: the ISCSI_UEVENT_* type (the kernel dispatches on it);
 *                       unicast replies: the request's type; multicast events: 0
 *   @6 nlmsg_flags u16  0
 *   @8 nlmsg_seq   u32  0 in iscsid and in the kernel's messages
 *  @12 nlmsg_pid   u32  sender port id (our pid); 0 from the kernel
 *
 * One datagram may carry several messages, each starting at NLMSG_ALIGN(len)
 * of the previous one (4-byte alignment).
 */
import { ProtocolError } from '../../shared/errors.js';
import { NLMSG_HDRLEN } from './abi.js';

export interface NlMsgHeader {
  /** nlmsg_len as sent: header + payload. */
  len: number;
  type: number;
  flags: number;
  seq: number;
  pid: number;
}

/** Round up to the 4-byte netlink alignment (NLMSG_ALIGN). */
export function nlmsgAlign(n: number): number {
  return (n + 3) & ~3;
}

/** A netlink message: header plus `payload` (exactly nlmsg_len - 16 bytes, no padding). */
export function encodeNlMsg(h: Omit<NlMsgHeader, 'len'>, payload: Buffer): Buffer {
  const out = Buffer.alloc(NLMSG_HDRLEN + payload.length);
  out.writeUInt32LE(out.length, 0);
  out.writeUInt16LE(h.type, 4);
  out.writeUInt16LE(h.flags, 6);
  out.writeUInt32LE(h.seq >>> 0, 8);
  out.writeUInt32LE(h.pid >>> 0, 12);
  payload.copy(out, NLMSG_HDRLEN);
  return out;
}

/** Reads the 16-byte header at `at`; throws ProtocolError when it is cut short. */
export function decodeNlMsgHeader(buf: Buffer, at = 0): NlMsgHeader {
  if (buf.length - at < NLMSG_HDRLEN) {
    throw new ProtocolError('NETLINK_TRUNCATED', `netlink header needs ${NLMSG_HDRLEN} bytes, ${buf.length - at} left`, { where: `nlmsghdr@${at}` });
  }
  return {
    len: buf.readUInt32LE(at),
    type: buf.readUInt16LE(at + 4),
    flags: buf.readUInt16LE(at + 6),
    seq: buf.readUInt32LE(at + 8),
    pid: buf.readUInt32LE(at + 12),
  };
}

/** One message of a datagram: its header and a view of its payload. */
export interface NlMsg {
  header: NlMsgHeader;
  payload: Buffer;
}

/**
 * Splits a received datagram into messages. A length below the header size or
 * beyond the datagram is a ProtocolError naming the offset.
 */
export function splitNetlinkDatagram(buf: Buffer): NlMsg[] {
  const out: NlMsg[] = [];
  let at = 0;
  while (at < buf.length) {
    const header = decodeNlMsgHeader(buf, at);
    if (header.len < NLMSG_HDRLEN) {
      throw new ProtocolError('NETLINK_BAD_LENGTH', `nlmsg_len ${header.len} is below the ${NLMSG_HDRLEN}-byte header`, { where: `nlmsghdr@${at}.nlmsg_len` });
    }
    if (header.len > buf.length - at) {
      throw new ProtocolError('NETLINK_BAD_LENGTH', `nlmsg_len ${header.len} exceeds the ${buf.length - at} bytes received`, { where: `nlmsghdr@${at}.nlmsg_len` });
    }
    out.push({ header, payload: buf.subarray(at + NLMSG_HDRLEN, at + header.len) });
    at += nlmsgAlign(header.len);
  }
  return out;
}
