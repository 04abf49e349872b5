/**
 * PDU framing over a TCP byte stream (RFC 7143 §11.2) and the inverse, PDU
 * serialization into wire pieces.
 *
 * Wire layout of one PDU (§11.2, digests §11.2.3 / §13.1):
 *
 *   BHS             48 bytes; byte 4 = TotalAHSLength (4-byte words),
 *                   bytes 5-7 = DataSegmentLength (24-bit big-endian, no padding)
 *   AHS             TotalAHSLength * 4 bytes
 *   HeaderDigest    4 bytes CRC32C over BHS + AHS              (when negotiated)
 *   Data segment    DataSegmentLength bytes
 *   Padding         0-3 bytes up to a 4-byte boundary
 *   DataDigest      4 bytes CRC32C over data + padding         (when negotiated and
 *                                                              DataSegmentLength > 0)
 *
 * Digests are never counted in TotalAHSLength or DataSegmentLength (checklist P-02).
 * The framer reads only bytes 4..7 of the BHS to find the PDU boundary (plus the
 * opcode and ITT for error details); field decoding belongs to `pdu/`.
 */
import { ConfigError, ISCSI_ERR, IscsiError, ProtocolError } from '../shared/errors.js';
import { ByteQueue } from './byte-queue.js';
import { crc32cFinal, crc32cInit, crc32cUpdate, DIGEST_LENGTH, readDigest, writeDigest } from './crc32c.js';
import { BHS_LENGTH, type RawPdu } from './pdu/types.js';

/** Options of one connection's framer. */
export interface FramerOptions {
  /** HeaderDigest=CRC32C negotiated and in effect (full feature phase only, P-03). */
  headerDigest: boolean;
  /** DataDigest=CRC32C negotiated and in effect (full feature phase only, P-03). */
  dataDigest: boolean;
  /**
   * Largest DataSegmentLength accepted from the peer: 8192 during login (§6.3, C-09),
   * the initiator's declared MaxRecvDataSegmentLength in full feature phase (F-05).
   */
  maxDataSegmentLength: number;
}

/** Largest value the 24-bit DataSegmentLength field can hold. */
export const MAX_DATA_SEGMENT_LENGTH_FIELD = 0xffffff;

/** BHS byte offsets used by the framer (§11.2.1). */
const OFF_TOTAL_AHS_LENGTH = 4;
const OFF_DATA_SEGMENT_LENGTH = 5;
const OFF_ITT = 16;

const EMPTY = Buffer.alloc(0);
const ZERO_PAD = Buffer.alloc(3);

/** Bytes of padding after a data segment of `length` bytes (§11.2: 4-byte boundary). */
export function padLength(length: number): number {
  return (4 - (length & 3)) & 3;
}

/** A header that passed its checks and waits for its data segment. */
interface PendingHeader {
  bhs: Buffer;
  ahs: Buffer;
  dataSegmentLength: number;
  /** Stream bytes the header took (BHS + AHS + HeaderDigest). */
  headerBytes: number;
  /** DataDigest setting captured when this PDU started (options change only at boundaries). */
  dataDigest: boolean;
}

/**
 * Incremental framer: turns a TCP byte stream into {@link RawPdu}s.
 *
 * An explicit two-stage loop (DESIGN.md §5.3): (1) header stage waits for BHS (+AHS)
 * (+HeaderDigest), verifies the header digest, then checks DataSegmentLength against
 * the limit before any data is awaited or allocated; (2) data stage waits for data,
 * padding and DataDigest. Parts are views into the pushed chunks whenever they lie in
 * one chunk; a part that spans chunks is assembled once into a new buffer.
 *
 * Any framing error poisons the framer: the stream position is lost, so every later
 * `push()` throws `FRAMER_POISONED` and the connection must be closed (P-04, O-05).
 * Pushed chunks are retained by reference: do not modify them after pushing.
 */
export class PduFramer {
  private opts: Readonly<FramerOptions>;
  /** Options in effect for the PDU being received; null at a PDU boundary. */
  private current: Readonly<FramerOptions> | null = null;
  private readonly queue = new ByteQueue();
  private pending: PendingHeader | null = null;
  private poison: ProtocolError | null = null;
  private inPush = false;

  constructor(opts: FramerOptions) {
    this.opts = validateOptions({ ...opts });
  }

  /**
   * Change options; takes effect from the next PDU boundary (digests switch on at the
   * first full feature phase PDU, P-03). Call it from inside `onPdu` to apply it to the
   * PDU right after the one being delivered.
   */
  setOptions(opts: Partial<FramerOptions>): void {
    this.opts = validateOptions({ ...this.opts, ...opts });
  }

  /**
   * Bytes held waiting for the rest of a PDU: everything pushed minus the wire bytes
   * of the PDUs delivered so far (an already-checked header still counts).
   */
  get buffered(): number {
    return this.queue.length + (this.pending?.headerBytes ?? 0);
  }

