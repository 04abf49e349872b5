/**
 * ControlClient: what tsiscsiadm (or any tool) uses to talk to tsiscsid.
 *
 * Kept lean on purpose: it imports neither zod nor the server nor any method
 * table, so a CLI that only connects, calls and prints starts fast. Errors come
 * back as IscsiError with the daemon's errno (= exit status) and code; failures
 * of the connection itself map to open-iscsi's numbers: daemon not running → 20
 * (ISCSID_NOTCONN), permission denied → 13 (ACCESS), timeout → 33 (REQ_TIMEDOUT),
 * connection lost or garbled → 18 (ISCSID_COMM_ERR).
 */
import { createConnection, type Socket } from 'node:net';
import { systemClock, type Clock, type TimerHandle } from '../shared/clock.js';
import type { IscsiError } from '../shared/errors.js';
import { VERSION } from '../shared/version.js';
import { controlError } from './errors.js';
import type { ControlEvent } from './events.js';
import { LineReader, type Frame } from './framing.js';
import {
  EVENT_METHOD, fromRpcError, JSONRPC_VERSION, PROTOCOL_VERSION, type HelloResult, type JsonRpcId,
} from './protocol.js';

export interface ConnectOptions {
  /** Budget for connect + hello, and the default per-call timeout. Default 30 s; <= 0 or Infinity: none. */
  readonly timeoutMs?: number;
  /** Name sent in hello (default `tsiscsiadm`). */
  readonly client?: string;
  /** Version sent in hello (default: the package version). */
  readonly version?: string;
  /** Largest response line accepted (default 64 MiB). */
  readonly maxFrameBytes?: number;
  readonly clock?: Clock;
  /** Called once when the connection ends (err set when it ended abnormally). */
  readonly onClose?: (err: IscsiError | undefined) => void;
}

export interface CallOptions {
  /** Overrides the connection's default timeout; <= 0 or Infinity: wait forever. */
  readonly timeoutMs?: number;
}

/** A live subscription on the client side. */
export interface ClientSubscription {
  readonly id: string;
  unsubscribe(): Promise<void>;
}

interface Pending {
  readonly method: string;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: IscsiError) => void;
  /** Runs synchronously with the result, before any later line is read. */
  readonly onResult?: (value: unknown) => void;
  timer?: TimerHandle;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

function hasTimeout(ms: number): boolean {
  return ms > 0 && Number.isFinite(ms);
}

/** Map a connect() failure to the error open-iscsi would report. */
export function connectError(err: NodeJS.ErrnoException, path: string): IscsiError {
  const details = { path, syscallCode: err.code };
  switch (err.code) {
    case 'ENOENT':
    case 'ECONNREFUSED':
      return controlError('DAEMON_NOT_RUNNING', `could not connect to tsiscsid at ${path}: is it running? (${err.code})`, details, err);
    case 'EACCES':
    case 'EPERM':
      return controlError('DAEMON_ACCESS_DENIED', `permission denied on ${path}: the control socket is root-only`, details, err);
    default:
      return controlError('DAEMON_CONNECT_FAILED', `could not connect to tsiscsid at ${path} (${err.code ?? err.message})`, details, err);
  }
}

function openSocket(path: string, timeoutMs: number, clock: Clock): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ path });
    const timer = hasTimeout(timeoutMs)
      ? clock.setTimeout(() => {
        socket.destroy();
        reject(controlError('REQUEST_TIMEOUT', `connecting to ${path} took longer than ${timeoutMs} ms`, { path, timeoutMs }));
      }, timeoutMs)
      : undefined;
    socket.once('connect', () => {
      timer?.cancel();
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      timer?.cancel();
      reject(connectError(err, path));
    });
  });
}

export class ControlClient {
  private readonly pending = new Map<JsonRpcId, Pending>();
  private readonly subscriptions = new Map<string, (event: ControlEvent) => void>();
  private readonly reader: LineReader;
  private nextId = 1;
  private closeError: IscsiError | undefined;
  private closed = false;
  private closing = false;
  private hello: HelloResult | undefined;
  private readonly whenClosed: Promise<void>;

