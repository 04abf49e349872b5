import { describe, expect, it } from 'vitest';
import { IscsiError, ProtocolError } from '../../../src/shared/errors.js';
import { decodeText, encodeText, splitText, TextAssembler } from '../../../src/iscsi/text/codec.js';
import { TEXT_ERR } from '../../../src/iscsi/text/text-errors.js';
import { thrownCode } from './helpers.js';

/** Wire bytes written by hand: latin1 keeps every char as one byte. */
const wire = (s: string): Buffer => Buffer.from(s, 'latin1');

describe('encodeText', () => {
  it('C-06 ends every pair, including the last, with exactly one NUL', () => {
    const out = encodeText([
      ['HeaderDigest', 'None'],
      ['MaxRecvDataSegmentLength', '262144'],
    ]);
    expect(out).toEqual(wire('HeaderDigest=None\0MaxRecvDataSegmentLength=262144\0'));
    expect(encodeText([])).toEqual(Buffer.alloc(0));
  });

  it('C-06 encodes values as UTF-8', () => {
    // "Zoë": ë is U+00EB = c3 ab in UTF-8.
    expect(encodeText([['InitiatorAlias', 'Zo\u00eb']])).toEqual(
      Buffer.concat([wire('InitiatorAlias=Zo'), Buffer.from([0xc3, 0xab, 0x00])]),
    );
  });

  it('refuses keys it could not send and values containing NUL', () => {
    expect(thrownCode(() => encodeText([['Bad Key', 'x']]), IscsiError)).toBe(TEXT_ERR.ENCODE_INVALID);
    expect(thrownCode(() => encodeText([['Key', 'a\0b']]), IscsiError)).toBe(TEXT_ERR.ENCODE_INVALID);
  });
});