  /**
   * Feed bytes; calls `onPdu` synchronously for each complete PDU, in order.
   * `onPdu` may call `setOptions`. Throws only `ProtocolError` for bad input; an
   * exception thrown by `onPdu` propagates and the bytes after that PDU stay buffered.
   */
  push(chunk: Buffer, onPdu: (pdu: RawPdu) => void): void {
    if (this.poison !== null) {
      throw new ProtocolError('FRAMER_POISONED', `PDU framer used after a framing error (${this.poison.code})`, {
        where: 'PduFramer.push',
        cause: this.poison,
        details: { cause: this.poison.code },
      });
    }
    if (this.inPush) {
      throw new IscsiError('FRAMER_REENTRANT', 'PduFramer.push called from inside its own onPdu callback', {
        errno: ISCSI_ERR.INTERNAL,
      });
    }
    this.queue.push(chunk);
    this.inPush = true;
    try {
      for (let pdu = this.nextPdu(); pdu !== null; pdu = this.nextPdu()) onPdu(pdu);
    } finally {
      this.inPush = false;
    }
  }

  /** One step of the loop: a complete PDU, or null when more bytes are needed. */
  private nextPdu(): RawPdu | null {
    try {
      if (this.pending === null && !this.readHeader()) return null;
      return this.readData();
    } catch (err) {
      if (err instanceof ProtocolError) {
        this.poison = err;
        this.queue.clear();
        this.pending = null;
      }
      throw err;
    }
  }

  /** Header stage. Returns false when more bytes are needed. */
  private readHeader(): boolean {
    const q = this.queue;
    if (q.length === 0) return false;
    this.current ??= this.opts; // setOptions replaces `opts`, never mutates it: a snapshot
    const opts = this.current;
    if (q.length < BHS_LENGTH) return false;
    const ahsLength = q.peekByte(OFF_TOTAL_AHS_LENGTH) * 4;
    // Without a header digest the length can be checked right away, before waiting
    // for the AHS; with one it is checked only once the digest has vouched for it (P-04).
    if (!opts.headerDigest) checkLength(q.peekUInt24BE(OFF_DATA_SEGMENT_LENGTH), opts, q.peekByte(0));
    const headerDigestLength = opts.headerDigest ? DIGEST_LENGTH : 0;
    // TotalAHSLength is used before the digest is checked, but it is one byte (at most
    // 1020 bytes to wait for), so a corrupt value cannot make us buffer without bound.
    if (q.length < BHS_LENGTH + ahsLength + headerDigestLength) return false;

    const bhs = q.take(BHS_LENGTH);
    const ahs = ahsLength > 0 ? q.take(ahsLength) : EMPTY;
    if (opts.headerDigest) verifyHeaderDigest(bhs, ahs, readDigest(q.take(DIGEST_LENGTH), 0));
    const dataSegmentLength = bhs.readUIntBE(OFF_DATA_SEGMENT_LENGTH, 3);
    checkLength(dataSegmentLength, opts, bhs[0]!);
    const headerBytes = BHS_LENGTH + ahsLength + headerDigestLength;
    this.pending = { bhs, ahs, dataSegmentLength, headerBytes, dataDigest: opts.dataDigest };
    return true;
  }

  /** Data stage. Returns the finished PDU, or null when more bytes are needed. */
  private readData(): RawPdu | null {
    const p = this.pending!;
    const q = this.queue;
    const length = p.dataSegmentLength;
    const pad = padLength(length);
    const digestLength = p.dataDigest && length > 0 ? DIGEST_LENGTH : 0;
    if (q.length < length + pad + digestLength) return null;

    const data = length > 0 ? q.take(length) : EMPTY;
    const padding = pad > 0 ? q.take(pad) : EMPTY;
    if (digestLength > 0) {
      const expected = crc32cFinal(crc32cUpdate(crc32cUpdate(crc32cInit(), data), padding));
      const received = readDigest(q.take(DIGEST_LENGTH), 0);
      if (expected !== received) throw dataDigestError(p.bhs, expected, received);
    }
    this.pending = null;
    this.current = null;
    return { bhs: p.bhs, ahs: p.ahs, data };
  }
}

export function validateOptions(opts: FramerOptions): FramerOptions {
  const max = opts.maxDataSegmentLength;
  if (!Number.isInteger(max) || max < 0 || max > MAX_DATA_SEGMENT_LENGTH_FIELD) {
    throw new ConfigError('FRAMER_OPTION_INVALID', `maxDataSegmentLength must be an integer 0..${MAX_DATA_SEGMENT_LENGTH_FIELD}, got ${String(max)}`, {
      details: { option: 'maxDataSegmentLength', value: max },
    });
  }
  return opts;
}

