/**
 * The fake target's own wire reader and writer (RFC 7143 §11.2, digests §11.2.3).
 *
 *   BHS 48 | AHS TotalAHSLength*4 | [HeaderDigest 4] | data DataSegmentLength | pad to 4 | [DataDigest 4]
 *
 * Deliberately separate from src/iscsi/framer.ts: it keeps the exact wire bytes of
 * every PDU (digests included), survives a data digest error (the PDU boundary is
 * still known), and writes whatever it is told, including bad lengths and digests.
 */
import { crc32c, DIGEST_LENGTH } from '../../../src/iscsi/crc32c.js';
import type { RawPdu } from '../../../src/iscsi/pdu/types.js';
import type { Digests } from './types.js';

const BHS = 48;

/** Bytes of zero padding after `n` data bytes. */
export function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

/** One item read off the stream. */
export type WireItem =
  | { kind: 'pdu'; raw: RawPdu; wire: Buffer; dataDigestError: boolean }
  | { kind: 'header-digest-error'; wire: Buffer };

/** Incremental reader; never throws on any input. */
export class WireReader {
  private buf: Buffer = Buffer.alloc(0);
  /** Digests applied to the next PDU to be parsed. */
  digests: Digests = { header: false, data: false };

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
  }

  /** Bytes received but not yet returned as a PDU. */
  get buffered(): number {
    return this.buf.length;
  }

  /** Drop everything buffered (after a header digest error the stream is lost). */
  clear(): void {
    this.buf = Buffer.alloc(0);
  }

  /** Next complete item, or null when more bytes are needed. */
  next(): WireItem | null {
    const b = this.buf;
    if (b.length < BHS) return null;
    const ahsLen = b[4]! * 4;
    const hd = this.digests.header ? DIGEST_LENGTH : 0;
    const headerEnd = BHS + ahsLen + hd;
    if (b.length < headerEnd) return null;
    if (hd > 0 && crc32c(b.subarray(0, BHS + ahsLen)) !== b.readUInt32LE(BHS + ahsLen)) {
      const wire = Buffer.from(b.subarray(0, headerEnd));
      this.clear();
      return { kind: 'header-digest-error', wire };
    }
    const dsl = b.readUIntBE(5, 3);
    const dd = this.digests.data && dsl > 0 ? DIGEST_LENGTH : 0;
    const dataEnd = headerEnd + dsl + pad4(dsl);
    const total = dataEnd + dd;
    if (b.length < total) return null;
    const wire = Buffer.from(b.subarray(0, total));
    this.buf = b.subarray(total);
    const dataDigestError = dd > 0 && crc32c(wire.subarray(headerEnd, dataEnd)) !== wire.readUInt32LE(dataEnd);
    const raw: RawPdu = {
      bhs: wire.subarray(0, BHS),
      ahs: wire.subarray(BHS, BHS + ahsLen),
      data: wire.subarray(headerEnd, headerEnd + dsl),
    };
    return { kind: 'pdu', raw, wire, dataDigestError };
  }
}

/** Options of {@link buildWire}. */
export interface BuildOptions {
  digests: Digests;
  patchBhs?: ((bhs: Buffer) => void) | undefined;
  corruptHeaderDigest?: boolean;
  corruptDataDigest?: boolean;
}

/**
 * Wire bytes of one PDU. Padding and the data digest follow the actual data length,
 * whatever the (possibly patched) BHS says; no data digest for an empty data segment.
 */
export function buildWire(raw: RawPdu, o: BuildOptions): Buffer {
  const bhs = Buffer.from(raw.bhs);
  o.patchBhs?.(bhs);
  const parts: Buffer[] = [bhs, raw.ahs];
  if (o.digests.header) {
    const d = Buffer.alloc(DIGEST_LENGTH);
    d.writeUInt32LE(crc32c(Buffer.concat([bhs, raw.ahs])), 0);
    if (o.corruptHeaderDigest) d[0] = d[0]! ^ 0xff;
    parts.push(d);
  }
  if (raw.data.length > 0) {
    const padded = Buffer.concat([raw.data, Buffer.alloc(pad4(raw.data.length))]);
    parts.push(padded);
    if (o.digests.data) {
      const d = Buffer.alloc(DIGEST_LENGTH);
      d.writeUInt32LE(crc32c(padded), 0);
      if (o.corruptDataDigest) d[0] = d[0]! ^ 0xff;
      parts.push(d);
    }
  }
  return Buffer.concat(parts);
}
