import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRecordText } from '../../../src/db/format.js';
import { IFACE_TABLE, NODE_TABLE, SENDTARGETS_TABLE, type KeyTable } from '../../../src/db/keys/index.js';
import { RecordStore, type NodeKey } from '../../../src/db/index.js';
import { decodeRecordText } from '../../../src/db/record-io.js';
import { buildChildBundle, REPO, tempDir } from './helpers.js';

const KEY: NodeKey = { target: 'iqn.2001-04.com.example:shared', address: '10.0.0.1', port: 3260, tpgt: 1, iface: 'default' };

/** 20 editable int keys of the node record, one per writer. */
const WRITER_KEYS = [
  'node.session.initial_cmdsn', 'node.session.initial_login_retry_max', 'node.session.xmit_thread_priority', 'node.session.cmds_max',
  'node.session.queue_depth', 'node.session.nr_sessions', 'node.session.timeo.replacement_timeout', 'node.session.err_timeo.abort_timeout',
  'node.session.err_timeo.lu_reset_timeout', 'node.session.err_timeo.tgt_reset_timeout', 'node.session.err_timeo.host_reset_timeout',
  'node.session.iscsi.FirstBurstLength', 'node.session.iscsi.MaxBurstLength', 'node.session.iscsi.DefaultTime2Retain',
  'node.session.iscsi.DefaultTime2Wait', 'node.session.reopen_max', 'node.conn[0].tcp.window_size', 'node.conn[0].timeo.logout_timeout',
  'node.conn[0].timeo.login_timeout', 'node.conn[0].timeo.noop_out_interval',
];
const N = 10;

let dir: string;
let cleanup: () => Promise<void>;
let childJs: string;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('tsiscsi-db-conc-'));
  [childJs] = await buildChildBundle(join(dir, 'bundle'), [join(REPO, 'test/unit/db/fixtures/db-child.ts')]) as [string];
});
afterAll(async () => cleanup());

function runChild(mode: string, args: object): { child: ChildProcess; output: Promise<string>; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [childJs, mode, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exit, output: exit.then(() => `${out}${err}`) };
}

async function freshStore(name: string): Promise<RecordStore> {
  const store = await RecordStore.open({ root: join(dir, name) });
  await store.createNode(KEY);
  return store;
}

async function expectAllFinal(store: RecordStore, keys: string[], final: (i: number) => number): Promise<void> {
  const rec = (await store.getNode(KEY))!.record as Record<string, unknown>;
  expect(keys.map((k) => rec[k])).toEqual(keys.map((_k, i) => final(i)));
}

describe('concurrent writers lose nothing (DB lock, DESIGN §5.10)', () => {
  it('20 writers in one process updating different keys of one record', async () => {
    const store = await freshStore('inproc');
    const other = await RecordStore.open({ root: store.root }); // a second instance on the same root shares the lock
    await Promise.all(WRITER_KEYS.map(async (k, i) => {
      for (let n = 1; n <= N; n++) await (i % 2 ? other : store).updateNode(KEY, { [k]: String(1000 * (i + 1) + n) });
    }));
    await expectAllFinal(store, WRITER_KEYS, (i) => 1000 * (i + 1) + N);
    expect((await store.getNode(KEY))!.edited).toEqual(expect.arrayContaining(WRITER_KEYS));
  });

  it('20 writers spread over 4 child processes updating different keys of one record', async () => {
    const store = await freshStore('procs');
    const runs = [0, 1, 2, 3].map((p) => {
      const keys = WRITER_KEYS.slice(p * 5, p * 5 + 5);
      return runChild('update', { root: store.root, key: KEY, keys, base: 5000 * (p + 1), n: N });
    });
    const outputs = await Promise.all(runs.map((r) => r.output));
    expect(await Promise.all(runs.map((r) => r.exit)), outputs.join('\n')).toEqual([0, 0, 0, 0]);
    await expectAllFinal(store, WRITER_KEYS, (i) => 5000 * (Math.floor(i / 5) + 1) + N);
  }, 60_000);
});

