/**
 * TCP fault-injection proxy on loopback, between an initiator and a target (issue 5 §5).
 *
 *   const proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port: tgt.port } });
 *   // point the initiator at proxy.portal, then:
 *   proxy.setMode({ kind: 'blackhole' });          // all connections, now and new ones
 *   proxy.setMode({ kind: 'pass' });               // held bytes are delivered (a healed partition)
 *   proxy.setMode({ kind: 'delay', ms: 50 }, { conn: 0 });   // one connection only
 *   proxy.resetAll();                              // RST both sides of every open connection
 *   await proxy.stop();
 *
 * Modes, per direction (`up` = initiator → target, `down` = target → initiator,
 * default `both`); the other direction passes:
 *   pass       forward at once
 *   rst        RST both sides of every open connection now, and of each new one on accept
 *   blackhole  accept and hold every byte (and FIN/RST) without forwarding; a later mode
 *              forwards what was held, in order, like TCP after a partition heals
 *   delay      forward each chunk `ms` after it arrived (order kept)
 *   throttle   forward at most `bytesPerSecond`
 *   cut        forward `afterBytes` more bytes (counted over the covered directions),
 *              then cut the connection with RST (default) or FIN
 * Upstream connections are opened at accept, whatever the mode.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export type Direction = 'both' | 'up' | 'down';

export type FaultMode =
  | { kind: 'pass' }
  | { kind: 'rst' }
  | { kind: 'blackhole'; direction?: Direction }
  | { kind: 'delay'; ms: number; direction?: Direction }
  | { kind: 'throttle'; bytesPerSecond: number; direction?: Direction }
  | { kind: 'cut'; afterBytes: number; direction?: Direction; how?: 'rst' | 'fin' };

export interface FaultProxyOptions {
  target: { host: string; port: number };
  /** Listen address (default 127.0.0.1) and port (default: any free one). */
  host?: string;
  port?: number;
}

/** Counters of one proxied connection. */
export interface ProxyConnectionInfo {
  id: number;
  open: boolean;
  /** Bytes forwarded initiator → target and target → initiator. */
  bytesUp: number;
  bytesDown: number;
  /** Bytes held right now (not yet forwarded). */
  heldUp: number;
  heldDown: number;
}

export interface FaultProxyStats {
  /** Connections accepted so far. */
  connections: number;
  open: number;
  bytesUp: number;
  bytesDown: number;
}

/** See ProxyConnection.cut. */
const CUT_RST_DELAY_MS = 10;

type Item = { kind: 'data'; buf: Buffer; at: number } | { kind: 'end'; at: number } | { kind: 'rst'; at: number };

const covers = (mode: FaultMode, dir: 'up' | 'down'): boolean =>
  mode.kind === 'pass' || mode.kind === 'rst' ? false : (mode.direction ?? 'both') === 'both' || mode.direction === dir;

/** One direction of one connection: a queue pumped according to the mode. */
class Pipe {
  private queue: Item[] = [];
  private timer: NodeJS.Timeout | undefined;
  private nextFree = 0;
  forwarded = 0;

  constructor(
    private readonly conn: ProxyConnection,
    private readonly dir: 'up' | 'down',
    private readonly to: () => Socket,
  ) {}

  get held(): number {
    return this.queue.reduce((n, i) => n + (i.kind === 'data' ? i.buf.length : 0), 0);
  }

  push(item: Item): void {
    this.queue.push(item);
    this.pump();
  }

  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue = [];
  }

  /** Forward what the mode allows now; arm a timer for the rest. */
  pump(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const mode = this.conn.mode;
    const m = covers(mode, this.dir) ? mode : ({ kind: 'pass' } as const);
    while (this.queue.length > 0 && !this.conn.closed) {
      const head = this.queue[0]!;
      const now = performance.now();
      if (m.kind === 'blackhole') return;
      if (m.kind === 'delay' && head.at + m.ms > now) return this.later(head.at + m.ms - now);
      if (m.kind === 'throttle' && head.kind === 'data') {
        if (this.nextFree > now) return this.later(this.nextFree - now);
        const n = Math.max(1, Math.min(head.buf.length, Math.floor(m.bytesPerSecond / 20)));
        this.nextFree = Math.max(now, this.nextFree) + (n * 1000) / m.bytesPerSecond;
        this.forward(n);
        continue;
      }
      if (m.kind === 'cut' && head.kind === 'data') {
        const n = Math.min(head.buf.length, this.conn.cutBudget);
        if (n > 0) this.forward(n);
        if (this.conn.cutBudget <= 0) return this.conn.cut(m.how ?? 'rst');
        continue;
      }
      this.forward(head.kind === 'data' ? head.buf.length : 0);
    }
  }

  private later(ms: number): void {
    this.timer = setTimeout(() => this.pump(), Math.max(1, Math.ceil(ms)));
  }

  /** Forward `n` bytes of the head item (all of an end/rst marker). */
  private forward(n: number): void {
    const head = this.queue[0]!;
    const to = this.to();
    if (head.kind === 'end') {
      this.queue.shift();
      if (!to.destroyed) to.end();
      return;
    }
    if (head.kind === 'rst') {
      this.queue.shift();
      this.conn.reset();
      return;
    }
    const chunk = head.buf.subarray(0, n);
    if (n >= head.buf.length) this.queue.shift();
    else head.buf = head.buf.subarray(n);
    this.forwarded += chunk.length;
    this.conn.cutBudget -= chunk.length;
    if (!to.destroyed) to.write(chunk);
  }
}

