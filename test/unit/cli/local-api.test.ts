/**
 * tsiscsiadm's own answers when tsiscsid is not running (src/cli/local): the method list
 * the API falls back for matches what local/api.ts implements, records written locally
 * are the daemon's records (same RecordStore, same lock), and session methods answer as
 * iscsiadm does with no session.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { daemonApi, LOCAL_METHODS, NOISY_LOCAL_METHODS } from '../../../src/cli/exec/api.js';
import { LOCAL_METHODS as IMPLEMENTED, localApi } from '../../../src/cli/local/api.js';
import { RecordStore } from '../../../src/db/index.js';
import { daemonPaths } from '../../../src/shared/paths.js';

const dirs: string[] = [];
function root(): string {
  const d = mkdtempSync('/tmp/tsiscsi-local-');
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('local fallback', () => {
  it('the API falls back for exactly the methods local/api.ts answers', () => {
    expect([...LOCAL_METHODS].sort()).toEqual([...IMPLEMENTED].sort());
    for (const m of NOISY_LOCAL_METHODS) expect(LOCAL_METHODS.has(m)).toBe(true);
  });

  it('records created without the daemon are read by a RecordStore as the daemon opens it', async () => {
    const paths = daemonPaths(root());
    const local = localApi(paths);
    const created = await local.call('node.new', { target: 'iqn.2024-01.x:a', address: '127.0.0.1', port: 3260, tpgt: 1 }) as { firstErrno: number };
    expect(created.firstErrno).toBe(0);
    await local.call('node.update', { target: 'iqn.2024-01.x:a', values: { 'node.startup': 'automatic' } });
    const store = await RecordStore.open({ root: paths.db });
    const e = await store.getNode({ target: 'iqn.2024-01.x:a', address: '127.0.0.1', port: 3260, tpgt: 1, iface: 'default' });
    expect(e?.record['node.startup']).toBe('automatic');
    await expect(local.call('node.update', { target: 'iqn.2024-01.x:a', values: { 'node.bogus': '1' } })).rejects.toMatchObject({ code: 'UNKNOWN_KEY', errno: 7 });
    await expect(local.call('node.show', { target: 'iqn.none' })).rejects.toMatchObject({ code: 'NO_RECORDS_FOUND', errno: 21 });
  });

  it('sessions: none listed, a sid is unknown (2), logouts match nothing (21); logins are not local', async () => {
    const local = localApi(daemonPaths(root()));
    expect(await local.call('session.list', {})).toMatchObject({ sessions: [] });
    await expect(local.call('session.info', { sid: 3 })).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND', errno: 2 });
    await expect(local.call('node.logoutAll', { startup: 'all' })).rejects.toMatchObject({ code: 'NO_MATCHING_SESSIONS', errno: 21 });
    await expect(local.call('node.login', {})).rejects.toMatchObject({ errno: 20 });
  });

  it('daemonApi: no socket → record methods answered locally and silently; node.new prints the daemon lines once; login reports and fails', async () => {
    const r = root();
    const paths = daemonPaths(r);
    const seen: string[] = [];
    const api = daemonApi(join(r, 'none.sock'), (e, autostart) => seen.push(`${e.code}:${autostart}`), async () => localApi(paths));
    expect((await api.call('node.list', {})).nodes).toEqual([]);
    expect(seen).toEqual([]);
    await api.call('node.new', { target: 'iqn.2024-01.x:b', address: '127.0.0.1' });
    expect(seen).toEqual(['DAEMON_NOT_RUNNING:true']);
    await expect(api.call('node.login', {})).rejects.toMatchObject({ code: 'DAEMON_NOT_RUNNING', errno: 20 });
    expect(seen).toHaveLength(1);
    const kill = daemonApi(join(r, 'none.sock'), (e, autostart) => seen.push(`${e.code}:${autostart}`));
    await expect(kill.call('daemon.stop', {}, { noAutostart: true })).rejects.toMatchObject({ errno: 20 });
    expect(seen[1]).toBe('DAEMON_NOT_RUNNING:false');
  });
});
