/**
 * Newline-delimited JSON framing for the control socket.
 *
 * A frame is the bytes between two LF (0x0A) bytes, an optional trailing CR
 * removed. LF never occurs inside a multi-byte UTF-8 sequence (continuation and
 * lead bytes are >= 0x80), so splitting on the byte is safe and each frame is
 * decoded whole: a character split across two chunks is never decoded in halves.
 * JSON.stringify escapes LF inside strings, so a JSON value is always one frame.
 *
 * The size limit is checked before buffering more: once a frame passes
 * `maxFrameBytes` the reader reports it at once, drops what it holds, and discards
 * input up to the next LF; the stream continues with the frame after it.
 */

/** Default largest frame, in bytes, without its LF. */
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;

const LF = 0x0a;
const CR = 0x0d;

/** What the reader hands out, in stream order. */
export type Frame =
  | { readonly type: 'line'; readonly text: string }
  /** `bytes`: size seen when the limit was passed (the rest of the line is discarded). */
  | { readonly type: 'oversize'; readonly bytes: number }
  | { readonly type: 'invalid-utf8'; readonly bytes: number };

export interface LineReaderOptions {
  /** Largest accepted frame in bytes (LF excluded). Default 1 MiB. */
  readonly maxFrameBytes?: number;
}

/** Incremental NDJSON splitter: feed chunks with `push`, frames come out of `onFrame`. */
export class LineReader {
  readonly maxFrameBytes: number;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  private pieces: Uint8Array[] = [];
  private pending = 0;
  private discarding = false;
  private stopped = false;

  constructor(private readonly onFrame: (frame: Frame) => void, opts: LineReaderOptions = {}) {
    const max = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`LineReader: maxFrameBytes must be a positive integer, got ${max}`);
    this.maxFrameBytes = max;
  }

  /** Bytes of an unfinished frame currently held. */
  get buffered(): number {
    return this.pending;
  }

  /** Stop handing out frames (the owner is closing); later pushes are ignored. */
  stop(): void {
    this.stopped = true;
    this.pieces = [];
    this.pending = 0;
  }

  /** Feed the next chunk of the byte stream. */
  push(chunk: Uint8Array): void {
    let start = 0;
    while (start < chunk.length && !this.stopped) {
      const nl = chunk.indexOf(LF, start);
      const end = nl === -1 ? chunk.length : nl;
      const piece = chunk.subarray(start, end);
      start = end + 1;
      if (this.discarding) {
        this.discarding = nl === -1;
        continue;
      }
      if (this.pending + piece.length > this.maxFrameBytes) {
        const bytes = this.pending + piece.length;
        this.pieces = [];
        this.pending = 0;
        this.discarding = nl === -1;
        this.onFrame({ type: 'oversize', bytes });
        continue;
      }
      if (nl === -1) {
        this.pieces.push(piece);
        this.pending += piece.length;
        return;
      }
      this.complete(piece);
    }
  }

  /** The frame ends with `last`: join, strip CR, decode, hand out. */
  private complete(last: Uint8Array): void {
    let bytes = this.pieces.length === 0 ? last : Buffer.concat([...this.pieces, last]);
    this.pieces = [];
    this.pending = 0;
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1);
    if (bytes.length === 0) return; // blank lines are ignored (keep-alive)
    let text: string;
    try {
      text = this.decoder.decode(bytes);
    } catch {
      this.onFrame({ type: 'invalid-utf8', bytes: bytes.length });
      return;
    }
    this.onFrame({ type: 'line', text });
  }
}