  private constructor(private readonly socket: Socket, private readonly opts: ConnectOptions, private readonly clock: Clock) {
    this.reader = new LineReader((f) => this.onFrame(f), { maxFrameBytes: opts.maxFrameBytes ?? DEFAULT_MAX_RESPONSE_BYTES });
    socket.on('data', (chunk: Buffer) => this.reader.push(chunk));
    socket.on('error', (err) => this.fail(controlError('CONNECTION_CLOSED', `control connection failed: ${err.message}`, {}, err)));
    this.whenClosed = new Promise((res) => socket.once('close', () => {
      this.fail(controlError('CONNECTION_CLOSED', 'tsiscsid closed the control connection'));
      res();
    }));
  }

  /** Connect to the daemon's socket and complete the hello exchange. */
  static async connect(path: string, opts: ConnectOptions = {}): Promise<ControlClient> {
    const { client, ready } = await ControlClient.open(path, opts);
    await ready;
    return client;
  }

  /**
   * Connect and send `hello` without waiting for its answer: calls made right away
   * follow it on the wire (the server completes a hello before it reads the next
   * request), which saves a round trip for one-shot clients such as tsiscsiadm.
   * `ready` settles with the hello outcome (on failure the connection is closed).
   */
  static async open(path: string, opts: ConnectOptions = {}): Promise<{ client: ControlClient; ready: Promise<HelloResult> }> {
    const clock = opts.clock ?? systemClock;
    const socket = await openSocket(path, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, clock);
    const client = new ControlClient(socket, opts, clock);
    const params = { client: opts.client ?? 'tsiscsiadm', version: opts.version ?? VERSION, protocol: PROTOCOL_VERSION };
    const ready = client.call('hello', params)
      .then((r) => (client.hello = checkHello(r)))
      .catch((err: unknown) => {
        socket.destroy();
        throw err;
      });
    ready.catch(() => undefined); // observed by whoever awaits it
    return { client, ready };
  }

