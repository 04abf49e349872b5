/**
 * `-m session` executor against a fake daemon: the texts and exit statuses of iscsiadm
 * 2.1.8 (reference §6.5, §6.4; "No ..." messages observed on Debian's iscsiadm, see
 * test/fixtures/iscsiadm/golden/records.json), and the `--json` documents.
 */
import { describe, expect, it } from 'vitest';
import { execSession } from '../../../src/cli/exec/session.js';
import { command, context, daemonError, dump, fakeApi, node, session, T1, T2 } from './exec-helpers.js';

const versions = { transportClass: null, daemon: '0.1.0' };

describe('session listing', () => {
  it('prints one line per session in sysfs (sessionN string) order', async () => {
    const api = fakeApi({ 'session.list': () => ({ sessions: [session(2, T1), session(10, T2)], versions }) });
    const { ctx, io } = context(api);
    expect(await execSession(command('session', ['-m', 'session']), ctx)).toBe(0);
    expect(io.stdout).toBe(
      `tcp: [10] 10.0.0.1:3260,1 ${T2} (non-flash)\n`
      + `tcp: [2] 10.0.0.1:3260,1 ${T1} (non-flash)\n`,
    );
    expect(io.stderr).toBe('');
  });

  it('no session: "No active sessions." on stderr, exit 21 (also for -P 3)', async () => {
    for (const argv of [['-m', 'session'], ['-m', 'session', '-P', '3']]) {
      const api = fakeApi({ 'session.list': () => ({ sessions: [], versions }) });
      const { ctx, io } = context(api);
      expect(await execSession(command('session', argv), ctx)).toBe(21);
      expect(io.stdout).toBe('');
      expect(io.stderr).toBe('iscsiadm: No active sessions.\n');
    }
  });

  it('-P 3 of a usertcp session ends with "Unavailable"; --json carries the LUN inquiry data', async () => {
    const api = fakeApi({ 'session.list': () => ({ sessions: [session(1, T1)], versions }) });
    const text = context(api);
    expect(await execSession(command('session', ['-m', 'session', '-P', '3']), text.ctx)).toBe(0);
    const lines = text.io.stdout.split('\n');
    expect(lines[0]).toBe(`Target: ${T1} (non-flash)`);
    expect(lines).toContain('\t\tDataDigest: CRC32C');
    expect(lines).toContain('\t\tInitialR2T: No');
    expect(text.io.stdout.endsWith('\t\t************************\n\t\tAttached SCSI devices:\n\t\t************************\n\t\tUnavailable\n')).toBe(true);

    const json = context(api, { json: true });
    expect(await execSession(command('session', ['-m', 'session', '-P', '3', '--json']), json.ctx)).toBe(0);
    const doc = JSON.parse(json.io.stdout) as { kind: string; sessions: Array<{ sid: number; dataPath: string; scsi: { hostNumber: null; luns: Array<Record<string, unknown>> } }> };
    expect(doc.kind).toBe('session.list');
    expect(doc.sessions[0]!.dataPath).toBe('usertcp');
    expect(doc.sessions[0]!.scsi.hostNumber).toBeNull();
    expect(doc.sessions[0]!.scsi.luns[0]).toMatchObject({ lun: 1, vendor: 'IET', product: 'VIRTUAL-DISK', revision: '0001', sizeBytes: 67108864 });
  });

  it('an invalid -P level is reported only when sessions exist (iscsiadm checks for sessions first)', async () => {
    const some = context(fakeApi({ 'session.list': () => ({ sessions: [session(1, T1)], versions }) }));
    expect(await execSession(command('session', ['-m', 'session', '-P', '4']), some.ctx)).toBe(7);
    expect(some.io.stderr).toBe('iscsiadm: Invalid info level 4. Try 0 - 3.\n');
    const none = context(fakeApi({ 'session.list': () => ({ sessions: [], versions }) }));
    expect(await execSession(command('session', ['-m', 'session', '-P', '4']), none.ctx)).toBe(21);
    expect(none.io.stderr).toBe('iscsiadm: No active sessions.\n');
  });
});

