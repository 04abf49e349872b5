/**
 * The usertcp receive path over real loopback sockets: reads go into the shared scratch
 * buffer / the connection's assembly buffer (net.connect onread), a Data-In in Full
 * Feature Phase is lent to the handler, every other PDU is an owned copy. Target PDUs
 * come from the independent builder (test/support/pdu-builder, digests from
 * test/unit/framer/wire-builder).
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/shared/errors.js';
import type { TargetPdu } from '../../../src/iscsi/pdu/types.js';
import type { PduStream } from '../../../src/transport/pdu-stream.js';
import { sharedScratch } from '../../../src/transport/receive-scratch.js';
import { userTcpTransport } from '../../../src/transport/usertcp/index.js';
import { dataIn, nopIn, type Built } from '../../support/pdu-builder.js';
import { buildWire, prng, randBytes } from '../framer/wire-builder.js';

const LUN = Buffer.from('0001000000000000', 'hex');
const WIN = { statSN: 1, expCmdSN: 1, maxCmdSN: 9 };
const FFP = { headerDigest: true, dataDigest: true, maxRecvDataSegmentLength: 262144 };

function wire(b: Built, digests = true): Buffer {
  const d = { hd: digests, dd: digests };
  return buildWire({ opcode: b.bhs[0]! & 0x3f, itt: b.bhs.readUInt32BE(16), ahs: b.ahs, data: b.data }, d, b.bhs).wire;
}

function dataInPdu(itt: number, data: Buffer): Buffer {
  return wire(dataIn({ final: true, acknowledge: false, overflow: false, underflow: false, hasStatus: true, status: 0, lun: LUN, itt, ttt: 0xffffffff, dataSN: 0, bufferOffset: 0, residualCount: 0, ...WIN, data }));
}

function nopInPdu(itt: number, data: Buffer): Buffer {
  return wire(nopIn({ lun: LUN, itt, ttt: 0xffffffff, ...WIN, data }));
}

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Peer {
  server: net.Server;
  port: number;
  accepted: Promise<net.Socket>[];
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function listen(): Promise<Peer> {
  const sockets: net.Socket[] = [];
  const waiting: ((s: net.Socket) => void)[] = [];
  const accepted: Promise<net.Socket>[] = [];
  const server = net.createServer((s) => {
    sockets.push(s);
    waiting.shift()?.(s);
  });
  for (let i = 0; i < 4; i++) accepted.push(new Promise((r) => waiting.push(r)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => {
    for (const s of sockets) s.destroy();
    server.close(() => r());
  }));
  return { server, port: (server.address() as net.AddressInfo).port, accepted };
}

/** Data-In copied inside the callback; every other PDU kept as handed out. */
function collect(stream: PduStream): { dataIns: Buffer[]; kept: TargetPdu[]; errors: unknown[]; closed: Promise<void> } {
  const out = { dataIns: [] as Buffer[], kept: [] as TargetPdu[], errors: [] as unknown[], closed: Promise.resolve() };
  out.closed = new Promise<void>((resolve) => stream.setHandlers({
    onPdu: (p) => (p.kind === 'data-in' ? out.dataIns.push(Buffer.from(p.data)) : out.kept.push(p)),
    onError: (e) => out.errors.push(e),
    onClose: () => resolve(),
  }));
  return out;
}

async function connect(port: number): Promise<PduStream> {
  const stream = await userTcpTransport.connect({ host: '127.0.0.1', port }, { timeoutMs: 2000 });
  cleanups.push(() => stream.destroy());
  return stream;
}

