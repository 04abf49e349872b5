/**
 * Firmware boot login end to end: a fake /sys/firmware/ibft (independent builder, the
 * kernel's formats) names two targets of a real tgtd on loopback — one plain, one with
 * mutual CHAP — and the firmware's initiator name. The real `bin/tsiscsiadm`
 * (TSISCSI_SYSFS points it at the fake sysfs) drives a real `bin/tsiscsid`:
 *
 * - `-m fw` prints both records; `-m fw -l` logs in with the firmware's CHAP and initiator
 *   name (tgtd sees that name), prints iscsiadm's per-target lines, exit 0; again → silent.
 * - the sessions are firmware (onboot) sessions: `-m node --logoutall=all` leaves them,
 *   and the daemon's stop detaches them without a logout.
 * - `-m discovery -t fw` writes records as Debian's iscsiadm does (node.discovery_type fw,
 *   onboot, TPGT 1, CHAP and initiator name, link under fw/).
 *
 * Skips only when tgtd is missing AND `CI` is unset.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, ensureBuilt, pathsIn } from '../unit/daemon-process/helpers.js';
import { ibftTree, referenceSpec, writeTree } from '../support/ibft-builder.js';
import { Tgtd } from '../support/tgtd.js';
import { CLI, startDaemon, type CliRun } from './cli-helpers.js';

const PLAIN = 'iqn.2026-11.test:fw-plain';
const MUTUAL = 'iqn.2026-11.test:fw-mutual';
const INIT = 'iqn.2024-01.test.tsiscsi:ibft-init';

function runCli(root: string, sysfs: string, args: readonly string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: cleanEnv({ TSISCSI_ROOT: root, TSISCSI_SYSFS: sysfs }), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe.skipIf(!Tgtd.available() && !process.env.CI)('firmware (iBFT) login through tsiscsid against tgtd', () => {
  let tgt: Tgtd;
  let d: Awaited<ReturnType<typeof startDaemon>>;
  let sysfs: string;
  const cli = (...args: string[]): Promise<CliRun> => runCli(d.root, sysfs, args);
  const rec = (t: string): string => `[iface: default, target: ${t}, portal: 127.0.0.1,${tgt.port}]`;

  beforeAll(async () => {
    ensureBuilt();
    tgt = await Tgtd.start();
    await tgt.addTarget({ tid: 1, iqn: PLAIN, luns: [{ lun: 1, sizeMiB: 8 }] });
    await tgt.addTarget({ tid: 2, iqn: MUTUAL, luns: [{ lun: 1, sizeMiB: 8 }], chap: { username: 'chapuser', password: 'chapsecret123' }, mutual: { username: 'revuser', password: 'revsecret4567' } });
    d = await startDaemon();
    sysfs = join(d.root, 'sys');
    const spec = referenceSpec(true);
    Object.assign(spec.targets[0]!, { ip: '127.0.0.1', port: tgt.port, name: PLAIN });
    Object.assign(spec.targets[1]!, { ip: '127.0.0.1', port: tgt.port, name: MUTUAL });
    writeTree(join(sysfs, 'firmware/ibft'), ibftTree(spec), { netdev: 'eth0' });
  }, 120_000);

  afterAll(async () => {
    await d?.stop();
    await tgt?.stop();
    if (sysfs) rmSync(sysfs, { recursive: true, force: true });
  });

  it('-m fw prints both firmware records (CHAP in clear, as iscsiadm)', async () => {
    const r = await cli('-m', 'fw');
    expect(r.code).toBe(0);
    expect(r.stdout.match(/# BEGIN RECORD 2\.1\.8\n/g)).toHaveLength(2);
    expect(r.stdout).toContain(`node.name = ${MUTUAL}\nnode.conn[0].address = 127.0.0.1\nnode.conn[0].port = ${tgt.port}\nnode.session.auth.username = chapuser\n`);
    expect(r.stderr).toBe('');
  });

  it('-m fw -l logs in to both targets (mutual CHAP from the table), prints iscsiadm\'s lines, exit 0', async () => {
    const r = await cli('-m', 'fw', '-l');
    expect(r).toEqual({
      code: 0,
      stdout: `Logging in to ${rec(PLAIN)}\nLogin to ${rec(PLAIN)} successful.\nLogging in to ${rec(MUTUAL)}\nLogin to ${rec(MUTUAL)} successful.\n`,
      stderr: '',
    });
    const s = await cli('-m', 'session');
    expect(s.stdout).toBe(`tcp: [1] 127.0.0.1:${tgt.port},1 ${PLAIN} (non-flash)\ntcp: [2] 127.0.0.1:${tgt.port},1 ${MUTUAL} (non-flash)\n`);
    // The target saw the firmware's initiator name, not the daemon's.
    expect((await tgt.connections(2)).map((c) => c.initiator)).toEqual([INIT]);
  });

  it('-m fw -l -W again: the sessions exist, nothing is printed, exit 0', async () => {
    expect(await cli('-m', 'fw', '-l', '-W')).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('--logoutall=all leaves the firmware sessions running', async () => {
    await cli('-m', 'node', '--logoutall=all');
    const s = await cli('-m', 'session');
    expect(s.code).toBe(0);
    expect(s.stdout.split('\n').filter(Boolean)).toHaveLength(2);
  });

  it('-m discovery -t fw: the P 0 lines and records like Debian\'s iscsiadm (fw, onboot, TPGT 1, CHAP, link under fw/)', async () => {
    const r = await cli('-m', 'discovery', '-t', 'fw');
    expect(r).toEqual({ code: 0, stdout: `127.0.0.1:${tgt.port},1 ${PLAIN}\n127.0.0.1:${tgt.port},1 ${MUTUAL}\n`, stderr: '' });
    const db = pathsIn(d.root).db;
    const file = join(db, 'nodes', MUTUAL, `127.0.0.1,${tgt.port},1`, 'default');
    const text = readFileSync(file, 'utf8');
    for (const line of [
      `node.name = ${MUTUAL}`, 'node.tpgt = 1', 'node.startup = onboot', 'node.conn[0].startup = onboot', 'node.discovery_type = fw',
      `iface.initiatorname = ${INIT}`, 'node.session.auth.authmethod = None', 'node.session.auth.username = chapuser',
      'node.session.auth.password = chapsecret123', 'node.session.auth.username_in = revuser', 'node.session.auth.password_in = revsecret4567',
    ]) expect(text).toContain(`${line}\n`);
    const link = join(db, 'fw', `${MUTUAL},127.0.0.1,${tgt.port},1,default`);
    expect(existsSync(link)).toBe(true);
    expect(readlinkSync(link)).toContain(join('nodes', MUTUAL, `127.0.0.1,${tgt.port},1`));
    expect((await cli('-m', 'node')).stdout).toBe(`127.0.0.1:${tgt.port},1 ${MUTUAL}\n127.0.0.1:${tgt.port},1 ${PLAIN}\n`);
  });

  it('daemon stop detaches the firmware sessions (no logout)', async () => {
    d.daemon.child.kill('SIGTERM');
    await d.daemon.exited;
    const left = d.daemon.logs().filter((l) => l.msg === 'onboot session left running: not logged out at shutdown');
    expect(left).toHaveLength(2);
  });
});

/** The stored capture of Debian's iscsiadm for the reference table (test/golden/fw-iscsiadm.test.ts). */
const CAPTURE = join(import.meta.dirname, '..', 'fixtures', 'iscsiadm', 'golden', 'fw-ibft.json');

