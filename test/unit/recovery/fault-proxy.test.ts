/**
 * The TCP fault proxy (test/support/fault-proxy.ts) against a plain loopback TCP server:
 * every mode, per direction and per connection, counters, and teardown.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultProxy } from '../../support/fault-proxy.js';
import { freePort, sleep } from '../../support/net.js';

/** A server that records what each connection sent and can answer. */
class Upstream {
  readonly sockets: Socket[] = [];
  readonly received: Buffer[][] = [];
  readonly closed: Array<'fin' | 'error' | undefined> = [];
  private constructor(readonly server: Server, readonly port: number) {}

  static async start(): Promise<Upstream> {
    const server = createServer({ allowHalfOpen: true });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const addr = server.address();
    const up = new Upstream(server, typeof addr === 'object' && addr ? addr.port : 0);
    server.on('connection', (s) => {
      const i = up.sockets.length;
      up.sockets.push(s);
      up.received.push([]);
      up.closed.push(undefined);
      s.on('data', (b: Buffer) => up.received[i]!.push(b));
      s.on('end', () => (up.closed[i] ??= 'fin'));
      s.on('error', () => (up.closed[i] = 'error'));
    });
    return up;
  }

  bytes(i = 0): Buffer {
    return Buffer.concat(this.received[i] ?? []);
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A client with what it got back and how it ended. */
async function client(port: number): Promise<{ socket: Socket; got: () => Buffer; ended: () => 'fin' | 'error' | undefined }> {
  const socket = createConnection({ host: '127.0.0.1', port, allowHalfOpen: true });
  const chunks: Buffer[] = [];
  let end: 'fin' | 'error' | undefined;
  socket.on('data', (b: Buffer) => chunks.push(b));
  socket.on('end', () => (end ??= 'fin'));
  socket.on('error', () => (end = 'error'));
  // A reset at accept may beat the 'connect' event.
  await new Promise<void>((resolve) => {
    socket.once('connect', () => resolve());
    socket.once('close', () => resolve());
  });
  return { socket, got: () => Buffer.concat(chunks), ended: () => end };
}

async function until(cond: () => boolean, what: string, ms = 2000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

const open: Array<{ stop(): Promise<void> }> = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const o of open.splice(0).reverse()) await o.stop();
});

async function setup(): Promise<{ up: Upstream; proxy: FaultProxy }> {
  const up = await Upstream.start();
  const proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port: up.port } });
  open.push(up, proxy);
  return { up, proxy };
}

async function connect(proxy: FaultProxy): Promise<Awaited<ReturnType<typeof client>>> {
  const c = await client(proxy.port);
  sockets.push(c.socket);
  return c;
}

