/**
 * Socket addresses as the kernel reads them after the uevent (EP_CONNECT,
 * TGT_DSCVR, PING) and raw IP addresses of `struct iscsi_path`.
 *
 *   sockaddr_in  (16): family u16 host order @0 (AF_INET = 2), port u16 big-endian @2,
 *                      addr 4 bytes @4, zero[8] @8
 *   sockaddr_in6 (28): family u16 @0 (AF_INET6 = 10), port u16 big-endian @2,
 *                      flowinfo u32 big-endian @4, addr 16 bytes @8, scope_id u32 host order @24
 */
import { isIPv4, isIPv6 } from 'node:net';
import { ConfigError, ProtocolError } from '../../shared/errors.js';
import { AF_INET, AF_INET6, SOCKADDR_IN6_SIZE, SOCKADDR_IN_SIZE } from './abi.js';

/** A numeric portal address (no host names: resolve before talking to the kernel). */
export interface SockAddr {
  host: string;
  port: number;
  /** IPv6 scope (interface index) for link-local addresses. */
  scopeId?: number;
  flowInfo?: number;
}

/** 4 bytes of a dotted-quad IPv4 address. */
export function ipv4Bytes(host: string): Buffer {
  if (!isIPv4(host)) throw new ConfigError('KERNEL_BAD_ADDRESS', `not a numeric IPv4 address: ${JSON.stringify(host)}`);
  return Buffer.from(host.split('.').map((p) => Number(p)));
}

/** 16 bytes of an IPv6 address (with `::` and an optional trailing dotted quad). */
export function ipv6Bytes(host: string): Buffer {
  const bare = host.replace(/%.*$/, '');
  if (!isIPv6(bare)) throw new ConfigError('KERNEL_BAD_ADDRESS', `not a numeric IPv6 address: ${JSON.stringify(host)}`);
  // A trailing dotted quad (::ffff:1.2.3.4) becomes its two hex groups.
  const text = bare.replace(/(\d+\.\d+\.\d+\.\d+)$/, (quad) => {
    const b = ipv4Bytes(quad);
    return `${b.readUInt16BE(0).toString(16)}:${b.readUInt16BE(2).toString(16)}`;
  });
  const groups = expandGroups(text, 8);
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

/** Hex groups of an IPv6 text without its dotted-quad tail, expanded to `count` groups. */
function expandGroups(text: string, count: number): number[] {
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((h) => parseInt(h, 16)));
  const gap = text.indexOf('::');
  if (gap < 0) return parse(text);
  const head = parse(text.slice(0, gap));
  const rest = parse(text.slice(gap + 2));
  return [...head, ...new Array<number>(count - head.length - rest.length).fill(0), ...rest];
}

/** Dotted quad of 4 bytes. */
export function formatIPv4(b: Buffer): string {
  return [b[0], b[1], b[2], b[3]].map((x) => String(x ?? 0)).join('.');
}

/** RFC 5952 text of 16 bytes (longest run of >= 2 zero groups compressed). */
export function formatIPv6(b: Buffer): string {
  const groups = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2));
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.len < 2) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.len).join(':')}`;
}

/** `struct sockaddr_in` or `sockaddr_in6` bytes for a numeric address. */
export function encodeSockaddr(addr: SockAddr): Buffer {
  if (!Number.isInteger(addr.port) || addr.port < 0 || addr.port > 0xffff) {
    throw new ConfigError('KERNEL_BAD_ADDRESS', `port ${addr.port} out of range`);
  }
  if (isIPv4(addr.host)) {
    const out = Buffer.alloc(SOCKADDR_IN_SIZE);
    out.writeUInt16LE(AF_INET, 0);
    out.writeUInt16BE(addr.port, 2);
    ipv4Bytes(addr.host).copy(out, 4);
    return out;
  }
  const out = Buffer.alloc(SOCKADDR_IN6_SIZE);
  out.writeUInt16LE(AF_INET6, 0);
  out.writeUInt16BE(addr.port, 2);
  out.writeUInt32BE((addr.flowInfo ?? 0) >>> 0, 4);
  ipv6Bytes(addr.host).copy(out, 8);
  out.writeUInt32LE((addr.scopeId ?? 0) >>> 0, 24);
  return out;
}

/** Reads a sockaddr_in / sockaddr_in6 from untrusted bytes (ProtocolError on anything else). */
export function decodeSockaddr(buf: Buffer, where: string): SockAddr {
  if (buf.length < 2) throw new ProtocolError('UEVENT_PAYLOAD_TRUNCATED', `sockaddr needs 2 bytes, got ${buf.length}`, { where });
  const family = buf.readUInt16LE(0);
  const need = family === AF_INET ? SOCKADDR_IN_SIZE : family === AF_INET6 ? SOCKADDR_IN6_SIZE : 0;
  if (need === 0) throw new ProtocolError('UEVENT_BAD_VALUE', `unknown address family ${family}`, { where: `${where}.sa_family` });
  if (buf.length < need) throw new ProtocolError('UEVENT_PAYLOAD_TRUNCATED', `sockaddr needs ${need} bytes, got ${buf.length}`, { where });
  const port = buf.readUInt16BE(2);
  if (family === AF_INET) return { host: formatIPv4(buf.subarray(4, 8)), port };
  return { host: formatIPv6(buf.subarray(8, 24)), port, flowInfo: buf.readUInt32BE(4), scopeId: buf.readUInt32LE(24) };
}
