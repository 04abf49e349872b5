import { describe, expect, it } from 'vitest';
import { LineReader, DEFAULT_MAX_FRAME_BYTES, type Frame } from '../../../src/control/framing.js';

function collect(max?: number): { frames: Frame[]; reader: LineReader } {
  const frames: Frame[] = [];
  const reader = new LineReader((f) => frames.push(f), max === undefined ? {} : { maxFrameBytes: max });
  return { frames, reader };
}

const lines = (frames: Frame[]): string[] => frames.map((f) => (f.type === 'line' ? f.text : `<${f.type}>`));

describe('control framing (NDJSON)', () => {
  it('splits on LF, strips one trailing CR, ignores blank lines', () => {
    const { frames, reader } = collect();
    reader.push(Buffer.from('{"a":1}\n\n{"b":2}\r\n\r\n{"c"'));
    reader.push(Buffer.from(':3}\n'));
    expect(lines(frames)).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
    expect(reader.buffered).toBe(0);
  });

  it('defaults to a 1 MiB limit', () => {
    expect(collect().reader.maxFrameBytes).toBe(1024 * 1024);
    expect(DEFAULT_MAX_FRAME_BYTES).toBe(1048576);
  });

  it('decodes multi-byte UTF-8 split at every byte offset', () => {
    // 2-, 3- and 4-byte sequences (é, €, 𝄞) and a CJK character.
    const text = JSON.stringify({ s: 'é€𝄞漢 ok' });
    const bytes = Buffer.from(`${text}\n${text}\n`);
    for (let cut = 1; cut < bytes.length; cut++) {
      const { frames, reader } = collect();
      reader.push(bytes.subarray(0, cut));
      reader.push(bytes.subarray(cut));
      expect(lines(frames), `cut at ${cut}`).toEqual([text, text]);
    }
  });

  it('handles one byte at a time', () => {
    const { frames, reader } = collect();
    const bytes = Buffer.from('{"x":"ü"}\n{"y":2}\n');
    for (const b of bytes) reader.push(Uint8Array.of(b));
    expect(lines(frames)).toEqual(['{"x":"ü"}', '{"y":2}']);
  });

  it('reports invalid UTF-8 as its own frame and continues', () => {
    const { frames, reader } = collect();
    reader.push(Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n{"ok":1}\n')]));
    expect(frames.map((f) => f.type)).toEqual(['invalid-utf8', 'line']);
  });

  it('accepts a frame of exactly the limit and rejects one byte more', () => {
    const { frames, reader } = collect(10);
    reader.push(Buffer.from('0123456789\n'));
    reader.push(Buffer.from('0123456789A\n'));
    reader.push(Buffer.from('ok\n'));
    expect(frames).toEqual([
      { type: 'line', text: '0123456789' },
      { type: 'oversize', bytes: 11 },
      { type: 'line', text: 'ok' },
    ]);
  });

  it('reports an oversize frame as soon as the limit is passed and discards the rest of that line', () => {
    const { frames, reader } = collect(100);
    reader.push(Buffer.alloc(60, 0x61));
    expect(frames).toEqual([]);
    reader.push(Buffer.alloc(60, 0x62));
    expect(frames).toEqual([{ type: 'oversize', bytes: 120 }]);
    expect(reader.buffered).toBe(0);
    // The rest of the long line, arriving in pieces, is discarded without buffering.
    for (let i = 0; i < 50; i++) reader.push(Buffer.alloc(1000, 0x63));
    expect(reader.buffered).toBe(0);
    reader.push(Buffer.from('ccc\n{"next":true}\n'));
    expect(lines(frames)).toEqual(['<oversize>', '{"next":true}']);
  });

  it('a 2 MiB line against the default limit: one oversize frame, then the next line', () => {
    const { frames, reader } = collect();
    const big = Buffer.alloc(2 * 1024 * 1024, 0x78);
    for (let off = 0; off < big.length; off += 65536) reader.push(big.subarray(off, off + 65536));
    reader.push(Buffer.from('\n{"ok":1}\n'));
    expect(frames.map((f) => f.type)).toEqual(['oversize', 'line']);
    expect(frames[0]!.type === 'oversize' && frames[0]!.bytes).toBeGreaterThan(1024 * 1024);
  });

  it('stop() drops buffered bytes and ignores later input', () => {
    const { frames, reader } = collect();
    reader.push(Buffer.from('{"a":1}\n{"partial'));
    reader.stop();
    reader.push(Buffer.from('":2}\n{"b":3}\n'));
    expect(lines(frames)).toEqual(['{"a":1}']);
    expect(reader.buffered).toBe(0);
  });

  it('rejects a non-positive limit', () => {
    expect(() => new LineReader(() => {}, { maxFrameBytes: 0 })).toThrow(RangeError);
  });

  it('random chunking of random frames reproduces the frames (fuzz)', () => {
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    const alphabet = ['a', 'é', '€', '𝄞', '"', '\\n', ' '];
    for (let round = 0; round < 50; round++) {
      const texts = Array.from({ length: 1 + rnd(20) }, () => JSON.stringify(Array.from({ length: rnd(30) }, () => alphabet[rnd(alphabet.length)]).join('')));
      const bytes = Buffer.from(texts.map((t) => `${t}\n`).join(''));
      const { frames, reader } = collect(64);
      let off = 0;
      while (off < bytes.length) {
        const n = 1 + rnd(17);
        reader.push(bytes.subarray(off, off + n));
        off += n;
      }
      const expected = texts.map((t) => (Buffer.byteLength(t) > 64 ? '<oversize>' : t));
      expect(lines(frames)).toEqual(expected);
    }
  });
});
