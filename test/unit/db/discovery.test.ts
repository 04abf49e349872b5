import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseIscsidConf } from '../../../src/db/config.js';
import { RecordStore, type NodeKey } from '../../../src/db/index.js';
import { tempDir, walk } from './helpers.js';

const ST = { type: 'sendtargets', address: '10.0.0.5', port: 3260 } as const;
const A: NodeKey = { target: 'iqn.2001-04.com.example:a', address: '10.0.0.5', port: 3260, tpgt: 1, iface: 'default' };
const B: NodeKey = { ...A, target: 'iqn.2001-04.com.example:b' };
const C: NodeKey = { ...A, target: 'iqn.2001-04.com.example:c' };

let dir: string;
let cleanup: () => Promise<void>;
let store: RecordStore;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  store = await RecordStore.open({ root: join(dir, 'db') });
});
afterEach(async () => cleanup());

const startup = async (k: NodeKey): Promise<string | undefined> => (await store.getNode(k))?.record['node.startup'];

describe('discovery ops (reference §5.6) with edit-preserving merge', () => {
  it('default ops (new+update+delete) create records for returned portals', async () => {
    const r = await store.applyDiscovery(ST, [A, B]);
    expect(r.created).toEqual([A, B]);
    expect(r.records.map((x) => x['node.name'])).toEqual([A.target, B.target]);
    expect((await store.getNode(A))!.record['node.discovery_type']).toBe('send_targets');
    expect((await store.getNode(A))!.record['node.discovery_address']).toBe('10.0.0.5');
  });

  it('open-iscsi #58/#286: re-discovery keeps a user-edited node.startup while refreshing other keys', async () => {
    await store.applyDiscovery(ST, [A, B]);
    await store.updateNode(A, { 'node.startup': 'automatic', 'node.session.auth.username': 'joe' });
    // The admin changes iscsid.conf: new defaults for keys nobody edited per node.
    store.setDefaults(parseIscsidConf('node.conn[0].timeo.login_timeout = 15\nnode.startup = manual\n', 'iscsid.conf').defaults);
    const r = await store.applyDiscovery(ST, [A, B]);
    expect(r.updated).toEqual([A, B]);
    const a = (await store.getNode(A))!;
    expect(a.record['node.startup']).toBe('automatic');
    expect(a.record['node.session.auth.username']).toBe('joe');
    expect(a.record['node.conn[0].timeo.login_timeout']).toBe(15);
    expect(a.edited).toEqual(expect.arrayContaining(['node.startup', 'node.session.auth.username']));
    expect(await startup(B)).toBe('manual');
    // A third run changes nothing.
    const again = await store.applyDiscovery(ST, [A, B]);
    expect(again.unchanged).toEqual([A, B]);
  });

  it('edits survive a store restart (tracking lives in the record file)', async () => {
    await store.applyDiscovery(ST, [A]);
    await store.updateNode(A, { 'node.startup': 'automatic' });
    expect(await readFile(store.paths.nodeFile(A), 'utf8')).toContain('# tsiscsi-edited: node.startup\n');
    const reopened = await RecordStore.open({ root: store.root });
    await reopened.applyDiscovery(ST, [A]);
    expect((await reopened.getNode(A))!.record['node.startup']).toBe('automatic');
  });

  it('records without tracking (hand-written or imported) treat non-default keys as edits', async () => {
    await store.applyDiscovery(ST, [A]);
    const file = store.paths.nodeFile(A);
    const text = (await readFile(file, 'utf8')).replace('# tsiscsi-edited:\n', '').replace('node.startup = manual', 'node.startup = onboot');
    await writeFile(file, text);
    expect((await store.getNode(A))!.edited).toEqual(['node.startup']);
    await store.applyDiscovery(ST, [A]);
    expect(await startup(A)).toBe('onboot');
  });

  it('new alone adds missing records and leaves existing ones untouched', async () => {
    await store.applyDiscovery(ST, [A]);
    const before = await readFile(store.paths.nodeFile(A), 'utf8');
    store.setDefaults(parseIscsidConf('node.session.cmds_max = 64\n', 'c').defaults);
    const r = await store.applyDiscovery(ST, [A, B], { ops: ['new'] });
    expect([r.created, r.unchanged]).toEqual([[B], [A]]);
    expect(await readFile(store.paths.nodeFile(A), 'utf8')).toBe(before);
    expect((await store.getNode(B))!.record['node.session.cmds_max']).toBe(64);
  });

  it('update alone never creates; delete removes stale records of this source only, keeping busy ones', async () => {
    await store.applyDiscovery(ST, [A, B, C]);
    await store.createNode({ ...A, target: 'iqn.2001-04.com.example:static' });
    await store.applyDiscovery({ type: 'sendtargets', address: '10.0.0.6', port: 3260 }, [{ ...A, target: 'iqn.2001-04.com.example:other' }]);
    const upd = await store.applyDiscovery(ST, [{ ...A, target: 'iqn.2001-04.com.example:new' }], { ops: ['update'] });
    expect(upd.skipped).toHaveLength(1);
    const r = await store.applyDiscovery(ST, [A], { ops: ['delete'], isBusy: (k) => k.target === C.target });
    expect(r.deleted).toEqual([B]);
    expect(r.kept).toEqual([C]);
    expect((await store.listNodes()).items.map((e) => e.key.target.split(':')[1])).toEqual(['a', 'c', 'other', 'static']);
    expect((await walk(store.root)).filter((p) => p.startsWith('send_targets/10.0.0.5,3260/'))).toEqual([
      'send_targets/10.0.0.5,3260/iqn.2001-04.com.example:a,10.0.0.5,3260,1,default',
      'send_targets/10.0.0.5,3260/iqn.2001-04.com.example:c,10.0.0.5,3260,1,default',
    ]);
  });

  it('delete can be limited to the ifaces discovery ran on', async () => {
    await store.ifaces.create('eth1');
    await store.applyDiscovery(ST, [A, { ...A, iface: 'eth1' }]);
    const r = await store.applyDiscovery(ST, [], { ifaces: ['eth1'] });
    expect(r.deleted).toEqual([{ ...A, iface: 'eth1' }]);
    expect(await store.getNode(A)).toBeDefined();
  });

  it('nonpersistent writes nothing and returns the records to log in to', async () => {
    await store.applyDiscovery(ST, [A]);
    await store.updateNode(A, { 'node.startup': 'automatic' });
    const before = await walk(store.root);
    const r = await store.applyDiscovery(ST, [A, B], { ops: ['nonpersistent', 'new', 'delete'] });
    expect(await walk(store.root)).toEqual(before);
    expect(r.records.map((x) => [x['node.name'], x['node.startup']])).toEqual([[A.target, 'automatic'], [B.target, 'manual']]);
    expect(r.skipped).toEqual([A, B]);
  });

  it('values the source gives (firmware CHAP, startup) are part of the fresh record: unchanged source, unchanged record; user edits kept', async () => {
    const given = { 'node.startup': 'onboot', 'node.session.auth.username': 'fwuser' };
    const values = (k: NodeKey): Record<string, string> | undefined => (k.target === A.target ? given : undefined);
    const first = await store.applyDiscovery(ST, [A, B], { values });
    expect(first.created).toEqual([A, B]);
    expect(await startup(A)).toBe('onboot');
    expect(await startup(B)).toBe('manual');
    expect((await store.applyDiscovery(ST, [A, B], { values })).unchanged).toEqual([A, B]);
    await store.updateNode(A, { 'node.startup': 'automatic' });
    const changed = await store.applyDiscovery(ST, [A, B], { values: (k) => (k.target === A.target ? { ...given, 'node.session.auth.username': 'other' } : undefined) });
    expect(changed.updated).toEqual([A]);
    const a = (await store.getNode(A))!.record;
    expect([a['node.startup'], a['node.session.auth.username']]).toEqual(['automatic', 'other']);
  });

  it('binds records to the iface given per portal; an unknown iface fails only that portal', async () => {
    await store.ifaces.create('eth1', { 'iface.net_ifacename': 'eth1', 'iface.initiatorname': 'iqn.2016-04.com.tsiscsi:eth1' });
    const r = await store.applyDiscovery(ST, [{ ...A, iface: 'eth1' }, { ...B, iface: 'missing' }]);
    expect(r.created).toEqual([{ ...A, iface: 'eth1' }]);
    expect(r.failed.map((f) => [f.key.iface, f.error.code])).toEqual([['missing', 'RECORD_NOT_FOUND']]);
    const rec = (await store.getNode({ ...A, iface: 'eth1' }))!.record;
    expect([rec['iface.net_ifacename'], rec['iface.initiatorname'], rec['iface.iscsi_ifacename']]).toEqual(['eth1', 'iqn.2016-04.com.tsiscsi:eth1', 'eth1']);
  });

  it('firmware nodes start onboot and link from fw/', async () => {
    const fwKey = { ...A, tpgt: 1 };
    await store.applyDiscovery({ type: 'fw' }, [fwKey]);
    expect(await startup(fwKey)).toBe('onboot');
    expect((await store.listSourceNodes({ type: 'fw' })).items).toHaveLength(1);
    expect(await walk(join(store.root, 'fw'))).toEqual(['iqn.2001-04.com.example:a,10.0.0.5,3260,1,default']);
  });

  it('a node re-found through another source moves its link', async () => {
    await store.createNode(A);
    await store.applyDiscovery(ST, [A]);
    expect(await walk(join(store.root, 'static'))).toEqual([]);
    expect((await store.getNode(A))!.record['node.discovery_type']).toBe('send_targets');
  });
});
