/**
 * PDU framing into a reusable receive buffer (RFC 7143 §11.2; wire layout in framer.ts).
 *
 * The transport reads into {@link ReceiveFramer.readBuffer} and hands the bytes back with
 * {@link ReceiveFramer.push}. Two modes:
 *
 * - At a PDU boundary the read goes into a large scratch buffer (shared, see ScratchSource)
 *   and every PDU that lies wholly inside it is handed out as views into it: no copy.
 * - The bytes of a PDU cut off at the end of a read are copied once into this framer's own
 *   assembly buffer, and the next reads go straight into that buffer, each exactly up to the
 *   end of the header or of the PDU (so a read never runs past the PDU). A PDU larger than
 *   the scratch buffer takes the same path.
 * - Direct data placement ({@link Placer}): when the header of a cut-off PDU is known, its
 *   data goes to a buffer the placer names (a Data-In: its command's buffer) instead of
 *   the assembly buffer. After a large Data-In the next boundary read asks for the header
 *   alone, so that the next Data-In is placed whole.
 *
 * The PDUs handed to `onPdu` are BORROWED: their `bhs`, `ahs` and `data` are views that the
 * next read overwrites. Copy whatever must outlive the callback. Checks are those of
 * PduFramer: header digest (P-04), the DataSegmentLength limit before any data is awaited
 * (C-09, F-05), the data digest (O-05, P-05), computed over the data as it arrives. Any
 * framing error poisons the framer (FRAMER_POISONED afterwards).
 */
import { ISCSI_ERR, IscsiError, ProtocolError } from '../shared/errors.js';
import { crc32cFinal, crc32cInit, crc32cUpdate, DIGEST_LENGTH, readDigest } from './crc32c.js';
import { checkLength, dataDigestError, padLength, validateOptions, verifyHeaderDigest, type FramerOptions } from './framer.js';
import { BHS_LENGTH, Opcode, type RawPdu } from './pdu/types.js';

/** Where reads at a PDU boundary go. The buffer may be shared by many framers (one thread). */
export interface ScratchSource {
  /** A buffer of about `wanted` bytes (it may be smaller or larger). */
  get(wanted: number): Buffer;
}

/**
 * Direct data placement: where the data segment of a PDU should land. Called with the
 * checked BHS of a PDU whose data has not all arrived yet (no padding, no data digest);
 * returns a buffer of exactly `dataLength` bytes to read the data into, or undefined to
 * assemble it in the framer's own buffer. The PDU is then delivered with `data` = that
 * buffer. Used for Data-In: the data goes from the socket straight into the command's
 * buffer, as libiscsi reads it (header first, then the data into the task's buffer).
 */
export type Placer = (bhs: Buffer, dataLength: number) => Buffer | undefined;

/** A Data-In with at least this much data makes the next boundary read header-first (placement). */
export const HEADER_FIRST_MIN_DATA = 16 * 1024;

const OFF_TOTAL_AHS_LENGTH = 4;
const OFF_DATA_SEGMENT_LENGTH = 5;
const EMPTY = Buffer.alloc(0);
const MIN_ASSEMBLY = 4096;

/** A checked header and the running data digest of its PDU (positions relative to the PDU start). */
interface Header {
  headerBytes: number;
  ahsLength: number;
  dataLength: number;
  /** Data + padding: what the data digest covers. */
  digested: number;
  total: number;
  dataDigest: boolean;
  crc: number;
  /** Bytes of data + padding already in `crc`. */
  crcDone: number;
}

export class ReceiveFramer {
  private opts: Readonly<FramerOptions>;
  /** Options in effect for the PDU being received; null at a PDU boundary. */
  private current: Readonly<FramerOptions> | null = null;
  private header: Header | null = null;
  /** Assembly buffer of a PDU that spans reads; `filled` bytes of it are valid. */
  private own: Buffer = EMPTY;
  private filled = 0;
  private poison: IscsiError | null = null;
  private inPush = false;
  /** Destination of the current PDU's data (see Placer); bytes past the header go there. */
  private placed: Buffer | null = null;
  private placer: Placer | undefined;
  /** The last PDU carried HEADER_FIRST_MIN_DATA or more: read the next header on its own. */
  private headerFirst = false;

  constructor(opts: FramerOptions, private readonly scratch: ScratchSource) {
    this.opts = validateOptions({ ...opts });
  }

  /** Turn direct data placement on (a Placer) or off (undefined). */
  setPlacer(placer: Placer | undefined): void {
    this.placer = placer;
    if (placer === undefined) this.headerFirst = false;
  }

  /** Change options from the next PDU boundary (call inside `onPdu` for the next PDU, P-03). */
  setOptions(opts: Partial<FramerOptions>): void {
    this.opts = validateOptions({ ...this.opts, ...opts });
  }

  /** Bytes of an unfinished PDU held in the assembly buffer. */
  get buffered(): number {
    return this.filled;
  }

