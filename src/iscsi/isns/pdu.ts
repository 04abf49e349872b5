/**
 * iSNSP PDUs (RFC 4171 §5.1): a 12-byte big-endian header, then the payload.
 *
 *   0 version u16 (1) · 2 function id u16 · 4 PDU length u16 (payload bytes, multiple
 *   of 4) · 6 flags u16 · 8 transaction id u16 · 10 sequence id u16
 *
 * A message may span several PDUs: same transaction id, sequence 0, 1, …, FIRST_PDU on
 * the first and LAST_PDU on the last (§5.1.3, §5.3). `IsnsFramer` reassembles them from
 * arbitrary TCP chunks. The client/server flag bits are not validated: open-isns sends
 * server-originated SCN/ESI with the client bit (reference boot-and-isns.md §3.1).
 */
import { ByteQueue } from '../byte-queue.js';
import { ISNS_FLAG, ISNS_HEADER_LEN, ISNS_MAX_PAYLOAD, ISNSP_VERSION } from './constants.js';
import { isnsProtocolError } from './errors.js';

/** Header offsets (§5.1). */
const OFF = { version: 0, func: 2, length: 4, flags: 6, xid: 8, seq: 10 } as const;

/** A decoded header. */
export interface IsnsHeader {
  readonly version: number;
  readonly func: number;
  readonly length: number;
  readonly flags: number;
  readonly xid: number;
  readonly seq: number;
}

/** A whole (reassembled) message. `flags` are those of the first PDU minus FIRST/LAST. */
export interface IsnsMessage {
  readonly func: number;
  readonly flags: number;
  readonly xid: number;
  readonly payload: Buffer;
}

/** Encode a header. */
export function encodeHeader(h: Omit<IsnsHeader, 'version'> & { version?: number }): Buffer {
  const b = Buffer.alloc(ISNS_HEADER_LEN);
  b.writeUInt16BE(h.version ?? ISNSP_VERSION, OFF.version);
  b.writeUInt16BE(h.func, OFF.func);
  b.writeUInt16BE(h.length, OFF.length);
  b.writeUInt16BE(h.flags, OFF.flags);
  b.writeUInt16BE(h.xid, OFF.xid);
  b.writeUInt16BE(h.seq, OFF.seq);
  return b;
}

/** Decode a header from the first 12 bytes of `b` (no validation). */
export function decodeHeader(b: Buffer): IsnsHeader {
  if (b.length < ISNS_HEADER_LEN) throw isnsProtocolError('ISNS_TRUNCATED', `header is ${b.length} bytes, needs 12`, 'header');
  return {
    version: b.readUInt16BE(OFF.version), func: b.readUInt16BE(OFF.func), length: b.readUInt16BE(OFF.length),
    flags: b.readUInt16BE(OFF.flags), xid: b.readUInt16BE(OFF.xid), seq: b.readUInt16BE(OFF.seq),
  };
}

/**
 * Encode a message as PDUs of at most `maxPayload` bytes each (a multiple of 4), each
 * as `[header, payload]` buffers. One PDU when it fits (what open-isns always does).
 */
export function encodeMessage(m: IsnsMessage, maxPayload = ISNS_MAX_PAYLOAD): Buffer[][] {
  if (m.payload.length % 4 !== 0) throw isnsProtocolError('ISNS_BAD_LENGTH', `payload of ${m.payload.length} bytes is not a multiple of 4`, 'encode');
  const step = Math.max(4, maxPayload - (maxPayload % 4));
  const pdus: Buffer[][] = [];
  const count = Math.max(1, Math.ceil(m.payload.length / step));
  const base = m.flags & ~(ISNS_FLAG.FIRST_PDU | ISNS_FLAG.LAST_PDU);
  for (let seq = 0; seq < count; seq++) {
    const part = m.payload.subarray(seq * step, (seq + 1) * step);
    const flags = base | (seq === 0 ? ISNS_FLAG.FIRST_PDU : 0) | (seq === count - 1 ? ISNS_FLAG.LAST_PDU : 0);
    pdus.push([encodeHeader({ func: m.func, length: part.length, flags, xid: m.xid, seq }), part]);
  }
  return pdus;
}

/** One buffer holding a whole message (all its PDUs). */
export function encodeMessageBytes(m: IsnsMessage, maxPayload = ISNS_MAX_PAYLOAD): Buffer {
  return Buffer.concat(encodeMessage(m, maxPayload).flat());
}

/** Limits of the framer. */
export interface IsnsFramerLimits {
  /** Largest reassembled payload accepted (default 4 MiB). */
  readonly maxMessage?: number;
}

