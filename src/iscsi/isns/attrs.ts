/**
 * iSNS attributes (RFC 4171 §5.5, §6.2): tag u32, length u32, value padded to a multiple
 * of 4. Length 0 is a NIL value (query "return this", DevGetNext "start", delimiter).
 *
 * Values: strings are UTF-8, NUL-terminated, NUL-padded (length includes the NUL and
 * padding); u32/u64 big-endian; IP addresses 16 bytes, IPv4 either IPv4-mapped
 * (`::ffff:a.b.c.d`, the RFC's form) or IPv4-compatible (`::a.b.c.d`, what open-isns
 * 0.101 sends: reference boot-and-isns.md §3.1), both accepted; ports carry the port in
 * the low 16 bits and UDP in bit 16.
 */
import { isIpv4, isIpv6 } from '../portal.js';
import { ISNS_PORT_UDP, ISNS_TAG_KIND } from './constants.js';
import { isnsProtocolError } from './errors.js';

/** One TLV; `value` is the padded value as on the wire (length = value.length). */
export interface IsnsAttr {
  readonly tag: number;
  readonly value: Buffer;
}

/** A port attribute's value. */
export interface IsnsPort {
  readonly port: number;
  readonly udp: boolean;
}

const pad4 = (n: number): number => (n + 3) & ~3;

/** NIL attribute (length 0). */
export function nilAttr(tag: number): IsnsAttr {
  return { tag, value: Buffer.alloc(0) };
}

/** String attribute: UTF-8 + NUL, padded with NULs to a multiple of 4. */
export function stringAttr(tag: number, s: string): IsnsAttr {
  const bytes = Buffer.from(s, 'utf8');
  const value = Buffer.alloc(pad4(bytes.length + 1));
  bytes.copy(value);
  return { tag, value };
}

/** Unsigned 32-bit attribute. */
export function u32Attr(tag: number, n: number): IsnsAttr {
  const value = Buffer.alloc(4);
  value.writeUInt32BE(n >>> 0);
  return { tag, value };
}

/** Unsigned 64-bit attribute (Timestamp). */
export function u64Attr(tag: number, n: bigint): IsnsAttr {
  const value = Buffer.alloc(8);
  value.writeBigUInt64BE(n);
  return { tag, value };
}

/** Port attribute (§6.3.1): low 16 bits port, bit 16 set for UDP. */
export function portAttr(tag: number, port: number, udp = false): IsnsAttr {
  return u32Attr(tag, (port & 0xffff) | (udp ? ISNS_PORT_UDP : 0));
}

/** 16-byte IP address; IPv4 as IPv4-mapped (RFC 4171 §6.3.1) unless `v4: 'compatible'`. */
export function ipAttr(tag: number, address: string, v4: 'mapped' | 'compatible' = 'mapped'): IsnsAttr {
  const value = Buffer.alloc(16);
  if (isIpv4(address)) {
    if (v4 === 'mapped') value.writeUInt16BE(0xffff, 10);
    address.split('.').forEach((o, i) => (value[12 + i] = Number(o)));
    return { tag, value };
  }
  if (!isIpv6(address)) throw isnsProtocolError('ISNS_BAD_ADDRESS', `'${address}' is not an IP address`, `attr ${tag}`);
  const [head = '', tail] = address.split('%')[0]!.split('::');
  const groups = (s: string | undefined): number[] => (s ? s.split(':').flatMap(group) : []);
  const h = groups(head);
  const t = groups(tail);
  const words = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  words.forEach((w, i) => value.writeUInt16BE(w, i * 2));
  return { tag, value };
}

/** One ':'-separated piece of an IPv6 literal: a 16-bit group or an embedded dotted quad. */
function group(g: string): number[] {
  if (!g.includes('.')) return [parseInt(g, 16)];
  const o = g.split('.').map(Number);
  return [(o[0]! << 8) | o[1]!, (o[2]! << 8) | o[3]!];
}

/** Encode attributes back to back. */
export function encodeAttrs(attrs: readonly IsnsAttr[]): Buffer {
  const out = Buffer.alloc(attrs.reduce((n, a) => n + 8 + a.value.length, 0));
  let at = 0;
  for (const a of attrs) {
    if (a.value.length % 4 !== 0) throw isnsProtocolError('ISNS_BAD_LENGTH', `attribute ${a.tag} value is ${a.value.length} bytes, not a multiple of 4`, `attr ${a.tag}`);
    out.writeUInt32BE(a.tag >>> 0, at);
    out.writeUInt32BE(a.value.length, at + 4);
    a.value.copy(out, at + 8);
    at += 8 + a.value.length;
  }
  return out;
}

