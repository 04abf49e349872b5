/**
 * Wire form of iSCSI text (RFC 7143 §6.1): a logical text data segment (LTDS)
 * is a sequence of UTF-8 `key=value` items, each followed by exactly one NUL
 * (0x00), including the last one:
 *
 *   "HeaderDigest=None\0MaxRecvDataSegmentLength=262144\0"
 *
 * An LTDS may span several Login/Text PDUs: every PDU but the last has C=1
 * (§6.1, §11.12.2, §11.10.2). A pair may be split anywhere, even inside the
 * key, so PDUs are reassembled before parsing ({@link TextAssembler}) and
 * split after encoding ({@link splitText}).
 */
import { IscsiError, ISCSI_ERR } from '../../shared/errors.js';
import { TEXT_ERR, textError } from './text-errors.js';

/** One key=value item, in wire order. */
export type TextPair = readonly [key: string, value: string];

/** Longest key-name, §6.1 standard-label ("must not exceed 63 characters"). */
export const MAX_KEY_LENGTH = 63;
/** Default cap on one reassembled LTDS: 64 KB, the most §6.1 ever requires us to receive. */
export const DEFAULT_MAX_TEXT_BYTES = 65536;

/**
 * standard-label characters (§6.1): letters, digits, dot, minus, plus,
 * commercial at, underscore. "X#" is admitted as a prefix because the one
 * registered X# key, X#NodeArchitecture (§13.26), uses it. The "begins with a
 * capital letter" rule is not enforced: iSCSIProtocolLevel (RFC 7144) itself
 * starts with a lower-case letter.
 */
