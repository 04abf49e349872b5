/**
 * Rig for the daemon recovery tests: a daemon (tests/unit/daemon/helpers.ts) logged in
 * to the fake target through a TCP fault proxy, with short recovery timers, plus small
 * readers for the session report, extended statistics and events after a mark.
 */
import type { ControlEvent } from '../../../src/control/events.js';
import { FakeTarget, standardTarget, type StandardScript, type StandardTargetOptions } from '../../support/fake-target/index.js';
import { FaultProxy } from '../../support/fault-proxy.js';
import { startDaemon, type TestDaemon } from './helpers.js';

export const TARGET = 'iqn.2024-01.test.fake:recovery';

/** Record values that keep recovery quick: Time2Wait 0, 2 s login/logout timeouts, no NOPs. */
export const FAST: Readonly<Record<string, number>> = {
  'node.session.iscsi.DefaultTime2Wait': 0,
  'node.conn[0].timeo.login_timeout': 2,
  'node.conn[0].timeo.logout_timeout': 2,
  'node.conn[0].timeo.noop_out_interval': 0,
  'node.conn[0].timeo.noop_out_timeout': 0,
};

export interface SessionView {
  sid: number;
  states: { connection: string; session: string; internal: string };
  timeouts: Record<string, number | null>;
  recovery: {
    state: string; step: string; io: string; attempts: number; held: number; replacementExpired: boolean;
    cause?: { code: string; message: string };
    replacementTimeoutMs: number; reopenMax: number; loginTimeoutMs: number; initialLoginRetryMax: number; defaultTime2WaitMs: number;
    profile: string | null; connectionErrors: number; recoveries: number; lastRecoveredAt: string | null;
  };
}

export interface Rig {
  d: TestDaemon;
  target: FakeTarget;
  script: StandardScript;
  /** The fake target's options object: tests may change `status` etc. while it runs. */
  targetOpts: StandardTargetOptions;
  proxy: FaultProxy;
  stop(): Promise<void>;
}

/** Fake target (DefaultTime2Wait 0) behind a proxy, a daemon, and a node record for it through the proxy. */
export async function startRig(values: Readonly<Record<string, string | number>> = {}, targetOpts: StandardTargetOptions = {}): Promise<Rig> {
  const opts: StandardTargetOptions = { targets: [{ name: TARGET, luns: [{ lun: 0 }] }], keys: { DefaultTime2Wait: '0' }, ...targetOpts };
  const script = standardTarget(opts);
  const target = await FakeTarget.start(script);
  const proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port: target.port } });
  const d = await startDaemon();
  await d.call('node.new', { target: TARGET, address: '127.0.0.1', port: proxy.portal.port, tpgt: 1, values: { ...FAST, ...values } });
  return {
    d, target, script, targetOpts: opts, proxy,
    stop: async () => {
      proxy.setMode({ kind: 'pass' });
      await d.stop();
      await proxy.stop();
      await target.stop();
    },
  };
}

/** Log in the rig's record; returns the sid. */
export async function login(r: Rig): Promise<number> {
  const res = await r.d.call<{ results: Array<{ sids: number[]; error?: { code: string } }> }>('node.login', { target: TARGET });
  const sid = res.results[0]?.sids[0];
  if (sid === undefined) throw new Error(`login failed: ${JSON.stringify(res.results[0]?.error)}`);
  return sid;
}

export async function sessionOf(d: TestDaemon, sid: number): Promise<SessionView> {
  return (await d.call<{ session: SessionView }>('session.info', { sid })).session;
}

/** `iSCSI Extended:` counters of a session, by name. */
export async function extendedOf(d: TestDaemon, sid: number): Promise<Record<string, number>> {
  const { stats } = await d.call<{ stats: Array<{ extended: Array<[string, number]> }> }>('session.stats', { sid });
  return Object.fromEntries(stats[0]!.extended);
}

/** The first event at index ≥ `mark` matching `pred`. */
export function eventAfter(d: TestDaemon, mark: number, pred: (e: ControlEvent) => boolean, timeoutMs = 10_000): Promise<ControlEvent> {
  return d.waitEvent((e) => d.events.indexOf(e) >= mark && pred(e), timeoutMs);
}

/** A `session.state` event of `sid` matching `fields`. */
export function stateIs(sid: number, fields: Record<string, unknown>): (e: ControlEvent) => boolean {
  return (e) => e.type === 'session.state' && e.sid === sid && Object.entries(fields).every(([k, v]) => e[k] === v);
}
