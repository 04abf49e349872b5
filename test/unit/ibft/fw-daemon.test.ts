/**
 * The daemon side of firmware boot (src/daemon/handlers/firmware.ts,
 * src/discovery/firmware.ts) through the control API, against the fake target:
 * `firmware.login` uses the boot overrides (initial_login_retry_max 30, NOP-Out 0/0, scan
 * auto), TPGT 1, iface default, the firmware's initiator name, stores nothing, and its
 * sessions survive logoutAll; `discovery.firmware` writes fw records (onboot, fw links)
 * by the discovery ops and deletes stale ones.
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SessionManager } from '../../../src/daemon/session-manager.js';
import { FakeTarget, standardTarget } from '../../support/fake-target/index.js';
import { dbPath, startDaemon, type Key, type TestDaemon } from '../daemon/helpers.js';

const T1 = 'iqn.2026-11.test:fw-one';
const T2 = 'iqn.2026-11.test:fw-two';
const FW_INIT = 'iqn.2024-01.test.tsiscsi:ibft-init';

let d: TestDaemon;
let target: FakeTarget;

beforeEach(async () => {
  target = await FakeTarget.start(standardTarget({ targets: [{ name: T1 }, { name: T2 }] }));
  d = await startDaemon();
});

afterEach(async () => {
  await d.stop();
  await target.stop();
});

const fwTarget = (name: string, extra: object = {}) => ({
  target: name, address: '127.0.0.1', port: target.port, initiatorName: FW_INIT, username: '', password: '', usernameIn: '', passwordIn: '', ...extra,
});

type Login = { node: Key; sids: number[]; error?: { errno: number } };
type Discovered = { portals: Key[]; created: Key[]; unchanged: Key[]; skipped: Key[]; deleted: Key[]; firstErrno: number };

function sessions(): SessionManager {
  return (d.daemon as unknown as { sessions: SessionManager }).sessions;
}

describe('firmware.login', () => {
  it('logs in with the boot overrides and the firmware\'s initiator name; stores no record; sessions survive logoutAll', async () => {
    const r = await d.call<{ results: Login[]; firstErrno: number }>('firmware.login', { targets: [fwTarget(T1)] });
    expect(r.firstErrno).toBe(0);
    expect(r.results[0]!.node).toEqual({ target: T1, address: '127.0.0.1', port: target.port, tpgt: 1, iface: 'default' });
    const [s] = sessions().list();
    expect(s).toBeDefined();
    expect(s!.record).toMatchObject({
      'node.session.initial_login_retry_max': 30, 'node.conn[0].timeo.noop_out_interval': 0, 'node.conn[0].timeo.noop_out_timeout': 0,
      'node.session.scan': 'auto', 'node.discovery_type': 'fw', 'node.startup': 'onboot', 'node.tpgt': 1, 'iface.initiatorname': FW_INIT,
    });
    expect((await d.store.listNodes()).items).toEqual([]);
    // Nothing to log out: the only session is a firmware (onboot) session.
    expect((await d.fail('node.logoutAll', { startup: 'all' })).errno).toBe(21);
    expect(sessions().list()).toHaveLength(1);
  });

  it('a second login of the same firmware target is error 15 (session exists)', async () => {
    await d.call('firmware.login', { targets: [fwTarget(T1)] });
    const again = await d.call<{ results: Login[]; firstErrno: number }>('firmware.login', { targets: [fwTarget(T1)] });
    expect(again.results[0]!.error?.errno).toBe(15);
    expect(sessions().list()).toHaveLength(1);
  });

  it('CHAP secrets from the firmware never reach the daemon log', async () => {
    await d.call('firmware.login', { targets: [fwTarget(T2, { username: 'chapuser', password: 'fw-secret-0123456' })] });
    expect(JSON.stringify(d.logs)).not.toContain('fw-secret-0123456');
  });
});

describe('discovery.firmware', () => {
  it('creates fw records (onboot, TPGT 1, initiator name, CHAP) with links under fw/, then leaves them unchanged', async () => {
    const targets = [fwTarget(T1), fwTarget(T2, { username: 'u', password: 'p-secret-0123', usernameIn: 'ui', passwordIn: 'pi-secret-0123' })];
    const r = await d.call<Discovered>('discovery.firmware', { targets });
    expect(r.firstErrno).toBe(0);
    expect(r.created).toHaveLength(2);
    const file = dbPath(d, 'nodes', T2, `127.0.0.1,${target.port},1`, 'default');
    const text = readFileSync(file, 'utf8');
    for (const l of ['node.startup = onboot', 'node.conn[0].startup = onboot', 'node.discovery_type = fw', `iface.initiatorname = ${FW_INIT}`,
      'node.session.auth.username = u', 'node.session.auth.password = p-secret-0123', 'node.session.auth.username_in = ui']) expect(text).toContain(`${l}\n`);
    expect(existsSync(dbPath(d, 'fw', `${T2},127.0.0.1,${target.port},1,default`))).toBe(true);
    const again = await d.call<Discovered>('discovery.firmware', { targets });
    expect(again.created).toEqual([]);
    expect(again.unchanged).toHaveLength(2);
  });

  it('nonpersistent writes nothing; a target gone from the firmware has its fw record deleted', async () => {
    const none = await d.call<Discovered>('discovery.firmware', { targets: [fwTarget(T1)], ops: ['nonpersistent'] });
    expect(none.skipped).toHaveLength(1);
    expect((await d.store.listNodes()).items).toEqual([]);
    await d.call('discovery.firmware', { targets: [fwTarget(T1), fwTarget(T2)] });
    const r = await d.call<Discovered>('discovery.firmware', { targets: [fwTarget(T1)] });
    expect(r.deleted.map((k) => k.target)).toEqual([T2]);
  });

  it('login: true logs in to the firmware records', async () => {
    const r = await d.call<Discovered & { logins: Login[] }>('discovery.firmware', { targets: [fwTarget(T1)], login: true });
    expect(r.logins.map((l) => l.sids.length)).toEqual([1]);
    expect(sessions().list()[0]!.record['node.discovery_type']).toBe('fw');
  });
});
