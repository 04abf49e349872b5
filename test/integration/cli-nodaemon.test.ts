/**
 * tsiscsiadm with no tsiscsid running, compared byte for byte with Debian's iscsiadm
 * 2.1.8 with no iscsid running (reference §1.4, §2.5): the same command lines, in the
 * same order, on an empty database each. iscsiadm edits its records itself and lists
 * sessions from sysfs (none here), so record commands work, session commands find no
 * session (21/22), logins fail with 20 after the "iscsid is not running" lines, and
 * `-k 0` prints only the connect line. tsiscsiadm runs the real bin/tsiscsiadm on a temp
 * root (no daemon, no socket file); iscsiadm runs in a private mount namespace
 * (test/golden/support/capture.ts).
 *
 * Needs root, unshare and Debian's open-iscsi (scripts/setup.sh); skipped without them
 * unless CI is set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, pathsIn, tempRoot } from '../unit/daemon-process/helpers.js';
import { capture, realIscsiadm, type Capture } from '../golden/support/capture.js';
import { runCli, type CliRun } from './cli-helpers.js';

const T = 'iqn.2024-01.org.tsiscsi.it-nodaemon:disk';

/** Every mode's record and session commands, in an order that builds and tears down state. */
const STEPS: readonly string[][] = [
  ['-m', 'session'], ['-m', 'session', '-P', '1'], ['-m', 'session', '-P', '3'],
  ['-m', 'session', '-r', '1'], ['-m', 'session', '-r', '1', '-o', 'new'], ['-m', 'session', '-r', '1', '-u'],
  ['-m', 'session', '-s'], ['-m', 'session', '-u'], ['-m', 'session', '-R'],
  ['-m', 'node'], ['-m', 'node', '-T', T, '-l'],
  ['-m', 'node', '-o', 'new', '-T', T, '-p', '127.0.0.1'],
  ['-m', 'node'], ['-m', 'node', '-P', '1'], ['-m', 'node', '-T', T, '-o', 'show'],
  ['-m', 'node', '-T', T, '-o', 'update', '-n', 'node.startup', '-v', 'automatic'],
  ['-m', 'node', '-T', T, '-o', 'update', '-n', 'node.bogus', '-v', '1'],
  ['-m', 'node', '-T', T],
  ['-m', 'node', '-T', T, '-l'], ['-m', 'node', '--loginall=automatic'], ['-m', 'node', '--loginall=manual'],
  ['-m', 'node', '-T', T, '-u'], ['-m', 'node', '--logoutall=all'],
  ['-m', 'node', '-s'], ['-m', 'node', '-R'], ['-m', 'node', '-T', T, '-R'], ['-m', 'node', '-T', T, '-s'],
  ['-m', 'iface'], ['-m', 'iface', '-P', '1'], ['-m', 'iface', '-I', 'eth-a', '-o', 'new'], ['-m', 'iface', '-I', 'eth-a'],
  ['-m', 'iface', '-I', 'eth-a', '-o', 'update', '-n', 'iface.net_ifacename', '-v', 'eth0'], ['-m', 'iface'],
  ['-m', 'iface', '-I', 'eth-a', '-o', 'delete'], ['-m', 'iface', '-I', 'nope'],
  ['-m', 'discoverydb', '-t', 'st', '-p', '127.0.0.1', '-o', 'new'], ['-m', 'discoverydb', '-t', 'st', '-p', '127.0.0.1'],
  ['-m', 'discovery'],
  ['-m', 'discoverydb', '-t', 'st', '-p', '127.0.0.1', '-o', 'update', '-n', 'discovery.startup', '-v', 'automatic'],
  ['-m', 'discoverydb', '-t', 'st', '-p', '127.0.0.1', '-o', 'delete'], ['-m', 'discovery'],
  ['-m', 'node', '-T', T, '-o', 'delete'], ['-m', 'node', '-o', 'delete'], ['-m', 'node'],
  ['-k', '0'],
];

const real = realIscsiadm();

describe.skipIf(!real.ok && !process.env.CI)('no daemon: tsiscsiadm answers as iscsiadm 2.1.8 without iscsid', () => {
  let golden: Capture;
  const ours: CliRun[] = [];
  let root: { dir: string; rm: () => void };

  beforeAll(async () => {
    ensureBuilt();
    golden = await capture({ scenario: 'nodaemon', steps: STEPS.map((argv) => ({ argv })), iscsidConf: '' });
    root = tempRoot();
    for (const argv of STEPS) ours.push(await runCli(root.dir, argv));
  }, 180_000);

  afterAll(() => root?.rm());

  /**
   * Two known differences, both deliberate: the DB root is ours (iscsiadm: /etc/iscsi),
   * and new records get xmit_thread_priority 0 (open-iscsi's default since 2.1.10; 2.1.8
   * compiled in -20, reference §5.3).
   */
  const normal = (text: string): string => text
    .replaceAll('/etc/iscsi/', `${pathsIn(root.dir).db}/`)
    .replaceAll('node.session.xmit_thread_priority = -20', 'node.session.xmit_thread_priority = 0');

  STEPS.forEach((argv, i) => {
    it(`iscsiadm ${argv.join(' ')}`, () => {
      const want = golden.steps[i]!;
      expect({ code: ours[i]!.code, stdout: ours[i]!.stdout, stderr: ours[i]!.stderr })
        .toEqual({ code: want.status, stdout: normal(want.stdout), stderr: normal(want.stderr) });
    });
  });
});
