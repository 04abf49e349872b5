/**
 * `-m node` executor against a fake daemon: listings, login/logout messages and exit
 * statuses (reference §6.2, §6.4; iscsiadm 2.1.8 strings), record edits with
 * iscsiadm's key/value error texts (observed on Debian's iscsiadm 2.1.8), `-o new`.
 */
import { describe, expect, it } from 'vitest';
import { execNode } from '../../../src/cli/exec/node.js';
import { command, context, daemonError, fakeApi, node, recordingProgress, T1, T2 } from './exec-helpers.js';

const ok = (n: ReturnType<typeof node>, sid: number) => ({ node: n, sids: [sid], multiple: false, completedAfterMs: 5 });
const listed = (n: ReturnType<typeof node>) => ({ node: n, startup: 'manual' as const, transport: 'tcp', source: { type: 'static' as const }, inUse: false });
const bad = (n: ReturnType<typeof node>, errno: number, code: string, message = code) => ({ node: n, sids: [], multiple: false, completedAfterMs: 5, error: { errno, code, message } });

describe('node listing', () => {
  it('sorts like iscsiadm and prints an unknown TPGT unsigned (4294967295)', async () => {
    const nodes = [node(T2, '10.0.0.2'), node(T1, 'fd00::1', 3260, -1), node(T1, '10.0.0.1')].map((n) => ({
      node: n, startup: 'manual' as const, transport: 'tcp', source: { type: 'static' as const }, inUse: false,
    }));
    const { ctx, io } = context(fakeApi({ 'node.list': () => ({ nodes, warnings: [] }) }));
    expect(await execNode(command('node', ['-m', 'node']), ctx)).toBe(0);
    expect(io.stdout).toBe(`10.0.0.1:3260,1 ${T1}\n[fd00::1]:3260,4294967295 ${T1}\n10.0.0.2:3260,1 ${T2}\n`);
  });

  it('no records: "No records found" exit 21; --json still prints the (empty) listing', async () => {
    const { ctx, io } = context(fakeApi({ 'node.list': () => ({ nodes: [], warnings: [] }) }), { json: true });
    expect(await execNode(command('node', ['-m', 'node', '--json']), ctx)).toBe(21);
    expect(io.stderr).toBe('iscsiadm: No records found\n');
    expect(JSON.parse(io.stdout)).toEqual({ schema: 1, kind: 'node.list', nodes: [] });
  });
});

