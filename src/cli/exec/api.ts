/**
 * The daemon as the executors see it: typed `call(method, params)` over one control
 * connection, opened on first use (commands that fail before they need the daemon never
 * connect). Method types come from the specs in src/control/methods as *types only*, so
 * neither zod nor any daemon code is loaded at run time.
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

/** The control API on `socketPath`; `onConnectError` runs once if connecting fails. */
export function daemonApi(socketPath: string, onConnectError: (err: IscsiError) => void): Api {
  let client: Promise<ControlClient> | undefined;
  let open: ControlClient | undefined;
  const connect = (): Promise<ControlClient> => {
    client ??= ControlClient.connect(socketPath, { client: 'tsiscsiadm' }).then(
      (c) => (open = c),
      (err: unknown) => {
        if (err instanceof IscsiError) onConnectError(err);
        throw err;
      },
    );
    return client;
  };
  return {
    async call(method, params, opts = {}) {
      const c = await connect();
      return c.call(method, params as object, opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs });
    },
    async callAny(method, params, opts = {}) {
      const c = await connect();
      return c.call(method, params, opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs });
    },
    async methods() {
      return (await connect()).server.methods;
    },
    async subscribe(events, onEvent) {
      const sub = await (await connect()).subscribe(onEvent, { events });
      return () => sub.unsubscribe();
    },
    close() {
      if (open && !open.isClosed) void open.close();
    },
  };
}