describe('usertcp receive path (reusable receive buffers)', () => {
  it('Data-In split at many offsets across reads, digests on, two connections sharing the scratch buffer', async () => {
    const peer = await listen();
    const a = await connect(peer.port);
    const b = await connect(peer.port);
    const [sa, sb] = await Promise.all([peer.accepted[0]!, peer.accepted[1]!]);
    a.enterFullFeature(FFP);
    b.enterFullFeature(FFP);
    const ca = collect(a);
    const cb = collect(b);
    const rand = prng(42);
    const payloads = [randBytes(rand, 65536), randBytes(rand, 65536 + 3), randBytes(rand, 1000)];
    const nopData = Buffer.from('ping-data-kept-after-the-callback');
    const stream = Buffer.concat([nopInPdu(1, nopData), ...payloads.map((p, i) => dataInPdu(10 + i, p)), nopInPdu(2, nopData)]);
    // Cut points: inside the first header, at the header/data border, mid-data, in the digest.
    for (const cuts of [[10], [48, 52], [100, 30000, 65700], [65640, 65642, 131200], [stream.length - 2]]) {
      let at = 0;
      for (const cut of [...cuts, stream.length]) {
        // Interleave the two connections so each read of one lands in the scratch used by the other.
        sa.write(stream.subarray(at, cut));
        await tick(15);
        sb.write(stream.subarray(at, cut));
        await tick(15);
        at = cut;
      }
    }
    await tick(50);
    for (const c of [ca, cb]) {
      expect(c.errors).toEqual([]);
      expect(c.dataIns).toHaveLength(15);
      for (let i = 0; i < 15; i++) expect(c.dataIns[i]!.equals(payloads[i % 3]!), `Data-In ${i}`).toBe(true);
      // NOP-Ins were kept past their callback while later reads reused the scratch: owned copies.
      expect(c.kept).toHaveLength(10);
      for (const p of c.kept) expect(p.kind === 'nop-in' && p.data.equals(nopData)).toBe(true);
    }
  });

  it('a Data-In during login (before Full Feature Phase) is an owned copy too', async () => {
    const peer = await listen();
    const s = await connect(peer.port);
    const kept: TargetPdu[] = [];
    s.setHandlers({ onPdu: (p) => kept.push(p), onError: () => {}, onClose: () => {} });
    const sock = await peer.accepted[0]!;
    const data = randBytes(prng(1), 4000);
    sock.write(Buffer.concat([wire(dataIn({ final: true, acknowledge: false, overflow: false, underflow: false, hasStatus: true, status: 0, lun: LUN, itt: 1, ttt: 0xffffffff, dataSN: 0, bufferOffset: 0, residualCount: 0, ...WIN, data }), false)]));
    await tick(30);
    sharedScratch.get(0).fill(0xee);
    expect(kept).toHaveLength(1);
    expect(kept[0]!.data.equals(data)).toBe(true);
  });

  it.each([
    ['a bad header digest', (): Buffer => { const w = nopInPdu(1, Buffer.alloc(0)); w[30] = w[30]! ^ 1; return w; }, 'HEADER_DIGEST_ERROR'],
    ['a bad data digest', (): Buffer => { const w = dataInPdu(1, Buffer.alloc(5000, 7)); w[w.length - 1] = w[w.length - 1]! ^ 1; return w; }, 'DATA_DIGEST_ERROR'],
    // At most 48 + 1020 + 4 bytes are awaited before the header digest is checked.
    ['random garbage', (): Buffer => randBytes(prng(9), 2000), 'HEADER_DIGEST_ERROR'],
  ])('%s from the target: typed ProtocolError, socket closed, no handle left', async (_what, make, code) => {
    const peer = await listen();
    const before = process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
    const s = await connect(peer.port);
    s.enterFullFeature(FFP);
    const c = collect(s);
    const sock = await peer.accepted[0]!;
    const peerClosed = new Promise<void>((r) => sock.once('close', () => r()));
    sock.write(make());
    await c.closed;
    await peerClosed;
    expect(c.errors).toHaveLength(1);
    expect(c.errors[0]).toBeInstanceOf(ProtocolError);
    expect((c.errors[0] as ProtocolError).code).toBe(code);
    expect(s.isClosed).toBe(true);
    expect(s.socket.destroyed).toBe(true);
    await tick(10);
    // Our socket is gone (the server side was closed by the peer's FIN/RST handling).
    expect(process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length).toBeLessThanOrEqual(before);
  });

  /** Count socket writes: 1 per `_write`, the number of buffers per `_writev` (one syscall each). */
  function countWrites(s: PduStream): number[][] {
    const writes: number[][] = [];
    const orig = s.socket._writev?.bind(s.socket);
    const origWrite = s.socket._write.bind(s.socket);
    s.socket._writev = (list, cb): void => { writes.push([list.length]); orig!(list, cb); };
    s.socket._write = (chunk: Buffer, enc: BufferEncoding, cb: (e?: Error | null) => void): void => { writes.push([1]); origWrite(chunk, enc, cb); };
    return writes;
  }
  /** A connected stream whose writes are counted and whose bytes the peer collects. */
  async function wired(): Promise<{ s: PduStream; chunks: Buffer[]; writes: number[][] }> {
    const peer = await listen();
    const s = await connect(peer.port);
    const sock = await peer.accepted[0]!;
    const chunks: Buffer[] = [];
    sock.on('data', (d: Buffer) => chunks.push(d));
    return { s, chunks, writes: countWrites(s) };
  }
  const nopOutPdu = (itt: number) => ({ kind: 'nop-out' as const, immediate: true, lun: LUN, itt, ttt: 0xffffffff, cmdSN: 1, expStatSN: 1, data: Buffer.alloc(0) });

  it('QD 1: a lone command is written at once, before the event loop turns (no cork, no setImmediate hop)', async () => {
    const peer = await listen();
    const s = await connect(peer.port);
    const sock = await peer.accepted[0]!;
    const got = new Promise<Buffer>((r) => sock.once('data', r));
    const writes = countWrites(s);
    s.send(nopOutPdu(7));
    expect(writes).toEqual([[1]]); // synchronously: not waiting for an uncork
    expect(s.socket.writableCorked).toBe(0);
    expect((await got).readUInt32BE(16)).toBe(7);
    // A later turn: again one immediate write each.
    for (let i = 0; i < 3; i++) {
      await tick(2);
      s.send(nopOutPdu(8 + i));
      expect(writes).toHaveLength(2 + i);
    }
  });

  it('commands sent in one turn: the first leaves at once, the rest coalesce into one writev, in order', async () => {
    const { s, chunks, writes } = await wired();
    for (let i = 0; i < 5; i++) s.send(nopOutPdu(i));
    expect(writes).toEqual([[1]]);
    // Sends from later microtasks of the same turn join the corked batch too.
    await Promise.resolve();
    s.send(nopOutPdu(5));
    await tick(30);
    expect(writes).toEqual([[1], [5]]);
    const all = Buffer.concat(chunks);
    expect(all.length).toBe(6 * 48);
    for (let i = 0; i < 6; i++) expect(all.readUInt32BE(i * 48 + 16)).toBe(i);
  });

  it('a PDU with data (header, data, padding) leaves in one writev at once, also mid-burst', async () => {
    const { s, chunks, writes } = await wired();
    const ping = { ...nopOutPdu(3), data: Buffer.from('hello') }; // 5 bytes + 3 padding
    s.send(ping);
    expect(writes).toEqual([[3]]); // synchronously, one syscall for the three pieces
    s.send({ ...ping, itt: 4 }); // second in the turn: joins the corked burst
    await tick(30);
    expect(writes).toEqual([[3], [3]]);
    const all = Buffer.concat(chunks);
    expect(all.length).toBe(2 * 56);
    expect(all.subarray(48, 53).toString()).toBe('hello');
    expect(all.readUInt32BE(56 + 16)).toBe(4);
  });

  it('sendRaw: pre-encoded bytes take the same write path and are counted in the statistics', async () => {
    const { s, chunks, writes } = await wired();
    const raw = Buffer.alloc(48);
    raw[0] = 0x40;
    raw.writeUInt32BE(0x1234, 16);
    s.sendRaw(raw, 'nop-out');
    s.send(nopOutPdu(9));
    s.sendRaw(raw, 'nop-out');
    expect(writes).toEqual([[1]]);
    await tick(30);
    expect(writes).toEqual([[1], [2]]);
    expect(s.stats.noptx_pdus).toBe(3);
    const all = Buffer.concat(chunks);
    expect(all.length).toBe(3 * 48);
    expect([0, 1, 2].map((i) => all.readUInt32BE(i * 48 + 16))).toEqual([0x1234, 9, 0x1234]);
  });

  it("after our FIN (logout, L-03) the peer's FIN does not end the socket a second time", async () => {
    const peer = await listen();
    const s = await connect(peer.port);
    const sock = await peer.accepted[0]!;
    let ends = 0;
    const origEnd = s.socket.end.bind(s.socket);
    s.socket.end = ((...a: Parameters<typeof origEnd>) => { ends++; return origEnd(...a); }) as typeof s.socket.end;
    const closed = new Promise<void>((r) => s.socket.once('close', () => r()));
    s.end();
    sock.end();
    await closed;
    expect(ends).toBe(1);
  });

  it("the peer's FIN first: we answer with ours exactly once", async () => {
    const peer = await listen();
    const s = await connect(peer.port);
    const sock = await peer.accepted[0]!;
    const peerSawFin = new Promise<void>((r) => sock.once('end', () => r()));
    sock.on('data', () => {});
    sock.end();
    await peerSawFin;
    expect(s.socket.writableEnded).toBe(true);
  });
});