const KEY_RE = /^(?:X#)?[A-Za-z0-9.+@_-]+$/;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** True when `key` is a syntactically valid key-name (§6.1). */
export function isValidKeyName(key: string): boolean {
  return key.length > 0 && key.length <= MAX_KEY_LENGTH && KEY_RE.test(key);
}

/**
 * Encode pairs as one LTDS: `key=value\0` for each pair, UTF-8 (C-06). Our own
 * data only: an invalid key or a value containing NUL is a local bug
 * (IscsiError TEXT_ENCODE_INVALID), never sent.
 */
export function encodeText(pairs: readonly TextPair[]): Buffer {
  let text = '';
  for (const [key, value] of pairs) {
    if (!isValidKeyName(key) || value.includes('\0')) {
      throw new IscsiError(TEXT_ERR.ENCODE_INVALID, `cannot encode text key ${JSON.stringify(key)}`, {
        errno: ISCSI_ERR.INTERNAL,
      });
    }
    text += `${key}=${value}\0`;
  }
  return Buffer.from(text, 'utf8');
}

/**
 * Decode one complete LTDS into pairs, in order (duplicates are kept: the
 * negotiation layer decides whether they are allowed).
 *
 * Throws ProtocolError: TEXT_NOT_TERMINATED (last byte is not NUL),
 * TEXT_MISSING_EQUALS (item without '=', or an empty item between two NULs),
 * TEXT_BAD_KEY (empty, > 63 bytes, characters outside §6.1), TEXT_BAD_UTF8.
 * Robustness: extra NUL bytes at the very end (zero padding counted in
 * DataSegmentLength by a sloppy peer) are ignored.
 */
export function decodeText(data: Buffer, where: string): TextPair[] {
  if (data.length === 0) return [];
  if (data[data.length - 1] !== 0) {
    throw textError(TEXT_ERR.NOT_TERMINATED, 'key=value text does not end with a NUL delimiter', where);
  }
  let end = data.length - 1; // index of the final NUL
  while (end > 0 && data[end - 1] === 0) end--;
  let text: string | undefined;
  try {
    text = utf8.decode(data.subarray(0, end + 1));
  } catch {
    text = undefined; // some item is not UTF-8: the per-item path names which
  }
  return text === undefined ? decodeItems(data, end, where) : decodeString(text, where);
}

/**
 * Fast path: the whole LTDS decoded at once (one native call instead of one per item:
 * a 1000-target SendTargets answer has 2000 items). A UTF-8 sequence never contains
 * 0x00 or 0x3d, so the string splits exactly where the bytes do, and any key byte
 * >= 0x80 gives a non-ASCII key that fails the key-name check as in the byte path.
 */
function decodeString(text: string, where: string): TextPair[] {
  const pairs: TextPair[] = [];
  const end = text.length - 1; // the final NUL
  // The last two keys found valid: SendTargets alternates TargetName and TargetAddress, so
  // 2000 items need two key-name checks, not 2000.
  let good1 = '\0'; // never a key: items are split at NUL
  let good2 = '\0';
  let start = 0;
  while (start < end) {
    const nul = text.indexOf('\0', start);
    const eq = text.indexOf('=', start);
    if (eq < 0 || eq > nul) throw textError(TEXT_ERR.MISSING_EQUALS, 'key=value item has no "="', `${where}[${pairs.length}]`);
    const key = text.slice(start, eq);
    if (key !== good1 && key !== good2) {
      if (!isValidKeyName(key)) {
        throw textError(TEXT_ERR.BAD_KEY, `invalid key-name (${Buffer.byteLength(key)} bytes)`, `${where}[${pairs.length}]`);
      }
      good2 = good1;
      good1 = key;
    }
    pairs.push([key, text.slice(eq + 1, nul)]);
    start = nul + 1;
  }
  return pairs;
}

/** Byte path, item by item (used when some value is not UTF-8, to name it). */
function decodeItems(data: Buffer, end: number, where: string): TextPair[] {
  const pairs: TextPair[] = [];
  let start = 0;
  while (start < end) {
    const nul = data.indexOf(0, start);
    pairs.push(decodeItem(data.subarray(start, nul), `${where}[${pairs.length}]`));
    start = nul + 1;
  }
  return pairs;
}

/** Decode one `key=value` item (without its NUL). */
function decodeItem(item: Buffer, where: string): TextPair {
  const eq = item.indexOf(0x3d); // '='
  if (eq < 0) throw textError(TEXT_ERR.MISSING_EQUALS, 'key=value item has no "="', where);
  const keyBytes = item.subarray(0, eq);
  // Keys are ASCII; latin1 maps each byte to one char, so the regex sees every byte.
  const key = keyBytes.toString('latin1');
  if (!isValidKeyName(key)) {
    throw textError(TEXT_ERR.BAD_KEY, `invalid key-name (${keyBytes.length} bytes)`, where);
  }
  let value: string;
  try {
    value = utf8.decode(item.subarray(eq + 1));
  } catch {
    throw textError(TEXT_ERR.BAD_UTF8, `value of ${key} is not valid UTF-8`, `${where}.${key}`);
  }
  return [key, value];
}

/** Options of {@link TextAssembler}. */
export interface TextAssemblerOptions {
  /** Largest LTDS accepted, in bytes (default 65536; §6.1 requires at least 8192). */
  maxBytes?: number;
  /** Where the text comes from, for errors (e.g. `LoginResponse.data`); default `text`. */
  where?: string;
}

/**
 * Reassembles the data segments of a C=1 ... C=0 PDU series into one LTDS
 * (§6.1, C-08, I-09). Chunks held across calls are copied, so callers may
 * pass views into a reused receive buffer.
 */
export class TextAssembler {
  private chunks: Buffer[] = [];
  private total = 0;
  private readonly maxBytes: number;
  private readonly where: string;

  constructor(opts: TextAssemblerOptions = {}) {
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_TEXT_BYTES;
    this.where = opts.where ?? 'text';
  }

  /**
   * Add one PDU's data segment. Returns the whole LTDS when `cont` is false
   * (the PDU had C=0), otherwise undefined. Throws ProtocolError TEXT_TOO_LONG
   * (and forgets the partial text) when the total would exceed the maximum.
   */
  push(data: Buffer, cont: boolean): Buffer | undefined {
    if (this.total + data.length > this.maxBytes) {
      const size = this.total + data.length;
      this.reset();
      throw textError(TEXT_ERR.TOO_LONG, `text of ${size} bytes exceeds the ${this.maxBytes}-byte limit`, this.where);
    }
    if (cont) {
      this.chunks.push(Buffer.from(data));
      this.total += data.length;
      return undefined;
    }
    const whole = this.chunks.length === 0 ? data : Buffer.concat([...this.chunks, data], this.total + data.length);
    this.reset();
    return whole;
  }

  /** Drop any partial text (new login/text exchange, or error). */
  reset(): void {
    this.chunks = [];
    this.total = 0;
  }

  /** Bytes held from C=1 PDUs so far. */
  get size(): number {
    return this.total;
  }
}

/**
 * Split an LTDS into data segments of at most `maxSegment` bytes, to be sent
 * with C=1 on all but the last PDU (C-05, §6.2). Pairs may be cut anywhere.
 * Returns views into `data`; an empty LTDS gives one empty segment.
 */
export function splitText(data: Buffer, maxSegment: number): Buffer[] {
  if (!Number.isInteger(maxSegment) || maxSegment < 1) {
    throw new IscsiError(TEXT_ERR.ENCODE_INVALID, `invalid text segment size ${maxSegment}`, { errno: ISCSI_ERR.INTERNAL });
  }
  if (data.length === 0) return [data];
  const out: Buffer[] = [];
  for (let off = 0; off < data.length; off += maxSegment) {
    out.push(data.subarray(off, Math.min(off + maxSegment, data.length)));
  }
  return out;
}