/**
 * Decode a TLV sequence. `where` prefixes error locations (e.g. "DevAttrQry response").
 * @throws ProtocolError ISNS_TRUNCATED / ISNS_BAD_LENGTH
 */
export function decodeAttrs(buf: Buffer, where: string): IsnsAttr[] {
  const out: IsnsAttr[] = [];
  let at = 0;
  while (at < buf.length) {
    if (buf.length - at < 8) throw isnsProtocolError('ISNS_TRUNCATED', `${buf.length - at} stray bytes after the last attribute`, `${where} @${at}`);
    const tag = buf.readUInt32BE(at);
    const len = buf.readUInt32BE(at + 4);
    if (len % 4 !== 0) throw isnsProtocolError('ISNS_BAD_LENGTH', `attribute ${tag} length ${len} is not a multiple of 4`, `${where} @${at}`);
    if (len > buf.length - at - 8) throw isnsProtocolError('ISNS_TRUNCATED', `attribute ${tag} length ${len} runs past the payload`, `${where} @${at}`);
    out.push({ tag, value: buf.subarray(at + 8, at + 8 + len) });
    at += 8 + len;
  }
  return out;
}

function wantLength(a: IsnsAttr, n: number, where: string): void {
  if (a.value.length !== n) throw isnsProtocolError('ISNS_BAD_LENGTH', `attribute ${a.tag} is ${a.value.length} bytes, expected ${n}`, where);
}

/** A string value (up to its first NUL). */
export function readString(a: IsnsAttr, where = `attr ${a.tag}`): string {
  const nul = a.value.indexOf(0);
  if (a.value.length > 0 && nul < 0) throw isnsProtocolError('ISNS_BAD_STRING', `attribute ${a.tag} string is not NUL-terminated`, where);
  return a.value.subarray(0, nul < 0 ? 0 : nul).toString('utf8');
}

/** A u32 value. */
export function readU32(a: IsnsAttr, where = `attr ${a.tag}`): number {
  wantLength(a, 4, where);
  return a.value.readUInt32BE(0);
}

/** A u64 value. */
export function readU64(a: IsnsAttr, where = `attr ${a.tag}`): bigint {
  wantLength(a, 8, where);
  return a.value.readBigUInt64BE(0);
}

/** A port value. */
export function readPort(a: IsnsAttr, where = `attr ${a.tag}`): IsnsPort {
  const v = readU32(a, where);
  return { port: v & 0xffff, udp: (v & ISNS_PORT_UDP) !== 0 };
}

/**
 * An IP value as text: IPv4-mapped and IPv4-compatible (first 12 bytes zero, last word
 * > 1, as glibc's IN6_IS_ADDR_V4COMPAT) become a dotted quad; anything else IPv6.
 */
export function readIp(a: IsnsAttr, where = `attr ${a.tag}`): string {
  wantLength(a, 16, where);
  const v = a.value;
  const zero10 = v.subarray(0, 10).every((b) => b === 0);
  const mapped = zero10 && v[10] === 0xff && v[11] === 0xff;
  const compat = zero10 && v[10] === 0 && v[11] === 0 && v.readUInt32BE(12) > 1;
  if (mapped || compat) return `${v[12]}.${v[13]}.${v[14]}.${v[15]}`;
  const words = Array.from({ length: 8 }, (_, i) => v.readUInt16BE(i * 2));
  return compressIPv6(words);
}

/** RFC 5952 text of eight 16-bit words (longest run of 2+ zero words becomes `::`). */
function compressIPv6(words: readonly number[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** A typed view of a known attribute, for logs and debugging (unknown tags: hex). */
export function describeAttr(a: IsnsAttr): string {
  if (a.value.length === 0) return `${a.tag}=(nil)`;
  try {
    switch (ISNS_TAG_KIND[a.tag]) {
      case 'string': return `${a.tag}="${readString(a)}"`;
      case 'u32': return `${a.tag}=${readU32(a)}`;
      case 'u64': return `${a.tag}=${readU64(a)}`;
      case 'ip': return `${a.tag}=${readIp(a)}`;
      case 'port': { const p = readPort(a); return `${a.tag}=${p.port}/${p.udp ? 'udp' : 'tcp'}`; }
      case undefined: break;
    }
    return `${a.tag}=0x${a.value.toString('hex')}`;
  } catch {
    return `${a.tag}=0x${a.value.toString('hex')} (malformed)`;
  }
}
