/**
 * Independent byte builder/reader for NETLINK_ISCSI messages (test side).
 *
 * Shares nothing with src/: no imports, no constants. Structures are written as
 * placements `{ at, bytes }` copied off the reference tables (open-iscsi.md §3.3),
 * little-endian by repeated division, so a golden test reads like the table:
 *
 *   uevent(u32(0, 11), u64(8, handle), u32(16, cmdsn), u16(20, 128), u16(22, 32))
 */

export interface Place { at: number; bytes: readonly number[] }

function le(value: bigint, width: number, at: number): number[] {
  if (value < 0n || value >= 1n << BigInt(width * 8)) throw new Error(`dsl: ${value} at ${at} does not fit ${width} bytes`);
  const out: number[] = [];
  let rest = value;
  for (let i = 0; i < width; i++) {
    out.push(Number(rest % 256n));
    rest /= 256n;
  }
  return out;
}

export const u8 = (at: number, v: number): Place => ({ at, bytes: le(BigInt(v), 1, at) });
export const u16 = (at: number, v: number): Place => ({ at, bytes: le(BigInt(v), 2, at) });
export const u32 = (at: number, v: number): Place => ({ at, bytes: le(BigInt(v), 4, at) });
/** A negative int32 in two's complement (iferror, retcode). */
export const i32 = (at: number, v: number): Place => ({ at, bytes: le(BigInt(v < 0 ? v + 2 ** 32 : v), 4, at) });
export const u64 = (at: number, v: bigint | number): Place => ({ at, bytes: le(BigInt(v), 8, at) });
/** Big-endian 16-bit (sockaddr port). */
export const be16 = (at: number, v: number): Place => ({ at, bytes: [Math.floor(v / 256), v % 256] });
export const raw = (at: number, v: Uint8Array | readonly number[]): Place => ({ at, bytes: Array.from(v) });
/** ASCII text (no terminator; the zero fill of the struct supplies it). */
export const text = (at: number, s: string): Place => ({ at, bytes: Array.from(s, (c) => c.charCodeAt(0)) });

/** A zero-filled structure of `size` bytes; overlapping or out-of-range placements throw. */
export function struct(size: number, ...places: Place[]): Buffer {
  const out = Buffer.alloc(size);
  const used = new Set<number>();
  for (const p of places) {
    p.bytes.forEach((b, i) => {
      const at = p.at + i;
      if (at < 0 || at >= size) throw new Error(`dsl: offset ${at} outside a ${size}-byte struct`);
      if (used.has(at)) throw new Error(`dsl: offset ${at} placed twice`);
      used.add(at);
      out[at] = b;
    });
  }
  return out;
}

/** `struct iscsi_uevent` (56 bytes). */
export const uevent = (...places: Place[]): Buffer => struct(56, ...places);

export interface NlHeader { type: number; flags?: number; seq?: number; pid?: number; len?: number }

/**
 * nlmsghdr + payload: len u32 @0 (default 16 + payload), type u16 @4, flags u16 @6,
 * seq u32 @8, pid u32 @12. `padTo4` appends the alignment bytes the kernel's skb carries.
 */
export function nlmsg(h: NlHeader, payload: Buffer, padTo4 = false): Buffer {
  const len = h.len ?? 16 + payload.length;
  const head = struct(16, u32(0, len), u16(4, h.type), u16(6, h.flags ?? 0), u32(8, h.seq ?? 0), u32(12, h.pid ?? 0));
  const pad = padTo4 ? (4 - ((16 + payload.length) % 4)) % 4 : 0;
  return Buffer.concat([head, payload, Buffer.alloc(pad)]);
}

/** Little-endian readers by byte arithmetic (the fake kernel's view of a request). */
export const rd16 = (b: Buffer, at: number): number => (b[at] ?? 0) + (b[at + 1] ?? 0) * 256;
export const rd32 = (b: Buffer, at: number): number => rd16(b, at) + rd16(b, at + 2) * 65536;
export const rdi32 = (b: Buffer, at: number): number => {
  const v = rd32(b, at);
  return v >= 2 ** 31 ? v - 2 ** 32 : v;
};
export const rd64 = (b: Buffer, at: number): bigint => BigInt(rd32(b, at)) + BigInt(rd32(b, at + 4)) * 2n ** 32n;
/** C string of a NUL-terminated field. */
export function rdStr(b: Buffer, at: number, max: number): string {
  let s = '';
  for (let i = at; i < at + max && i < b.length && b[i] !== 0; i++) s += String.fromCharCode(b[i] ?? 0);
  return s;
}

/** sockaddr_in: family 2 (host order) @0, port big-endian @2, address @4. */
export function sockaddrIn(ip: [number, number, number, number], port: number): Buffer {
  return struct(16, u16(0, 2), be16(2, port), raw(4, ip));
}

/** sockaddr_in6: family 10 @0, port BE @2, flowinfo @4, address (16) @8, scope_id @24. */
export function sockaddrIn6(addr16: readonly number[], port: number, scopeId = 0): Buffer {
  return struct(28, u16(0, 10), be16(2, port), raw(8, addr16), u32(24, scopeId));
}
