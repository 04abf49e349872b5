import { mkdir, readFile, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importInitiatorName, importOpenIscsi, RecordStore, type NodeKey } from '../../../src/db/index.js';
import { GOLDEN_NODE_FILE } from './golden.js';
import { tempDir, walk } from './helpers.js';

const T1 = 'iqn.2001-04.com.example:disk1';
const T2 = 'iqn.2001-04.com.example:manual';
const T3 = 'iqn.2001-04.com.example:legacy';
const T4 = 'iqn.2001-04.com.example:broken';
const T5 = 'iqn.2001-04.com.example:boot';

let dir: string;
let cleanup: () => Promise<void>;
let src: string;
let store: RecordStore;

async function put(rel: string, text: string): Promise<void> {
  await mkdir(dirname(join(src, rel)), { recursive: true });
  await writeFile(join(src, rel), text);
}

async function link(rel: string, target: string): Promise<void> {
  await mkdir(dirname(join(src, rel)), { recursive: true });
  await symlink(target, join(src, rel));
}

/** A hand-built open-iscsi DB as iscsiadm lays it out (absolute links into /etc/iscsi). */
async function buildOpenIscsiTree(): Promise<void> {
  await put('ifaces/iface.example', '# iface.transport_name = tcp\n');
  await put('ifaces/eth1', '# BEGIN RECORD 2.1.8\niface.iscsi_ifacename = eth1\niface.net_ifacename = eth1\niface.transport_name = tcp\niface.mtu = 9000\n# END RECORD\n');
  await put('send_targets/10.0.0.5,3260/st_config', [
    '# BEGIN RECORD 2.1.8', 'discovery.startup = manual', 'discovery.type = sendtargets', 'discovery.sendtargets.address = 10.0.0.5',
    'discovery.sendtargets.port = 3260', 'discovery.sendtargets.auth.authmethod = CHAP', 'discovery.sendtargets.auth.username = disc',
    'discovery.sendtargets.auth.password = discsecret', 'discovery.sendtargets.timeo.login_timeout = 15', '# END RECORD', '',
  ].join('\n'));
  await link(`send_targets/10.0.0.5,3260/${T1},10.0.0.5,3260,1,default`, `/etc/iscsi/nodes/${T1}/10.0.0.5,3260,1`);
  await put('isns/10.0.0.9,3205/isns_config', '# BEGIN RECORD 2.1.8\ndiscovery.startup = manual\ndiscovery.type = isns\ndiscovery.sendtargets.address = 10.0.0.9\ndiscovery.sendtargets.port = 3205\n# END RECORD\n');
  // Node from SendTargets, edited by the admin to log in at boot.
  await put(`nodes/${T1}/10.0.0.5,3260,1/default`, GOLDEN_NODE_FILE.replace('# BEGIN RECORD 2.1.11', '# BEGIN RECORD 2.1.8').replace('node.startup = manual', 'node.startup = automatic'));
  await put(`nodes/${T1}/10.0.0.5,3260,1/eth1`, GOLDEN_NODE_FILE.replace('iface.iscsi_ifacename = default', 'iface.iscsi_ifacename = eth1\niface.net_ifacename = eth1'));
  // Static node (-o new) with CHAP credentials.
  await put(`nodes/${T2}/10.0.0.7,3260,-1/default`, [
    '# BEGIN RECORD 2.1.8', `node.name = ${T2}`, 'node.tpgt = -1', 'node.discovery_type = static', 'node.session.auth.authmethod = CHAP',
    'node.session.auth.username = joe', 'node.session.auth.password = chapsecret', 'node.conn[0].address = 10.0.0.7', 'node.conn[0].port = 3260', '# END RECORD', '',
  ].join('\n'));
  await link(`static/${T2},10.0.0.7,3260,-1,default`, `/etc/iscsi/nodes/${T2}/10.0.0.7,3260,-1`);
  // Legacy record: a plain file named <addr>,<port>, no tpgt or iface in the path.
  await put(`nodes/${T3}/10.0.0.8,3260`, `node.name = ${T3}\nnode.tpgt = 2\nnode.startup = automatic\nnode.conn[0].address = 10.0.0.8\nnode.conn[0].port = 3260\n`);
  // A record with a broken line: imported, the problem reported.
  await put(`nodes/${T4}/10.0.0.5,3260,1/default`, `# BEGIN RECORD 2.1.8\nnode.name = ${T4}\nnode.startup automatic\nnode.session.cmds_max = 64\n# END RECORD\n`);
  // Firmware node whose record says static (issue #463): the fw/ link decides.
  await put(`nodes/${T5}/10.0.0.3,3260,1/default`, `node.name = ${T5}\nnode.tpgt = 1\nnode.discovery_type = static\nnode.startup = onboot\nnode.conn[0].address = 10.0.0.3\n`);
  await link(`fw/${T5},10.0.0.3,3260,1,default`, `/etc/iscsi/nodes/${T5}/10.0.0.3,3260,1`);
}

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  src = join(dir, 'etc-iscsi');
  await buildOpenIscsiTree();
  store = await RecordStore.open({ root: join(dir, 'var-lib-tsiscsi') });
});
afterEach(async () => cleanup());

const key = (target: string, address: string, tpgt: number, iface = 'default'): NodeKey => ({ target, address, port: 3260, tpgt, iface });

