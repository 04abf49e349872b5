/**
 * tsiscsiadm end to end: the real binary driving a real tsiscsid (--root in a temp dir)
 * against a real tgtd with a plain and a CHAP target. Discovery lines, node listing,
 * CHAP credentials through `-o update`, login/logout messages and exit statuses,
 * session output at -P 0..3 and -s, `--json` documents. Formats: reference §6.
 *
 * Skips only when tgtd is missing AND `CI` is unset; in CI a missing tgtd fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../unit/daemon-process/helpers.js';
import { Tgtd } from '../support/tgtd.js';
import { runCli, startDaemon, type CliRun } from './cli-helpers.js';

const PREFIX = 'iqn.2024-01.org.tsiscsi.it-cli';
const PLAIN = `${PREFIX}:plain`;
const CHAP = `${PREFIX}:chap`;
const ALICE = { username: 'alice', password: 'alice-secret-0123' };
const COUNTERS = [
  'txdata_octets', 'rxdata_octets', 'noptx_pdus', 'scsicmd_pdus', 'tmfcmd_pdus', 'login_pdus', 'text_pdus', 'dataout_pdus',
  'logout_pdus', 'snack_pdus', 'noprx_pdus', 'scsirsp_pdus', 'tmfrsp_pdus', 'textrsp_pdus', 'datain_pdus', 'logoutrsp_pdus',
  'r2t_pdus', 'async_pdus', 'rjt_pdus', 'digest_err', 'timeout_err',
];

describe.skipIf(!Tgtd.available() && !process.env.CI)('tsiscsiadm against tsiscsid and tgtd', () => {
  let tgt: Tgtd;
  let d: Awaited<ReturnType<typeof startDaemon>>;
  const cli = (...args: string[]): Promise<CliRun> => runCli(d.root, args);
  const portal = (): string => `127.0.0.1:${tgt.port}`;
  const rec = (target: string): string => `[iface: default, target: ${target}, portal: 127.0.0.1,${tgt.port}]`;
  const sids: Record<string, number> = {};

  beforeAll(async () => {
    ensureBuilt();
    tgt = await Tgtd.start();
    await tgt.addTarget({ tid: 1, iqn: PLAIN, luns: [{ lun: 1, sizeMiB: 16 }] });
    await tgt.addTarget({ tid: 2, iqn: CHAP, luns: [{ lun: 1, sizeMiB: 8 }], chap: ALICE });
    d = await startDaemon();
  }, 120_000);

  afterAll(async () => {
    await d?.stop();
    await tgt?.stop();
  });

  it('discovery -t st prints one "addr:port,tpgt target" line per portal and records the nodes', async () => {
    const r = await cli('-m', 'discovery', '-t', 'st', '-p', portal());
    expect(r).toEqual({ code: 0, stdout: `${portal()},1 ${PLAIN}\n${portal()},1 ${CHAP}\n`, stderr: '' });
    const listing = await cli('-m', 'discovery');
    expect(listing.stdout).toBe(`${portal()} via sendtargets\n`);
  });

  it('-m node lists the records sorted by target; -P 1 as a tree', async () => {
    expect(await cli('-m', 'node')).toEqual({ code: 0, stdout: `${portal()},1 ${CHAP}\n${portal()},1 ${PLAIN}\n`, stderr: '' });
    const tree = await cli('-m', 'node', '-P', '1');
    expect(tree.stdout).toBe(`Target: ${CHAP}\n\tPortal: ${portal()},1\n\t\tIface Name: default\nTarget: ${PLAIN}\n\tPortal: ${portal()},1\n\t\tIface Name: default\n`);
  });

  it('login to the CHAP target without credentials: iscsiadm\'s failure lines, exit 24', async () => {
    const r = await cli('-m', 'node', '-T', CHAP, '-l');
    expect(r.code).toBe(24);
    expect(r.stdout).toBe(`Logging in to ${rec(CHAP)}\n`);
    expect(r.stderr).toBe(
      `iscsiadm: Could not login to ${rec(CHAP)}.\n`
      + 'iscsiadm: initiator reported error (24 - iSCSI login failed due to authorization failure)\n'
      + 'iscsiadm: Could not log into all portals\n',
    );
  });

  it('CHAP credentials set with -o update (silent), shown masked, and in clear with -S', async () => {
    for (const [k, v] of [['node.session.auth.authmethod', 'CHAP'], ['node.session.auth.username', ALICE.username], ['node.session.auth.password', ALICE.password]] as const) {
      expect(await cli('-m', 'node', '-T', CHAP, '-o', 'update', '-n', k, '-v', v)).toEqual({ code: 0, stdout: '', stderr: '' });
    }
    const masked = await cli('-m', 'node', '-T', CHAP, '-o', 'show');
    expect(masked.stdout).toMatch(/^# BEGIN RECORD 2\.1\.8\n/);
    expect(masked.stdout).toContain('\nnode.session.auth.username = alice\n');
    expect(masked.stdout).toContain('\nnode.session.auth.password = ********\n');
    expect(masked.stdout).toContain('\nnode.session.auth.username_in = <empty>\n');
    const clear = await cli('-m', 'node', '-T', CHAP, '-o', 'show', '-S');
    expect(clear.stdout).toContain(`\nnode.session.auth.password = ${ALICE.password}\n`);
  });

  it('-m node -l logs in to both: "Logging in" lines, then "successful." lines, exit 0', async () => {
    const r = await cli('-m', 'node', '-l');
    expect(r).toEqual({
      code: 0,
      stdout: `Logging in to ${rec(CHAP)}\nLogging in to ${rec(PLAIN)}\nLogin to ${rec(CHAP)} successful.\nLogin to ${rec(PLAIN)} successful.\n`,
      stderr: '',
    });
  });

  it('-m session: "tcp: [sid] portal,tpgt target (non-flash)" per session', async () => {
    const r = await cli('-m', 'session');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      const m = /^tcp: \[(\d+)\] (\S+),1 (\S+) \(non-flash\)$/.exec(line);
      expect(m, line).not.toBeNull();
      expect(m![2]).toBe(portal());
      sids[m![3]!] = Number(m![1]);
    }
    expect(Object.keys(sids).sort()).toEqual([CHAP, PLAIN]);
  });

  it('-m session -P 1, -P 2 and -P 3 add the interface/state, timeouts/CHAP/params and device blocks', async () => {
    const p1 = (await cli('-m', 'session', '-P', '1')).stdout;
    expect(p1).toContain(`Target: ${PLAIN} (non-flash)\n\tCurrent Portal: ${portal()},1\n\tPersistent Portal: ${portal()},1\n\t\t**********\n\t\tInterface:\n`);
    expect(p1).toContain('\t\tIface Name: default\n\t\tIface Transport: tcp\n');
    expect(p1).toContain(`\t\tSID: ${sids[PLAIN]}\n\t\tiSCSI Connection State: LOGGED IN\n\t\tiSCSI Session State: LOGGED_IN\n\t\tInternal iscsid Session State: NO CHANGE\n`);
    expect(p1).not.toContain('Timeouts:');
    const p2 = (await cli('-m', 'session', '-P', '2')).stdout;
    expect(p2).toContain('\t\tTimeouts:\n\t\t*********\n\t\tRecovery Timeout: 120\n');
    expect(p2).toContain('\t\tusername: alice\n\t\tpassword: ********\n\t\tusername_in: <empty>\n\t\tpassword_in: ********\n');
    expect(p2).toContain('\t\tNegotiated iSCSI params:\n\t\t************************\n\t\tHeaderDigest: None\n');
    expect(p2).not.toContain('Attached SCSI devices:');
    const p3 = (await cli('-m', 'session', '-P', '3')).stdout;
    expect(p3.match(/\t\tAttached SCSI devices:\n\t\t\*+\n\t\tUnavailable\n/g)).toHaveLength(2);
  });

  it('-m session -P 3 --json reports the LUNs (vendor, product, revision, size)', async () => {
    const r = await cli('-m', 'session', '-P', '3', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { kind: string; sessions: Array<{ target: string; scsi: { luns: Array<{ lun: number; vendor: string; product: string; revision: string; sizeBytes?: number }> } }> };
    expect(doc.kind).toBe('session.list');
    const plain = doc.sessions.find((s) => s.target === PLAIN)!;
    const disk = plain.scsi.luns.find((l) => l.lun === 1)!;
    expect(disk).toMatchObject({ vendor: 'IET', product: 'VIRTUAL-DISK', sizeBytes: 16 * 2 ** 20 });
    expect(disk.revision).toMatch(/^\S+$/);
  });

  it('-m session -s prints the 21 iSCSI SNMP counters per session; -r SID -s one session', async () => {
    const all = await cli('-m', 'session', '-s');
    expect(all.code).toBe(0);
    expect(all.stdout.match(/^Stats for session \[sid: \d+, target: \S+, portal: 127\.0\.0\.1,\d+\]$/gm)).toHaveLength(2);
    const one = await cli('-m', 'session', '-r', String(sids[PLAIN]), '-s');
    const lines = one.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`Stats for session [sid: ${sids[PLAIN]}, target: ${PLAIN}, portal: 127.0.0.1,${tgt.port}]`);
    expect(lines[1]).toBe('iSCSI SNMP:');
    expect(lines.slice(2, 2 + COUNTERS.length).map((l) => /^\t(\w+): \d+$/.exec(l)?.[1])).toEqual(COUNTERS);
    // Driver-specific counters, if any, follow under "iSCSI Extended:" (same `\tname: value` form).
    const rest = lines.slice(2 + COUNTERS.length);
    if (rest.length > 0) {
      expect(rest[0]).toBe('iSCSI Extended:');
      for (const l of rest.slice(1)) expect(l).toMatch(/^\t[\w ]+: \d+$/);
    }
    const value = (name: string): number => Number(lines.find((l) => l.startsWith(`\t${name}:`))!.split(': ')[1]);
    expect(value('login_pdus')).toBeGreaterThanOrEqual(1);
    expect(value('scsicmd_pdus')).toBeGreaterThan(0);
  });

  it('logging in again: "default: 1 session requested, but 1 already present." per record, exit 15', async () => {
    const r = await cli('-m', 'node', '-l');
    expect(r.code).toBe(15);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('iscsiadm: default: 1 session requested, but 1 already present.\n'.repeat(2) + 'iscsiadm: Could not log into all portals\n');
  });

  it('deleting a record in use is refused with iscsiadm\'s message (exit 15)', async () => {
    const r = await cli('-m', 'node', '-T', PLAIN, '-o', 'delete');
    expect(r.code).toBe(15);
    expect(r.stderr).toContain(`iscsiadm: This command will remove the record ${rec(PLAIN)}, but a session is using it. Logout session then rerun command to remove record.\n`);
  });

  it('--json documents parse and say what they are', async () => {
    for (const [args, kind] of [[['-m', 'node'], 'node.list'], [['-m', 'iface'], 'iface.list'], [['-m', 'discovery'], 'discovery.records'], [['-m', 'session', '-s'], 'session.stats']] as const) {
      const r = await cli(...args, '--json');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ schema: 1, kind });
    }
  });

  it('-m session -u logs out every session; afterwards "No active sessions." exit 21', async () => {
    const r = await cli('-m', 'session', '-u');
    expect(r.code).toBe(0);
    const portalText = `127.0.0.1,${tgt.port}`;
    const bySid = Object.entries(sids).sort((a, b) => a[1] - b[1]);
    expect(r.stdout).toBe([
      ...bySid.map(([t, s]) => `Logging out of session [sid: ${s}, target: ${t}, portal: ${portalText}]`),
      ...bySid.map(([t, s]) => `Logout of [sid: ${s}, target: ${t}, portal: ${portalText}] successful.`),
    ].map((l) => `${l}\n`).join(''));
    expect(await cli('-m', 'session')).toEqual({ code: 21, stdout: '', stderr: 'iscsiadm: No active sessions.\n' });
  });
});
