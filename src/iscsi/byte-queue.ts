/**
 * A FIFO of received chunks, read from the front without concatenating them.
 * Used by the PDU framer: `take(n)` returns a view into the front chunk when the
 * `n` bytes lie inside it and copies into a fresh buffer only when they span chunks.
 *
 * The queue keeps references to pushed chunks (and hands out views of them): callers
 * must not modify a chunk after pushing it.
 */
export class ByteQueue {
  private chunks: Buffer[] = [];
  /** Index in `chunks` of the front chunk. */
  private first = 0;
  /** Read offset inside the front chunk. */
  private offset = 0;
  private total = 0;

  /** Number of unread bytes. */
  get length(): number {
    return this.total;
  }

  /** Append a chunk (ignored when empty). */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.total += chunk.length;
  }

  /** Byte at `index` from the front; caller guarantees `index < length`. */
  peekByte(index: number): number {
    let i = this.first;
    let at = this.offset + index;
    for (;;) {
      const c = this.chunks[i]!;
      if (at < c.length) return c[at]!;
      at -= c.length;
      i++;
    }
  }

  /** Unsigned 24-bit big-endian value at `index` from the front. */
  peekUInt24BE(index: number): number {
    return (this.peekByte(index) << 16) | (this.peekByte(index + 1) << 8) | this.peekByte(index + 2);
  }

  /**
   * Remove and return the next `n` bytes (caller guarantees `n <= length`): a view
   * when they lie within one chunk, else a new buffer assembled from the pieces.
   */
  take(n: number): Buffer {
    const front = this.chunks[this.first]!;
    if (front.length - this.offset >= n) {
      const view = front.subarray(this.offset, this.offset + n);
      this.advance(n);
      return view;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[this.first]!;
      const k = Math.min(c.length - this.offset, n - filled);
      c.copy(out, filled, this.offset, this.offset + k);
      filled += k;
      this.advance(k);
    }
    return out;
  }

  /** Drop everything (used when the stream is abandoned). */
  clear(): void {
    this.chunks = [];
    this.first = 0;
    this.offset = 0;
    this.total = 0;
  }

  /** Consume `k` bytes that lie within the front chunk. */
  private advance(k: number): void {
    this.offset += k;
    this.total -= k;
    if (this.offset < this.chunks[this.first]!.length) return;
    this.offset = 0;
    this.first++;
    if (this.first === this.chunks.length) {
      this.chunks = [];
      this.first = 0;
    } else if (this.first >= 1024 && this.first * 2 >= this.chunks.length) {
      // Compact occasionally so byte-by-byte feeding stays linear.
      this.chunks = this.chunks.slice(this.first);
      this.first = 0;
    }
  }
}