  /** Where the next read should go: the rest of the PDU being assembled, or the scratch buffer. */
  readBuffer(): Buffer {
    if (this.filled === 0) {
      // After a large Data-In, the next is likely one too: read its header alone, so that
      // its data can be read straight into place (one extra read instead of a copy).
      if (this.headerFirst) {
        this.ensureOwn(BHS_LENGTH);
        return this.own.subarray(0, BHS_LENGTH);
      }
      return this.scratch.get(this.opts.maxDataSegmentLength + BHS_LENGTH + 2 * DIGEST_LENGTH + 3);
    }
    if (this.placed !== null) return this.placed.subarray(this.filled - this.header!.headerBytes);
    const end = this.assemblyTarget();
    return this.own.subarray(this.filled, end);
  }

  /**
   * Bytes received (a read into {@link readBuffer}, or any chunk). Calls `onPdu` for each
   * complete PDU, in order, with BORROWED views. Throws ProtocolError for bad input; an
   * exception from `onPdu` also poisons the framer (the bytes after that PDU are lost).
   */
  push(chunk: Buffer, onPdu: (pdu: RawPdu) => void): void {
    if (this.poison !== null) {
      throw new ProtocolError('FRAMER_POISONED', `PDU framer used after an error (${this.poison.code})`, {
        where: 'ReceiveFramer.push', cause: this.poison, details: { cause: this.poison.code },
      });
    }
    if (this.inPush) throw new IscsiError('FRAMER_REENTRANT', 'ReceiveFramer.push called from inside its own onPdu callback', { errno: ISCSI_ERR.INTERNAL });
    this.inPush = true;
    try {
      let off = 0;
      while (off < chunk.length) off = this.filled > 0 ? this.assemble(chunk, off, onPdu) : this.parseInPlace(chunk, off, onPdu);
    } catch (err) {
      this.poison = err instanceof IscsiError ? err : new IscsiError('PDU_HANDLER_FAILED', String(err), { errno: ISCSI_ERR.INTERNAL, cause: err });
      this.header = null;
      this.filled = 0;
      this.own = EMPTY;
      this.placed = null;
      throw err;
    } finally {
      this.inPush = false;
    }
  }

  /** Deliver every whole PDU in chunk[off..]; copy a cut-off tail into the assembly buffer. */
  private parseInPlace(chunk: Buffer, off: number, onPdu: (pdu: RawPdu) => void): number {
    const end = chunk.length;
    for (;;) {
      const h = this.readHeader(chunk, off, end - off);
      if (h === null || end - off < h.total) break;
      this.deliver(chunk, off, h, onPdu);
      off += h.total;
      if (off === end) return end;
    }
    // The tail is the start of a PDU: keep it (the only copy of these bytes before delivery).
    const n = end - off;
    const h = this.header;
    if (h !== null && this.place(chunk, off, h)) {
      chunk.copy(this.own, 0, off, off + h.headerBytes);
      chunk.copy(this.placed!, 0, off + h.headerBytes, end);
    } else {
      this.ensureOwn(h ? h.total : Math.max(n, MIN_ASSEMBLY));
      chunk.copy(this.own, 0, off, end);
      if (h) this.hash(this.own, 0, n, h);
    }
    this.filled = n;
    return end;
  }

  /**
   * Ask the placer for a destination for the data of the PDU at buf[base..] (its header
   * is complete, its data is not). Only plain PDUs qualify: data but no padding, no data
   * digest. Sets `placed` (and room for the header in `own`); false when not placed.
   */
  private place(buf: Buffer, base: number, h: Header): boolean {
    if (this.placer === undefined || h.dataLength === 0 || h.dataDigest || h.digested !== h.dataLength) return false;
    const dest = this.placer(buf.subarray(base, base + BHS_LENGTH), h.dataLength);
    if (dest === undefined || dest.length !== h.dataLength) return false;
    this.ensureOwn(h.headerBytes);
    this.placed = dest;
    return true;
  }

  /** Add bytes to the PDU being assembled, up to its next milestone (header end, PDU end). */
  private assemble(chunk: Buffer, off: number, onPdu: (pdu: RawPdu) => void): number {
    if (this.placed !== null) return this.assemblePlaced(chunk, off, onPdu);
    const target = this.assemblyTarget();
    const own = this.own;
    const inPlace = chunk.buffer === own.buffer && chunk.byteOffset === own.byteOffset + this.filled && off === 0;
    const n = Math.min(target - this.filled, chunk.length - off);
    if (!inPlace) chunk.copy(own, this.filled, off, off + n);
    this.filled += n;
    if (this.header === null && this.readHeader(own, 0, this.filled) === null) return off + n;
    const h = this.header!;
    // The header just completed and the data is still to come: read it into place.
    if (this.filled === h.headerBytes && this.filled < h.total && this.place(own, 0, h)) return off + n;
    this.hash(own, 0, this.filled, h);
    if (this.filled < h.total) return off + n;
    this.filled = 0;
    this.deliver(own, 0, h, onPdu);
    return off + n;
  }

