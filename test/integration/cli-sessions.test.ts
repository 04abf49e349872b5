/**
 * More than one session per node record, end to end (real bin/tsiscsiadm → bin/tsiscsid
 * → tgtd), reference §5.3 "nr_sessions" and §6.4:
 * - `-m session -r SID -o new` adds one session copying that session's record, whatever
 *   nr_sessions says: `Logging in to [...] (multiple)` / `Login to [...] successful.`;
 * - `node.session.nr_sessions = N` makes `-l` create the missing sessions, one
 *   `Logging in ... (multiple)` and one `successful.` line each;
 * - with N present, `-l` says "<iface>: N sessions requested, but M already present."
 *   and exits 15;
 * - `-r SID -o new` for an unknown sid: iscsiadm's two lines, exit 22;
 * - the `-P 0`/`-P 1` listings (which ask the daemon for a field subset) print the same
 *   session lines as before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../unit/daemon-process/helpers.js';
import { Tgtd } from '../support/tgtd.js';
import { runCli, startDaemon, type CliRun } from './cli-helpers.js';

const TARGET = 'iqn.2024-01.org.tsiscsi.it-cli:multi';

describe.skipIf(!Tgtd.available() && !process.env.CI)('tsiscsiadm: several sessions per record (tgtd)', () => {
  let tgt: Tgtd;
  let d: Awaited<ReturnType<typeof startDaemon>>;
  const cli = (...args: string[]): Promise<CliRun> => runCli(d.root, args);
  const rec = (): string => `[iface: default, target: ${TARGET}, portal: 127.0.0.1,${tgt.port}]`;
  const sidsNow = async (): Promise<number[]> => {
    const r = await cli('-m', 'session');
    if (r.code === 21) return [];
    return r.stdout.trimEnd().split('\n').map((l) => Number(/^tcp: \[(\d+)\]/.exec(l)![1]));
  };

  beforeAll(async () => {
    ensureBuilt();
    tgt = await Tgtd.start();
    await tgt.addTarget({ tid: 1, iqn: TARGET, luns: [{ lun: 1, sizeMiB: 8 }] });
    d = await startDaemon();
    const disc = await cli('-m', 'discovery', '-t', 'st', '-p', `127.0.0.1:${tgt.port}`);
    expect(disc.code).toBe(0);
  }, 120_000);

  afterAll(async () => {
    await d?.stop();
    await tgt?.stop();
  });

  it('-m session -r SID -o new: one more session, "(multiple)", exit 0', async () => {
    expect((await cli('-m', 'node', '-T', TARGET, '-l')).code).toBe(0);
    const [first] = await sidsNow();
    const r = await cli('-m', 'session', '-r', String(first), '-o', 'new');
    expect(r).toEqual({ code: 0, stdout: `Logging in to ${rec()} (multiple)\nLogin to ${rec()} successful.\n`, stderr: '' });
    const sids = await sidsNow();
    expect(sids).toHaveLength(2);
    // -P 0 (flat subset) and -P 1 (brief subset) still print both sessions with their own SID.
    const p1 = (await cli('-m', 'session', '-P', '1')).stdout;
    for (const sid of sids) expect(p1).toContain(`\t\tSID: ${sid}\n\t\tiSCSI Connection State: LOGGED IN\n`);
    expect(p1.match(/^Target: /gm)).toHaveLength(1);
    // Two sessions now exist for a record that asks for one.
    const again = await cli('-m', 'node', '-T', TARGET, '-l');
    expect(again).toEqual({ code: 15, stdout: '', stderr: 'iscsiadm: default: 1 session requested, but 2 already present.\niscsiadm: Could not log into all portals\n' });
  });

  it('nr_sessions = 3: -l creates the missing one ("(multiple)"), then reports 3 of 3 present (exit 15)', async () => {
    expect((await cli('-m', 'node', '-T', TARGET, '-o', 'update', '-n', 'node.session.nr_sessions', '-v', '3')).code).toBe(0);
    const r = await cli('-m', 'node', '-T', TARGET, '-l');
    expect(r).toEqual({ code: 0, stdout: `Logging in to ${rec()} (multiple)\nLogin to ${rec()} successful.\n`, stderr: '' });
    expect(await sidsNow()).toHaveLength(3);
    const full = await cli('-m', 'node', '-T', TARGET, '-l');
    expect(full).toEqual({ code: 15, stdout: '', stderr: 'iscsiadm: default: 3 sessions requested, but 3 already present.\niscsiadm: Could not log into all portals\n' });
  });

  it('nr_sessions = 2 from none: two "Logging in (multiple)" and two "successful." lines', async () => {
    expect((await cli('-m', 'node', '-T', TARGET, '-u')).code).toBe(0);
    expect(await sidsNow()).toEqual([]);
    expect((await cli('-m', 'node', '-T', TARGET, '-o', 'update', '-n', 'node.session.nr_sessions', '-v', '2')).code).toBe(0);
    const r = await cli('-m', 'node', '-T', TARGET, '-l');
    expect(r).toEqual({ code: 0, stdout: `Logging in to ${rec()} (multiple)\n`.repeat(2) + `Login to ${rec()} successful.\n`.repeat(2), stderr: '' });
    expect(await sidsNow()).toHaveLength(2);
  });

  it('-r SID -o new on an unknown sid: iscsiadm\'s two lines, exit 22', async () => {
    const r = await cli('-m', 'session', '-r', '999', '-o', 'new');
    expect(r).toEqual({ code: 22, stdout: '', stderr: 'iscsiadm: could not read session targetname: 5\niscsiadm: Could not get session info for sid 999\n' });
  });

  it('-o new without -r: "Operation \'new\' only allowed with specific session IDs", exit 7', async () => {
    const r = await cli('-m', 'session', '-o', 'new');
    expect(r.code).toBe(7);
    expect(r.stderr).toBe("iscsiadm: session mode: Operation 'new' only allowed with specific session IDs\n");
  });
});
