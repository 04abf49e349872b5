import { describe, expect, it } from 'vitest';
import { PduFramer, type FramerOptions } from '../../../src/iscsi/framer.js';
import type { RawPdu } from '../../../src/iscsi/pdu/types.js';
import { ConfigError, IscsiError, ProtocolError } from '../../../src/shared/errors.js';
import { buildBhs, buildWire, digestBytes, referenceCrc32c } from './wire-builder.js';

const LOGIN: FramerOptions = { headerDigest: false, dataDigest: false, maxDataSegmentLength: 8192 };
const FFP: FramerOptions = { headerDigest: true, dataDigest: true, maxDataSegmentLength: 65536 };

/** Run `fn`, return what it threw (fails the test when it does not throw). */
function thrown(fn: () => void): ProtocolError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return err as ProtocolError;
  }
  throw new Error('expected a ProtocolError');
}

function collect(framer: PduFramer, chunk: Buffer): RawPdu[] {
  const out: RawPdu[] = [];
  framer.push(chunk, (p) => out.push(p));
  return out;
}

/** A header (plus header digest when `hd`) whose DataSegmentLength field is `dsl`, without data. */
function headerOnly(dsl: number, hd: boolean, opcode = 0x23): Buffer {
  const bhs = buildBhs({ opcode, itt: 7, dslField: dsl });
  return hd ? Buffer.concat([bhs, Buffer.from(digestBytes(referenceCrc32c(bhs)))]) : bhs;
}

describe('PduFramer data segment limit', () => {
  it('C-09 rejects a login response data segment above 8192 from the 48-byte header alone', () => {
    const framer = new PduFramer(LOGIN);
    const err = thrown(() => collect(framer, headerOnly(8193, false)));
    expect(err.code).toBe('DATA_SEGMENT_TOO_LONG');
    expect(err.details).toMatchObject({ length: 8193, limit: 8192, opcode: 0x23 });
  });

  it('C-09 rejects it even before the 48-byte header is complete when split', () => {
    const framer = new PduFramer(LOGIN);
    const h = headerOnly(0xffffff, false);
    expect(collect(framer, h.subarray(0, 47))).toEqual([]);
    expect(thrown(() => collect(framer, h.subarray(47))).code).toBe('DATA_SEGMENT_TOO_LONG');
  });

  it('C-09 accepts a data segment of exactly the limit', () => {
    const { wire } = buildWire({ opcode: 0x23, itt: 1, data: Buffer.alloc(8192, 0x41) }, { hd: false, dd: false });
    const framer = new PduFramer(LOGIN);
    expect(collect(framer, wire.subarray(0, 48))).toEqual([]);
    expect(framer.buffered).toBe(48);
    expect(collect(framer, wire.subarray(48))[0]!.data.length).toBe(8192);
  });

  it('F-05 rejects an FFP PDU above MaxRecvDataSegmentLength once its digest-checked header arrives', () => {
    const framer = new PduFramer(FFP);
    const err = thrown(() => collect(framer, headerOnly(65537, true, 0x25)));
    expect(err.code).toBe('DATA_SEGMENT_TOO_LONG');
    expect(err.details).toMatchObject({ length: 65537, limit: 65536, opcode: 0x25 });
  });

  it('F-05 uses the limit set with setOptions for later PDUs', () => {
    const framer = new PduFramer({ ...LOGIN, maxDataSegmentLength: 262144 });
    framer.setOptions({ maxDataSegmentLength: 512 });
    expect(thrown(() => collect(framer, headerOnly(513, false, 0x25))).code).toBe('DATA_SEGMENT_TOO_LONG');
  });

  it('refuses an impossible maxDataSegmentLength option', () => {
    expect(() => new PduFramer({ ...LOGIN, maxDataSegmentLength: 0x1000000 })).toThrow(ConfigError);
    expect(() => new PduFramer(LOGIN).setOptions({ maxDataSegmentLength: -1 })).toThrow(ConfigError);
  });
});