  /** Add data bytes of a placed PDU (read in place, or copied from a chunk) until it is whole. */
  private assemblePlaced(chunk: Buffer, off: number, onPdu: (pdu: RawPdu) => void): number {
    const h = this.header!;
    const dest = this.placed!;
    const at = this.filled - h.headerBytes;
    const n = Math.min(h.total - this.filled, chunk.length - off);
    const inPlace = chunk.buffer === dest.buffer && chunk.byteOffset === dest.byteOffset + at && off === 0;
    if (!inPlace) chunk.copy(dest, at, off, off + n);
    this.filled += n;
    if (this.filled < h.total) return off + n;
    this.filled = 0;
    this.placed = null;
    this.deliver(this.own, 0, h, onPdu, dest);
    return off + n;
  }

  /** End (exclusive) of the next read into the assembly buffer; grows the buffer to fit. */
  private assemblyTarget(): number {
    let end: number;
    if (this.header) end = this.header.total;
    else if (this.filled < BHS_LENGTH) end = BHS_LENGTH;
    else end = BHS_LENGTH + this.own[OFF_TOTAL_AHS_LENGTH]! * 4 + (this.current?.headerDigest ? DIGEST_LENGTH : 0);
    this.ensureOwn(end);
    return end;
  }

  private ensureOwn(size: number): void {
    if (this.own.length >= size) return;
    const grown = Buffer.allocUnsafe(Math.max(size, MIN_ASSEMBLY));
    this.own.copy(grown, 0, 0, this.filled);
    this.own = grown;
  }

  /**
   * Header stage at buf[base..base+avail): sets and returns `this.header` once it is
   * complete and checked, null while more bytes are needed.
   */
  private readHeader(buf: Buffer, base: number, avail: number): Header | null {
    if (this.header) return this.header;
    if (avail < BHS_LENGTH) return null;
    // setOptions replaces `opts` (never mutates it), so the reference is this PDU's snapshot.
    const opts = (this.current ??= this.opts);
    const ahsLength = buf[base + OFF_TOTAL_AHS_LENGTH]! * 4;
    const dataLength = buf.readUIntBE(base + OFF_DATA_SEGMENT_LENGTH, 3);
    // Without a header digest the length is refused at once; with one, only after the
    // digest vouched for it (P-04). TotalAHSLength is one byte: at most 1020 bytes to wait for.
    if (!opts.headerDigest) checkLength(dataLength, opts, buf[base]!);
    const headerBytes = BHS_LENGTH + ahsLength + (opts.headerDigest ? DIGEST_LENGTH : 0);
    if (avail < headerBytes) return null;
    if (opts.headerDigest) {
      const end = base + BHS_LENGTH + ahsLength;
      verifyHeaderDigest(buf.subarray(base, base + BHS_LENGTH), buf.subarray(base + BHS_LENGTH, end), readDigest(buf, end));
      checkLength(dataLength, opts, buf[base]!);
    }
    const digested = dataLength + padLength(dataLength);
    const dataDigest = opts.dataDigest && dataLength > 0;
    const total = headerBytes + digested + (dataDigest ? DIGEST_LENGTH : 0);
    this.header = { headerBytes, ahsLength, dataLength, digested, total, dataDigest, crc: crc32cInit(), crcDone: 0 };
    return this.header;
  }

  /** Fold the data + padding bytes present in buf[base..base+avail) into the running digest. */
  private hash(buf: Buffer, base: number, avail: number, h: Header): void {
    if (!h.dataDigest) return;
    const upTo = Math.min(Math.max(avail - h.headerBytes, 0), h.digested);
    if (upTo <= h.crcDone) return;
    const from = base + h.headerBytes;
    h.crc = crc32cUpdate(h.crc, buf.subarray(from + h.crcDone, from + upTo));
    h.crcDone = upTo;
  }

  /** Check the data digest and hand out the PDU at buf[base..base+h.total) as views (data in `placedData` when placed). */
  private deliver(buf: Buffer, base: number, h: Header, onPdu: (pdu: RawPdu) => void, placedData?: Buffer): void {
    const bhs = buf.subarray(base, base + BHS_LENGTH);
    const dataStart = base + h.headerBytes;
    if (h.dataDigest) {
      this.hash(buf, base, h.total, h);
      const expected = crc32cFinal(h.crc);
      const received = readDigest(buf, dataStart + h.digested);
      if (expected !== received) throw dataDigestError(bhs, expected, received);
    }
    this.header = null;
    this.current = null;
    const ahs = h.ahsLength > 0 ? buf.subarray(base + BHS_LENGTH, base + BHS_LENGTH + h.ahsLength) : EMPTY;
    const data = placedData ?? (h.dataLength > 0 ? buf.subarray(dataStart, dataStart + h.dataLength) : EMPTY);
    // Only Data-In is placed: a large Text Response (SendTargets) gains nothing from it (bench/discovery-1000).
    if (this.placer !== undefined) this.headerFirst = h.dataLength >= HEADER_FIRST_MIN_DATA && (bhs[0]! & 0x3f) === Opcode.DataIn;
    onPdu({ bhs, ahs, data });
  }
}