describe('decodeText', () => {
  it('C-06 decodes NUL-terminated pairs in order, value after the first "="', () => {
    expect(decodeText(wire('TargetAlias=a=b\0X#NodeArchitecture=OS/1,HW\0TargetAlias=\0'), 'test')).toEqual([
      ['TargetAlias', 'a=b'],
      ['X#NodeArchitecture', 'OS/1,HW'],
      ['TargetAlias', ''],
    ]);
    expect(decodeText(Buffer.alloc(0), 'test')).toEqual([]);
  });

  it('decodes UTF-8 values', () => {
    const data = Buffer.concat([wire('TargetAlias=Zo'), Buffer.from([0xc3, 0xab, 0x00])]);
    expect(decodeText(data, 'test')).toEqual([['TargetAlias', 'Zo\u00eb']]);
  });

  it('C-06 rejects text whose last pair has no NUL delimiter', () => {
    expect(thrownCode(() => decodeText(wire('A=1\0B=2'), 't'))).toBe(TEXT_ERR.NOT_TERMINATED);
  });

  it('tolerates zero padding after the last NUL but not an empty item between pairs', () => {
    expect(decodeText(wire('A=1\0\0\0\0'), 't')).toEqual([['A', '1']]);
    expect(thrownCode(() => decodeText(wire('A=1\0\0B=2\0'), 't'))).toBe(TEXT_ERR.MISSING_EQUALS);
  });

  it('rejects an item without "="', () => {
    expect(thrownCode(() => decodeText(wire('A=1\0NoEquals\0'), 't'))).toBe(TEXT_ERR.MISSING_EQUALS);
  });

  it('rejects empty, over-long and ill-formed keys (6.1 standard-label)', () => {
    expect(thrownCode(() => decodeText(wire('=1\0'), 't'))).toBe(TEXT_ERR.BAD_KEY);
    expect(thrownCode(() => decodeText(wire(`${'K'.repeat(64)}=1\0`), 't'))).toBe(TEXT_ERR.BAD_KEY);
    expect(thrownCode(() => decodeText(wire('Bad Key=1\0'), 't'))).toBe(TEXT_ERR.BAD_KEY);
    expect(thrownCode(() => decodeText(wire('Key:1=1\0'), 't'))).toBe(TEXT_ERR.BAD_KEY);
    expect(decodeText(wire(`${'K'.repeat(63)}=1\0`), 't')).toEqual([['K'.repeat(63), '1']]);
    expect(decodeText(wire('X-com.example+a@b_c=1\0'), 't')).toEqual([['X-com.example+a@b_c', '1']]);
  });

  it('checks every key among repeated ones (SendTargets answers repeat two keys 1000 times)', () => {
    const ok = 'TargetName=a\0TargetAddress=b\0TargetName=c\0TargetAddress=d\0';
    expect(decodeText(wire(ok), 't')).toHaveLength(4);
    for (const bad of ['=x', 'Bad Key=x', 'TargetName:=x']) {
      let err: unknown;
      try {
        decodeText(wire(`${ok}${bad}\0TargetName=e\0`), 't');
      } catch (e) {
        err = e;
      }
      expect((err as ProtocolError).code, bad).toBe(TEXT_ERR.BAD_KEY);
      expect((err as ProtocolError).details?.where).toBe('t[4]');
    }
  });

  it('rejects invalid UTF-8 in a value', () => {
    const data = Buffer.concat([wire('TargetAlias='), Buffer.from([0xff, 0xfe, 0x00])]);
    expect(thrownCode(() => decodeText(data, 't'))).toBe(TEXT_ERR.BAD_UTF8);
    const overlong = Buffer.concat([wire('TargetAlias='), Buffer.from([0xc0, 0xaf, 0x00])]);
    expect(thrownCode(() => decodeText(overlong, 't'))).toBe(TEXT_ERR.BAD_UTF8);
  });

  it('names the caller-given place in the error', () => {
    try {
      decodeText(wire('A=1\0B\0'), 'LoginResponse.data');
      expect.unreachable();
    } catch (err) {
      expect((err as ProtocolError).details['where']).toBe('LoginResponse.data[1]');
    }
  });

  it('throws only ProtocolError on random bytes', () => {
    let seed = 7;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let i = 0; i < 2000; i++) {
      const len = rand() % 40;
      const bytes = Buffer.alloc(len);
      // Bias towards interesting bytes: NUL, '=', letters, high bytes.
      const alphabet = [0x00, 0x3d, 0x41, 0x61, 0x30, 0x2c, 0x80, 0xc3, 0xff, 0x20];
      for (let j = 0; j < len; j++) bytes[j] = alphabet[rand() % alphabet.length]!;
      try {
        decodeText(bytes, 'fuzz');
      } catch (err) {
        expect(err).toBeInstanceOf(ProtocolError);
      }
    }
  });
});

/**
 * Reference decoder written for the test from §6.1, item by item on bytes (the way
 * decodeText worked before its whole-text fast path): the outcome to match exactly.
 */
