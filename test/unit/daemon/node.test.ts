/**
 * node.* record operations and bad input through the control API: every bad field or
 * key is errno 7 with the field or key named, and nothing is written.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dbPath, startDaemon, type Key, type TestDaemon } from './helpers.js';

const T = 'iqn.2024-01.test.node:disk';

let d: TestDaemon;

beforeEach(async () => {
  d = await startDaemon();
});

afterEach(async () => {
  await d.stop();
});

type Entries = [string, string][];

async function show(params: object): Promise<Record<string, string>> {
  const r = await d.call<{ records: Array<{ record: { entries: Entries } }> }>('node.show', params);
  return Object.fromEntries(r.records[0]!.record.entries);
}

describe('node records', () => {
  it('node.new answers what "New iSCSI node [...] added" prints and node.list sorts like iscsiadm', async () => {
    const r = await d.call<{ nodes: Array<{ node: Key; transport: string; hwAddress: string; ipAddress: string; netIfacename: string }>; firstErrno: number }>(
      'node.new', { target: T, address: '192.168.20.10' });
    expect(r.firstErrno).toBe(0);
    expect(r.nodes).toEqual([{ node: { target: T, address: '192.168.20.10', port: 3260, tpgt: -1, iface: 'default' }, transport: 'tcp', hwAddress: '', ipAddress: '', netIfacename: '' }]);
    await d.call('node.new', { target: 'iqn.2024-01.test.node:a', address: '10.0.0.2', port: 3261, tpgt: 2 });
    const list = await d.call<{ nodes: Array<{ node: Key; startup: string; inUse: boolean; source: { type: string } }> }>('node.list');
    expect(list.nodes.map((n) => n.node.target)).toEqual(['iqn.2024-01.test.node:a', T]);
    expect(list.nodes[0]).toMatchObject({ startup: 'manual', inUse: false, source: { type: 'static' } });
    const filtered = await d.call<{ nodes: unknown[] }>('node.list', { address: '10.0.0.2', port: 3261 });
    expect(filtered.nodes).toHaveLength(1);
  });

  it('node.show masks passwords unless showSecrets, and can mimic an older record version', async () => {
    await d.call('node.new', { target: T, address: '10.0.0.1', values: { 'node.session.auth.username': 'u', 'node.session.auth.password': 'very-secret-pw' } });
    const masked = await d.call<{ records: Array<{ record: { entries: Entries; text: string } }> }>('node.show', { target: T });
    expect(Object.fromEntries(masked.records[0]!.record.entries)['node.session.auth.password']).toBe('********');
    expect(masked.records[0]!.record.text).not.toContain('very-secret-pw');
    expect((await show({ target: T, showSecrets: true }))['node.session.auth.password']).toBe('very-secret-pw');
    const old = await d.call<{ records: Array<{ record: { entries: Entries; text: string } }> }>('node.show', { target: T, recordVersion: '2.1.8' });
    expect(old.records[0]!.record.text.startsWith('# BEGIN RECORD 2.1.8\n')).toBe(true);
    expect(old.records[0]!.record.entries.map(([k]) => k)).not.toContain('node.session.sess_reopen_log_freq');
    expect((await d.fail('node.show', { target: 'iqn.2024-01.test.node:none' })).errno).toBe(21);
  });

  it('node.update sets keys on every matching record; 21 when none matches', async () => {
    await d.call('node.new', { target: T, address: '10.0.0.1' });
    await d.call('node.new', { target: T, address: '10.0.0.2' });
    const r = await d.call<{ results: Array<{ node: Key; error?: unknown }>; firstErrno: number }>('node.update', { target: T, values: { 'node.startup': 'automatic', 'node.conn[0].timeo.login_timeout': 9 } });
    expect(r.results).toHaveLength(2);
    expect(r.firstErrno).toBe(0);
    expect((await show({ target: T, address: '10.0.0.2' }))['node.startup']).toBe('automatic');
    expect((await d.fail('node.update', { target: 'iqn.2024-01.test.node:none', values: { 'node.startup': 'manual' } })).errno).toBe(21);
  });

  it('node.delete deletes matching records; 21 when none', async () => {
    await d.call('node.new', { target: T, address: '10.0.0.1' });
    const r = await d.call<{ results: Array<{ node: Key }>; firstErrno: number }>('node.delete', { target: T });
    expect(r.results.map((x) => x.node.address)).toEqual(['10.0.0.1']);
    expect((await d.fail('node.delete', { target: T })).errno).toBe(21);
  });
});

describe('bad input: errno 7 naming the field or key, nothing written', () => {
  it.each([
    ['unknown field', 'node.list', { targte: T }, 'targte'],
    ['wrong type', 'node.new', { target: T, address: '10.0.0.1', port: 'x' }, 'port'],
    ['port out of range', 'node.new', { target: T, address: '10.0.0.1', port: 70000 }, 'port'],
    ['missing field', 'node.new', { address: '10.0.0.1' }, 'target'],
    ['bad enum', 'node.loginAll', { startup: 'sometimes' }, 'startup'],
    ['sid 0', 'session.info', { sid: 0 }, 'sid'],
    ['bad op', 'discovery.sendtargets', { address: '10.0.0.1', ops: ['create'] }, 'ops[0]'],
  ])('%s', async (_what, method, params, path) => {
    const err = await d.fail(method, params);
    expect(err.errno).toBe(7);
    expect(err.code).toBe('INVALID_PARAMS');
    const issues = err.details.issues as Array<{ path: string }>;
    expect(issues.map((i) => i.path)).toContain(path);
  });

  it.each([
    ['unknown key', { 'node.bogus': '1' }, 'UNKNOWN_KEY', 'node.bogus'],
    ['read-only key', { 'node.name': 'iqn.2024-01.x:y' }, 'READ_ONLY_KEY', 'node.name'],
    ['iface key in node mode', { 'iface.ipaddress': '10.1.1.1' }, 'KEY_OWNED_BY_OTHER_MODE', 'iface.ipaddress'],
    ['bad enum value', { 'node.startup': 'sometimes' }, 'INVALID_VALUE', 'node.startup'],
    ['bad number', { 'node.conn[0].timeo.login_timeout': 'soon' }, 'INVALID_VALUE', 'node.conn[0].timeo.login_timeout'],
  ])('node.update with %s', async (_what, values, code, key) => {
    await d.call('node.new', { target: T, address: '10.0.0.1' });
    const file = dbPath(d, 'nodes', T, '10.0.0.1,3260,-1', 'default');
    const before = readFileSync(file, 'utf8');
    const err = await d.fail('node.update', { target: T, values: { 'node.session.queue_depth': '16', ...values } });
    expect(err.errno).toBe(7);
    expect(err.code).toBe(code);
    expect(err.details.key).toBe(key);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('a broken record line is reported with file and line; the record and the others stay listed', async () => {
    await d.call('node.new', { target: T, address: '10.0.0.1' });
    await d.call('node.new', { target: T, address: '10.0.0.2' });
    const file = dbPath(d, 'nodes', T, '10.0.0.2,3260,-1', 'default');
    appendFileSync(file, 'node.startup = sometimes\n');
    const lines = readFileSync(file, 'utf8').split('\n').length - 1;
    const r = await d.call<{ nodes: Array<{ node: Key; startup: string }>; warnings: Array<{ file: string; line?: number; code: string; key?: string }> }>('node.list');
    expect(r.nodes.map((n) => n.node.address)).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(r.nodes[1]!.startup).toBe('manual');
    expect(r.warnings).toEqual(expect.arrayContaining([expect.objectContaining({ file, line: lines, code: 'INVALID_VALUE', key: 'node.startup' })]));
  });

  it('a CHAP secret shorter than 12 bytes fails the login with errno 7 before any connection', async () => {
    await d.call('node.new', { target: T, address: '127.0.0.1', port: 9, values: { 'node.session.auth.username': 'u', 'node.session.auth.password': 'short' } });
    const r = await d.call<{ results: Array<{ sids: number[]; error?: { errno: number; code: string; action?: string } }> }>('node.login', { target: T });
    expect(r.results[0]!.error).toMatchObject({ errno: 7, code: 'CHAP_SECRET_TOO_SHORT' });
    expect(r.results[0]!.error!.action).toMatch(/12 bytes/);
    expect(d.events.some((e) => e.type === 'login.failed')).toBe(false); // refused before a session existed
  });

  it('node.new with a bad key writes no record', async () => {
    const err = await d.fail('node.new', { target: T, address: '10.0.0.1', values: { 'node.nope': '1' } });
    expect(err).toMatchObject({ errno: 7, code: 'UNKNOWN_KEY' });
    expect((await d.call<{ nodes: unknown[] }>('node.list')).nodes).toEqual([]);
  });
});
