/**
 * The iSNS discovery client (src/discovery/isns.ts) against a scripted server on
 * loopback: what open-iscsi 2.1.8 does on Source Unknown (register, query, deregister),
 * status codes → typed errors with iscsiadm's errno (25 query, 26 registration),
 * timeouts through the injected clock, split and malformed responses. Expected request
 * bytes come from the golden captures and the independent builder.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { discoverIsns, targetsOf } from '../../../src/discovery/isns.js';
import { IsnsStatusError } from '../../../src/iscsi/isns/index.js';
import { ProtocolError } from '../../../src/shared/errors.js';
import { FakeClock } from '../../support/fake-clock.js';
import { pdu, status, str, tlv } from '../../support/isns-builder.js';
import { freePort } from '../../support/net.js';

const golden = (JSON.parse(readFileSync('/work/shared/reference/boot-and-isns/isns-golden.json', 'utf8')) as { exchanges: { name: string; request_hex: string; response_hex: string }[] }).exchanges;
const ex = (prefix: string) => golden.find((x) => x.name.startsWith(prefix))!;
const OISCSI = 'iqn.2024-01.test.tsiscsi:oiscsi';
const T1 = 'iqn.2024-01.test.tsiscsi:target1';

/** One request as the server saw it: function, xid, payload (hex). */
interface Seen { func: number; xid: number; flags: number; payload: string }

/** A scripted iSNS server: `answer(req)` returns the bytes to send back (or undefined: stay silent). */
async function server(answer: (req: Seen, sock: Socket) => Buffer | undefined): Promise<{ port: number; seen: Seen[]; srv: Server }> {
  const seen: Seen[] = [];
  const srv = createServer((sock) => {
    let buf = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 12 && buf.length >= 12 + buf.readUInt16BE(4)) {
        const len = buf.readUInt16BE(4);
        const req = { func: buf.readUInt16BE(2), flags: buf.readUInt16BE(6), xid: buf.readUInt16BE(8), payload: buf.subarray(12, 12 + len).toString('hex') };
        buf = buf.subarray(12 + len);
        seen.push(req);
        const out = answer(req, sock);
        if (out) sock.write(out);
      }
    });
    sock.on('error', () => {});
  });
  const port = await freePort();
  await new Promise<void>((r) => srv.listen(port, '127.0.0.1', r));
  servers.push(srv);
  return { port, seen, srv };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise<void>((r) => s.close(() => r()));
});

/** A response to `req` with `payload` (response function = request | 0x8000). */
const reply = (req: Seen, payload: number[]): Buffer => pdu({ func: req.func | 0x8000, flags: 0x4c00, xid: req.xid }, payload);
/** The golden one-target DevAttrQry answer, re-addressed to `req`'s xid. */
const goldenAnswer = (req: Seen): Buffer => {
  const b = Buffer.from(ex('DevAttrQry as sent by iscsiadm').response_hex, 'hex');
  b.writeUInt16BE(req.xid, 8);
  return b;
};
const payloadOf = (hex: string): string => hex.slice(24);

describe('targetsOf: the SendTargets result shape', () => {
  it('groups portal groups per target in first-appearance order', () => {
    expect(targetsOf([
      { name: 'a', address: '10.0.0.1', port: 3260, tag: 1 }, { name: 'b', address: '10.0.0.2', port: 3260, tag: 1 }, { name: 'a', address: '10.0.0.3', port: 3261, tag: 2 },
    ])).toEqual([
      { name: 'a', portals: [{ host: '10.0.0.1', port: 3260, tpgt: 1 }, { host: '10.0.0.3', port: 3261, tpgt: 2 }] },
      { name: 'b', portals: [{ host: '10.0.0.2', port: 3260, tpgt: 1 }] },
    ]);
  });
});