class ProxyConnection {
  mode: FaultMode;
  closed = false;
  /** Bytes left before a `cut` mode cuts. */
  cutBudget = Infinity;
  readonly up: Pipe;
  readonly down: Pipe;

  constructor(readonly id: number, readonly client: Socket, readonly upstream: Socket, mode: FaultMode) {
    this.mode = mode;
    this.up = new Pipe(this, 'up', () => this.upstream);
    this.down = new Pipe(this, 'down', () => this.client);
    this.wire(client, this.up);
    this.wire(upstream, this.down);
    this.setMode(mode);
  }

  setMode(mode: FaultMode): void {
    this.mode = mode;
    this.cutBudget = mode.kind === 'cut' ? mode.afterBytes : Infinity;
    if (mode.kind === 'rst') return this.reset();
    this.up.pump();
    this.down.pump();
  }

  /** RST both sides now. */
  reset(): void {
    this.finish();
    this.client.resetAndDestroy();
    this.upstream.resetAndDestroy();
  }

  /**
   * Stop forwarding now and end both sides. The RST goes out a few ms later: one sent
   * right behind the last forwarded bytes can reach the peer before it read them, and
   * Linux then reports a plain EOF instead of ECONNRESET.
   */
  cut(how: 'rst' | 'fin'): void {
    this.finish();
    if (how === 'fin') {
      this.client.end();
      this.upstream.end();
      return;
    }
    setTimeout(() => {
      this.client.resetAndDestroy();
      this.upstream.resetAndDestroy();
    }, CUT_RST_DELAY_MS);
  }

  info(): ProxyConnectionInfo {
    return { id: this.id, open: !this.closed, bytesUp: this.up.forwarded, bytesDown: this.down.forwarded, heldUp: this.up.held, heldDown: this.down.held };
  }

  private finish(): void {
    this.closed = true;
    this.up.clear();
    this.down.clear();
  }

  /** Everything `from` says goes through `pipe`, FIN and RST included. */
  private wire(from: Socket, pipe: Pipe): void {
    let ended = false;
    from.on('data', (buf: Buffer) => pipe.push({ kind: 'data', buf, at: performance.now() }));
    from.on('end', () => {
      ended = true;
      pipe.push({ kind: 'end', at: performance.now() });
    });
    from.on('error', () => {
      ended = true;
      pipe.push({ kind: 'rst', at: performance.now() });
    });
    from.on('close', () => {
      if (!ended) pipe.push({ kind: 'end', at: performance.now() });
      if (this.client.destroyed && this.upstream.destroyed) this.closed = true;
    });
  }
}

export class FaultProxy {
  private readonly conns: ProxyConnection[] = [];
  private mode: FaultMode = { kind: 'pass' };
  private waiters: Array<() => void> = [];

  private constructor(private readonly server: Server, private readonly opts: FaultProxyOptions, readonly host: string, readonly port: number) {}

  /** Listen on loopback; resolves once bound. */
  static async start(opts: FaultProxyOptions): Promise<FaultProxy> {
    const host = opts.host ?? '127.0.0.1';
    const server = createServer({ allowHalfOpen: true, noDelay: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address();
    const proxy = new FaultProxy(server, opts, host, typeof addr === 'object' && addr !== null ? addr.port : 0);
    server.on('connection', (socket) => proxy.accept(socket));
    return proxy;
  }

  /** `{ host, port }` for the initiator. */
  get portal(): { host: string; port: number } {
    return { host: this.host, port: this.port };
  }

  /** Set the mode of every connection (and of new ones), or of connection `opts.conn` only. */
  setMode(mode: FaultMode, opts: { conn?: number } = {}): void {
    if (opts.conn !== undefined) {
      const c = this.conns[opts.conn];
      if (c === undefined) throw new Error(`fault proxy: no connection ${opts.conn}`);
      c.setMode(mode);
      return;
    }
    this.mode = mode;
    for (const c of this.conns) if (!c.closed) c.setMode(mode);
  }

  /** RST both sides of every open connection now (the mode stays). */
  resetAll(): void {
    for (const c of this.conns) if (!c.closed) c.reset();
  }

  stats(): FaultProxyStats {
    const infos = this.connections();
    return {
      connections: infos.length,
      open: infos.filter((c) => c.open).length,
      bytesUp: infos.reduce((n, c) => n + c.bytesUp, 0),
      bytesDown: infos.reduce((n, c) => n + c.bytesDown, 0),
    };
  }

  connections(): ProxyConnectionInfo[] {
    return this.conns.map((c) => c.info());
  }

  /** Resolves once `n` connections were accepted. */
  waitForConnections(n: number, timeoutMs = 5000): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`fault proxy: ${this.conns.length} of ${n} connections after ${timeoutMs} ms`)), timeoutMs);
      const check = (): void => {
        if (this.conns.length >= n) {
          clearTimeout(timer);
          resolve();
        } else this.waiters.push(check);
      };
      check();
    });
  }

  /** Close the listener and every socket. */
  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of this.conns) {
      c.closed = true;
      c.up.clear();
      c.down.clear();
      c.client.destroy();
      c.upstream.destroy();
    }
    await closed;
  }

  private accept(client: Socket): void {
    client.setNoDelay(true);
    const upstream = createConnection({ host: this.opts.target.host, port: this.opts.target.port, allowHalfOpen: true, noDelay: true });
    const conn = new ProxyConnection(this.conns.length, client, upstream, this.mode);
    this.conns.push(conn);
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }
}
