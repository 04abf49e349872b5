/**
 * One accepted control connection, server side: frames in, limits, hello gating,
 * dispatch to methods, responses and event notifications out.
 *
 * Order of checks for each frame: rate (token bucket) → framing/JSON/envelope →
 * hello → method lookup → params (zod) → in-flight limit → handler. Every
 * rejection is a JSON-RPC error; the connection is closed only when the peer keeps
 * sending far beyond the rate limit, or has not said hello in time.
 *
 * Backpressure: when a write reports a full socket buffer we stop reading from the
 * peer until 'drain', and events wait in the bounded EventOutbox meanwhile.
 */
import type { Socket } from 'node:net';
import type { Clock, TimerHandle } from '../shared/clock.js';
import { IscsiError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { controlError } from './errors.js';
import { EventOutbox } from './events.js';
import { LineReader, type Frame } from './framing.js';
import { HELLO_METHOD } from './hello.js';
import { TokenBucket, WindowCounter, type ControlLimits } from './limits.js';
import {
  parseParams, runHandler, type AnyMethod, type CallContext, type ConnectionControl, type PeerInfo, type ServerCallContext,
} from './method.js';
import { errorLine, parseRequest, peekId, resultLine, type JsonRpcId, type JsonRpcRequest } from './protocol.js';

/** How a connection finds methods (owned by the server). */
export interface MethodLookup {
  builtin(name: string): AnyMethod<ServerCallContext> | undefined;
  user(name: string): AnyMethod | undefined;
  names(): readonly string[];
}

export interface ConnectionOptions {
  readonly id: number;
  readonly socket: Socket;
  readonly limits: ControlLimits;
  readonly clock: Clock;
  readonly log: Logger;
  readonly methods: MethodLookup;
  readonly debug: boolean;
  readonly serverVersion: string;
  readonly onClose: (conn: ControlConnection) => void;
}

type Resolved =
  | { readonly kind: 'builtin'; readonly method: AnyMethod<ServerCallContext> }
  | { readonly kind: 'user'; readonly method: AnyMethod };

export class ControlConnection {
  readonly id: number;
  private readonly socket: Socket;
  private readonly limits: ControlLimits;
  private readonly log: Logger;
  private readonly reader: LineReader;
  private readonly bucket: TokenBucket;
  private readonly rejections: WindowCounter;
  readonly outbox: EventOutbox;
  private readonly abort = new AbortController();
  private readonly control: ConnectionControl;
  private helloTimer: TimerHandle | undefined;
  private peer: PeerInfo | undefined;
  private inFlight = 0;
  private paused = false;
  private closed = false;

  constructor(private readonly opts: ConnectionOptions) {
    this.id = opts.id;
    this.socket = opts.socket;
    this.limits = opts.limits;
    this.log = opts.log.child({ conn: opts.id });
    this.reader = new LineReader((f) => this.onFrame(f), { maxFrameBytes: opts.limits.maxFrameBytes });
    this.bucket = new TokenBucket(opts.clock, opts.limits.maxRequestsPerSecond);
    this.rejections = new WindowCounter(opts.clock);
    this.outbox = new EventOutbox({ writable: () => this.writable(), write: (l) => this.send(l) }, opts.limits.maxQueuedEvents);
    this.control = this.makeControl();
    this.helloTimer = opts.clock.setTimeout(() => this.destroy('no hello in time'), opts.limits.helloTimeoutMs);
    this.socket.on('data', (chunk: Buffer) => this.reader.push(chunk));
    this.socket.on('drain', () => this.onDrain());
    this.socket.on('error', (err) => this.log.debug({ err: err.message }, 'control connection error'));
    this.socket.on('close', () => this.onSocketClose());
  }

  /** Requests whose handlers are still running. */
  get pending(): number {
    return this.inFlight;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Deliver one published event to this connection's matching subscriptions. */
  deliver(type: string, eventJson: string): void {
    if (!this.closed) this.outbox.offer(type, eventJson);
  }

  /** Send a connection-level error (id null) and end the connection. */
  refuse(err: unknown): void {
    this.send(errorLine(null, err));
    this.end();
  }

  /** Finish writing, then close. */
  end(): void {
    this.reader.stop();
    this.socket.end();
  }

  /** Close now (abusive or dead peer, server shutdown). */
  destroy(reason: string): void {
    if (this.closed) return;
    this.log.info({ reason }, 'closing control connection');
    this.reader.stop();
    this.socket.destroy();
  }

  private makeControl(): ConnectionControl {
    const { maxFrameBytes, maxInFlight, maxRequestsPerSecond, maxSubscriptions } = this.limits;
    return {
      completeHello: (peer) => {
        this.peer = peer;
        this.helloTimer?.cancel();
        this.helloTimer = undefined;
      },
      afterReply: () => {
        throw controlError('SERVER_STATE', 'afterReply is only available inside a call');
      },
      announced: { maxFrameBytes, maxInFlight, maxRequestsPerSecond },
      maxSubscriptions,
      events: this.outbox,
    };
  }

  private writable(): boolean {
    return !this.closed && !this.paused && !this.socket.writableNeedDrain;
  }

  private send(line: string): void {
    if (this.closed || this.socket.destroyed || this.socket.writableEnded) return;
    if (!this.socket.write(line) && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
  }

  private onDrain(): void {
    if (this.closed) return;
    this.paused = false;
    this.socket.resume();
    this.outbox.flush();
  }

  private onSocketClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.reader.stop();
    this.helloTimer?.cancel();
    this.abort.abort();
    this.outbox.clear();
    this.opts.onClose(this);
  }

  private onFrame(frame: Frame): void {
    if (this.closed) return;
    if (!this.bucket.take()) {
      this.rejectRateLimited(frame.type === 'line' ? peekId(frame.text) : null);
      return;
    }
    switch (frame.type) {
      case 'oversize':
        this.send(errorLine(null, controlError('FRAME_TOO_LARGE', `request frame exceeds ${this.limits.maxFrameBytes} bytes; discarded up to the next newline`, { limit: this.limits.maxFrameBytes, seen: frame.bytes })));
        return;
      case 'invalid-utf8':
        this.send(errorLine(null, controlError('PARSE_ERROR', 'frame is not valid UTF-8', { bytes: frame.bytes })));
        return;
      case 'line': {
        const parsed = parseRequest(frame.text);
        if (parsed.ok) this.onRequest(parsed.request);
        else this.send(errorLine(parsed.id, parsed.error));
        return;
      }
    }
  }

  private rejectRateLimited(id: JsonRpcId): void {
    const count = this.rejections.hit();
    if (count > this.limits.abuseRejectionsPerSecond) {
      this.destroy(`more than ${this.limits.abuseRejectionsPerSecond} rate-limited requests in one second`);
      return;
    }
    const rate = this.limits.maxRequestsPerSecond;
    this.send(errorLine(id, controlError('RATE_LIMITED', `more than ${rate} requests per second on this connection`, { limit: rate })));
  }

  private onRequest(req: JsonRpcRequest): void {
    const id = req.id;
    const reply = (err: unknown): void => {
      if (id !== undefined) this.send(errorLine(id, err));
    };
    const resolved = this.resolve(req.method);
    if ('error' in resolved) {
      reply(resolved.error);
      return;
    }
    let params: unknown;
    try {
      params = parseParams(resolved.method, req.params);
    } catch (err) {
      reply(err);
      return;
    }
    if (this.inFlight >= this.limits.maxInFlight) {
      const max = this.limits.maxInFlight;
      reply(controlError('TOO_MANY_IN_FLIGHT', `more than ${max} requests in flight on this connection`, { limit: max }));
      return;
    }
    this.inFlight++;
    void this.run(resolved, params, req.method, id);
  }

  private resolve(name: string): Resolved | { readonly error: unknown } {
    if (this.peer === undefined && name !== HELLO_METHOD) {
      return { error: controlError('HELLO_REQUIRED', `call ${HELLO_METHOD} before ${name}`, { method: name }) };
    }
    const builtin = this.opts.methods.builtin(name);
    if (builtin !== undefined) return { kind: 'builtin', method: builtin };
    const user = this.opts.methods.user(name);
    if (user !== undefined) return { kind: 'user', method: user };
    return { error: controlError('METHOD_NOT_FOUND', `no method "${name}"`, { method: name }) };
  }

  private async run(resolved: Resolved, params: unknown, method: string, id: JsonRpcId | undefined): Promise<void> {
    const after: (() => void)[] = [];
    const base: CallContext = { connectionId: this.id, signal: this.abort.signal, peer: this.peer };
    let line: string;
    try {
      const result = resolved.kind === 'user'
        ? await runHandler(resolved.method, params, base, this.opts.debug)
        : await runHandler(resolved.method, params, this.builtinContext(base, after), this.opts.debug);
      line = resultLine(id ?? null, result);
    } catch (err) {
      if (!(err instanceof IscsiError)) this.log.error({ err, method }, 'control method failed unexpectedly');
      line = errorLine(id ?? null, err);
    } finally {
      this.inFlight--;
    }
    if (id !== undefined) this.send(line);
    for (const fn of after) fn();
  }

  private builtinContext(base: CallContext, after: (() => void)[]): ServerCallContext {
    return {
      ...base,
      connection: { ...this.control, afterReply: (fn) => void after.push(fn) },
      methodNames: () => this.opts.methods.names(),
      serverVersion: this.opts.serverVersion,
    };
  }
}