describe('fault proxy', () => {
  it('passes bytes both ways and counts connections and bytes', async () => {
    const { up, proxy } = await setup();
    const c = await connect(proxy);
    c.socket.write('hello target');
    await until(() => up.bytes().length === 12, 'upstream bytes');
    up.sockets[0]!.write('hi');
    await until(() => c.got().length === 2, 'downstream bytes');
    expect(up.bytes().toString()).toBe('hello target');
    expect(c.got().toString()).toBe('hi');
    expect(proxy.stats()).toEqual({ connections: 1, open: 1, bytesUp: 12, bytesDown: 2 });
    c.socket.end();
    await until(() => up.closed[0] === 'fin', 'FIN forwarded');
  });

  it('rst resets both sides of open connections and every new one', async () => {
    const { up, proxy } = await setup();
    const c = await connect(proxy);
    await until(() => up.sockets.length === 1, 'upstream connection');
    proxy.setMode({ kind: 'rst' });
    await until(() => c.ended() === 'error' && up.closed[0] === 'error', 'both sides reset');
    const d = await connect(proxy);
    await until(() => d.ended() === 'error', 'new connection reset');
    expect(proxy.stats().connections).toBe(2);
    expect(proxy.stats().open).toBe(0);
  });

  it('resetAll resets what is open and keeps the mode for new connections', async () => {
    const { up, proxy } = await setup();
    const c = await connect(proxy);
    await until(() => up.sockets.length === 1, 'upstream connection');
    proxy.resetAll();
    await until(() => c.ended() === 'error', 'client reset');
    const d = await connect(proxy);
    d.socket.write('again');
    await until(() => up.bytes(1).toString() === 'again', 'new connection passes');
  });

  it('blackhole holds bytes and FIN in both directions; pass delivers them in order', async () => {
    const { up, proxy } = await setup();
    const c = await connect(proxy);
    await until(() => up.sockets.length === 1, 'upstream connection');
    proxy.setMode({ kind: 'blackhole' });
    c.socket.write('one,');
    c.socket.write('two');
    up.sockets[0]!.write('down');
    await sleep(80);
    expect(up.bytes().length).toBe(0);
    expect(c.got().length).toBe(0);
    expect(proxy.connections()[0]).toMatchObject({ heldUp: 7, heldDown: 4, bytesUp: 0, bytesDown: 0 });
    c.socket.end();
    await sleep(30);
    expect(up.closed[0]).toBeUndefined();
    proxy.setMode({ kind: 'pass' });
    await until(() => up.closed[0] === 'fin', 'held FIN delivered');
    expect(up.bytes().toString()).toBe('one,two');
    await until(() => c.got().toString() === 'down', 'held downstream bytes');
  });

  it('blackhole of one direction leaves the other passing', async () => {
    const { up, proxy } = await setup();
    const c = await connect(proxy);
    await until(() => up.sockets.length === 1, 'upstream connection');
    proxy.setMode({ kind: 'blackhole', direction: 'up' });
    c.socket.write('lost');
    up.sockets[0]!.write('still here');
    await until(() => c.got().toString() === 'still here', 'downstream passes');
    await sleep(30);
    expect(up.bytes().length).toBe(0);
  });

  it('blackholes new connections too: the connect succeeds, nothing arrives', async () => {
    const { up, proxy } = await setup();
    proxy.setMode({ kind: 'blackhole' });
    const c = await connect(proxy);
    c.socket.write('login');
    await sleep(60);
    expect(up.bytes().length).toBe(0);
    proxy.setMode({ kind: 'pass' });
    await until(() => up.bytes().toString() === 'login', 'delivered after pass');
  });

  it('delay forwards each chunk no earlier than ms after it arrived', async () => {
    const { up, proxy } = await setup();
    proxy.setMode({ kind: 'delay', ms: 120 });
    const c = await connect(proxy);
    await until(() => up.sockets.length === 1, 'upstream connection');
    const t0 = performance.now();
    c.socket.write('late');
    await until(() => up.bytes().length === 4, 'delayed bytes');
    const dt = performance.now() - t0;
    expect(dt).toBeGreaterThanOrEqual(110);
    expect(dt).toBeLessThan(600);
  });

  it('throttle limits the rate to bytesPerSecond', async () => {
    const { up, proxy } = await setup();
    proxy.setMode({ kind: 'throttle', bytesPerSecond: 10_000, direction: 'up' });
    const c = await connect(proxy);
    const t0 = performance.now();
    c.socket.write(Buffer.alloc(3000, 7));
    await until(() => up.bytes().length === 3000, 'throttled bytes', 3000);
    const dt = performance.now() - t0;
    expect(dt).toBeGreaterThanOrEqual(200); // 3000 B at 10 kB/s: ~300 ms (first slice goes at once)
    expect(dt).toBeLessThan(1500);
  });

  it('cut forwards exactly N bytes, then resets both sides', async () => {
    const { up, proxy } = await setup();
    const c = await connect(proxy);
    await until(() => up.sockets.length === 1, 'upstream connection');
    proxy.setMode({ kind: 'cut', afterBytes: 10, direction: 'up' });
    c.socket.write(Buffer.from('0123456789abcdef'));
    await until(() => c.ended() === 'error', 'client reset');
    await until(() => up.closed[0] === 'error', 'upstream reset');
    expect(up.bytes().toString()).toBe('0123456789');
    expect(proxy.connections()[0]).toMatchObject({ open: false, bytesUp: 10 });
  });

  it('cut with FIN ends both sides gracefully', async () => {
    const { up, proxy } = await setup();
    const c = await connect(proxy);
    await until(() => up.sockets.length === 1, 'upstream connection');
    proxy.setMode({ kind: 'cut', afterBytes: 3, how: 'fin' });
    up.sockets[0]!.write('abcdef');
    await until(() => c.ended() === 'fin', 'client FIN');
    expect(c.got().toString()).toBe('abc');
    await until(() => up.closed[0] === 'fin', 'upstream FIN');
  });

  it('modes apply per connection', async () => {
    const { up, proxy } = await setup();
    const a = await connect(proxy);
    const b = await connect(proxy);
    await proxy.waitForConnections(2);
    await until(() => up.sockets.length === 2, 'two upstream connections');
    proxy.setMode({ kind: 'blackhole' }, { conn: 0 });
    a.socket.write('A');
    b.socket.write('B');
    await until(() => up.received.some((r) => Buffer.concat(r).toString() === 'B'), 'conn 1 passes');
    await sleep(30);
    expect(up.received.map((r) => Buffer.concat(r).toString()).sort()).toEqual(['', 'B']);
    expect(() => proxy.setMode({ kind: 'pass' }, { conn: 5 })).toThrow();
  });

  it('a target that refuses the connection resets the client', async () => {
    const port = await freePort();
    const proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port } });
    open.push(proxy);
    const c = await connect(proxy);
    await until(() => c.ended() === 'error', 'client reset');
    expect(proxy.stats().open).toBe(0);
  });
});
