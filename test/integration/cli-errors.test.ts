/**
 * tsiscsiadm failures end to end (real binary, real tsiscsid, and for the portal cases
 * a real tgtd): a wrong portal, a record whose portal refuses connections, an unknown
 * session, a daemon that is not running (iscsiadm's "iscsid is not running" lines and
 * errno 20), and every recorded bad command line of iscsiadm 2.1.8
 * (test/fixtures/iscsiadm/argv/golden.json) run through the binary: same bytes, same
 * exit status, and the record database left untouched.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, tempRoot } from '../unit/daemon-process/helpers.js';
import { freePort } from '../support/net.js';
import { Tgtd } from '../support/tgtd.js';
import { runCli, snapshotDb, startDaemon, type CliRun } from './cli-helpers.js';

const NOT_RUNNING = [
  'iscsiadm: iscsid is not running. Could not start it up automatically using the startup command in the iscsid.conf iscsid.startup setting. Please check that the file exists or that your init scripts have started iscsid.',
  'iscsiadm: can not connect to iSCSI daemon (111)!',
].map((l) => `${l}\n`).join('');

interface GoldenCase {
  argv: string[];
  exitCode: number;
  stdout: string[];
  stderr: string[];
}
const golden = JSON.parse(readFileSync(new URL('../fixtures/iscsiadm/argv/golden.json', import.meta.url), 'utf8')) as { cases: GoldenCase[] };
const text = (lines: readonly string[]): string => lines.map((l) => `${l}\n`).join('');

describe('tsiscsiadm without a daemon', () => {
  let root: { dir: string; rm: () => void };
  beforeAll(() => {
    ensureBuilt();
    root = tempRoot();
  }, 120_000);
  afterAll(() => root.rm());

  it('a session listing finds no session, as iscsiadm without iscsid: "No active sessions." exit 21 (no daemon lines)', async () => {
    expect(await runCli(root.dir, ['-m', 'session'])).toEqual({ code: 21, stdout: '', stderr: 'iscsiadm: No active sessions.\n' });
  });

  it('discovery needs the daemon: its two lines plus the summary line, exit 20; a login with no records: "No records found"', async () => {
    const st = await runCli(root.dir, ['-m', 'discovery', '-t', 'st', '-p', '127.0.0.1:3260']);
    expect(st).toEqual({ code: 20, stdout: '', stderr: `${NOT_RUNNING}iscsiadm: Could not perform SendTargets discovery: could not connect to iscsid\n` });
    const login = await runCli(root.dir, ['-m', 'node', '-l']);
    expect(login).toEqual({ code: 21, stdout: '', stderr: 'iscsiadm: No records found\n' });
  });

  it('--json: an error document on stdout with errno 20', async () => {
    const r = await runCli(root.dir, ['-m', 'discovery', '-t', 'st', '-p', '127.0.0.1:3260', '--json']);
    expect(r.code).toBe(20);
    expect(JSON.parse(r.stdout)).toEqual({ schema: 1, kind: 'error', errno: 20, message: 'Could not perform SendTargets discovery: could not connect to iscsid' });
  });
});

describe.skipIf(!Tgtd.available() && !process.env.CI)('tsiscsiadm failures with a daemon', () => {
  let tgt: Tgtd;
  let d: Awaited<ReturnType<typeof startDaemon>>;
  const cli = (...args: string[]): Promise<CliRun> => runCli(d.root, args);

  beforeAll(async () => {
    ensureBuilt();
    tgt = await Tgtd.start();
    await tgt.addTarget({ tid: 1, iqn: 'iqn.2024-01.org.tsiscsi.it-cli-err:one', luns: [{ lun: 1, sizeMiB: 4 }] });
    d = await startDaemon();
  }, 120_000);

  afterAll(async () => {
    await d?.stop();
    await tgt?.stop();
  });

  it('discovery at a portal nobody listens on: the cause, then "Could not perform SendTargets discovery", exit 4', async () => {
    const port = await freePort('127.0.0.1');
    const r = await cli('-m', 'discovery', '-t', 'st', '-p', `127.0.0.1:${port}`);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr.endsWith('iscsiadm: Could not perform SendTargets discovery: encountered connection failure\n')).toBe(true);
    expect(await cli('-m', 'discovery')).toMatchObject({ code: 21, stdout: '' });
  }, 120_000);

  it('login to a record whose portal refuses connections: "Could not login to [...]", the error, the summary', async () => {
    const port = await freePort('127.0.0.1');
    const target = 'iqn.2024-01.org.tsiscsi.it-cli-err:gone';
    const made = await cli('-m', 'node', '-o', 'new', '-T', target, '-p', `127.0.0.1:${port},1`);
    expect(made).toEqual({ code: 0, stdout: `New iSCSI node [tcp:[hw=,ip=,net_if=,iscsi_if=default] 127.0.0.1,${port},1 ${target}] added\n`, stderr: '' });
    // One attempt (the default retries for minutes, as open-iscsi's initial_login_retry_max does).
    expect(await cli('-m', 'node', '-T', target, '-o', 'update', '-n', 'node.session.initial_login_retry_max', '-v', '0')).toMatchObject({ code: 0 });
    const where = `[iface: default, target: ${target}, portal: 127.0.0.1,${port}]`;
    const r = await runCli(d.root, ['-m', 'node', '-T', target, '-l'], 150_000);
    expect(r.stdout).toBe(`Logging in to ${where}\n`);
    const lines = r.stderr.split('\n');
    expect(lines[0]).toBe(`iscsiadm: Could not login to ${where}.`);
    const m = /^iscsiadm: initiator reported error \((\d+) - .+\)$/.exec(lines[1] ?? '');
    expect(m).not.toBeNull();
    expect(r.code).toBe(Number(m![1]));
    expect([4, 8]).toContain(r.code);
    expect(lines[2]).toBe('iscsiadm: Could not log into all portals');
    expect(await cli('-m', 'session')).toEqual({ code: 21, stdout: '', stderr: 'iscsiadm: No active sessions.\n' });
  }, 180_000);

  it('-m session -r 99 (no such session): two lines, exit 22', async () => {
    expect(await cli('-m', 'session', '-r', '99', '-P', '1')).toEqual({
      code: 22, stdout: '', stderr: 'iscsiadm: could not read session targetname: 5\niscsiadm: Could not get session info for sid 99\n',
    });
  });

  it(`every recorded bad command line (${golden.cases.length}) gives iscsiadm 2.1.8's bytes and exit status and writes nothing`, async () => {
    const before = snapshotDb(d.root);
    const mismatches: string[] = [];
    const queue = [...golden.cases];
    const worker = async (): Promise<void> => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        const r = await runCli(d.root, c.argv);
        const want = { code: c.exitCode, stdout: text(c.stdout), stderr: text(c.stderr) };
        if (JSON.stringify(r) !== JSON.stringify(want)) mismatches.push(`${JSON.stringify(c.argv)}: got ${JSON.stringify(r)} want ${JSON.stringify(want)}`);
      }
    };
    await Promise.all(Array.from({ length: 6 }, worker));
    expect(mismatches).toEqual([]);
    expect(snapshotDb(d.root)).toEqual(before);
  }, 300_000);
});