describe('session -r SID', () => {
  it('an unknown sid prints iscsiadm\'s two lines and exits 22', async () => {
    const api = fakeApi({ 'session.info': () => { throw daemonError('SESSION_NOT_FOUND', 2, { sid: 9 }); } });
    const { ctx, io } = context(api);
    expect(await execSession(command('session', ['-m', 'session', '-r', '9', '-u']), ctx)).toBe(22);
    expect(io.stderr).toBe('iscsiadm: could not read session targetname: 5\niscsiadm: Could not get session info for sid 9\n');
    expect(api.calls.map((c) => c.method)).toEqual(['session.info']);
  });

  it('without -P prints the node record: <empty> for unset, ******** for a set password unless -S', async () => {
    const entries: Array<[string, string]> = [['node.name', T1], ['node.session.auth.username', 'alice'], ['node.session.auth.password', '********'], ['node.session.auth.password_in', '<empty>']];
    const info = { session: session(3, T1), versions, records: [{ node: node(T1), record: dump('2.1.8', entries) }], warnings: [] };
    const api = fakeApi({ 'session.info': (p) => (expect(p).toMatchObject({ sid: 3, recordVersion: '2.1.8' }), info) });
    const { ctx, io } = context(api);
    expect(await execSession(command('session', ['-m', 'session', '-r', '3']), ctx)).toBe(0);
    expect(io.stdout).toBe(`# BEGIN RECORD 2.1.8\nnode.name = ${T1}\nnode.session.auth.username = alice\nnode.session.auth.password = ********\nnode.session.auth.password_in = <empty>\n# END RECORD\n`);
  });

  it('-r N -P 1 prints that session\'s tree', async () => {
    const api = fakeApi({ 'session.info': () => ({ session: session(5, T2), versions, records: [], warnings: [] }) });
    const { ctx, io } = context(api);
    expect(await execSession(command('session', ['-m', 'session', '-r', '5', '-P', '1']), ctx)).toBe(0);
    expect(io.stdout).toContain(`Target: ${T2} (non-flash)\n\tCurrent Portal: 10.0.0.1:3260,1\n\tPersistent Portal: 10.0.0.1:3260,1\n`);
    expect(io.stdout).toContain('\t\tSID: 5\n');
  });
});

describe('session -s / -R / -u', () => {
  it('-s prints "Stats for session" with the persistent address and the current port, then the counters', async () => {
    const counters: Array<[string, number]> = [['txdata_octets', 4096], ['rxdata_octets', 8192], ['noptx_pdus', 3]];
    const api = fakeApi({
      'session.stats': () => ({ stats: [{ sid: 4, target: T1, persistentPortal: { address: '10.0.0.1', port: 3260 }, currentPortal: { address: '10.0.0.7', port: 3261 }, counters, extended: [] }] }),
    });
    const { ctx, io } = context(api);
    expect(await execSession(command('session', ['-m', 'session', '-s']), ctx)).toBe(0);
    expect(io.stdout).toBe(`Stats for session [sid: 4, target: ${T1}, portal: 10.0.0.1,3261]\niSCSI SNMP:\n\ttxdata_octets: 4096\n\trxdata_octets: 8192\n\tnoptx_pdus: 3\n`);
  });

  it('-s and -R without sessions: "No session found." exit 21', async () => {
    for (const argv of [['-m', 'session', '-s'], ['-m', 'session', '-R']]) {
      const api = fakeApi({ 'session.stats': () => ({ stats: [] }), 'session.rescan': () => ({ results: [], firstErrno: 0 }) });
      const { ctx, io } = context(api);
      expect(await execSession(command('session', argv), ctx)).toBe(21);
      expect(io.stderr).toBe('iscsiadm: No session found.\n');
    }
  });

  it('-u: all "Logging out" lines first, then each result; a failure adds the summary and its errno is the exit status', async () => {
    const portal = { address: '10.0.0.1', port: 3260 };
    const api = fakeApi({
      'session.logout': () => ({
        results: [
          { sid: 1, target: T1, persistentPortal: portal, currentPortal: portal, iface: 'default', response: 0 },
          { sid: 2, target: T2, persistentPortal: portal, currentPortal: portal, iface: 'default', error: { errno: 9, code: 'LOGIN_IN_PROGRESS', message: 'busy' } },
        ],
        firstErrno: 9,
      }),
    });
    const { ctx, io } = context(api);
    expect(await execSession(command('session', ['-m', 'session', '-u']), ctx)).toBe(9);
    expect(io.stdout).toBe(
      `Logging out of session [sid: 1, target: ${T1}, portal: 10.0.0.1,3260]\n`
      + `Logging out of session [sid: 2, target: ${T2}, portal: 10.0.0.1,3260]\n`
      + `Logout of [sid: 1, target: ${T1}, portal: 10.0.0.1,3260] successful.\n`,
    );
    expect(io.stderr).toBe(
      `iscsiadm: Could not logout of [sid: 2, target: ${T2}, portal: 10.0.0.1,3260].\n`
      + 'iscsiadm: initiator reported error (9 - internal error)\n'
      + 'iscsiadm: Could not logout of all requested sessions\n',
    );
  });

  it('-u with nothing to log out: "No matching sessions found" exit 21; --json gives an error document', async () => {
    const api = fakeApi({ 'session.logout': () => { throw daemonError('NO_MATCHING_SESSIONS', 21); } });
    const { ctx, io } = context(api, { json: true });
    expect(await execSession(command('session', ['-m', 'session', '-u', '--json']), ctx)).toBe(21);
    expect(io.stderr).toBe('iscsiadm: No matching sessions found\n');
    expect(JSON.parse(io.stdout)).toEqual({ schema: 1, kind: 'error', errno: 21, message: 'No matching sessions found' });
  });
});