function referenceDecode(data: Buffer, where: string): { pairs: [string, string][] } | { code: string; where: string } {
  if (data.length === 0) return { pairs: [] };
  if (data[data.length - 1] !== 0) return { code: TEXT_ERR.NOT_TERMINATED, where };
  let end = data.length - 1;
  while (end > 0 && data[end - 1] === 0) end--;
  const pairs: [string, string][] = [];
  const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  for (let start = 0; start < end; ) {
    const nul = data.indexOf(0, start);
    const item = data.subarray(start, nul);
    const at = `${where}[${pairs.length}]`;
    const eq = item.indexOf(0x3d);
    if (eq < 0) return { code: TEXT_ERR.MISSING_EQUALS, where: at };
    const key = item.subarray(0, eq).toString('latin1');
    if (key.length === 0 || key.length > 63 || !/^(?:X#)?[A-Za-z0-9.+@_-]+$/.test(key)) return { code: TEXT_ERR.BAD_KEY, where: at };
    try {
      pairs.push([key, strict.decode(item.subarray(eq + 1))]);
    } catch {
      return { code: TEXT_ERR.BAD_UTF8, where: `${at}.${key}` };
    }
    start = nul + 1;
  }
  return { pairs };
}

function actualDecode(data: Buffer, where: string): { pairs: [string, string][] } | { code: string; where: string } {
  try {
    return { pairs: decodeText(data, where).map(([k, v]) => [k, v]) };
  } catch (err) {
    const e = err as ProtocolError;
    return { code: e.code, where: String(e.details['where']) };
  }
}

describe('decodeText: whole-text fast path (SendTargets of 1000 targets)', () => {
  it('decodes a 2000-item SendTargets answer like the item-by-item reference', () => {
    let text = '';
    for (let i = 1; i <= 1000; i++) text += `TargetName=iqn.2024-01.org.example:t-${i}\0TargetAddress=127.0.0.1:3260,1\0`;
    const data = Buffer.from(text, 'utf8');
    const pairs = decodeText(data, 'TextResponse.data');
    expect(pairs).toHaveLength(2000);
    expect(pairs[1998]).toEqual(['TargetName', 'iqn.2024-01.org.example:t-1000']);
    expect(actualDecode(data, 'w')).toEqual(referenceDecode(data, 'w'));
  });

  it('a non-ASCII key is BAD_KEY and names its item, valid UTF-8 or not', () => {
    const utf8Key = Buffer.concat([wire('A=1\0Zo'), Buffer.from([0xc3, 0xab]), wire('=1\0')]);
    expect(actualDecode(utf8Key, 'w')).toEqual({ code: TEXT_ERR.BAD_KEY, where: 'w[1]' });
    const badKey = Buffer.concat([wire('A=1\0B=2\0Z'), Buffer.from([0xff]), wire('=1\0')]);
    expect(actualDecode(badKey, 'w')).toEqual({ code: TEXT_ERR.BAD_KEY, where: 'w[2]' });
  });

  it('agrees with the reference on 20 000 random texts: pairs, or the same error at the same place', () => {
    let seed = 11;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    const alphabet = [0x00, 0x00, 0x3d, 0x3d, 0x41, 0x61, 0x30, 0x2d, 0x20, 0x80, 0xab, 0xc3, 0xe2, 0xff, 0x23, 0x58];
    for (let i = 0; i < 20_000; i++) {
      const len = rand() % 48;
      const bytes = Buffer.alloc(len);
      for (let j = 0; j < len; j++) bytes[j] = alphabet[rand() % alphabet.length]!;
      if (len > 0 && rand() % 2 === 0) bytes[len - 1] = 0;
      expect(actualDecode(bytes, 'f'), bytes.toString('hex')).toEqual(referenceDecode(bytes, 'f'));
    }
  });
});

describe('TextAssembler', () => {
  const whole = 'TargetAlias=x\0TargetPortalGroupTag=1\0';

  it('C-08 reassembles a pair split across two Login Response PDUs before parsing', () => {
    const asm = new TextAssembler();
    expect(asm.push(wire('TargetAli'), true)).toBeUndefined();
    expect(asm.size).toBe(9);
    const text = asm.push(wire('as=x\0'), false);
    expect(text).toBeDefined();
    expect(decodeText(text!, 't')).toEqual([['TargetAlias', 'x']]);
    expect(asm.size).toBe(0);
  });

  it('C-08 gives the same pairs whatever offset the text is split at', () => {
    const data = wire(whole);
    for (let cut = 0; cut <= data.length; cut++) {
      const asm = new TextAssembler();
      expect(asm.push(data.subarray(0, cut), true)).toBeUndefined();
      const text = asm.push(data.subarray(cut), false)!;
      expect(decodeText(text, 't')).toEqual([
        ['TargetAlias', 'x'],
        ['TargetPortalGroupTag', '1'],
      ]);
    }
  });

  it('I-09 reassembles a Text Response sent as C=1, C=1, C=0 and copies held chunks', () => {
    const asm = new TextAssembler();
    const recv = Buffer.from(wire('TargetName=iqn.2001-04.com.example:t1\0TargetAddr'));
    asm.push(recv.subarray(0, 20), true);
    asm.push(recv.subarray(20), true);
    recv.fill(0x58); // the framer reuses its buffer: held chunks must be copies
    const text = asm.push(wire('ess=10.0.0.1:3260,1\0'), false)!;
    expect(decodeText(text, 't')).toEqual([
      ['TargetName', 'iqn.2001-04.com.example:t1'],
      ['TargetAddress', '10.0.0.1:3260,1'],
    ]);
  });

  it('reset() forgets partial text', () => {
    const asm = new TextAssembler();
    asm.push(wire('Garbage'), true);
    asm.reset();
    expect(asm.size).toBe(0);
    expect(decodeText(asm.push(wire('A=1\0'), false)!, 't')).toEqual([['A', '1']]);
  });

  it('throws TEXT_TOO_LONG beyond the limit (default 65536) and accepts exactly the limit', () => {
    const asm = new TextAssembler();
    asm.push(Buffer.alloc(65535, 0x41), true);
    expect(asm.push(Buffer.alloc(1), false)!.length).toBe(65536);
    asm.push(Buffer.alloc(65536, 0x41), true);
    expect(thrownCode(() => asm.push(Buffer.alloc(1), false))).toBe(TEXT_ERR.TOO_LONG);
    expect(asm.size).toBe(0);
    const small = new TextAssembler({ maxBytes: 100 });
    expect(thrownCode(() => small.push(Buffer.alloc(101), false))).toBe(TEXT_ERR.TOO_LONG);
  });

  it('names where the too-long text came from (default "text")', () => {
    const where = (asm: TextAssembler): unknown => {
      try {
        asm.push(Buffer.alloc(11), false);
      } catch (err) {
        return (err as ProtocolError).details.where;
      }
      return undefined;
    };
    expect(where(new TextAssembler({ maxBytes: 10 }))).toBe('text');
    expect(where(new TextAssembler({ maxBytes: 10, where: 'TextResponse.data' }))).toBe('TextResponse.data');
  });

  it('E-05 receives 8192 bytes of key=value data in one negotiation sequence', () => {
    // 128 pairs of exactly 64 bytes: "X-com.example.kNNN=" (19) + 44 value bytes + NUL.
    let text = '';
    for (let i = 0; i < 128; i++) text += `X-com.example.k${String(i).padStart(3, '0')}=${'v'.repeat(44)}\0`;
    const data = wire(text);
    expect(data.length).toBe(8192);
    const asm = new TextAssembler();
    let out: Buffer | undefined;
    for (let off = 0; off < data.length; off += 1000) {
      const end = Math.min(off + 1000, data.length);
      out = asm.push(data.subarray(off, end), end < data.length);
    }
    const pairs = decodeText(out!, 't');
    expect(pairs).toHaveLength(128);
    expect(pairs[127]).toEqual(['X-com.example.k127', 'v'.repeat(44)]);
  });
});

describe('splitText', () => {
  it('C-05 splits long text into segments of at most 8192 bytes that rejoin exactly', () => {
    const data = Buffer.alloc(20000, 0x61);
    const parts = splitText(data, 8192);
    expect(parts.map((p) => p.length)).toEqual([8192, 8192, 3616]);
    expect(Buffer.concat(parts)).toEqual(data);
    expect(splitText(Buffer.alloc(8192), 8192)).toHaveLength(1);
  });

  it('gives one empty segment for empty text and refuses a bad segment size', () => {
    expect(splitText(Buffer.alloc(0), 8192)).toEqual([Buffer.alloc(0)]);
    expect(thrownCode(() => splitText(Buffer.alloc(4), 0), IscsiError)).toBe(TEXT_ERR.ENCODE_INVALID);
  });
});