/** Unfinished multi-PDU messages kept at once (a client has few requests in flight). */
const MAX_PENDING = 16;

interface PendingMessage {
  readonly func: number;
  readonly flags: number;
  readonly xid: number;
  nextSeq: number;
  size: number;
  readonly parts: Buffer[];
}

/**
 * Incremental framer: `push` TCP chunks, get whole messages. Throws ProtocolError on a
 * bad version, a length not a multiple of 4, an authentication block (never negotiated:
 * open-iscsi sets ic_security = 0), out-of-order sequence ids or an oversized message.
 * After a throw the stream is unusable (the caller drops the connection).
 */
export class IsnsFramer {
  private readonly queue = new ByteQueue();
  private readonly pending = new Map<number, PendingMessage>();
  private readonly maxMessage: number;

  constructor(limits: IsnsFramerLimits = {}) {
    this.maxMessage = limits.maxMessage ?? 4 * 1024 * 1024;
  }

  /** Bytes received but not yet part of a whole PDU. */
  get buffered(): number {
    return this.queue.length;
  }

  /** Whether a multi-PDU message has started but not finished. */
  get midMessage(): boolean {
    return this.pending.size > 0;
  }

  /** Feed bytes; returns the messages completed by them, in order. */
  push(chunk: Buffer): IsnsMessage[] {
    this.queue.push(chunk);
    const out: IsnsMessage[] = [];
    while (this.queue.length >= ISNS_HEADER_LEN) {
      const h = decodeHeader(this.peekHeader());
      this.check(h);
      if (this.queue.length < ISNS_HEADER_LEN + h.length) break;
      this.queue.take(ISNS_HEADER_LEN);
      const payload = Buffer.from(this.queue.take(h.length));
      const done = this.assemble(h, payload);
      if (done) out.push(done);
    }
    return out;
  }

  private peekHeader(): Buffer {
    const b = Buffer.alloc(ISNS_HEADER_LEN);
    for (let i = 0; i < ISNS_HEADER_LEN; i++) b[i] = this.queue.peekByte(i);
    return b;
  }

  private check(h: IsnsHeader): void {
    if (h.version !== ISNSP_VERSION) throw isnsProtocolError('ISNS_BAD_VERSION', `iSNSP version ${h.version} (only 1 exists)`, 'header.version');
    if (h.length % 4 !== 0) throw isnsProtocolError('ISNS_BAD_LENGTH', `PDU length ${h.length} is not a multiple of 4`, 'header.length');
    if (h.flags & ISNS_FLAG.AUTH) throw isnsProtocolError('ISNS_AUTH_UNSUPPORTED', 'authentication block present but security was not configured', 'header.flags');
  }

  private assemble(h: IsnsHeader, payload: Buffer): IsnsMessage | undefined {
    const last = (h.flags & ISNS_FLAG.LAST_PDU) !== 0;
    const flags = h.flags & ~(ISNS_FLAG.FIRST_PDU | ISNS_FLAG.LAST_PDU);
    let p = this.pending.get(h.xid);
    if (h.seq === 0) {
      if (p) throw isnsProtocolError('ISNS_BAD_SEQUENCE', `transaction ${h.xid} restarted before its last PDU`, 'header.seq');
      // A lone PDU without FIRST/LAST flags is taken as a whole message (lenient).
      if (last || (h.flags & ISNS_FLAG.FIRST_PDU) === 0) return { func: h.func, flags, xid: h.xid, payload };
      if (this.pending.size >= MAX_PENDING) throw isnsProtocolError('ISNS_TOO_LARGE', `more than ${MAX_PENDING} unfinished multi-PDU messages`, 'header.xid');
      p = { func: h.func, flags, xid: h.xid, nextSeq: 1, size: payload.length, parts: [payload] };
      this.pending.set(h.xid, p);
      return undefined;
    }
    if (!p || p.nextSeq !== h.seq || p.func !== h.func) {
      throw isnsProtocolError('ISNS_BAD_SEQUENCE', `PDU seq ${h.seq} of transaction ${h.xid} (function 0x${h.func.toString(16)}) out of order`, 'header.seq');
    }
    p.size += payload.length;
    if (p.size > this.maxMessage) throw isnsProtocolError('ISNS_TOO_LARGE', `message of transaction ${h.xid} exceeds ${this.maxMessage} bytes`, 'payload');
    p.parts.push(payload);
    p.nextSeq++;
    if (!last) return undefined;
    this.pending.delete(h.xid);
    return { func: p.func, flags: p.flags, xid: p.xid, payload: Buffer.concat(p.parts) };
  }
}
