import { lstat, mkdir, readFile, readlink, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RecordStore, type NodeKey } from '../../../src/db/index.js';
import type { IscsiError } from '../../../src/shared/errors.js';
import { GOLDEN_NODE_FILE } from './golden.js';
import { tempDir, walk } from './helpers.js';

const T = 'iqn.2001-04.com.example:disk1';
const KEY: NodeKey = { target: T, address: '10.0.0.5', port: 3260, tpgt: 1, iface: 'default' };
const ST = { type: 'sendtargets', address: '10.0.0.5', port: 3260 } as const;

let dir: string;
let cleanup: () => Promise<void>;
let store: RecordStore;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  store = await RecordStore.open({ root: join(dir, 'db') });
});
afterEach(async () => cleanup());

async function failure(p: Promise<unknown>): Promise<IscsiError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err, 'expected a rejection').toBeDefined();
  return err as IscsiError;
}

const mode = async (p: string): Promise<number> => (await stat(p)).mode & 0o777;

describe('RecordStore: nodes', () => {
  it('creates the open-iscsi layout with a relative discovery link', async () => {
    await store.createNode(KEY, { source: ST });
    const root = store.root;
    expect(await walk(root)).toEqual([
      'fw', 'ifaces', 'isns', 'nodes', `nodes/${T}`, `nodes/${T}/10.0.0.5,3260,1`, `nodes/${T}/10.0.0.5,3260,1/default`,
      'send_targets', 'send_targets/10.0.0.5,3260', `send_targets/10.0.0.5,3260/${T},10.0.0.5,3260,1,default`, 'static',
    ]);
    const link = join(root, `send_targets/10.0.0.5,3260/${T},10.0.0.5,3260,1,default`);
    expect(await readlink(link)).toBe(`../../nodes/${T}/10.0.0.5,3260,1`);
    expect((await stat(link)).isDirectory()).toBe(true);
    const text = await readFile(join(root, `nodes/${T}/10.0.0.5,3260,1/default`), 'utf8');
    // The stored file is the golden record plus the edit-tracking comment line.
    expect(text).toBe(GOLDEN_NODE_FILE.replace('\n', '\n# tsiscsi-edited:\n'));
    expect(await mode(join(root, `nodes/${T}/10.0.0.5,3260,1/default`))).toBe(0o644);
  });

  it('static nodes (-o new) link from static/', async () => {
    await store.createNode(KEY);
    expect(await readlink(join(store.root, `static/${T},10.0.0.5,3260,1,default`))).toBe(`../nodes/${T}/10.0.0.5,3260,1`);
    expect((await store.getNode(KEY))!.record['node.discovery_type']).toBe('static');
  });

  it('updates keys with validation; errors are ConfigError errno 7 naming the key', async () => {
    await store.createNode(KEY);
    const e = await store.updateNode(KEY, { 'node.startup': 'automatic', 'node.session.cmds_max': '64', 'node.session.auth.chap_algs': 'SHA256,MD5' });
    expect(e.record['node.startup']).toBe('automatic');
    expect(e.record['node.session.cmds_max']).toBe(64);
    expect(e.record['node.session.auth.chap_algs']).toEqual(['SHA256', 'MD5']);
    expect(e.edited).toEqual(expect.arrayContaining(['node.startup', 'node.session.cmds_max']));
    const cases: [Record<string, string>, string, string][] = [
      [{ 'node.name': 'iqn.x:y' }, 'READ_ONLY_KEY', 'node.name'],
      [{ 'node.conn[0].port': '3261' }, 'READ_ONLY_KEY', 'node.conn[0].port'],
      [{ 'iface.hwaddress': '00:11:22:33:44:55' }, 'KEY_OWNED_BY_OTHER_MODE', 'iface.hwaddress'],
      [{ 'node.startup': 'sometimes' }, 'INVALID_VALUE', 'node.startup'],
      [{ 'node.session.cmds_max': '12abc' }, 'INVALID_VALUE', 'node.session.cmds_max'],
      [{ 'node.session.auth.chap_algs': 'MD5,MD5' }, 'INVALID_VALUE', 'node.session.auth.chap_algs'],
      [{ 'node.session.auth.username': 'a\nnode.startup = onboot' }, 'INVALID_VALUE', 'node.session.auth.username'],
      [{ 'node.sesion.cmds_max': '1' }, 'UNKNOWN_KEY', 'node.sesion.cmds_max'],
      [{ 'node.session.auth.password_length': '3' }, 'UNKNOWN_KEY', 'node.session.auth.password_length'],
    ];
    for (const [patch, code, key] of cases) {
      const err = await failure(store.updateNode(KEY, patch));
      expect([err.code, err.errno, err.details.key]).toEqual([code, 7, key]);
    }
    expect((await store.getNode(KEY))!.record['node.startup']).toBe('automatic');
  });

  it('accepts iface.transport_name (and legacy node.transport_name) unless a session uses the record', async () => {
    await store.createNode(KEY);
    expect((await store.updateNode(KEY, { 'node.transport_name': 'iser' })).record['iface.transport_name']).toBe('iser');
    const err = await failure(store.updateNode(KEY, { 'iface.transport_name': 'tcp' }, { isBusy: () => true }));
    expect([err.code, err.errno]).toEqual(['SESSION_EXISTS', 15]);
  });

  it('files holding a password are 0600, and 0644 again once it is cleared', async () => {
    await store.createNode(KEY);
    const file = store.paths.nodeFile(KEY);
    await store.updateNode(KEY, { 'node.session.auth.username': 'joe', 'node.session.auth.password': 'secretsecret' });
    expect(await mode(file)).toBe(0o600);
    expect(await readFile(file, 'utf8')).toContain('node.session.auth.password = secretsecret\n');
    await store.updateNode(KEY, { 'node.session.auth.password': '' });
    expect(await mode(file)).toBe(0o644);
    await store.updateNode(KEY, { 'node.session.auth.password_in': 'x' });
    expect(await mode(file)).toBe(0o600);
  });

  it('refuses to create an existing record unless asked to overwrite', async () => {
    await store.createNode(KEY);
    expect((await failure(store.createNode(KEY))).code).toBe('RECORD_EXISTS');
    await store.createNode(KEY, { overwrite: true, values: { 'node.startup': 'automatic' } });
    expect((await store.getNode(KEY))!.record['node.startup']).toBe('automatic');
    expect((await failure(store.createNode({ ...KEY, iface: 'nope' }))).code).toBe('IFACE_NOT_FOUND');
    expect((await failure(store.createNode({ ...KEY, target: '../evil' }))).code).toBe('INVALID_NAME');
  });

  it('deletes a node, its link and empty directories; refuses with errno 15 while busy', async () => {
    await store.createNode(KEY, { source: ST });
    const busy = await failure(store.deleteNode(KEY, { isBusy: (k) => k.target === T }));
    expect([busy.code, busy.errno]).toEqual(['SESSION_EXISTS', 15]);
    await store.deleteNode(KEY);
    expect(await walk(store.root)).toEqual(['fw', 'ifaces', 'isns', 'nodes', 'send_targets', 'static']);
    const nf = await failure(store.deleteNode(KEY));
    expect([nf.code, nf.errno]).toEqual(['RECORD_NOT_FOUND', 21]);
  });

  it('lists records sorted by target, portal, iface, with filters', async () => {
    await store.ifaces.create('eth1');
    const keys: NodeKey[] = [
      { ...KEY, target: 'iqn.2001-04.com.example:b', iface: 'eth1' }, { ...KEY, target: 'iqn.2001-04.com.example:b' },
      { ...KEY, address: '10.0.0.10' }, KEY,
    ];
    for (const k of keys) await store.createNode(k);
    const all = await store.listNodes();
    expect(all.items.map((e) => [e.key.target.slice(-5), e.key.address, e.key.iface])).toEqual([
      ['ple:b', '10.0.0.5', 'default'], ['ple:b', '10.0.0.5', 'eth1'], ['disk1', '10.0.0.10', 'default'], ['disk1', '10.0.0.5', 'default'],
    ]);
    expect((await store.listNodes({ iface: 'eth1' })).items).toHaveLength(1);
    expect((await store.listNodes({ target: T, address: '10.0.0.5' })).items).toHaveLength(1);
  });

  it('a broken record file is reported with file and line; every other record is still returned', async () => {
    const k2 = { ...KEY, target: 'iqn.2001-04.com.example:disk2' };
    await store.createNode(KEY);
    await store.createNode(k2);
    const file = store.paths.nodeFile(k2);
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace('node.startup = manual', 'node.startup manual\nnode.session.cmds_max = many'));
    await mkdir(join(store.root, 'nodes', T, 'not-a-portal'));
    await mkdir(join(store.root, 'nodes', T, '10.0.0.5,3260,1', 'iface-is-a-dir')); // EISDIR on read
    const list = await store.listNodes();
    expect(list.items.map((e) => e.key.target)).toEqual([T, k2.target]);
    expect(list.items[1]!.record['node.name']).toBe(k2.target);
    expect(list.warnings.map((w) => [w.code, w.file.slice(store.root.length), w.line])).toEqual([
      ['UNREADABLE', `/nodes/${T}/10.0.0.5,3260,1/iface-is-a-dir`, undefined],
      ['BAD_ENTRY_NAME', `/nodes/${T}/not-a-portal`, undefined],
      ['SYNTAX', `/nodes/${k2.target}/10.0.0.5,3260,1/default`, 5], // line 2 is the edit-tracking comment
      ['INVALID_VALUE', `/nodes/${k2.target}/10.0.0.5,3260,1/default`, 6],
    ]);
    expect(list.items[1]!.record['node.session.cmds_max']).toBe(128);
  });

  it('reports a record whose identity keys disagree with its path and uses the path', async () => {
    await store.createNode(KEY);
    const file = store.paths.nodeFile(KEY);
    await writeFile(file, (await readFile(file, 'utf8')).replace('node.tpgt = 1', 'node.tpgt = 7'));
    const e = (await store.getNode(KEY))!;
    expect(e.record['node.tpgt']).toBe(1);
    expect(e.warnings).toEqual([expect.objectContaining({ code: 'IDENTITY_MISMATCH', key: 'node.tpgt' })]);
  });

  it('reads a legacy <addr>,<port> node file and converts it on update', async () => {
    const legacy = join(store.root, 'nodes', T, '10.0.0.5,3260');
    await mkdir(join(store.root, 'nodes', T), { recursive: true });
    await writeFile(legacy, `node.name = ${T}\nnode.tpgt = 1\nnode.startup = automatic\nnode.conn[0].address = 10.0.0.5\nnode.conn[0].port = 3260\n`);
    const e = (await store.getNode(KEY))!;
    expect(e.legacy).toBe(true);
    expect(e.record['node.startup']).toBe('automatic');
    expect((await store.listNodes()).items.map((x) => x.key)).toEqual([KEY]);
    await store.updateNode(KEY, { 'node.session.cmds_max': '64' });
    await expect(lstat(legacy)).rejects.toThrow();
    const now = (await store.getNode(KEY))!;
    expect([now.legacy, now.record['node.startup'], now.record['node.session.cmds_max']]).toEqual([false, 'automatic', 64]);
  });
});

