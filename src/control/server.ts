/**
 * ControlServer: the daemon side of the control socket (docs/control-api.md).
 *
 * The daemon builds one with its methods (defineMethod) and calls `listen(path)`,
 * or `listenFd(fd)` with a socket systemd passed in (LISTEN_FDS is parsed by the
 * daemon). Built-in methods: hello, subscribe, unsubscribe. `publish(event)` sends
 * an event to every matching subscription on every connection.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { chmod } from 'node:fs/promises';
import { dirname, resolve as resolvePath } from 'node:path';
import { systemClock, type Clock } from '../shared/clock.js';
import { nullLogger, type Logger } from '../shared/logger.js';
import { VERSION } from '../shared/version.js';
import { ControlConnection, type MethodLookup } from './connection.js';
import { controlError } from './errors.js';
import type { ControlEvent } from './events.js';
import { helloMethod } from './hello.js';
import { resolveLimits, type ControlLimits } from './limits.js';
import { MethodRegistry, type AnyMethod, type ServerCallContext } from './method.js';
import { errorLine } from './protocol.js';
import { redact } from './redact.js';
import {
  checkSocketFile, checkSocketPathLength, clearStaleSocket, prepareSocketDir, SOCKET_MODE,
} from './socket-path.js';
import { subscribeMethod, unsubscribeMethod } from './subscribe.js';

export interface ControlServerOptions {
  /** Methods offered besides the built-ins. More can be added with `register`. */
  readonly methods?: readonly AnyMethod[];
  /** Version reported by hello (default: the package version). */
  readonly version?: string;
  readonly limits?: Partial<ControlLimits>;
  /** Validate handler results against their schemas (a mismatch becomes RESULT_INVALID). */
  readonly debug?: boolean;
  readonly logger?: Logger;
  /** Time source for rate limits and the hello timeout. */
  readonly clock?: Clock;
  /** How long close() lets connections finish writing before destroying them. */
  readonly closeGraceMs?: number;
}

/** Counters for status output and tests. */
export interface ControlServerStats {
  readonly connections: number;
  readonly inFlight: number;
  readonly subscriptions: number;
  readonly queuedEvents: number;
  readonly droppedEvents: number;
}

type State = 'idle' | 'listening' | 'closing' | 'closed';

const BUILTINS: readonly AnyMethod<ServerCallContext>[] = [helloMethod, subscribeMethod, unsubscribeMethod];

export class ControlServer {
  readonly limits: ControlLimits;
  private readonly server: Server;
  private readonly builtins = new MethodRegistry<ServerCallContext>(BUILTINS);
  private readonly methods = new MethodRegistry();
  private readonly conns = new Set<ControlConnection>();
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly lookup: MethodLookup;
  private nextConnId = 1;
  private droppedByClosed = 0;
  private state: State = 'idle';
  private boundPath: string | undefined;

  constructor(private readonly opts: ControlServerOptions = {}) {
    this.limits = resolveLimits(opts.limits);
    this.log = opts.logger ?? nullLogger;
    this.clock = opts.clock ?? systemClock;
    this.register(...(opts.methods ?? []));
    this.lookup = {
      builtin: (name) => this.builtins.get(name),
      user: (name) => this.methods.get(name),
      names: () => [...this.builtins.names(), ...this.methods.names()].sort(),
    };
    this.server = createServer({ allowHalfOpen: false, pauseOnConnect: false }, (s) => this.onConnection(s));
  }

  /** Path of the socket file this server created (undefined for listenFd). */
  get path(): string | undefined {
    return this.boundPath;
  }

  /** Add methods; names must be unique (also against the built-ins). */
  register(...methods: readonly AnyMethod[]): this {
    for (const m of methods) {
      if (this.builtins.has(m.name)) throw controlError('METHOD_DUPLICATE', `method "${m.name}" is built in`, { method: m.name });
      this.methods.add(m);
    }
    return this;
  }