describe.skipIf(!existsSync(CAPTURE))('-m discovery -t fw records equal the ones Debian\'s iscsiadm wrote for the same firmware', () => {
  let d: Awaited<ReturnType<typeof startDaemon>>;
  let sysfs: string;

  beforeAll(async () => {
    ensureBuilt();
    d = await startDaemon();
    sysfs = join(d.root, 'sys');
    writeTree(join(sysfs, 'firmware/ibft'), ibftTree(referenceSpec(true)), { netdev: 'eth0' });
  }, 120_000);

  afterAll(async () => {
    await d?.stop();
  });

  it('the keys firmware discovery sets have iscsiadm\'s values; links under fw/ point at the records', async () => {
    const r = await runCli(d.root, sysfs, ['-m', 'discovery', '-t', 'fw']);
    expect(r.code).toBe(0);
    const capture = JSON.parse(readFileSync(CAPTURE, 'utf8')) as { db: { path: string; type: string; content?: string; target?: string }[] };
    const db = pathsIn(d.root).db;
    const files = capture.db.filter((e) => e.type === 'f' && e.path.startsWith('nodes/'));
    expect(files).toHaveLength(2);
    // Compiled defaults (record version, timeouts) are the daemon's own choice; what firmware
    // discovery decides is identity, startup, discovery type, iface binding and CHAP.
    const decided = /^(node\.name|node\.tpgt|node\.startup|node\.conn\[0\]\.(startup|address|port)|node\.discovery_\w+|iface\.(iscsi_ifacename|transport_name|initiatorname)|node\.session\.auth\.\w+) = /;
    const pick = (text: string): string[] => text.split('\n').filter((l) => decided.test(l));
    for (const f of files) {
      const ours = readFileSync(join(db, f.path), 'utf8');
      expect(pick(ours), f.path).toEqual(pick(f.content!));
    }
    for (const l of capture.db.filter((e) => e.type === 'l')) {
      expect(existsSync(join(db, l.path)), l.path).toBe(true);
      expect(readlinkSync(join(db, l.path)).endsWith(l.target!.replace('/etc/iscsi/', ''))).toBe(true);
    }
  });
});