describe('RecordStore: ifaces', () => {
  it('refuses to create, update or delete the built-ins and synthesizes them on read', async () => {
    for (const op of [store.ifaces.create('default'), store.ifaces.update('iser', { 'iface.mtu': '9000' }), store.ifaces.delete('default')]) {
      expect((await failure(op)).code).toBe('BUILTIN_IFACE');
    }
    expect((await store.ifaces.get('iser'))!.record['iface.transport_name']).toBe('iser');
    expect((await store.ifaces.list({ includeBuiltins: true })).items.map((i) => i.name)).toEqual(['default', 'iser']);
  });

  it('creates, updates (rewriting bound nodes, except node-mode edits) and deletes with its nodes', async () => {
    await store.ifaces.create('eth1', { 'iface.net_ifacename': 'eth1' });
    const k = { ...KEY, iface: 'eth1' };
    await store.createNode(k);
    await store.createNode({ ...k, target: 'iqn.2001-04.com.example:other' });
    await store.updateNode(k, { 'iface.transport_name': 'iser' });
    await store.ifaces.update('eth1', { 'iface.mtu': '9000', 'iface.transport_name': 'tcp' });
    const n = (await store.getNode(k))!;
    expect([n.record['iface.mtu'], n.record['iface.net_ifacename'], n.record['iface.transport_name']]).toEqual([9000, 'eth1', 'iser']);
    expect((await failure(store.ifaces.update('eth1', { 'iface.hwaddress': '00:11:22:33:44:55' }))).code).toBe('IFACE_BINDING_SWITCH');
    expect((await failure(store.ifaces.update('eth1', { 'iface.iscsi_ifacename': 'eth2' }))).code).toBe('READ_ONLY_KEY');
    expect((await failure(store.ifaces.delete('eth1', { isBusy: () => true }))).errno).toBe(15);
    await store.ifaces.delete('eth1');
    expect((await store.listNodes()).items).toEqual([]);
    expect(await store.ifaces.get('eth1')).toBeUndefined();
  });

  it('skips iface.example and stray built-in files with a warning', async () => {
    await writeFile(join(store.root, 'ifaces/iface.example'), 'iface.transport_name = tcp\n');
    await writeFile(join(store.root, 'ifaces/default'), 'iface.transport_name = tcp\n');
    const l = await store.ifaces.list();
    expect(l.items).toEqual([]);
    expect(l.warnings.map((w) => w.code)).toEqual(['SKIPPED', 'SKIPPED']);
  });
});