describe('node login / logout', () => {
  it('prints every "Logging in to" first, then each result, the summary, and exits with the first error', async () => {
    const [a, b, c] = [node(T1, '10.0.0.1'), node(T2, '10.0.0.2'), node(T2, '10.0.0.3', 3260, 1, 'eth1')];
    const api = fakeApi({
      'node.list': () => ({ nodes: [listed(c), listed(a), listed(b)], warnings: [] }),
      'node.login': (p) => {
        expect(p).toEqual({ target: T2 });
        return {
          results: [bad(c, 15, 'SESSION_EXISTS', `${T2}: 1 session requested, but 1 already present`), ok(a, 1), bad(b, 24, 'AUTHENTICATION_FAILURE')],
          firstErrno: 15,
        };
      },
    });
    const { ctx, io } = context(api);
    expect(await execNode(command('node', ['-m', 'node', '-T', T2, '-l']), ctx)).toBe(15);
    expect(io.stdout).toBe(
      `Logging in to [iface: default, target: ${T1}, portal: 10.0.0.1,3260]\n`
      + `Logging in to [iface: default, target: ${T2}, portal: 10.0.0.2,3260]\n`
      + `Login to [iface: default, target: ${T1}, portal: 10.0.0.1,3260] successful.\n`,
    );
    expect(io.stderr).toBe(
      'iscsiadm: eth1: 1 session requested, but 1 already present.\n'
      + `iscsiadm: Could not login to [iface: default, target: ${T2}, portal: 10.0.0.2,3260].\n`
      + 'iscsiadm: initiator reported error (24 - iSCSI login failed due to authorization failure)\n'
      + 'iscsiadm: Could not log into all portals\n',
    );
  });

  it('IPv6 portals are unbracketed in messages; `-p addr` selects that address on port 3260', async () => {
    const n = node(T1, 'fd00::5');
    const api = fakeApi({
      'node.list': () => ({ nodes: [listed(n)], warnings: [] }),
      'node.login': (p) => (expect(p).toEqual({ target: T1, address: 'fd00::5', port: 3260 }), { results: [ok(n, 7)], firstErrno: 0 }),
    });
    const { ctx, io } = context(api);
    expect(await execNode(command('node', ['-m', 'node', '-T', T1, '-p', '[fd00::5]', '-l']), ctx)).toBe(0);
    expect(io.stdout).toBe(`Logging in to [iface: default, target: ${T1}, portal: fd00::5,3260]\nLogin to [iface: default, target: ${T1}, portal: fd00::5,3260] successful.\n`);
  });

  it('nothing matched: "No records found" exit 21, without asking for a login', async () => {
    const api = fakeApi({ 'node.list': () => ({ nodes: [], warnings: [] }), 'node.login': () => { throw daemonError('NO_RECORDS_FOUND', 21); } });
    const { ctx, io } = context(api);
    expect(await execNode(command('node', ['-m', 'node', '-T', 'iqn.x:none', '-l']), ctx)).toBe(21);
    expect(io.stderr).toBe('iscsiadm: No records found\n');
    expect(api.calls.map((c) => c.method)).toEqual(['node.list']);
  });

  it('no daemon: "Logging in to" per record, the daemon lines, per-record failure, summary, exit 20 (iscsiadm 2.1.8 without iscsid)', async () => {
    const a = node(T1, '10.0.0.1');
    const api = fakeApi({
      'node.list': () => ({ nodes: [listed(a)], warnings: [] }),
      'node.login': () => { throw daemonError('DAEMON_NOT_RUNNING', 20, {}, 'could not connect'); },
    });
    const { ctx, io } = context(api);
    expect(await execNode(command('node', ['-m', 'node', '-T', T1, '-l']), ctx)).toBe(20);
    expect(io.stdout).toBe(`Logging in to [iface: default, target: ${T1}, portal: 10.0.0.1,3260]\n`);
    expect(io.stderr).toBe(
      `iscsiadm: Could not login to [iface: default, target: ${T1}, portal: 10.0.0.1,3260].\n`
      + 'iscsiadm: initiator reported error (20 - could not connect to iscsid)\n'
      + 'iscsiadm: Could not log into all portals\n',
    );
  });

  it('nr_sessions 2: one "Logging in (multiple)" and one "successful." line per session', async () => {
    const a = node(T1, '10.0.0.1');
    const api = fakeApi({
      'node.list': () => ({ nodes: [listed(a)], warnings: [] }),
      'node.login': () => ({ results: [{ ...ok(a, 3), sids: [3, 4], multiple: true }], firstErrno: 0 }),
    });
    const { ctx, io } = context(api);
    expect(await execNode(command('node', ['-m', 'node', '-T', T1, '-l']), ctx)).toBe(0);
    const rec = `[iface: default, target: ${T1}, portal: 10.0.0.1,3260]`;
    expect(io.stdout).toBe(`Logging in to ${rec} (multiple)\n`.repeat(2) + `Login to ${rec} successful.\n`.repeat(2));
  });

  it('-I of an unknown iface stops before anything else: "Could not read iface info for X." exit 3', async () => {
    const api = fakeApi({ 'iface.show': () => { throw daemonError('RECORD_NOT_FOUND', 21); } });
    const { ctx, io } = context(api);
    expect(await execNode(command('node', ['-m', 'node', '-I', 'nosuch', '-l']), ctx)).toBe(3);
    expect(io.stderr).toBe('iscsiadm: Could not read iface info for nosuch.\n');
    expect(api.calls.map((c) => c.method)).toEqual(['iface.show']);
  });

  it('--loginall -W prints the queued logins and exits 0 without waiting', async () => {
    const api = fakeApi({
      'node.list': () => ({ nodes: [], warnings: [] }),
      'node.loginAll': (p) => (expect(p).toEqual({ startup: 'automatic', wait: false }), { nodes: [node(T1)], results: [], firstErrno: 0 }),
    });
    const { ctx, io } = context(api);
    expect(await execNode(command('node', ['-m', 'node', '--loginall=automatic', '-W']), ctx)).toBe(0);
    expect(io.stdout).toBe(`Logging in to [iface: default, target: ${T1}, portal: 10.0.0.1,3260]\n`);
  });

  it('on a terminal, loginall shows "logging in: n/total" fed by login events, cleared before the results', async () => {
    const { p, log } = recordingProgress();
    const nodes = [1, 2, 3].map((i) => ({ node: node(`${T1}-${i}`), startup: 'automatic' as const, transport: 'tcp', source: { type: 'static' as const }, inUse: false }));
    const api = fakeApi({
      'node.list': () => ({ nodes, warnings: [] }),
      'node.loginAll': () => {
        for (let i = 0; i < 3; i++) api.emit({ type: 'login' });
        return { nodes: nodes.map((n) => n.node), results: nodes.map((n, i) => ok(n.node, i + 1)), firstErrno: 0 };
      },
    });
    const { ctx, io } = context(api, { progress: p });
    expect(await execNode(command('node', ['-m', 'node', '--loginall=automatic']), ctx)).toBe(0);
    expect(log).toEqual(['start logging in 3', 'tick', 'tick', 'tick', 'done']);
    expect(io.stdout.split('\n').filter((l) => l.startsWith('Login to'))).toHaveLength(3);
  });

  it('-u with no session: "No matching sessions found" exit 21', async () => {
    const { ctx, io } = context(fakeApi({ 'node.logout': () => { throw daemonError('NO_MATCHING_SESSIONS', 21); } }));
    expect(await execNode(command('node', ['-m', 'node', '-u']), ctx)).toBe(21);
    expect(io.stderr).toBe('iscsiadm: No matching sessions found\n');
  });
});