  /** The server's hello answer (version, methods, limits). */
  get server(): HelloResult {
    return this.hello!;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Call `method`; resolves with its result or rejects with the daemon's IscsiError. */
  call<R = unknown>(method: string, params: object = {}, opts: CallOptions = {}): Promise<R> {
    return this.request(method, params, opts) as Promise<R>;
  }

  /** Subscribe to events (all, or only `events` types); `onEvent` also gets `dropped` reports. */
  async subscribe(onEvent: (event: ControlEvent) => void, opts: { readonly events?: readonly string[] } = {}): Promise<ClientSubscription> {
    const params = opts.events === undefined ? {} : { events: opts.events };
    // The callback is installed synchronously with the result: an event that follows
    // the response in the same chunk is delivered, not lost.
    const result = await this.request('subscribe', params, {}, (r) => {
      const id = subscriptionId(r);
      if (id !== undefined) this.subscriptions.set(id, onEvent);
    });
    const id = subscriptionId(result);
    if (id === undefined) throw controlError('BAD_RESPONSE', 'subscribe result has no subscription id');
    return {
      id,
      unsubscribe: async () => {
        this.subscriptions.delete(id);
        await this.request('unsubscribe', { subscription: id }, {});
      },
    };
  }

  /** Close the connection; pending calls fail with CONNECTION_CLOSED. */
  async close(): Promise<void> {
    this.closing = true;
    this.socket.end();
    const t = setTimeout(() => this.socket.destroy(), 1000);
    await this.whenClosed;
    clearTimeout(t);
  }

  private request(method: string, params: object, opts: CallOptions, onResult?: (value: unknown) => void): Promise<unknown> {
    if (this.closed) return Promise.reject(this.closeError ?? controlError('CONNECTION_CLOSED', 'control connection is closed'));
    const id = this.nextId++;
    const line = `${JSON.stringify({ jsonrpc: JSONRPC_VERSION, id, method, params })}\n`;
    const limit = this.hello?.limits.maxFrameBytes;
    if (limit !== undefined && Buffer.byteLength(line) - 1 > limit) {
      return Promise.reject(controlError('FRAME_TOO_LARGE', `request for ${method} exceeds the daemon's ${limit}-byte frame limit`, { method, limit }));
    }
    return new Promise((resolve, reject) => {
      const p: Pending = onResult === undefined ? { method, resolve, reject } : { method, resolve, reject, onResult };
      const timeoutMs = opts.timeoutMs ?? this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      if (hasTimeout(timeoutMs)) {
        p.timer = this.clock.setTimeout(() => {
          this.pending.delete(id);
          reject(controlError('REQUEST_TIMEOUT', `tsiscsid did not answer ${method} within ${timeoutMs} ms`, { method, timeoutMs }));
        }, timeoutMs);
      }
      this.pending.set(id, p);
      this.socket.write(line);
    });
  }

  private onFrame(frame: Frame): void {
    if (frame.type !== 'line') {
      this.socket.destroy();
      this.fail(controlError('BAD_RESPONSE', `tsiscsid sent an unreadable frame (${frame.type}, ${frame.bytes} bytes)`));
      return;
    }
    let msg: unknown;
    try {
      msg = JSON.parse(frame.text);
    } catch {
      this.socket.destroy();
      this.fail(controlError('BAD_RESPONSE', 'tsiscsid sent a line that is not JSON'));
      return;
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return;
    this.onMessage(msg as Record<string, unknown>);
  }

  private onMessage(msg: Record<string, unknown>): void {
    if (msg.method === EVENT_METHOD && !('id' in msg)) {
      const params = msg.params as { subscription?: unknown; event?: unknown } | undefined;
      const cb = typeof params?.subscription === 'string' ? this.subscriptions.get(params.subscription) : undefined;
      if (cb !== undefined && typeof params?.event === 'object' && params.event !== null) cb(params.event as ControlEvent);
      return;
    }
    if (!('id' in msg)) return;
    if (msg.id === null && 'error' in msg) {
      // A connection-level error (shutdown, too many connections, garbled frame).
      this.failPending(fromRpcError(msg.error));
      return;
    }
    const p = this.pending.get(msg.id as JsonRpcId);
    if (p === undefined) return; // late answer to a call that timed out
    this.pending.delete(msg.id as JsonRpcId);
    p.timer?.cancel();
    if ('error' in msg) p.reject(fromRpcError(msg.error));
    else {
      p.onResult?.(msg.result);
      p.resolve(msg.result);
    }
  }

  private failPending(err: IscsiError): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) {
      p.timer?.cancel();
      p.reject(err);
    }
  }

  private fail(err: IscsiError): void {
    if (this.closed) return;
    this.closed = true;
    this.closeError = err;
    this.reader.stop();
    this.failPending(err);
    this.opts.onClose?.(this.closing ? undefined : err);
  }
}

function subscriptionId(result: unknown): string | undefined {
  const id = (result as { subscription?: unknown } | null)?.subscription;
  return typeof id === 'string' ? id : undefined;
}

/** Check the hello answer by hand (no zod on the client path). */
function checkHello(r: unknown): HelloResult {
  const h = r as Partial<HelloResult> | null;
  const ok = typeof h === 'object' && h !== null && typeof h.server === 'string' && typeof h.version === 'string'
    && h.protocol === PROTOCOL_VERSION && Array.isArray(h.methods)
    && typeof h.limits === 'object' && h.limits !== null && typeof h.limits.maxFrameBytes === 'number';
  if (!ok) throw controlError('BAD_RESPONSE', 'tsiscsid answered hello with an unexpected result', { result: r });
  return h as HelloResult;
}