describe('RecordStore: discovery records', () => {
  it('creates, updates and lists SendTargets and iSNS records; CHAP secret makes it 0600', async () => {
    await store.createDiscovery(ST, { 'discovery.sendtargets.auth.authmethod': 'CHAP' });
    await store.createDiscovery({ type: 'isns', address: '10.0.0.9', port: 3205 });
    await store.updateDiscovery(ST, { 'discovery.sendtargets.auth.username': 'u', 'discovery.sendtargets.auth.password': 'p' });
    expect(await mode(join(store.root, 'send_targets/10.0.0.5,3260/st_config'))).toBe(0o600);
    const l = await store.listDiscovery();
    expect(l.items.map((e) => [e.source.type, e.record['discovery.type'], e.record['discovery.sendtargets.port']])).toEqual([
      ['sendtargets', 'sendtargets', 3260], ['isns', 'isns', 3205],
    ]);
    expect((await failure(store.updateDiscovery(ST, { 'discovery.sendtargets.port': '3261' }))).code).toBe('READ_ONLY_KEY');
    expect((await failure(store.createDiscovery(ST))).code).toBe('RECORD_EXISTS');
  });

  it('deleting a discovery record deletes its nodes and directory, not other sources', async () => {
    await store.createDiscovery(ST);
    await store.createNode(KEY, { source: ST });
    await store.createNode({ ...KEY, target: 'iqn.2001-04.com.example:static' });
    expect((await failure(store.deleteDiscovery(ST, { isBusy: () => true }))).errno).toBe(15);
    expect(await store.deleteDiscovery(ST)).toEqual([KEY]);
    expect((await store.listNodes()).items.map((e) => e.key.target)).toEqual(['iqn.2001-04.com.example:static']);
    expect(await walk(join(store.root, 'send_targets'))).toEqual([]);
  });
});