describe('node record edits', () => {
  it('-o update succeeds silently; the pairs go to the daemon as one patch', async () => {
    const api = fakeApi({ 'node.update': (p) => (expect(p).toEqual({ target: T1, values: { 'node.session.auth.username': 'u', 'node.session.auth.password': 'p' } }), { results: [{ node: node(T1) }], firstErrno: 0 }) });
    const { ctx, io } = context(api);
    const argv = ['-m', 'node', '-T', T1, '-o', 'update', '-n', 'node.session.auth.username', '-v', 'u', '-n', 'node.session.auth.password', '-v', 'p'];
    expect(await execNode(command('node', argv), ctx)).toBe(0);
    expect(io.stdout + io.stderr).toBe('');
  });

  it('a lookup key (read-only) gives "It is used to look up the record and cannot be changed." exit 7 (as Debian iscsiadm 2.1.8)', async () => {
    const ro = context(fakeApi({ 'node.update': () => { throw daemonError('READ_ONLY_KEY', 7, { key: 'node.conn[0].port' }); } }));
    expect(await execNode(command('node', ['-m', 'node', '-T', T1, '-o', 'update', '-n', 'node.conn[0].port', '-v', '3']), ro.ctx)).toBe(7);
    expect(ro.io.stderr).toBe('iscsiadm: Cannot modify node.conn[0].port. It is used to look up the record and cannot be changed.\n'
      + 'iscsiadm: Could not execute operation on all records: invalid parameter\n');
  });

  it('an unknown key or a bad value gives iscsiadm\'s lines and exit 7', async () => {
    const unknown = context(fakeApi({ 'node.update': () => { throw daemonError('UNKNOWN_KEY', 7, { key: 'node.bogus' }); } }));
    expect(await execNode(command('node', ['-m', 'node', '-T', T1, '-o', 'update', '-n', 'node.bogus', '-v', '1']), unknown.ctx)).toBe(7);
    expect(unknown.io.stderr).toBe('iscsiadm: Cannot modify node.bogus. Invalid param name.\niscsiadm: Could not execute operation on all records: invalid parameter\n');
    const value = context(fakeApi({ 'node.update': () => { throw daemonError('INVALID_VALUE', 7, { key: 'node.startup', value: 'bogus' }); } }));
    expect(await execNode(command('node', ['-m', 'node', '-T', T1, '-o', 'update', '-n', 'node.startup', '-v', 'bogus']), value.ctx)).toBe(7);
    expect(value.io.stderr).toBe(
      "iscsiadm: unknown value format 'bogus' for parameter name 'node.startup'\niscsiadm: Unknown parameter node.startup.\n"
      + 'iscsiadm: Could not execute operation on all records: invalid parameter\n',
    );
  });

  it('-o delete of a record in use: iscsiadm\'s refusal, the summary, exit 15', async () => {
    const api = fakeApi({ 'node.delete': () => ({ results: [{ node: node(T1), error: { errno: 15, code: 'SESSION_EXISTS', message: 'in use' } }], firstErrno: 15 }) });
    const { ctx, io } = context(api);
    expect(await execNode(command('node', ['-m', 'node', '-T', T1, '-o', 'delete']), ctx)).toBe(15);
    expect(io.stderr).toBe(
      `iscsiadm: This command will remove the record [iface: default, target: ${T1}, portal: 10.0.0.1,3260], but a session is using it. Logout session then rerun command to remove record.\n`
      + 'iscsiadm: Could not execute operation on all records: session exists\n',
    );
  });

  it('-o new prints "New iSCSI node [...] added" with the iface fields; TPGT -1 when none was given', async () => {
    const api = fakeApi({
      'node.new': (p) => {
        expect(p).toEqual({ target: T1, address: '192.168.20.10', port: 3260, tpgt: -1 });
        return { nodes: [{ node: node(T1, '192.168.20.10', 3260, -1), transport: 'tcp', hwAddress: '', ipAddress: '', netIfacename: '' }], firstErrno: 0 };
      },
    });
    const { ctx, io } = context(api);
    expect(await execNode(command('node', ['-m', 'node', '-o', 'new', '-T', T1, '-p', '192.168.20.10']), ctx)).toBe(0);
    expect(io.stdout).toBe(`New iSCSI node [tcp:[hw=,ip=,net_if=,iscsi_if=default] 192.168.20.10,3260,-1 ${T1}] added\n`);
  });

  it('-o new without a portal: 2.1.8\'s "Error while adding record: " and exit 0, nothing asked', async () => {
    const api = fakeApi({});
    const { ctx, io } = context(api);
    expect(await execNode(command('node', ['-m', 'node', '-o', 'new', '-T', T1]), ctx)).toBe(0);
    expect(io.stderr).toBe('iscsiadm: Error while adding record: \n');
    expect(api.calls).toEqual([]);
  });
});