/** Every record file under `root` is complete: BEGIN..END, parses with no warnings. */
async function checkEveryRecord(root: string): Promise<number> {
  const files: [string, KeyTable][] = [];
  const tdir = join(root, 'nodes', KEY.target, '10.0.0.1,3260,1');
  for (const f of await readdir(tdir)) if (!f.startsWith('.')) files.push([join(tdir, f), NODE_TABLE]);
  files.push([join(root, 'ifaces/eth-test'), IFACE_TABLE], [join(root, 'send_targets/10.0.0.1,3260/st_config'), SENDTARGETS_TABLE]);
  for (const [file, table] of files) {
    const text = await readFile(file, 'utf8');
    expect(text.startsWith('# BEGIN RECORD '), file).toBe(true);
    expect(text.endsWith('\n# END RECORD\n'), file).toBe(true);
    const loaded = decodeRecordText(table, text, file);
    expect(loaded.warnings, file).toEqual([]);
    expect(parseRecordText(text, file).entries.length, file).toBeGreaterThan(10);
  }
  return files.length;
}

describe('atomic writes survive SIGKILL', () => {
  it('a child killed with SIGKILL inside a loop of 2000 record writes never leaves a torn or empty record', async () => {
    const store = await RecordStore.open({ root: join(dir, 'kill'), lock: { timeoutMs: 10_000 } });
    await store.ifaces.create('eth-test');
    await store.createDiscovery({ type: 'sendtargets', address: '10.0.0.1', port: 3260 });
    await store.createNode({ ...KEY, iface: 'eth-test' });
    await store.createNode(KEY);
    let lastCmdsMax = -1;
    for (let round = 0; round < 8; round++) {
      const run = runChild('churn', { root: store.root, key: KEY, n: 2000 });
      await new Promise<void>((resolve, reject) => {
        run.child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
        void run.exit.then(async () => reject(new Error(`child exited early: ${await run.output}`)));
      });
      await new Promise((r) => setTimeout(r, 30 + ((round * 37) % 150)));
      run.child.kill('SIGKILL');
      expect(await run.exit).toBe(null);
      expect(await checkEveryRecord(store.root)).toBe(4);
      const cmds = (await store.getNode(KEY))!.record['node.session.cmds_max'];
      expect(cmds).toBeGreaterThanOrEqual(0);
      lastCmdsMax = cmds;
    }
    expect(lastCmdsMax).toBeGreaterThan(0);
    // The killed holder's stale lock and temp files do not block or litter the database.
    const reopened = await RecordStore.open({ root: store.root, lock: { timeoutMs: 5000 } });
    await reopened.updateNode(KEY, { 'node.startup': 'onboot' });
    const litter = (await readdir(join(store.root, 'nodes', KEY.target, '10.0.0.1,3260,1'))).filter((f) => f.startsWith('.'));
    expect(litter).toEqual([]);
  }, 120_000);
});

describe('cross-process lock', () => {
  it('a live holder makes writers wait, then time out with DB_LOCK_TIMEOUT (errno 6, retryable)', async () => {
    const store = await RecordStore.open({ root: join(dir, 'held'), lock: { timeoutMs: 300 } });
    await store.createNode(KEY);
    // A lock file naming a live process (our parent, which never releases it).
    await writeFile(join(store.root, '.lock'), `${process.ppid} -\n`);
    const err = (await store.updateNode(KEY, { 'node.startup': 'automatic' }).catch((e: unknown) => e)) as { code: string; errno: number; retryable: boolean };
    expect([err.code, err.errno, err.retryable]).toEqual(['DB_LOCK_TIMEOUT', 6, true]);
  });

  it('a lock left by a dead process, or by a reused pid with another start time, is broken', async () => {
    const store = await RecordStore.open({ root: join(dir, 'stale'), lock: { timeoutMs: 2000 } });
    await store.createNode(KEY);
    const dead = runChild('noop', {});
    await dead.exit;
    await writeFile(join(store.root, '.lock'), `${dead.child.pid} -\n`);
    await store.updateNode(KEY, { 'node.startup': 'automatic' });
    await writeFile(join(store.root, '.lock'), `${process.pid} 1\n`); // our pid, but not our start time
    await store.updateNode(KEY, { 'node.startup': 'onboot' });
    expect((await store.getNode(KEY))!.record['node.startup']).toBe('onboot');
  });
});
