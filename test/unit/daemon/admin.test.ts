/**
 * iface.*, initiator.*, config.get, daemon.status / daemon.stop and reload through the
 * control API.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { METHOD_SPECS } from '../../../src/control/methods/index.js';
import { parseIscsidConf } from '../../../src/db/index.js';
import { FakeTarget, standardTarget } from '../../support/fake-target/index.js';
import { INITIATOR, startDaemon, TEST_CONF, type Key, type TestDaemon } from './helpers.js';

let d: TestDaemon;

beforeEach(async () => {
  d = await startDaemon();
});

afterEach(async () => {
  await d.stop();
});

describe('method table', () => {
  it('offers every spec under its own name, and hello lists them', () => {
    for (const [name, spec] of Object.entries(METHOD_SPECS)) expect(spec.name).toBe(name);
    expect(d.daemon.methods.map((m) => m.name).sort()).toEqual(Object.keys(METHOD_SPECS).sort());
    expect(d.client.server.methods).toEqual(expect.arrayContaining(Object.keys(METHOD_SPECS)));
  });
});

describe('iface records', () => {
  it('lists stored ifaces then the built-ins, with their node records', async () => {
    await d.call('iface.new', { name: 'eth-a', values: { 'iface.ipaddress': '10.1.0.5' } });
    await d.call('node.new', { target: 'iqn.2024-01.test:x', address: '10.0.0.1', ifaces: ['eth-a'] });
    const r = await d.call<{ ifaces: Array<{ name: string; builtin: boolean; transport: string; ipAddress: string; nodes: Key[] }> }>('iface.list');
    expect(r.ifaces.map((i) => [i.name, i.builtin])).toEqual([['eth-a', false], ['default', true], ['iser', true]]);
    expect(r.ifaces[0]).toMatchObject({ transport: 'tcp', ipAddress: '10.1.0.5' });
    expect(r.ifaces[0]!.nodes.map((n) => n.target)).toEqual(['iqn.2024-01.test:x']);
    const show = await d.call<{ record: { entries: [string, string][] } }>('iface.show', { name: 'eth-a' });
    expect(show.record.entries[0]).toEqual(['iface.iscsi_ifacename', 'eth-a']);
  });

  it('updates an iface and the node records bound to it; deletes both', async () => {
    await d.call('iface.new', { name: 'eth-b' });
    await d.call('node.new', { target: 'iqn.2024-01.test:y', address: '10.0.0.1', ifaces: ['eth-b'] });
    await d.call('iface.update', { name: 'eth-b', values: { 'iface.initiatorname': 'iqn.2024-01.test:other-initiator' } });
    const node = await d.call<{ records: Array<{ record: { entries: [string, string][] } }> }>('node.show', { iface: 'eth-b' });
    expect(Object.fromEntries(node.records[0]!.record.entries)['iface.initiatorname']).toBe('iqn.2024-01.test:other-initiator');
    await d.call('iface.delete', { name: 'eth-b' });
    expect((await d.call<{ nodes: unknown[] }>('node.list')).nodes).toEqual([]);
    expect((await d.fail('iface.show', { name: 'eth-b' })).errno).toBe(21);
  });

  it('refuses built-ins (7) and deleting an iface a session uses (15)', async () => {
    expect(await d.fail('iface.delete', { name: 'default' })).toMatchObject({ errno: 7, code: 'BUILTIN_IFACE' });
    expect(await d.fail('iface.new', { name: 'iser' })).toMatchObject({ errno: 7, code: 'BUILTIN_IFACE' });
    const target = await FakeTarget.start(standardTarget({ targets: [{ name: 'iqn.2024-01.test.fake:z' }] }));
    try {
      await d.call('iface.new', { name: 'eth-c' });
      await d.call('node.new', { target: 'iqn.2024-01.test.fake:z', address: '127.0.0.1', port: target.port, ifaces: ['eth-c'] });
      const login = await d.call<{ results: Array<{ sids: number[] }> }>('node.login', { iface: 'eth-c' });
      expect(login.results[0]!.sids).toEqual([1]);
      expect(await d.fail('iface.delete', { name: 'eth-c' })).toMatchObject({ errno: 15 });
      await d.call('session.logout', { sid: 1 });
    } finally {
      await target.stop();
    }
  });
});

describe('initiator, config, status, stop', () => {
  it('initiator.get answers the name in use; initiator.set rewrites the file and validates the name', async () => {
    expect(await d.call('initiator.get')).toMatchObject({ name: INITIATOR, alias: null });
    const r = await d.call<{ name: string; alias: string | null; file: string }>('initiator.set', { name: 'iqn.2024-02.org.example:host2', alias: 'host2' });
    expect(r).toMatchObject({ name: 'iqn.2024-02.org.example:host2', alias: 'host2' });
    expect(readFileSync(r.file, 'utf8')).toBe('InitiatorName=iqn.2024-02.org.example:host2\nInitiatorAlias=host2\n');
    const bad = await d.fail('initiator.set', { name: 'not a name' });
    expect(bad).toMatchObject({ errno: 7, code: 'INVALID_ISCSI_NAME' });
    expect(await d.fail('initiator.set', {})).toMatchObject({ errno: 7 });
    expect((await d.call<{ name: string }>('initiator.get')).name).toBe('iqn.2024-02.org.example:host2');
  });

  it('config.get reports the file, iscsid settings, defaults and bad lines with file and line', async () => {
    d.daemon.reload({
      iscsid: parseIscsidConf(`${TEST_CONF}\niscsid.safe_logout = Yes\nnode.startup = sometimes\nthis is not a line`, '/etc/x/iscsid.conf'),
      initiator: { name: INITIATOR },
    });
    const r = await d.call<{ file: string; iscsid: { safeLogout: boolean }; defaults: { node: [string, string][] }; warnings: Array<{ file: string; line?: number; code: string }> }>('config.get');
    expect(r.file).toBe('/etc/x/iscsid.conf');
    expect(r.iscsid.safeLogout).toBe(true);
    expect(Object.fromEntries(r.defaults.node)['node.conn[0].timeo.login_timeout']).toBe('5');
    expect(r.warnings).toEqual(expect.arrayContaining([
      expect.objectContaining({ file: '/etc/x/iscsid.conf', line: 9, code: 'INVALID_VALUE' }),
      expect.objectContaining({ file: '/etc/x/iscsid.conf', line: 10, code: 'SYNTAX' }),
    ]));
    // New records get the reloaded defaults.
    d.daemon.reload({ iscsid: parseIscsidConf('node.conn[0].timeo.login_timeout = 11', '/etc/x/iscsid.conf'), initiator: { name: INITIATOR } });
    await d.call('node.new', { target: 'iqn.2024-01.test:new', address: '10.0.0.9' });
    const show = await d.call<{ records: Array<{ record: { entries: [string, string][] } }> }>('node.show', { target: 'iqn.2024-01.test:new' });
    expect(Object.fromEntries(show.records[0]!.record.entries)['node.conn[0].timeo.login_timeout']).toBe('11');
  });

  it('daemon.status counts sessions; daemon.stop answers first, then resolves stopRequested', async () => {
    const s = await d.call<{ version: string; pid: number; sessions: { total: number }; logins: { concurrency: number }; transports: string[]; stopping: boolean }>('daemon.status');
    expect(s).toMatchObject({ pid: process.pid, sessions: { total: 0 }, logins: { concurrency: 16 }, transports: ['usertcp'], stopping: false });
    let stopped = false;
    void d.daemon.stopRequested.then(() => (stopped = true));
    expect(await d.call('daemon.stop')).toEqual({ stopping: true });
    await d.daemon.stopRequested;
    expect(stopped).toBe(true);
    expect((await d.call<{ stopping: boolean }>('daemon.status')).stopping).toBe(true);
  });
});
