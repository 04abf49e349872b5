/**
 * Untrusted kernel bytes: every truncation, every split, length lies, bad
 * counts and random bytes. Only a typed ProtocolError may come out of the
 * decoders; the reader never throws at all.
 */
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/shared/errors.js';
import { decodeKernelDatagram, KernelMessageReader } from '../../../src/transport/kernel/codec.js';
import { i32, nlmsg, raw, struct, u16, u32, u64, uevent, type Place } from '../../support/fake-kernel/dsl.js';
import { mulberry32 } from '../../support/prng.js';

const H = 0x1000n;
const mcast = (type: number, places: Place[], data: Buffer = Buffer.alloc(0)): Buffer =>
  nlmsg({ type: 0 }, Buffer.concat([uevent(u32(0, type), u64(8, H), ...places), data]), true);

/** One sample of every message shape the decoder handles. */
const SAMPLES: [string, Buffer][] = [
  ['create session reply', nlmsg({ type: 11 }, uevent(u32(0, 11), u32(40, 1), u32(44, 2)))],
  ['if error', nlmsg({ type: 15 }, uevent(u32(0, 103), i32(4, -22)))],
  ['get stats', mcast(20, [u32(16, 1)], struct(96 + 72, u32(92, 1)))],
  ['get host stats', mcast(42, [u32(16, 1)], struct(664 + 72, u32(656, 1)))],
  ['get chap', mcast(33, [u32(20, 2)], Buffer.alloc(2 * 524))],
  ['recv pdu', mcast(101, [u32(40, 1)], struct(48 + 9, raw(5, [0, 0, 9])))],
  ['host event', mcast(110, [u32(44, 4)], Buffer.alloc(4))],
  ['ping comp', mcast(111, [u32(52, 3)], Buffer.alloc(3))],
  ['path req', mcast(107, [u32(40, 1)], struct(64, u32(20, 4)))],
  ['conn error', mcast(102, [u32(48, 1020)])],
];

/** Runs `fn`; anything thrown must be a ProtocolError with a code and a `where`. */
function onlyProtocolErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).code).toMatch(/^(NETLINK|UEVENT)_[A-Z_]+$/);
    expect((err as ProtocolError).details.where).toEqual(expect.any(String));
  }
}

describe('truncation', () => {
  it.each(SAMPLES)('%s: every prefix decodes or throws a ProtocolError', (_n, msg) => {
    for (let n = 0; n < msg.length; n++) onlyProtocolErrors(() => decodeKernelDatagram(msg.subarray(0, n)));
  });

  it.each(SAMPLES)('%s: every prefix with nlmsg_len rewritten to match decodes or throws a ProtocolError', (_n, msg) => {
    for (let n = 16; n < msg.length; n++) {
      const cut = Buffer.from(msg.subarray(0, n));
      cut.writeUInt32LE(n, 0);
      onlyProtocolErrors(() => decodeKernelDatagram(cut));
    }
  });

  it('a cut header is NETLINK_TRUNCATED; a length beyond the datagram NETLINK_BAD_LENGTH; a short uevent UEVENT_TRUNCATED', () => {
    expect(() => decodeKernelDatagram(Buffer.alloc(10))).toThrow(expect.objectContaining({ code: 'NETLINK_TRUNCATED' }));
    expect(() => decodeKernelDatagram(nlmsg({ type: 0, len: 200 }, uevent()))).toThrow(expect.objectContaining({ code: 'NETLINK_BAD_LENGTH' }));
    expect(() => decodeKernelDatagram(nlmsg({ type: 0, len: 8 }, uevent()))).toThrow(expect.objectContaining({ code: 'NETLINK_BAD_LENGTH' }));
    expect(() => decodeKernelDatagram(nlmsg({ type: 0 }, Buffer.alloc(55)))).toThrow(expect.objectContaining({ code: 'UEVENT_TRUNCATED' }));
  });
});