describe('iSNS discovery client (open-iscsi usr/discovery.c behaviour)', () => {
  it('asks with iscsiadm\'s exact DevAttrQry and returns the portal groups', async () => {
    const s = await server((req) => goldenAnswer(req));
    const r = await discoverIsns({ server: { host: '127.0.0.1', port: s.port }, initiatorName: OISCSI });
    expect(r).toEqual({
      portalGroups: [{ name: T1, address: '127.0.0.1', port: 3260, tag: 1 }], targets: [{ name: T1, portals: [{ host: '127.0.0.1', port: 3260, tpgt: 1 }] }],
      nodes: [{ name: T1, type: 1 }], registered: false,
    });
    expect(s.seen).toHaveLength(1);
    expect(s.seen[0]).toMatchObject({ func: 2, xid: 1, flags: 0x8c00, payload: payloadOf(ex('DevAttrQry as sent by iscsiadm').request_hex) });
  });

  it('Source Unknown (6): registers the initiator, queries again, then deregisters it', async () => {
    let queries = 0;
    const s = await server((req) => {
      if (req.func === 2) return queries++ === 0 ? reply(req, status(6)) : goldenAnswer(req);
      return reply(req, status(0, tlv(0)));
    });
    const r = await discoverIsns({ server: { host: '127.0.0.1', port: s.port }, initiatorName: OISCSI });
    expect(r.registered).toBe(true);
    expect(r.portalGroups).toHaveLength(1);
    expect(s.seen.map((x) => [x.func, x.xid])).toEqual([[2, 1], [1, 2], [2, 3], [4, 4]]);
    expect(s.seen[1]!.payload).toBe(payloadOf(ex('DevAttrReg as open-iscsi').request_hex));
    expect(s.seen[3]!.payload).toBe(payloadOf(ex('DevDereg as open-iscsi').request_hex));
  });

  it('a refused registration is errno 26 (ISCSI_ERR_ISNS_REG_FAILED) naming the status', async () => {
    const s = await server((req) => reply(req, status(req.func === 2 ? 6 : 3)));
    const err = await discoverIsns({ server: { host: '127.0.0.1', port: s.port }, initiatorName: OISCSI }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IsnsStatusError);
    expect(err).toMatchObject({ errno: 26, status: 3, statusText: 'Invalid registration', details: { func: 'register', initiator: OISCSI } });
  });

  it.each([[8, 'Source unauthorized'], [5, 'Invalid query'], [4, 'Unknown iSNS status code']])('query status %i is errno 25 with libisns text "%s"', async (code, text) => {
    const s = await server((req) => reply(req, status(code)));
    const err = await discoverIsns({ server: { host: '127.0.0.1', port: s.port }, initiatorName: OISCSI }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ISNS_STATUS', errno: 25, status: code, statusText: text });
  });

  it('a second Source Unknown after registering is a query failure (25), as in open-iscsi', async () => {
    const s = await server((req) => reply(req, req.func === 2 ? status(6) : status(0, tlv(0))));
    const err = await discoverIsns({ server: { host: '127.0.0.1', port: s.port }, initiatorName: OISCSI }).catch((e: unknown) => e);
    expect(err).toMatchObject({ errno: 25, status: 6 });
  });

  it('connection refused: ISNS_UNREACHABLE, errno 25, with libisns\' two notes', async () => {
    const port = await freePort();
    const err = await discoverIsns({ server: { host: '127.0.0.1', port }, initiatorName: OISCSI }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ISNS_UNREACHABLE', errno: 25, details: { statusText: 'Internal error', notes: ['socket disconnect, killing socket', 'Warning: Timed out while waiting for reply'] } });
  });

  it('no answer: the injected clock times the request out (errno 25)', async () => {
    const clock = new FakeClock();
    const s = await server(() => undefined);
    const p = discoverIsns({ server: { host: '127.0.0.1', port: s.port }, initiatorName: OISCSI, clock, timeoutMs: 5000 }).catch((e: unknown) => e);
    while (s.seen.length === 0) await new Promise((r) => setTimeout(r, 5));
    clock.advance(4999);
    clock.advance(1);
    expect(await p).toMatchObject({ code: 'ISNS_UNREACHABLE', errno: 25, details: { notes: ['Warning: Timed out while waiting for reply'] } });
  });

  it('the server closing the connection mid-exchange fails the query (25)', async () => {
    const s = await server((_req, sock) => {
      sock.destroy();
      return undefined;
    });
    const err = await discoverIsns({ server: { host: '127.0.0.1', port: s.port }, initiatorName: OISCSI }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ISNS_UNREACHABLE', errno: 25 });
  });

  it('a response in 1-byte writes is reassembled', async () => {
    const s = await server((req, sock) => {
      const b = goldenAnswer(req);
      for (const byte of b) sock.write(Buffer.from([byte]));
      return undefined;
    });
    const r = await discoverIsns({ server: { host: '127.0.0.1', port: s.port }, initiatorName: OISCSI });
    expect(r.portalGroups).toHaveLength(1);
  });

  it('a malformed response is a typed ProtocolError (25)', async () => {
    const s = await server((req) => pdu({ func: 0x8002, flags: 0x4c00, xid: req.xid }, [...status(0), 0, 0, 0, 32, 0, 0, 0, 40]));
    const err = await discoverIsns({ server: { host: '127.0.0.1', port: s.port }, initiatorName: OISCSI }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProtocolError);
    expect(err).toMatchObject({ errno: 25, code: 'ISNS_TRUNCATED' });
  });

  it('asks about one target when given (key = iSCSI Name)', async () => {
    const s = await server((req) => goldenAnswer(req));
    await discoverIsns({ server: { host: '127.0.0.1', port: s.port }, initiatorName: OISCSI, target: T1 });
    expect(s.seen[0]!.payload.slice(0, (8 + 32 + 8 + 36) * 2)).toBe(Buffer.from([...str(32, OISCSI), ...str(32, T1)]).toString('hex'));
  });
});