describe('import of an open-iscsi database', () => {
  it('imports ifaces, discovery records and nodes (current and legacy form), reporting what it skipped', async () => {
    const before = await walk(src);
    const report = await importOpenIscsi({ source: src, store });
    expect(report.imported.map((i) => `${i.kind} ${i.id}`)).toEqual([
      'iface eth1', 'sendtargets 10.0.0.5,3260', 'isns 10.0.0.9,3205',
      `node ${T5},10.0.0.3,3260,1,default`, `node ${T4},10.0.0.5,3260,1,default`, `node ${T1},10.0.0.5,3260,1,default`,
      `node ${T1},10.0.0.5,3260,1,eth1`, `node ${T3},10.0.0.8,3260,2,default`, `node ${T2},10.0.0.7,3260,-1,default`,
    ]);
    expect(report.skipped).toEqual([]);
    expect(report.warnings.map((w) => [w.code, w.file.slice(src.length), w.line])).toEqual([
      ['SKIPPED', '/ifaces/iface.example', undefined],
      ['SYNTAX', `/nodes/${T4}/10.0.0.5,3260,1/default`, 3],
      ['IDENTITY_MISMATCH', `/nodes/${T5}/10.0.0.3,3260,1/default`, undefined],
    ]);
    expect(await walk(src)).toEqual(before); // the source is only read
  });

  it('stores records in tsiscsi layout with relative links and 0600 for secrets', async () => {
    await importOpenIscsi({ source: src, store });
    const root = store.root;
    expect(await readlink(join(root, `send_targets/10.0.0.5,3260/${T1},10.0.0.5,3260,1,default`))).toBe(`../../nodes/${T1}/10.0.0.5,3260,1`);
    expect(await readlink(join(root, `static/${T2},10.0.0.7,3260,-1,default`))).toBe(`../nodes/${T2}/10.0.0.7,3260,-1`);
    expect(await readlink(join(root, `fw/${T5},10.0.0.3,3260,1,default`))).toBe(`../nodes/${T5}/10.0.0.3,3260,1`);
    expect((await stat(join(root, `nodes/${T2}/10.0.0.7,3260,-1/default`))).mode & 0o777).toBe(0o600);
    expect((await stat(join(root, 'send_targets/10.0.0.5,3260/st_config'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(root, `nodes/${T1}/10.0.0.5,3260,1/default`))).mode & 0o777).toBe(0o644);
    const legacy = (await store.getNode(key(T3, '10.0.0.8', 2)))!;
    expect([legacy.legacy, legacy.record['node.startup'], legacy.file]).toEqual([false, 'automatic', join(root, `nodes/${T3}/10.0.0.8,3260,2/default`)]);
    const st = (await store.getDiscovery({ type: 'sendtargets', address: '10.0.0.5', port: 3260 }))!;
    expect([st.record['discovery.sendtargets.auth.username'], st.record['discovery.sendtargets.auth.password']]).toEqual(['disc', 'discsecret']);
    expect((await store.ifaces.get('eth1'))!.record['iface.mtu']).toBe(9000);
    const boot = (await store.getNode(key(T5, '10.0.0.3', 1)))!.record;
    expect(boot['node.discovery_type']).toBe('fw');
  });

  it('keeps the admin edits of imported nodes across re-discovery (#58)', async () => {
    await importOpenIscsi({ source: src, store });
    const k1 = key(T1, '10.0.0.5', 1);
    expect((await store.getNode(k1))!.edited).toEqual(['node.startup']);
    await store.applyDiscovery({ type: 'sendtargets', address: '10.0.0.5', port: 3260 }, [k1]);
    expect((await store.getNode(k1))!.record['node.startup']).toBe('automatic');
  });

  it('never overwrites existing records unless asked', async () => {
    await importOpenIscsi({ source: src, store });
    await store.updateNode(key(T2, '10.0.0.7', -1), { 'node.session.auth.username': 'mine' });
    const again = await importOpenIscsi({ source: src, store });
    expect(again.imported).toEqual([]);
    expect(new Set(again.skipped.map((s) => s.reason))).toEqual(new Set(['exists']));
    expect(again.skipped).toHaveLength(9);
    expect((await store.getNode(key(T2, '10.0.0.7', -1)))!.record['node.session.auth.username']).toBe('mine');
    const forced = await importOpenIscsi({ source: src, store, overwrite: true });
    expect(forced.imported).toHaveLength(9);
    expect((await store.getNode(key(T2, '10.0.0.7', -1)))!.record['node.session.auth.username']).toBe('joe');
  });

  it('copies initiatorname.iscsi once and never over an existing one', async () => {
    await put('initiatorname.iscsi', 'InitiatorName=iqn.1993-08.org.debian:01:abcdef\n');
    const dest = join(dir, 'etc-tsiscsi-initiatorname.iscsi');
    expect(await importInitiatorName(join(src, 'initiatorname.iscsi'), dest)).toBe(true);
    await put('initiatorname.iscsi', 'InitiatorName=iqn.1993-08.org.debian:01:changed\n');
    expect(await importInitiatorName(join(src, 'initiatorname.iscsi'), dest)).toBe(false);
    expect(await readFile(dest, 'utf8')).toBe('InitiatorName=iqn.1993-08.org.debian:01:abcdef\n');
    expect(await importInitiatorName(join(src, 'missing'), join(dir, 'x'))).toBe(false);
  });
});