describe('lying counts and lengths name the field', () => {
  it.each([
    ['RECV_PDU DataSegmentLength beyond the message', mcast(101, [], struct(48 + 4, raw(5, [0, 1, 0]))), 'UEVENT_PAYLOAD_TRUNCATED', 'recv_pdu.data'],
    ['RECV_PDU without a full BHS', mcast(101, [], Buffer.alloc(20)), 'UEVENT_PAYLOAD_TRUNCATED', 'recv_pdu.bhs'],
    ['iscsi_stats custom_length above 32', mcast(20, [], struct(96, u32(92, 33))), 'UEVENT_BAD_VALUE', 'iscsi_stats.custom_length'],
    ['iscsi_stats custom entries missing', mcast(20, [], struct(96, u32(92, 2))), 'UEVENT_PAYLOAD_TRUNCATED', 'iscsi_stats.custom[2]'],
    ['iscsi_stats fixed part cut', mcast(20, [], Buffer.alloc(95)), 'UEVENT_PAYLOAD_TRUNCATED', 'iscsi_stats'],
    ['host stats cut', mcast(42, [], Buffer.alloc(600)), 'UEVENT_PAYLOAD_TRUNCATED', 'iscsi_offload_host_stats'],
    ['CHAP num_entries beyond the data', mcast(33, [u32(20, 3)], Buffer.alloc(524)), 'UEVENT_PAYLOAD_TRUNCATED', 'iscsi_chap_rec[3]'],
    ['CHAP chap_type 7', mcast(33, [u32(20, 1)], struct(524, u32(4, 7))), 'UEVENT_BAD_VALUE', 'iscsi_chap_rec[0].chap_type'],
    ['HOST_EVENT data_size beyond the message', mcast(110, [u32(44, 100)]), 'UEVENT_PAYLOAD_TRUNCATED', 'host_event.data_size'],
    ['PING_COMP data_size beyond the message', mcast(111, [u32(52, 0xffffffff)]), 'UEVENT_PAYLOAD_TRUNCATED', 'ping_comp.data_size'],
    ['PATH_REQ ip_addr_len 5', mcast(107, [], struct(64, u32(20, 5))), 'UEVENT_BAD_VALUE', 'path_req.iscsi_path.ip_addr_len'],
    ['PATH_REQ path cut', mcast(107, [], Buffer.alloc(30)), 'UEVENT_PAYLOAD_TRUNCATED', 'path_req.iscsi_path'],
  ])('%s', (_t, msg, code, where) => {
    expect(() => decodeKernelDatagram(msg)).toThrow(expect.objectContaining({ code, details: expect.objectContaining({ where }) }));
  });
});

describe('splits and random bytes', () => {
  it('a datagram of all samples split at every offset: the reader never throws and only loses the cut message', () => {
    const whole = Buffer.concat(SAMPLES.map(([, m]) => m));
    for (let at = 0; at <= whole.length; at++) {
      const reader = new KernelMessageReader();
      const a = reader.read(whole.subarray(0, at));
      const b = reader.read(whole.subarray(at));
      for (const e of [...a.errors, ...b.errors]) expect(e).toBeInstanceOf(ProtocolError);
      expect(a.messages.length + b.messages.length).toBeLessThanOrEqual(SAMPLES.length);
    }
  });

  it('random datagrams: only ProtocolError from the decoder, none from the reader', () => {
    const rnd = mulberry32(0x15c51);
    const reader = new KernelMessageReader();
    for (let i = 0; i < 3000; i++) {
      const len = Math.floor(rnd() * 400);
      const buf = Buffer.from(Array.from({ length: len }, () => Math.floor(rnd() * 256)));
      if (len >= 16 && rnd() < 0.7) buf.writeUInt32LE(Math.min(len, 16 + Math.floor(rnd() * (len - 15))), 0); // plausible nlmsg_len
      if (len >= 20 && rnd() < 0.7) buf.writeUInt32LE([11, 13, 20, 33, 42, 101, 102, 103, 107, 110, 111][Math.floor(rnd() * 11)]!, 16);
      onlyProtocolErrors(() => decodeKernelDatagram(buf));
      const r = reader.read(buf);
      for (const e of r.errors) expect(e).toBeInstanceOf(ProtocolError);
    }
    expect(reader.counters.malformed).toBeGreaterThan(0);
    expect(reader.counters.messages).toBeGreaterThan(0);
  });

  it('single-byte mutations of every sample: only ProtocolError', () => {
    const rnd = mulberry32(7);
    for (const [, msg] of SAMPLES) {
      for (let i = 0; i < 200; i++) {
        const m = Buffer.from(msg);
        m[Math.floor(rnd() * m.length)] = Math.floor(rnd() * 256);
        onlyProtocolErrors(() => decodeKernelDatagram(m));
      }
    }
  });

  it('u16 chap_tbl_idx and sizes survive maximal values', () => {
    const m = decodeKernelDatagram(mcast(33, [u32(20, 0), u16(24, 0xffff)]));
    expect(m[0]).toMatchObject({ request: 'getChap', chapTblIdx: 0xffff, entries: [] });
  });
});