describe('RecordStore: open-iscsi matching rule (Appendix B)', () => {
  it('matches target, port (-1 = any), iface/transport, and addresses through a resolver', async () => {
    await store.ifaces.create('ib0', { 'iface.transport_name': 'iser' });
    await store.createNode(KEY);
    await store.createNode({ ...KEY, iface: 'ib0' });
    await store.createNode({ ...KEY, target: 'iqn.2001-04.com.example:x', address: 'san1.example', port: 3261 });
    const resolve = async (h: string): Promise<string[]> => ({ 'san1.example': ['10.0.0.9'], '10.0.0.9': ['10.0.0.9'] } as Record<string, string[]>)[h] ?? [];
    const ids = async (p: Parameters<RecordStore['findNodes']>[0]): Promise<string[]> =>
      (await store.findNodes(p, resolve)).items.map((e) => `${e.key.target.split(':')[1]}@${e.key.address}:${e.key.port}/${e.key.iface}`);
    expect(await ids({ target: T })).toEqual(['disk1@10.0.0.5:3260/default', 'disk1@10.0.0.5:3260/ib0']);
    expect(await ids({ address: '10.0.0.9', port: -1 })).toEqual(['x@san1.example:3261/default']);
    expect(await ids({ address: '10.0.0.9', port: 3260 })).toEqual([]);
    expect(await ids({ iface: 'ib0', transport: 'tcp' })).toEqual([]);
    expect(await ids({ iface: 'ib0', transport: 'iser' })).toEqual(['disk1@10.0.0.5:3260/ib0']);
    expect(await ids({ iface: 'default', transport: 'iser' })).toEqual(['disk1@10.0.0.5:3260/default', 'x@san1.example:3261/default']);
    expect((await store.findNodes({ address: '10.0.0.9' })).items).toEqual([]); // no resolver: string compare only
  });
});
