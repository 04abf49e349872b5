/**
 * Independent iSNSP byte builder for tests (RFC 4171 §5.1, §5.5), written from the RFC
 * figures with plain arrays; it shares no code with src/iscsi/isns.
 */

/** Big-endian bytes of `n` in `size` bytes. */
function be(n: number, size: number): number[] {
  const out: number[] = [];
  for (let i = size - 1; i >= 0; i--) out.push(Math.floor(n / 2 ** (8 * i)) % 256);
  return out;
}

/** One TLV from raw value bytes (padded here to a multiple of 4 with zeros). */
export function tlv(tag: number, value: readonly number[] = []): number[] {
  const padded = [...value];
  while (padded.length % 4 !== 0) padded.push(0);
  return [...be(tag, 4), ...be(padded.length, 4), ...padded];
}

/** String TLV: ASCII bytes + NUL, padded. */
export function str(tag: number, s: string): number[] {
  return tlv(tag, [...[...s].map((c) => c.charCodeAt(0)), 0]);
}

/** u32 TLV. */
export function u32(tag: number, n: number): number[] {
  return tlv(tag, be(n, 4));
}

/** IPv4 TLV in 16 bytes: `mapped` = ::ffff:a.b.c.d, else IPv4-compatible ::a.b.c.d. */
export function ip4(tag: number, dotted: string, mapped: boolean): number[] {
  return tlv(tag, [...new Array<number>(10).fill(0), ...(mapped ? [255, 255] : [0, 0]), ...dotted.split('.').map(Number)]);
}

/** A PDU: 12-byte header (version, function, length, flags, xid, seq) + payload. */
export function pdu(h: { func: number; flags: number; xid: number; seq?: number; version?: number }, payload: readonly number[]): Buffer {
  return Buffer.from([...be(h.version ?? 1, 2), ...be(h.func, 2), ...be(payload.length, 2), ...be(h.flags, 2), ...be(h.xid, 2), ...be(h.seq ?? 0, 2), ...payload]);
}

/** Split `payload` (a multiple of 4) into `parts` PDUs with FIRST/LAST flags and seq 0.. */
export function multiPdu(h: { func: number; flags: number; xid: number }, payload: readonly number[], parts: number): Buffer {
  const step = Math.ceil(payload.length / parts / 4) * 4;
  const out: Buffer[] = [];
  for (let i = 0; i < parts; i++) {
    const flags = (h.flags & ~0x0c00) | (i === 0 ? 0x0400 : 0) | (i === parts - 1 ? 0x0800 : 0);
    out.push(pdu({ ...h, flags, seq: i }, payload.slice(i * step, (i + 1) * step)));
  }
  return Buffer.concat(out);
}

/** A status word followed by attributes. */
export function status(code: number, ...attrs: number[][]): number[] {
  return [...be(code, 4), ...attrs.flat()];
}
