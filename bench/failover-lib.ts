/**
 * Shared rig of the failover benches: tsiscsid in-process (the test harness: a Daemon
 * behind a real control socket, short-timer iscsid.conf), logged in to one tgtd target
 * through one TCP fault proxy per session, and an event bus that timestamps every daemon
 * event as it is published (no socket latency in the measurements).
 */
import { fork } from 'node:child_process';
import { readdirSync } from 'node:fs';
import type { ControlEvent } from '../src/control/events.js';
import { startDaemon, type TestDaemon } from '../test/unit/daemon/helpers.js';
import { FaultProxy, type FaultMode } from '../test/support/fault-proxy.js';
import { log, mapLimit, TARGET_PREFIX, type Tgtd } from './lib/common.js';

export const FAILOVER_TARGET = `${TARGET_PREFIX}:failover`;
export const FAILOVER_TID = 1;

/** A timestamped event. */
export interface Stamped {
  e: ControlEvent;
  at: number;
}

/** Waits for daemon events; a waiter must be registered before the action that causes the event. */
export class EventBus {
  private readonly waiters = new Set<{ pred: (e: ControlEvent) => boolean; resolve: (s: Stamped) => void; timer: NodeJS.Timeout }>();
  /** Every event of these types, stamped (for counts at the end). */
  readonly seen: Stamped[] = [];

  constructor(d: TestDaemon, private readonly keep: ReadonlySet<string> = new Set()) {
    d.daemon.onEvent((e) => {
      const at = performance.now();
      if (this.keep.has(e.type)) this.seen.push({ e, at });
      for (const w of [...this.waiters]) {
        if (!w.pred(e)) continue;
        this.waiters.delete(w);
        clearTimeout(w.timer);
        w.resolve({ e, at });
      }
    });
  }

