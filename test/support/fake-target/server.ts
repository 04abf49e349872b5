/**
 * The fake iSCSI target's listener: a node:net server on loopback (127.0.0.1,
 * 127.0.0.2, ::1, ...) that runs one {@link Script} per accepted connection and
 * records every PDU the initiator sends (checklist §3.1). Start several to have
 * redirect targets on other addresses or ports.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { InitiatorPdu } from '../../../src/iscsi/pdu/types.js';
import { Conn, type ConnHost } from './conn-context.js';
import type { ConnContext, LogEntry, Received, Script, ScriptObject } from './types.js';

/** Where to listen. */
export interface FakeTargetOptions {
  /** '127.0.0.1' (default), another loopback address, or '::1'. */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Keep the target's side open after the initiator's FIN (a target slow to close TCP). */
  halfOpen?: boolean;
}

interface Waiter {
  pred: (r: Received) => boolean;
  resolve: (r: Received) => void;
}

const DEFAULT_WAIT_MS = 5000;

/** A scripted iSCSI target for tests. */
export class FakeTarget {
  /** Every PDU received from initiators, in arrival order. */
  readonly received: Received[] = [];
  /** In-memory log: bad PDUs, digest errors, script errors, initiator rule violations. */
  readonly log: LogEntry[] = [];
  private readonly conns: Conn[] = [];
  private readonly sockets = new Set<Socket>();
  private waiters: Waiter[] = [];
  private closeWaiters: Array<() => void> = [];

  private constructor(
    private readonly server: Server,
    private readonly script: ScriptObject,
    readonly host: string,
    readonly port: number,
  ) {}

  /** Listen and resolve once the port is bound. */
  static async start(script: Script, opts: FakeTargetOptions = {}): Promise<FakeTarget> {
    const host = opts.host ?? '127.0.0.1';
    const server = createServer({ noDelay: true, allowHalfOpen: opts.halfOpen === true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address();
    const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
    const target = new FakeTarget(server, typeof script === 'function' ? { onPdu: script } : script, host, port);
    server.on('connection', (socket) => target.accept(socket));
    server.on('error', (err) => target.log.push({ conn: -1, at: performance.now(), level: 'error', code: 'SERVER_ERROR', message: err.message }));
    return target;
  }

  /** `{ host, port }` to give to the initiator. */
  get portal(): { host: string; port: number } {
    return { host: this.host, port: this.port };
  }

  /** Connections accepted so far. */
  connections(): number {
    return this.conns.length;
  }

  /** Connections not yet closed. */
  openConnections(): number {
    return this.conns.filter((c) => !c.closed).length;
  }

  /** The context of connection `conn` (to inject PDUs from a test). */
  ctx(conn: number): ConnContext {
    const c = this.conns[conn];
    if (c === undefined) throw new Error(`fake target: no connection ${conn} (have ${this.conns.length})`);
    return c;
  }

  /** Log entries with level `violation` (initiator rule breaks the target noticed). */
  violations(): LogEntry[] {
    return this.log.filter((e) => e.level === 'violation');
  }

  /** First received PDU (already received or future) matching `pred`. */
  waitFor(pred: (r: Received) => boolean, timeoutMs = DEFAULT_WAIT_MS): Promise<Received> {
    const found = this.received.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise<Received>((resolve, reject) => {
      const waiter: Waiter = { pred, resolve: (r) => { clearTimeout(timer); resolve(r); } };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`fake target: no matching PDU within ${timeoutMs} ms (${this.received.length} received)`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Resolves once at least `n` connections were accepted. */
  waitForConnections(n: number, timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    return this.until(() => this.conns.length >= n, timeoutMs, `${n} connections`);
  }

  /** Resolves once connection `conn` exists and is closed. */
  waitForClosed(conn: number, timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    return this.until(() => this.conns[conn]?.closed === true, timeoutMs, `connection ${conn} to close`);
  }

  /** Close the listener and destroy every socket; resolves when all are gone. */
  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of this.conns) c.destroy();
    for (const s of this.sockets) s.destroy();
    await closed;
    await this.until(() => this.sockets.size === 0, DEFAULT_WAIT_MS, 'sockets to close');
  }

  // ---- what connections report ------------------------------------------------

  private record(conn: number, raw: Buffer, pdu: InitiatorPdu, dataDigestError: boolean): Received {
    const rec: Received = { index: this.received.length, conn, at: performance.now(), raw, pdu, ...(dataDigestError ? { dataDigestError } : {}) };
    this.received.push(rec);
    const hit = this.waiters.filter((w) => w.pred(rec));
    if (hit.length > 0) {
      this.waiters = this.waiters.filter((w) => !hit.includes(w));
      for (const w of hit) w.resolve(rec);
    }
    return rec;
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.notifyClose();
    });
    const host: ConnHost = {
      record: (n, raw, pdu, bad) => this.record(n, raw, pdu, bad),
      log: (entry) => this.log.push(entry),
      closed: () => this.notifyClose(),
    };
    const conn = new Conn(this.conns.length, socket, this.script, host);
    this.conns.push(conn);
    this.notifyClose();
    conn.start();
  }

  private notifyClose(): void {
    const ws = this.closeWaiters;
    this.closeWaiters = [];
    for (const w of ws) w();
  }

  /** Poll a condition on every connection/close event, with a timeout. */
  private until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`fake target: timed out waiting for ${what}`)), timeoutMs);
      const check = (): void => {
        if (cond()) {
          clearTimeout(timer);
          resolve();
        } else this.closeWaiters.push(check);
      };
      check();
    });
  }
}
