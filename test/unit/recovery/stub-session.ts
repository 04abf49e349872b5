/**
 * A scripted stand-in for `Session` (just what SessionSupervisor uses), so every timer
 * path of the supervisor runs on a FakeClock without sockets: the test decides when
 * each login succeeds or fails, when the connection breaks and which commands it hands
 * back, and completes commands by hand.
 */
import { EventEmitter } from 'node:events';
import type { LoginResult } from '../../../src/iscsi/login/machine.js';
import type { NegotiatedParams } from '../../../src/iscsi/text/negotiate.js';
import type { ScsiRequest, ScsiResult } from '../../../src/session/scsi-task.js';
import type {
  ConnectionErrorInfo, ExecuteOptions, LogoutResult, SessionState, UnfinishedCommand, UnfinishedHandler,
} from '../../../src/session/session.js';
import { IscsiError, ISCSI_ERR, TransportError } from '../../../src/shared/errors.js';

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
  reject(e: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Let pending promise callbacks run (the supervisor reacts to login results in microtasks). */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export interface Issued {
  request: ScsiRequest;
  opts: ExecuteOptions;
  done: Deferred<ScsiResult>;
}

export const GOOD: ScsiResult = { status: 0, response: 0, data: Buffer.alloc(0), residual: 0, underflow: false, overflow: false };

/** CHECK CONDITION with fixed-format sense: key, ASC, ASCQ. */
export function checkCondition(key: number, asc: number, ascq: number): ScsiResult {
  const sense = Buffer.alloc(18);
  sense[0] = 0x70;
  sense[2] = key;
  sense[7] = 10;
  sense[12] = asc;
  sense[13] = ascq;
  return { ...GOOD, status: 2, sense };
}

export class StubSession extends EventEmitter {
  state: SessionState = 'free';
  params: NegotiatedParams | undefined;
  readonly logins: Array<Deferred<void>> = [];
  readonly issued: Issued[] = [];
  closes = 0;
  logouts = 0;
  logoutResult: Deferred<LogoutResult | undefined> | undefined;
  private handler: UnfinishedHandler | undefined;

  /** DefaultTime2Wait (seconds) the next successful login "negotiates". */
  constructor(private time2Wait = 2) {
    super();
  }

  login(): Promise<LoginResult> {
    if (this.state !== 'free' && this.state !== 'failed' && this.state !== 'closed') {
      return Promise.reject(new IscsiError('SESSION_BUSY', `stub busy (${this.state})`));
    }
    this.state = 'logging-in';
    const d = deferred<void>();
    this.logins.push(d);
    return d.promise.then(
      () => {
        this.state = 'logged-in';
        this.params = { defaultTime2Wait: this.time2Wait } as NegotiatedParams;
        return {} as LoginResult;
      },
      (err: unknown) => {
        if (this.state === 'logging-in') this.state = 'failed';
        throw err;
      },
    );
  }

  /** Settle the latest login attempt. */
  async succeed(): Promise<void> {
    this.logins.at(-1)!.resolve();
    await flush();
  }

  async failLogin(err: IscsiError = new TransportError('CONNECT_FAILED', 'refused')): Promise<void> {
    this.logins.at(-1)!.reject(err);
    await flush();
  }

  setTime2Wait(seconds: number): void {
    this.time2Wait = seconds;
  }

  execute(request: ScsiRequest, opts: ExecuteOptions = {}): Promise<ScsiResult> {
    if (this.state !== 'logged-in') {
      return Promise.reject(new TransportError('SESSION_NOT_LOGGED_IN', `stub is ${this.state}`, { errno: ISCSI_ERR.SESSION_NOT_CONNECTED }));
    }
    const done = deferred<ScsiResult>();
    this.issued.push({ request, opts, done });
    return done.promise;
  }

  /** Commands issued and not settled yet. */
  pending(): Issued[] {
    return this.issued.filter((i) => !(i as Issued & { settled?: boolean }).settled);
  }

  complete(i: Issued, result: ScsiResult = GOOD): void {
    (i as Issued & { settled?: boolean }).settled = true;
    i.done.resolve(result);
  }

  /** The connection fails: unfinished commands go to the handler (as a Session does), then connection-error. */
  breakConnection(err: IscsiError = new TransportError('CONNECTION_CLOSED', 'target closed the connection'), info: Partial<ConnectionErrorInfo> = {}): void {
    const unfinished = this.takeUnfinished(err);
    this.state = 'failed';
    this.emit('connection-error', err, { unfinished, ...info } satisfies ConnectionErrorInfo);
  }

  /** AsyncEvent 1: logout-requested now; `finishTargetLogout()` ends it. */
  requestLogout(): void {
    this.state = 'logging-out';
    this.emit('logout-requested', { parameter3: 5 });
  }

  finishTargetLogout(): void {
    this.takeUnfinished(new IscsiError('SESSION_LOGGED_OUT', 'logged out'));
    this.state = 'closed';
    this.emit('target-logout', { result: { response: 0 } });
  }

  async logout(): Promise<LogoutResult | undefined> {
    this.logouts++;
    if (this.state !== 'logged-in') {
      this.state = 'closed';
      return undefined;
    }
    this.state = 'logging-out';
    this.logoutResult = deferred<LogoutResult | undefined>();
    try {
      return await this.logoutResult.promise;
    } finally {
      this.state = 'closed';
    }
  }

  close(): void {
    this.closes++;
    this.state = 'closed';
  }

  setUnfinishedHandler(h: UnfinishedHandler | undefined): void {
    this.handler = h;
  }

  get hasHandler(): boolean {
    return this.handler !== undefined;
  }

  private takeUnfinished(cause: IscsiError): number {
    const open = this.pending();
    for (const i of open) (i as Issued & { settled?: boolean }).settled = true;
    const commands: UnfinishedCommand[] = open.map((i) => ({
      request: i.request, sent: true, resolve: i.done.resolve, reject: i.done.reject, ...(i.opts.signal ? { signal: i.opts.signal } : {}),
    }));
    if (commands.length === 0) return 0;
    if (this.handler) this.handler(commands, cause);
    else for (const c of commands) c.reject(cause);
    return commands.length;
  }
}