  /**
   * Create/check the socket directory (0700, ours), clear a stale socket, bind with
   * umask 0177 and chmod 0600, then verify the result. Throws typed errors.
   */
  async listen(path: string): Promise<void> {
    this.expectState('idle', 'listen');
    const abs = resolvePath(path);
    checkSocketPathLength(abs);
    await prepareSocketDir(dirname(abs));
    await clearStaleSocket(abs);
    await this.bind(abs);
    this.boundPath = abs;
    try {
      await chmod(abs, SOCKET_MODE);
      await checkSocketFile(abs);
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  /** Serve on an already bound and listening socket fd (systemd socket activation). */
  async listenFd(fd: number): Promise<void> {
    this.expectState('idle', 'listenFd');
    if (!Number.isInteger(fd) || fd < 0) throw new RangeError(`listenFd: fd must be a non-negative integer, got ${fd}`);
    await this.bind(fd);
  }

  /** Send `event` to every subscription whose filter matches `event.type`. */
  publish(event: ControlEvent): void {
    if (typeof event !== 'object' || event === null || typeof event.type !== 'string' || event.type.length === 0) {
      throw controlError('EVENT_INVALID', 'published events must be objects with a non-empty string "type"');
    }
    let json: string | undefined;
    for (const conn of this.conns) {
      if (conn.outbox.subscriptionCount === 0) continue;
      json ??= JSON.stringify(redact(event));
      conn.deliver(event.type, json);
    }
  }

  /** Stop accepting, tell connected clients we are shutting down, wait for them to close. */
  async close(): Promise<void> {
    if (this.state === 'closed' || this.state === 'closing') return;
    const wasListening = this.state === 'listening';
    this.state = 'closing';
    const closed = wasListening ? new Promise<void>((res) => this.server.close(() => res())) : Promise.resolve();
    const graceMs = this.opts.closeGraceMs ?? 2000;
    for (const conn of this.conns) {
      conn.refuse(controlError('SHUTTING_DOWN', 'tsiscsid is shutting down'));
      setTimeout(() => conn.destroy('shutdown grace period over'), graceMs).unref();
    }
    await closed;
    this.state = 'closed';
    this.boundPath = undefined;
  }

  stats(): ControlServerStats {
    let inFlight = 0;
    let subscriptions = 0;
    let queuedEvents = 0;
    let droppedEvents = this.droppedByClosed;
    for (const c of this.conns) {
      inFlight += c.pending;
      subscriptions += c.outbox.subscriptionCount;
      queuedEvents += c.outbox.queued;
      droppedEvents += c.outbox.dropped;
    }
    return { connections: this.conns.size, inFlight, subscriptions, queuedEvents, droppedEvents };
  }

  private expectState(want: State, op: string): void {
    if (this.state !== want) throw controlError('SERVER_STATE', `${op}: server is ${this.state}, expected ${want}`);
  }

  /** listen() on a path (under umask 0177, so the socket is never wider than 0600) or an fd. */
  private bind(target: string | number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        this.server.off('listening', onListening);
        reject(err);
      };
      const onListening = (): void => {
        this.server.off('error', onError);
        this.server.on('error', (err) => this.log.error({ err: err.message }, 'control server error'));
        this.state = 'listening';
        resolve();
      };
      this.server.once('error', onError);
      this.server.once('listening', onListening);
      if (typeof target === 'number') {
        this.server.listen({ fd: target });
        return;
      }
      // net.Server binds a Unix socket synchronously inside listen(), so the umask
      // only needs to be in force for the duration of this call.
      const previous = process.umask(0o177);
      try {
        this.server.listen({ path: target, backlog: 64 });
      } finally {
        process.umask(previous);
      }
    });
  }

  private onConnection(socket: Socket): void {
    if (this.state !== 'listening') {
      socket.destroy();
      return;
    }
    socket.on('error', () => {});
    if (this.conns.size >= this.limits.maxConnections) {
      const max = this.limits.maxConnections;
      socket.end(errorLine(null, controlError('TOO_MANY_CONNECTIONS', `tsiscsid accepts at most ${max} control connections`, { limit: max })));
      return;
    }
    const conn = new ControlConnection({
      id: this.nextConnId++,
      socket,
      limits: this.limits,
      clock: this.clock,
      log: this.log,
      methods: this.lookup,
      debug: this.opts.debug ?? false,
      serverVersion: this.opts.version ?? VERSION,
      onClose: (c) => {
        this.droppedByClosed += c.outbox.dropped;
        this.conns.delete(c);
      },
    });
    this.conns.add(conn);
  }
}