describe('PduFramer digests errors', () => {
  it('P-04 rejects a wrong header digest', () => {
    const { wire } = buildWire({ opcode: 0x21, itt: 4, data: Buffer.from('abcd') }, { hd: true, dd: true });
    wire[20]! ^= 0x01;
    const err = thrown(() => collect(new PduFramer(FFP), wire));
    expect(err.code).toBe('HEADER_DIGEST_ERROR');
  });

  it('P-04 never trusts the length of a header whose digest is wrong', () => {
    // DSL corrupted to 0xffffff after the digest was computed: report the digest, not the length,
    // and do it as soon as the header and its digest are in (no waiting for data).
    const good = headerOnly(16, true, 0x21);
    const bad = Buffer.from(good);
    bad[5] = 0xff;
    bad[6] = 0xff;
    bad[7] = 0xff;
    const err = thrown(() => collect(new PduFramer(FFP), bad));
    expect(err.code).toBe('HEADER_DIGEST_ERROR');
    const small = Buffer.from(good);
    small[7] = 0x08;
    expect(thrown(() => collect(new PduFramer(FFP), small)).code).toBe('HEADER_DIGEST_ERROR');
  });

  it('P-04 a wrong header digest covering the AHS is detected', () => {
    const { wire } = buildWire({ opcode: 0x21, itt: 4, ahs: Buffer.from('0001abcd', 'hex') }, { hd: true, dd: false });
    wire[50]! ^= 0x80;
    expect(thrown(() => collect(new PduFramer(FFP), wire)).code).toBe('HEADER_DIGEST_ERROR');
  });

  it('P-05 rejects a SendTargets Text Response with a wrong data digest (opcode and ITT in details)', () => {
    const data = Buffer.from('TargetName=iqn.2001-04.com.example:disk\0TargetAddress=10.0.0.1:3260,1\0');
    const { wire } = buildWire({ opcode: 0x24, itt: 0xabcd0001, data }, { hd: true, dd: true });
    wire[wire.length - 1]! ^= 0xff;
    const err = thrown(() => collect(new PduFramer(FFP), wire));
    expect(err.code).toBe('DATA_DIGEST_ERROR');
    expect(err.details).toMatchObject({ opcode: 0x24, itt: 0xabcd0001 });
  });

  it('O-05 a corrupted data byte of a NOP-In fails the data digest', () => {
    const { wire } = buildWire({ opcode: 0x20, itt: 0xffffffff, data: Buffer.from('nop payload') }, { hd: true, dd: true });
    wire[48 + 4 + 3]! ^= 0x10;
    const err = thrown(() => collect(new PduFramer(FFP), wire));
    expect(err.code).toBe('DATA_DIGEST_ERROR');
    expect(err.details).toMatchObject({ opcode: 0x20, itt: 0xffffffff });
  });

  it('O-05 / P-02 a corrupted padding byte fails the data digest (padding is covered)', () => {
    const { wire } = buildWire({ opcode: 0x32, itt: 0xffffffff, data: Buffer.from('abcde') }, { hd: false, dd: true });
    wire[48 + 6]! = 0x01; // second padding byte
    const err = thrown(() => collect(new PduFramer({ ...FFP, headerDigest: false }), wire));
    expect(err.code).toBe('DATA_DIGEST_ERROR');
    expect(err.details).toMatchObject({ opcode: 0x32 });
  });

  it('P-04 the framer is poisoned after an error: further pushes throw FRAMER_POISONED', () => {
    const { wire } = buildWire({ opcode: 0x21, itt: 4 }, { hd: true, dd: false });
    wire[0]! ^= 0x04;
    const framer = new PduFramer(FFP);
    expect(thrown(() => collect(framer, wire)).code).toBe('HEADER_DIGEST_ERROR');
    expect(framer.buffered).toBe(0);
    const good = buildWire({ opcode: 0x21, itt: 5 }, { hd: true, dd: false }).wire;
    const err = thrown(() => collect(framer, good));
    expect(err.code).toBe('FRAMER_POISONED');
    expect(err.details).toMatchObject({ cause: 'HEADER_DIGEST_ERROR' });
    expect(thrown(() => collect(framer, Buffer.alloc(0))).code).toBe('FRAMER_POISONED');
  });

  it('delivers the PDUs before a bad one, then throws', () => {
    const ok = buildWire({ opcode: 0x20, itt: 1 }, { hd: true, dd: true });
    const bad = buildWire({ opcode: 0x20, itt: 2 }, { hd: true, dd: true });
    bad.wire[30]! ^= 1;
    const framer = new PduFramer(FFP);
    const out: RawPdu[] = [];
    const err = thrown(() => framer.push(Buffer.concat([ok.wire, bad.wire]), (p) => out.push(p)));
    expect(err.code).toBe('HEADER_DIGEST_ERROR');
    expect(out).toHaveLength(1);
  });

  it('an exception from onPdu propagates and the bytes after that PDU stay buffered', () => {
    const a = buildWire({ opcode: 0x20, itt: 1 }, { hd: false, dd: false });
    const b = buildWire({ opcode: 0x20, itt: 2, data: Buffer.from('q') }, { hd: false, dd: false });
    const framer = new PduFramer(LOGIN);
    expect(() => framer.push(Buffer.concat([a.wire, b.wire]), () => {
      throw new Error('consumer failed');
    })).toThrow('consumer failed');
    expect(framer.buffered).toBe(b.wire.length);
    const out: RawPdu[] = [];
    framer.push(Buffer.alloc(0), (p) => out.push(p));
    expect(out.map((p) => p.bhs.readUInt32BE(16))).toEqual([2]);
  });

  it('refuses a push from inside its own onPdu callback', () => {
    const a = buildWire({ opcode: 0x20, itt: 1 }, { hd: false, dd: false });
    const framer = new PduFramer(LOGIN);
    let inner: unknown;
    try {
      framer.push(a.wire, () => framer.push(a.wire, () => undefined));
    } catch (err) {
      inner = err;
    }
    expect(inner).toBeInstanceOf(IscsiError);
    expect((inner as IscsiError).code).toBe('FRAMER_REENTRANT');
  });
});
