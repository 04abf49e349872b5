/**
 * Harness for daemon tests: a Daemon in-process behind a real ControlServer on a temp
 * socket, a ControlClient subscribed to every event, a logger that keeps every line
 * (so tests can grep logs for secrets), and a fresh record database.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ControlClient } from '../../../src/control/client.js';
import type { ControlEvent } from '../../../src/control/events.js';
import { daemonEvent } from '../../../src/control/methods/events.js';
import { ControlServer } from '../../../src/control/server.js';
import { parseIscsidConf, RecordStore } from '../../../src/db/index.js';
import { Daemon, type DaemonDeps } from '../../../src/daemon/daemon.js';
import type { IscsiError } from '../../../src/shared/errors.js';
import type { Logger } from '../../../src/shared/logger.js';
import { daemonPaths } from '../../../src/shared/paths.js';

export const INITIATOR = 'iqn.2024-01.org.tsiscsi:daemon-test';

/** One captured log line. */
export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  bindings: Record<string, unknown>;
  obj: object;
  msg?: string;
}

/** A Logger that records everything, child bindings included. */
export function captureLogger(lines: LogLine[], bindings: Record<string, unknown> = {}): Logger {
  const at = (level: LogLine['level']) => (obj: object, msg?: string): void => {
    lines.push({ level, bindings, obj, ...(msg === undefined ? {} : { msg }) });
  };
  return {
    debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'),
    child: (b) => captureLogger(lines, { ...bindings, ...b }),
  };
}

/** Defaults for new records in tests: short timeouts, one login attempt, no NOPs. */
export const TEST_CONF = [
  'node.conn[0].timeo.login_timeout = 5',
  'node.conn[0].timeo.logout_timeout = 3',
  'node.conn[0].timeo.noop_out_interval = 0',
  'node.conn[0].timeo.noop_out_timeout = 0',
  'node.session.initial_login_retry_max = 1',
  'discovery.sendtargets.timeo.login_timeout = 5',
  'discovery.sendtargets.reopen_max = 0',
].join('\n');

export interface TestDaemon {
  daemon: Daemon;
  server: ControlServer;
  client: ControlClient;
  store: RecordStore;
  root: string;
  socket: string;
  events: ControlEvent[];
  logs: LogLine[];
  /** Call a method; resolves with its result. */
  call<R = Record<string, unknown>>(method: string, params?: object): Promise<R>;
  /** Call a method that must fail; resolves with the error. */
  fail(method: string, params?: object): Promise<IscsiError>;
  /** Wait until an event matching `pred` arrived. */
  waitEvent(pred: (e: ControlEvent) => boolean, timeoutMs?: number): Promise<ControlEvent>;
  stop(): Promise<void>;
}

/** Start a daemon on a fresh temp root. `conf` is iscsid.conf text (default TEST_CONF). */
export async function startDaemon(opts: { conf?: string; deps?: Partial<DaemonDeps> } = {}): Promise<TestDaemon> {
  const root = mkdtempSync('/tmp/tsd-');
  const paths = daemonPaths(root);
  const logs: LogLine[] = [];
  const iscsid = parseIscsidConf(opts.conf ?? TEST_CONF, paths.config);
  const store = await RecordStore.open({ root: paths.db, defaults: iscsid.defaults });
  const daemon = new Daemon({
    paths, store, iscsid, initiator: { name: INITIATOR }, logger: captureLogger(logs),
    loginRetryDelayMs: 100, discoveryRetryDelayMs: 100, ...opts.deps,
  });
  const server = new ControlServer({ methods: daemon.methods, debug: true, closeGraceMs: 100 });
  daemon.onEvent((e) => server.publish(e));
  await server.listen(paths.socket);
  await daemon.start();
  const client = await ControlClient.connect(paths.socket, { timeoutMs: 60_000 });
  const events: ControlEvent[] = [];
  const waiters: Array<() => void> = [];
  await client.subscribe((e) => {
    events.push(e);
    for (const w of waiters.splice(0)) w();
  });
  const waitEvent = (pred: (e: ControlEvent) => boolean, timeoutMs = 10_000): Promise<ControlEvent> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching event within ${timeoutMs} ms (${events.length} events)`)), timeoutMs);
      const check = (): void => {
        const hit = events.find(pred);
        if (hit) {
          clearTimeout(timer);
          resolve(hit);
        } else waiters.push(check);
      };
      check();
    });
  return {
    daemon, server, client, store, root, socket: paths.socket, events, logs,
    call: (method, params = {}) => client.call(method, params),
    fail: async (method, params = {}) => {
      try {
        await client.call(method, params);
      } catch (err) {
        return err as IscsiError;
      }
      throw new Error(`${method} succeeded but was expected to fail`);
    },
    waitEvent,
    stop: async () => {
      await daemon.shutdown();
      await client.close();
      await server.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Check every event received against the documented event schemas; returns the bad ones. */
export function invalidEvents(events: readonly ControlEvent[]): Array<{ event: ControlEvent; issue: string }> {
  const bad: Array<{ event: ControlEvent; issue: string }> = [];
  for (const event of events) {
    const r = daemonEvent.safeParse(event);
    if (!r.success) bad.push({ event, issue: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
  }
  return bad;
}

/** Path of a file under the daemon's database root. */
export function dbPath(d: TestDaemon, ...parts: string[]): string {
  return join(d.store.root, ...parts);
}

/** A node key as the API returns it. */
export interface Key {
  target: string;
  address: string;
  port: number;
  tpgt: number;
  iface: string;
}