  wait(pred: (e: ControlEvent) => boolean, timeoutMs: number, what: string): Promise<Stamped> {
    return new Promise((resolve, reject) => {
      const w = {
        pred,
        resolve,
        timer: setTimeout(() => {
          this.waiters.delete(w);
          reject(new Error(`timeout after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs),
      };
      this.waiters.add(w);
    });
  }
}

export const isState = (sid: number, f: Record<string, unknown>) => (e: ControlEvent): boolean =>
  e.type === 'session.state' && e.sid === sid && Object.entries(f).every(([k, v]) => e[k] === v);
export const isRecovered = (sid: number) => (e: ControlEvent): boolean => e.type === 'session.recovered' && e.sid === sid;

/** One TCP fault proxy per session, wherever they run. */
export interface ProxySet {
  /** Listening port of proxy i. */
  readonly ports: readonly number[];
  setMode(i: number, mode: FaultMode): void;
  /** RST every open connection of proxy i. */
  reset(i: number): void;
  stop(): Promise<void>;
}

/** Proxies in this process (precise timing of fault injection). */
export async function localProxies(targetPort: number, n: number): Promise<ProxySet> {
  const proxies = await mapLimit(Array.from({ length: n }, (_, i) => i), 16, () => FaultProxy.start({ target: { host: '127.0.0.1', port: targetPort } }));
  return {
    ports: proxies.map((p) => p.portal.port),
    setMode: (i, mode) => proxies[i]!.setMode(mode),
    reset: (i) => proxies[i]!.resetAll(),
    stop: async () => {
      for (const p of proxies) p.setMode({ kind: 'pass' });
      await Promise.all(proxies.map((p) => p.stop()));
    },
  };
}

/** Proxies in a child process (failover-proxyhost.ts), so they are not counted with the daemon. */
export async function remoteProxies(targetPort: number, n: number): Promise<ProxySet> {
  const child = fork(new URL('./failover-proxyhost.js', import.meta.url), [String(targetPort), String(n)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ports = await new Promise<number[]>((resolve, reject) => {
    child.once('message', (m: { ports: number[] }) => resolve(m.ports));
    child.once('exit', (code) => reject(new Error(`proxy host exited with ${String(code)}`)));
  });
  return {
    ports,
    setMode: (i, mode) => child.send({ op: 'mode', i, mode }),
    reset: (i) => child.send({ op: 'reset', i }),
    stop: async () => {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send({ op: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface FailoverRig {
  d: TestDaemon;
  bus: EventBus;
  /** Proxy i carries sids[i]. */
  proxies: ProxySet;
  sids: number[];
  stop(): Promise<void>;
}

/** iscsid.conf of the benches: first login tried once, short login/logout timeouts. */
const CONF = [
  'node.conn[0].timeo.login_timeout = 2',
  'node.conn[0].timeo.logout_timeout = 2',
  'node.session.initial_login_retry_max = 2',
].join('\n');

/** Add the bench target (one 4 MiB LUN) with DefaultTime2Wait `t2w`. */
export async function addFailoverTarget(t: Tgtd, t2w: number): Promise<void> {
  await t.addTarget({ tid: FAILOVER_TID, iqn: FAILOVER_TARGET, luns: [{ lun: 1, sizeMiB: 4 }], params: { DefaultTime2Wait: t2w } });
}

/** Daemon + one node record per proxy port (with `values`), all logged in. */
export async function startFailoverRig(proxies: ProxySet, values: Record<string, number>, keep: readonly string[] = []): Promise<FailoverRig> {
  const d = await startDaemon({ conf: CONF, deps: { loginConcurrency: 32 } });
  const bus = new EventBus(d, new Set(keep));
  for (const port of proxies.ports) {
    await d.call('node.new', { target: FAILOVER_TARGET, address: '127.0.0.1', port, tpgt: 1, values });
  }
  const r = await d.call<{ results: Array<{ node: { port: number }; sids: number[]; error?: { code: string } }> }>('node.login', { target: FAILOVER_TARGET });
  const byPort = new Map(r.results.map((o) => [o.node.port, o]));
  const sids = proxies.ports.map((port) => {
    const o = byPort.get(port);
    const sid = o?.sids[0];
    if (sid === undefined) throw new Error(`login through proxy :${port} failed: ${JSON.stringify(o?.error)}`);
    return sid;
  });
  log(`${sids.length} sessions logged in through ${proxies.ports.length} fault proxies`);
  return {
    d, bus, proxies, sids,
    stop: async () => {
      await d.stop();
      await proxies.stop();
    },
  };
}

/** What the soak counts before and after. */
export interface ResourceCount {
  /** TCP sockets and servers alive in this process (initiator, proxy and control sides). */
  sockets: number;
  /** Active timers (Timeout resources). */
  timers: number;
  /** Open file descriptors (/proc/self/fd). */
  fds: number;
  /** Sessions the daemon lists. */
  sessions: number;
  /** Of which LOGGED IN. */
  loggedIn: number;
}

export async function countResources(d: TestDaemon): Promise<ResourceCount> {
  const info = process.getActiveResourcesInfo();
  const { sessions } = await d.call<{ sessions: Array<{ states: { connection: string } }> }>('session.list');
  return {
    sockets: info.filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap').length,
    timers: info.filter((r) => r === 'Timeout').length,
    fds: readdirSync('/proc/self/fd').length,
    sessions: sessions.length,
    loggedIn: sessions.filter((s) => s.states.connection === 'LOGGED IN').length,
  };
}

/** Endpoints of the TCP sockets alive in this process ("local -> remote"), for diagnosing leaks. */
export function socketEndpoints(): string[] {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  const out: string[] = [];
  for (const h of handles) {
    const s = h as { localAddress?: string; localPort?: number; remoteAddress?: string; remotePort?: number; constructor?: { name?: string } };
    if (s.constructor?.name === 'Socket' && s.localPort !== undefined) out.push(`${s.localAddress}:${s.localPort} -> ${s.remoteAddress ?? '?'}:${s.remotePort ?? '?'}`);
  }
  return out.sort();
}

/**
 * Sockets of this process by role: initiator → proxy, proxy ← initiator (accepted),
 * proxy → target, other TCP, unbound (Unix sockets). Roles with more sockets than
 * sessions point at a leak.
 */
export function socketRoles(proxyPorts: ReadonlySet<number>, targetPort: number): Record<string, number> {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  const roles: Record<string, number> = { initiator: 0, proxyAccepted: 0, proxyUpstream: 0, other: 0, unbound: 0 };
  for (const h of handles) {
    const s = h as { localPort?: number; remotePort?: number; constructor?: { name?: string } };
    if (s.constructor?.name !== 'Socket') continue;
    if (s.localPort === undefined) {
      roles.unbound = (roles.unbound ?? 0) + 1; // Unix sockets (control API), or a TCP socket without an address
      continue;
    }
    const role = s.remotePort === targetPort ? 'proxyUpstream' : proxyPorts.has(s.localPort) ? 'proxyAccepted' : s.remotePort !== undefined && proxyPorts.has(s.remotePort) ? 'initiator' : 'other';
    roles[role] = (roles[role] ?? 0) + 1;
  }
  return roles;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
