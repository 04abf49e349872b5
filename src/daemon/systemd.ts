/**
 * systemd integration: sd_notify messages and socket activation.
 *
 * Notifications go through systemd's own `systemd-notify` binary: READY=1 and STATUS=
 * via the `systemd-notify` npm package (which spawns it with `--ready --pid=<our pid>
 * --status=…`), and the variables that package cannot express (RELOADING=1, STOPPING=1,
 * WATCHDOG=1) by spawning the same binary with `VARIABLE=VALUE` arguments. The sender is
 * a child process, so the unit needs `NotifyAccess=all`. Messages are sent one at a time
 * in call order. Without NOTIFY_SOCKET every call is a no-op (sd_notify(3)).
 *
 * Watchdog: when WATCHDOG_USEC is set (and WATCHDOG_PID, if set, is our pid) WATCHDOG=1
 * is sent every WATCHDOG_USEC/2.
 *
 * Socket activation (sd_listen_fds(3)): when LISTEN_PID is our pid and LISTEN_FDS is 1,
 * the control socket is fd 3. Any other LISTEN_* combination is reported and the daemon
 * binds its own socket, as iscsid does. The variables are removed from the environment
 * either way so that child processes do not inherit them.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { systemClock, type Clock, type TimerHandle } from '../shared/clock.js';
import { nullLogger, type Logger } from '../shared/logger.js';

/** First passed fd (SD_LISTEN_FDS_START). */
export const SD_LISTEN_FDS_START = 3;

/** One sd_notify message: `KEY=VALUE` assignments in order. */
export type NotifyMessage = readonly string[];

/** Delivers one message; rejects when it could not be sent. */
export type NotifySender = (message: NotifyMessage) => Promise<void>;

type NotifyPackage = (opts: { ready?: boolean; status?: string; pid?: number }) => Promise<unknown>;

/** The systemd-notify package (CommonJS, no type declarations). */
function notifyPackage(): NotifyPackage {
  return createRequire(import.meta.url)('systemd-notify') as NotifyPackage;
}

function runSystemdNotify(args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('systemd-notify', [...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`systemd-notify exited with ${code}: ${stderr.trim()}`))));
  });
}

/** The default sender: the npm package for READY/STATUS, the binary itself for the rest. */
export const systemdNotifySender: NotifySender = async (message) => {
  const onlyReadyStatus = message.every((m) => m === 'READY=1' || m.startsWith('STATUS='));
  if (onlyReadyStatus) {
    const status = message.find((m) => m.startsWith('STATUS='));
    await notifyPackage()({
      ...(message.includes('READY=1') ? { ready: true } : {}),
      ...(status === undefined ? {} : { status: status.slice('STATUS='.length) }),
    });
    return;
  }
  await runSystemdNotify(message);
};

/** Options of SystemdNotifier. */
export interface SystemdNotifierOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly pid?: number;
  readonly log?: Logger;
  readonly sender?: NotifySender;
  readonly clock?: Clock;
}

/** STATUS= text must be one line. */
function statusLine(text: string): string {
  return `STATUS=${text.replace(/[\r\n]+/g, ' ')}`;
}

/** sd_notify for the daemon's life cycle; every method is a no-op without NOTIFY_SOCKET. */
export class SystemdNotifier {
  /** Whether NOTIFY_SOCKET was set. */
  readonly enabled: boolean;
  /** Watchdog ping interval in ms (half of WATCHDOG_USEC), undefined when not requested. */
  readonly watchdogMs: number | undefined;
  private readonly log: Logger;
  private readonly sender: NotifySender;
  private readonly clock: Clock;
  private queue: Promise<void> = Promise.resolve();
  private watchdog: TimerHandle | undefined;
  private failures = 0;

