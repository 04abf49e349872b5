/**
 * The daemon as the executors see it: typed `call(method, params)` over one control
 * connection, opened on first use (commands that fail before they need the daemon never
 * connect). Method types come from the specs in src/control/methods as *types only*, so
 * neither zod nor any daemon code is loaded at run time.
 *
 * When tsiscsid is not running, record methods (and session listings, which are empty
 * without it) are answered by tsiscsiadm itself (src/cli/local, loaded only then), as
 * iscsiadm works on its DB without iscsid (reference §1.4). The "iscsid is not running"
 * lines are printed where iscsiadm prints them: for every other method, and for the
 * record creations for which iscsiadm first asks iscsid for its config.
 */
import { ControlClient } from '../../control/client.js';
import type { ControlEvent } from '../../control/events.js';
import type { METHOD_SPECS, ParamsOf, ResultOf } from '../../control/methods/index.js';
import { IscsiError } from '../../shared/errors.js';

type Specs = typeof METHOD_SPECS;
/** A daemon method name. */
export type MethodName = keyof Specs;
/** What `method` takes. */
export type Params<M extends MethodName> = ParamsOf<Specs[M]>;
/** What `method` answers. */
export type Result<M extends MethodName> = ResultOf<Specs[M]>;

/** Options of one call. */
export interface CallOpts {
  /** 0 = wait forever (what iscsiadm does for login, logout, discovery). */
  readonly timeoutMs?: number;
  /** iscsiadm does not try to start iscsid for this request (`-k`): no startup hint line. */
  readonly noAutostart?: boolean;
}

/** Methods tsiscsiadm answers itself when the daemon is not running (src/cli/local/api.ts). */
export const LOCAL_METHODS: ReadonlySet<string> = new Set([
  'node.list', 'node.show', 'node.new', 'node.update', 'node.delete', 'node.logout', 'node.logoutAll',
  'iface.list', 'iface.show', 'iface.new', 'iface.update', 'iface.delete',
  'discovery.list', 'discovery.show', 'discovery.new', 'discovery.update', 'discovery.delete',
  'session.list', 'session.info', 'session.stats', 'session.rescan', 'session.logout', 'session.loginNew',
]);

/** Of those, the ones for which iscsiadm still prints the two "not running" lines (it asks iscsid for iscsid.conf first). */
export const NOISY_LOCAL_METHODS: ReadonlySet<string> = new Set(['node.new', 'discovery.new']);

/** What answers LOCAL_METHODS without the daemon. */
export interface LocalCaller {
  call(method: string, params: object): Promise<unknown>;
}

/** The daemon API used by the executors (a fake in unit tests). */
export interface Api {
  call<M extends MethodName>(method: M, params: Params<M>, opts?: CallOpts): Promise<Result<M>>;
  /** A method the specs do not know (newer daemons, extensions); untyped. */
  callAny(method: string, params: object, opts?: CallOpts): Promise<unknown>;
  /** Every method the daemon offers (from its hello answer). */
  methods(): Promise<readonly string[]>;
  /** Receive events of the given types until the returned function is called. */
  subscribe(events: readonly string[], onEvent: (event: ControlEvent) => void): Promise<() => Promise<void>>;
  /** Let the connection go (never waits). */
  close(): void;
}

/** Codes of errors that mean the daemon could not be reached at all. */
const CONNECT_CODES = new Set(['DAEMON_NOT_RUNNING', 'DAEMON_CONNECT_FAILED', 'DAEMON_ACCESS_DENIED']);

/** True when `err` says the daemon could not be reached (nothing was asked). */
export function isConnectError(err: unknown): err is IscsiError {
  return err instanceof IscsiError && CONNECT_CODES.has(err.code);
}

/**
 * The control API on `socketPath`. `onConnectError` runs at most once, when a failed
 * connection is first reported (`autostart` false: iscsiadm did not try to start iscsid).
 * With `local`, LOCAL_METHODS fall back to it when the daemon is not running.
 */
export function daemonApi(
  socketPath: string,
  onConnectError: (err: IscsiError, autostart: boolean) => void,
  local?: () => Promise<LocalCaller>,
): Api {
  let client: Promise<{ client: ControlClient; ready: Promise<unknown> }> | undefined;
  let open: ControlClient | undefined;
  let reported = false;
  let localCaller: Promise<LocalCaller> | undefined;
  const report = (err: unknown, opts: CallOpts): void => {
    if (reported || !(err instanceof IscsiError)) return;
    reported = true;
    onConnectError(err, opts.noAutostart !== true);
  };
  // hello goes out with the first call (ControlClient.open): one round trip, not two.
  const connect = (): Promise<{ client: ControlClient; ready: Promise<unknown> }> => {
    client ??= ControlClient.open(socketPath, { client: 'tsiscsiadm' }).then((c) => {
      open = c.client;
      return c;
    });
    return client;
  };
  /** Connected and greeted (for what needs the hello answer). */
  const greeted = async (): Promise<ControlClient> => {
    const c = await connect();
    await c.ready;
    return c.client;
  };
  const callVia = async (method: string, params: object, opts: CallOpts): Promise<unknown> => {
    let c: { client: ControlClient; ready: Promise<unknown> };
    try {
      c = await connect();
    } catch (err) {
      if (local && LOCAL_METHODS.has(method) && err instanceof IscsiError && err.code === 'DAEMON_NOT_RUNNING') {
        if (NOISY_LOCAL_METHODS.has(method)) report(err, opts);
        localCaller ??= local();
        return (await localCaller).call(method, params);
      }
      report(err, opts);
      throw err;
    }
    const answer = c.client.call(method, params, opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs });
    // A failed hello (version mismatch) explains the call's failure better than the call's own error.
    const [, result] = await Promise.all([c.ready, answer]);
    return result;
  };
  return {
    async call(method, params, opts = {}) {
      return callVia(method, params as object, opts) as never;
    },
    async callAny(method, params, opts = {}) {
      return callVia(method, params, opts);
    },
    async methods() {
      try {
        return (await greeted()).server.methods;
      } catch (err) {
        report(err, {});
        throw err;
      }
    },
    async subscribe(events, onEvent) {
      let c: ControlClient;
      try {
        c = await greeted();
      } catch (err) {
        report(err, {});
        throw err;
      }
      const sub = await c.subscribe(onEvent, { events });
      return () => sub.unsubscribe();
    },
    close() {
      if (open && !open.isClosed) void open.close();
    },
  };
}
