/**
 * Recovery profiles: `multipath` (noop 5/5, replacement_timeout 15) and `root` (noop 0/0,
 * replacement_timeout 86400) applied to node records, or as an iface default inherited at
 * login by keys the node leaves at their defaults; the effective values show in the
 * live session's report.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeTarget, standardTarget } from '../../support/fake-target/index.js';
import { startDaemon, type Key, type TestDaemon } from './helpers.js';
import { sessionOf } from './recovery-helpers.js';

const TARGET = 'iqn.2024-01.test.fake:profiles';
/** Like TEST_CONF, with open-iscsi's NOP defaults so the profiles change something. */
const CONF = [
  'node.conn[0].timeo.login_timeout = 5',
  'node.conn[0].timeo.logout_timeout = 3',
  'node.session.initial_login_retry_max = 1',
].join('\n');

let d: TestDaemon;
let target: FakeTarget;

beforeEach(async () => {
  target = await FakeTarget.start(standardTarget({ targets: [{ name: TARGET }] }));
  d = await startDaemon({ conf: CONF });
});

afterEach(async () => {
  await d.stop();
  await target.stop();
});

type Values = Record<string, number>;

async function recordValue(key: string): Promise<string | undefined> {
  const show = await d.call<{ records: Array<{ record: { entries: [string, string][] } }> }>('node.show', { target: TARGET });
  return show.records[0]!.record.entries.find(([k]) => k === key)?.[1];
}

describe('recovery profiles', () => {
  it('lists both presets with the keys they set', async () => {
    const r = await d.call<{ profiles: Array<{ name: string; values: Values }>; ifaces: unknown[] }>('profile.list');
    expect(Object.fromEntries(r.profiles.map((p) => [p.name, p.values]))).toEqual({
      multipath: { 'node.conn[0].timeo.noop_out_interval': 5, 'node.conn[0].timeo.noop_out_timeout': 5, 'node.session.timeo.replacement_timeout': 15 },
      root: { 'node.conn[0].timeo.noop_out_interval': 0, 'node.conn[0].timeo.noop_out_timeout': 0, 'node.session.timeo.replacement_timeout': 86400 },
    });
    expect(r.ifaces).toEqual([]);
  });

  it('S-01 S-02 node.applyProfile writes the keys; a live session keeps its timers until it logs in again', async () => {
    await d.call('node.new', { target: TARGET, address: '127.0.0.1', port: target.port, tpgt: 1 });
    await d.call('node.login', { target: TARGET });
    expect((await sessionOf(d, 1)).timeouts).toMatchObject({ recovery: 120, noopOutInterval: 5, noopOutTimeout: 5 });
    const r = await d.call<{ profile: string; results: Array<{ node: Key; error?: unknown }>; relogin: number[]; firstErrno: number }>(
      'node.applyProfile', { target: TARGET, profile: 'root' });
    expect(r).toMatchObject({ profile: 'root', relogin: [1], firstErrno: 0 });
    expect(await recordValue('node.session.timeo.replacement_timeout')).toBe('86400');
    expect(await recordValue('node.conn[0].timeo.noop_out_interval')).toBe('0');
    expect((await sessionOf(d, 1)).timeouts.recovery).toBe(120);
    await d.call('session.logout', { sid: 1 });
    await d.call('node.login', { target: TARGET });
    const s = await sessionOf(d, 2);
    expect(s.timeouts).toMatchObject({ recovery: 86400, noopOutInterval: 0, noopOutTimeout: 0 });
    expect(s.recovery).toMatchObject({ replacementTimeoutMs: 86_400_000, profile: null });
  });

  it('iface.applyProfile: nodes of the iface inherit it at login, except keys set on the node', async () => {
    await d.call('node.new', { target: TARGET, address: '127.0.0.1', port: target.port, tpgt: 1 });
    const r = await d.call<{ profile: string | null; nodes: Key[] }>('iface.applyProfile', { name: 'default', profile: 'multipath' });
    expect(r.profile).toBe('multipath');
    expect(r.nodes.map((k) => k.target)).toEqual([TARGET]);
    expect(JSON.parse(readFileSync(`${d.store.root}/iface-profiles.json`, 'utf8'))).toEqual({ ifaces: { default: 'multipath' } });
    // The record is not rewritten; the session gets the profile's values.
    expect(await recordValue('node.session.timeo.replacement_timeout')).toBe('120');
    await d.call('node.login', { target: TARGET });
    const s = await sessionOf(d, 1);
    expect(s.timeouts).toMatchObject({ recovery: 15, noopOutInterval: 5, noopOutTimeout: 5 });
    expect(s.recovery).toMatchObject({ replacementTimeoutMs: 15_000, profile: 'multipath' });
    expect((await d.call<{ ifaces: unknown[] }>('profile.list')).ifaces).toEqual([{ iface: 'default', profile: 'multipath' }]);
    await d.call('session.logout', { sid: 1 });

    // A value set on the node wins over the iface default.
    await d.call('node.update', { target: TARGET, values: { 'node.session.timeo.replacement_timeout': 40 } });
    await d.call('node.login', { target: TARGET });
    expect((await sessionOf(d, 2)).timeouts).toMatchObject({ recovery: 40, noopOutInterval: 5 });
    await d.call('session.logout', { sid: 2 });

    // none clears it.
    const cleared = await d.call<{ profile: string | null }>('iface.applyProfile', { name: 'default', profile: 'none' });
    expect(cleared.profile).toBeNull();
    await d.call('node.update', { target: TARGET, values: { 'node.session.timeo.replacement_timeout': 120 } });
    await d.call('node.login', { target: TARGET });
    const plain = await sessionOf(d, 3);
    expect(plain.timeouts).toMatchObject({ recovery: 120 });
    expect(plain.recovery.profile).toBeNull();
  });

  it('iface defaults survive a daemon restart', async () => {
    await d.call('iface.new', { name: 'mp0' });
    await d.call('iface.applyProfile', { name: 'mp0', profile: 'root' });
    const again = await startDaemon({ conf: CONF });
    try {
      // A second daemon on another root: nothing there.
      expect((await again.call<{ ifaces: unknown[] }>('profile.list')).ifaces).toEqual([]);
    } finally {
      await again.stop();
    }
    // The same daemon object reloads the file on start.
    await d.daemon.start();
    expect((await d.call<{ ifaces: unknown[] }>('profile.list')).ifaces).toEqual([{ iface: 'mp0', profile: 'root' }]);
  });

  it('refuses an unknown iface (21) and an unknown profile (7)', async () => {
    expect((await d.fail('iface.applyProfile', { name: 'nope', profile: 'root' })).errno).toBe(21);
    expect((await d.fail('iface.applyProfile', { name: 'default', profile: 'fast' })).errno).toBe(7);
    expect((await d.fail('node.applyProfile', { target: TARGET, profile: 'root' })).errno).toBe(21);
  });
});
