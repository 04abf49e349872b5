/**
 * The daemon's composition: record store + session manager + every control method,
 * with the events they publish. The process layer (main.ts) builds one, registers
 * `methods` on its ControlServer, forwards `onEvent` to `ControlServer.publish`, calls
 * `start()`, `reload()` on SIGHUP and `shutdown()` on stop.
 *
 *   const daemon = new Daemon({ paths, store, iscsid, initiator, logger });
 *   server.register(...daemon.methods);
 *   daemon.onEvent((e) => server.publish(e));
 *   await daemon.start();
 *   await Promise.race([signal, daemon.stopRequested]);
 *   await daemon.shutdown();
 */
import { lookup } from 'node:dns/promises';
import type { ControlEvent } from '../control/events.js';
import type { AnyMethod } from '../control/method.js';
import type { IscsidConf, RecordStore, Resolver } from '../db/index.js';
import { isidFromQualifier } from '../iscsi/isid.js';
import { systemClock, type Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { DaemonPaths } from '../shared/paths.js';
import { VERSION } from '../shared/version.js';
import type { Transport } from '../transport/types.js';
import { userTcpTransport } from '../transport/usertcp/index.js';
import { daemonMethods, type HandlerContext, type InitiatorIdentity } from './handlers/index.js';
import type { DaemonStatus } from './handlers/misc.js';
import type { KernelPath, KernelPathOptions } from './kernel-path.js';
import { adoptAtStart, kernelPathFor, kernelSessionFactory } from './kernel-wiring.js';
import { IfaceProfiles } from './profiles.js';
import { poolSizes } from './login-pool.js';
import { SessionManager } from './session-manager.js';

export type { DaemonStatus } from './handlers/misc.js';

/** What the daemon is built from. */
export interface DaemonDeps {
  paths: DaemonPaths;
  store: RecordStore;
  /** iscsid.conf as readIscsidConf returned it. */
  iscsid: IscsidConf;
  initiator: InitiatorIdentity;
  logger: Logger;
  /** Monotonic clock for timers (default: the system clock). */
  clock?: Clock;
  /** Default: usertcp. */
  transport?: Transport;
  /** Logins running at once (default 16). */
  loginConcurrency?: number;
  /** Pause between first-login attempts after a failed connect (default 3000 ms, open-iscsi's reopen delay). */
  loginRetryDelayMs?: number;
  /** Pause between SendTargets login attempts (default 1000 ms). */
  discoveryRetryDelayMs?: number;
  /** Host name resolution for the session matching rule (default: getaddrinfo). */
  resolve?: Resolver;
  random?: (n: number) => Buffer;
  /**
   * The kernel iscsi_tcp data path (issue 6): options (tests: a fake kernel), or false for
   * usertcp only. Default: on when no `transport` is injected (kernel-wiring.ts).
   */
  kernel?: KernelPathOptions | false;
}

/** getaddrinfo: every address of a host name or literal; [] when it does not resolve. */
export const systemResolver: Resolver = async (host) => {
  try {
    return (await lookup(host, { all: true })).map((a) => a.address);
  } catch {
    return [];
  }
};

/** Unnamed discovery sessions take ISID qualifiers from the top half of the 24-bit space (sids use the bottom). */
const DISCOVERY_QUALIFIER_BASE = 0x800000;

export class Daemon {
  readonly methods: AnyMethod[];
  /** Resolves when a client called `daemon.stop` (after its reply went out). */
  readonly stopRequested: Promise<void>;
  private readonly listeners = new Set<(e: ControlEvent) => void>();
  private readonly sessions: SessionManager;
  private readonly profiles: IfaceProfiles;
  private readonly kernel: KernelPath | undefined;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly startedAt = new Date();
  private readonly startedMono: number;
  private iscsid: IscsidConf;
  private initiator: InitiatorIdentity;
  private resolveStop: () => void = () => {};
  private stopping = false;
  private shutdownDone: Promise<void> | undefined;
  private discoverySerial = 0;

  constructor(private readonly deps: DaemonDeps) {
    this.clock = deps.clock ?? systemClock;
    this.startedMono = this.clock.now();
    this.log = deps.logger;
    this.iscsid = deps.iscsid;
    this.initiator = { ...deps.initiator };
    this.stopRequested = new Promise<void>((resolve) => (this.resolveStop = resolve));
    const transport = deps.transport ?? userTcpTransport;
    const resolve = deps.resolve ?? systemResolver;
    this.profiles = IfaceProfiles.under(deps.store.root);
    this.kernel = kernelPathFor(deps.kernel, deps.transport !== undefined, this.log, this.clock);
    this.sessions = new SessionManager({
      ...(this.kernel ? { makeSession: kernelSessionFactory(this.kernel) } : {}),
      transport, clock: this.clock, logger: this.log.child({ component: 'sessions' }), emit: (e) => this.emit(e),
      initiator: () => this.initiator, loginConcurrency: deps.loginConcurrency ?? poolSizes(deps.iscsid.iscsid.raw).login,
      logoutConcurrency: poolSizes(deps.iscsid.iscsid.raw).logout,
      retryDelayMs: deps.loginRetryDelayMs ?? 3000, resolve, ...(deps.random ? { random: deps.random } : {}),
      ifaceProfile: (iface) => this.profiles.get(iface), recordDefaults: () => deps.store.defaults.node,
    });
    this.methods = daemonMethods(this.handlerContext(transport, resolve));
  }

  /** Receive every event (session/connection state, login failures, discovery changes). */
  onEvent(listener: (e: ControlEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Nothing to adopt for usertcp: sessions do not outlive the daemon. Kernel adoption comes later. */
  async start(): Promise<void> {
    const transport = this.deps.transport ?? userTcpTransport;
    if (!this.kernel) this.log.info({ transport: transport.name, initiator: this.initiator.name }, `iface transport tcp is served by ${transport.name}; no existing sessions to adopt`);
    for (const w of this.iscsid.warnings) this.log.warn({ file: w.file, line: w.line, key: w.key, code: w.code }, w.message);
    for (const w of poolSizes(this.iscsid.iscsid.raw).warnings) this.log.warn({ file: this.iscsid.file, code: 'BAD_VALUE' }, w);
    for (const w of await this.profiles.load()) this.log.warn({ code: 'IFACE_PROFILES' }, w);
    if (this.kernel) await adoptAtStart(this.kernel, this.sessions, this.deps.store, this.log);
  }

  /** SIGHUP: new iscsid.conf defaults and initiator identity for new records and logins. */
  reload(next: { iscsid: IscsidConf; initiator: InitiatorIdentity }): void {
    this.iscsid = next.iscsid;
    this.deps.store.setDefaults(next.iscsid.defaults);
    this.initiator = { ...next.initiator };
    this.log.info({ config: next.iscsid.file, initiator: next.initiator.name }, 'configuration reloaded; live sessions keep their settings');
  }

  /** Log out usertcp sessions except those of onboot records (idempotent). */
  shutdown(): Promise<void> {
    this.stopping = true;
    this.shutdownDone ??= this.sessions.shutdown().then(() => {
      this.kernel?.close();
      this.log.info({}, 'sessions logged out');
    });
    return this.shutdownDone;
  }

  /** Ask the process to stop, as `daemon.stop` does. */
  requestStop(): void {
    this.stopping = true;
    // Let the reply to daemon.stop reach the socket before main.ts starts closing it.
    this.clock.setTimeout(() => this.resolveStop(), 0);
  }

  status(): DaemonStatus {
    const transport = this.deps.transport ?? userTcpTransport;
    return {
      version: VERSION,
      pid: process.pid,
      startedAt: this.startedAt.toISOString(),
      uptimeMs: Math.max(0, Math.round(this.clock.now() - this.startedMono)),
      initiatorName: this.initiator.name,
      configFile: this.iscsid.file,
      dbRoot: this.deps.store.root,
      socket: this.deps.paths.socket,
      transports: [transport.name],
      sessions: this.sessions.counts(),
      logins: { running: this.sessions.pool.running, queued: this.sessions.pool.queued, concurrency: this.sessions.pool.concurrency },
      stopping: this.stopping,
    };
  }

  private emit(event: ControlEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (err) {
        this.log.error({ err, type: event.type }, 'event listener failed');
      }
    }
  }

  private handlerContext(transport: Transport, resolve: Resolver): HandlerContext {
    return {
      store: this.deps.store,
      sessions: this.sessions,
      profiles: this.profiles,
      log: this.log.child({ component: 'api' }),
      clock: this.clock,
      transport,
      paths: this.deps.paths,
      resolve,
      discoveryRetryDelayMs: this.deps.discoveryRetryDelayMs ?? 1000,
      ...(this.kernel ? { kernel: this.kernel } : {}),
      emit: (e) => this.emit(e),
      initiator: () => this.initiator,
      setInitiator: (next) => {
        this.initiator = { ...next };
      },
      iscsid: () => this.iscsid,
      discoveryIsid: () => isidFromQualifier(DISCOVERY_QUALIFIER_BASE + (this.discoverySerial++ % DISCOVERY_QUALIFIER_BASE)),
      requestStop: () => this.requestStop(),
      status: () => this.status(),
    };
  }
}