/** C-09 / F-05: refuse a data segment above the limit before waiting for it. */
export function checkLength(length: number, opts: FramerOptions, byte0: number): void {
  if (length <= opts.maxDataSegmentLength) return;
  const opcode = byte0 & 0x3f;
  throw new ProtocolError(
    'DATA_SEGMENT_TOO_LONG',
    `PDU opcode 0x${opcode.toString(16)} has DataSegmentLength ${length}, above the limit ${opts.maxDataSegmentLength}`,
    { where: 'BHS.DataSegmentLength', details: { length, limit: opts.maxDataSegmentLength, opcode } },
  );
}

/** P-04: header digest covers BHS + AHS. */
export function verifyHeaderDigest(bhs: Buffer, ahs: Buffer, received: number): void {
  const expected = crc32cFinal(crc32cUpdate(crc32cUpdate(crc32cInit(), bhs), ahs));
  if (expected === received) return;
  throw new ProtocolError(
    'HEADER_DIGEST_ERROR',
    `header digest mismatch: computed 0x${hex32(expected)}, received 0x${hex32(received)}`,
    { where: 'HeaderDigest', details: { expected, received } },
  );
}

/** O-05 / P-05: data digest covers data + padding. */
export function dataDigestError(bhs: Buffer, expected: number, received: number): ProtocolError {
  const opcode = bhs[0]! & 0x3f;
  const itt = bhs.readUInt32BE(OFF_ITT);
  return new ProtocolError(
    'DATA_DIGEST_ERROR',
    `data digest mismatch on PDU opcode 0x${opcode.toString(16)} ITT 0x${hex32(itt)}: computed 0x${hex32(expected)}, received 0x${hex32(received)}`,
    { where: 'DataDigest', details: { opcode, itt, expected, received } },
  );
}

function hex32(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function lengthMismatch(field: string, inBhs: number, actual: number): ProtocolError {
  return new ProtocolError('LENGTH_MISMATCH', `${field}: BHS says ${inBhs}, PDU has ${actual}`, {
    where: `serializePdu.${field}`,
    errno: ISCSI_ERR.INTERNAL,
    retryable: false,
    details: { field, inBhs, actual },
  });
}

/** Check that `raw.bhs` describes `raw.ahs` and `raw.data` exactly. */
function checkRawLengths(raw: RawPdu): void {
  if (raw.bhs.length !== BHS_LENGTH) throw lengthMismatch('BHS', BHS_LENGTH, raw.bhs.length);
  const ahsWords = raw.bhs[OFF_TOTAL_AHS_LENGTH]!;
  if (raw.ahs.length !== ahsWords * 4) throw lengthMismatch('TotalAHSLength', ahsWords * 4, raw.ahs.length);
  const dsl = raw.bhs.readUIntBE(OFF_DATA_SEGMENT_LENGTH, 3);
  if (raw.data.length !== dsl) throw lengthMismatch('DataSegmentLength', dsl, raw.data.length);
}

/**
 * Serialize a PDU into wire pieces `[header(+AHS)(+HeaderDigest), data,
 * padding(+DataDigest)]`, omitting empty pieces. The data segment is passed through
 * without copying (write the pieces with `writev`/cork). Padding is zero; no data
 * digest is sent for an empty data segment (P-02). Throws `LENGTH_MISMATCH` when
 * the BHS length fields disagree with `raw.ahs` / `raw.data`.
 */
export function serializePdu(raw: RawPdu, opts: { headerDigest: boolean; dataDigest: boolean }): Buffer[] {
  checkRawLengths(raw);
  const pieces: Buffer[] = [];
  if (raw.ahs.length === 0 && !opts.headerDigest) {
    pieces.push(raw.bhs);
  } else {
    const header = Buffer.allocUnsafe(BHS_LENGTH + raw.ahs.length + (opts.headerDigest ? DIGEST_LENGTH : 0));
    raw.bhs.copy(header, 0);
    raw.ahs.copy(header, BHS_LENGTH);
    if (opts.headerDigest) {
      const end = BHS_LENGTH + raw.ahs.length;
      writeDigest(crc32cFinal(crc32cUpdate(crc32cInit(), header.subarray(0, end))), header, end);
    }
    pieces.push(header);
  }
  const length = raw.data.length;
  if (length === 0) return pieces;
  pieces.push(raw.data);
  const pad = padLength(length);
  const digest = opts.dataDigest ? DIGEST_LENGTH : 0;
  if (pad + digest > 0) {
    const trailer = Buffer.alloc(pad + digest);
    if (digest > 0) {
      const state = crc32cUpdate(crc32cUpdate(crc32cInit(), raw.data), ZERO_PAD.subarray(0, pad));
      writeDigest(crc32cFinal(state), trailer, pad);
    }
    pieces.push(trailer);
  }
  return pieces;
}