  constructor(opts: SystemdNotifierOptions = {}) {
    const env = opts.env ?? process.env;
    const pid = opts.pid ?? process.pid;
    this.enabled = (env.NOTIFY_SOCKET ?? '') !== '';
    this.log = opts.log ?? nullLogger;
    this.sender = opts.sender ?? systemdNotifySender;
    this.clock = opts.clock ?? systemClock;
    this.watchdogMs = this.enabled ? watchdogInterval(env, pid) : undefined;
  }

  /** READY=1 with an optional STATUS= line. */
  ready(status?: string): Promise<void> {
    return this.send(['READY=1', ...(status === undefined ? [] : [statusLine(status)])]);
  }

  /** STATUS=<text>. */
  status(text: string): Promise<void> {
    return this.send([statusLine(text)]);
  }

  /** RELOADING=1 (follow with ready() when the reload is done). */
  reloading(status?: string): Promise<void> {
    return this.send(['RELOADING=1', ...(status === undefined ? [] : [statusLine(status)])]);
  }

  /** STOPPING=1. */
  stopping(status?: string): Promise<void> {
    return this.send(['STOPPING=1', ...(status === undefined ? [] : [statusLine(status)])]);
  }

  /** Start WATCHDOG=1 pings if systemd asked for them. */
  startWatchdog(): void {
    if (this.watchdogMs === undefined || this.watchdog) return;
    const ms = this.watchdogMs;
    this.log.debug({ intervalMs: ms }, 'systemd watchdog enabled');
    const tick = (): void => {
      void this.send(['WATCHDOG=1']);
      this.watchdog?.refresh();
    };
    this.watchdog = this.clock.setTimeout(tick, ms);
  }

  stopWatchdog(): void {
    this.watchdog?.cancel();
    this.watchdog = undefined;
  }

  /** Resolves when every message queued so far has been handed over (or failed). */
  flush(): Promise<void> {
    return this.queue;
  }

  private send(message: NotifyMessage): Promise<void> {
    if (!this.enabled) return Promise.resolve();
    this.queue = this.queue.then(async () => {
      try {
        await this.sender(message);
        this.log.debug({ notify: message }, 'sd_notify sent');
      } catch (err) {
        // Logged at warn the first few times only: a watchdog every few seconds must not flood.
        if (++this.failures <= 3) this.log.warn({ err, notify: message }, 'sd_notify failed (is systemd-notify installed?)');
      }
    });
    return this.queue;
  }
}

function watchdogInterval(env: NodeJS.ProcessEnv, pid: number): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isSafeInteger(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID !== undefined && Number(env.WATCHDOG_PID) !== pid) return undefined;
  return Math.max(1, Math.floor(usec / 2000));
}

/** Result of looking at LISTEN_FDS/LISTEN_PID. */
export type SocketActivation =
  | { readonly kind: 'none' }
  | { readonly kind: 'fd'; readonly fd: number }
  | { readonly kind: 'invalid'; readonly reason: string };

/**
 * sd_listen_fds(1): which socket systemd passed us, if any. Removes LISTEN_PID,
 * LISTEN_FDS and LISTEN_FDNAMES from `env`.
 */
export function socketActivation(env: NodeJS.ProcessEnv = process.env, pid: number = process.pid): SocketActivation {
  const fds = env.LISTEN_FDS;
  const lpid = env.LISTEN_PID;
  delete env.LISTEN_FDS;
  delete env.LISTEN_PID;
  delete env.LISTEN_FDNAMES;
  if (fds === undefined) return { kind: 'none' };
  if (lpid === undefined || !/^\d+$/.test(lpid) || Number(lpid) !== pid) {
    return { kind: 'invalid', reason: `LISTEN_FDS is set but LISTEN_PID (${lpid ?? 'unset'}) is not our pid ${pid}` };
  }
  if (!/^\d+$/.test(fds) || Number(fds) === 0) return { kind: 'invalid', reason: `LISTEN_FDS=${fds}: no socket passed` };
  if (Number(fds) > 1) return { kind: 'invalid', reason: `LISTEN_FDS=${fds}: expected exactly one socket (the control socket)` };
  return { kind: 'fd', fd: SD_LISTEN_FDS_START };
}
