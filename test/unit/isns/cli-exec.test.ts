/**
 * `tsiscsiadm -m discovery -t isns` / `-m discoverydb -t isns --discover` executors with a
 * fake daemon API: what is asked of the daemon, and iscsiadm 2.1.8's lines for each
 * outcome (the success, unreachable and no-portal lines were verified against Debian's
 * iscsiadm + isnsd: test/golden/iscsiadm-isns.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { execDiscovery } from '../../../src/cli/exec/discovery.js';
import type { Result } from '../../../src/cli/exec/api.js';
import { command, context, daemonError, fakeApi, node } from '../cli/exec-helpers.js';

const T1 = 'iqn.2024-01.test:disk1';
const T2 = 'iqn.2024-01.test:disk2';

function result(portals: ReturnType<typeof node>[]): Result<'discovery.isns'> {
  return {
    source: { type: 'isns', address: '10.0.0.9', port: 3205 }, recordCreated: false, ifaces: ['default'], portals,
    created: portals, updated: [], unchanged: [], skipped: [], deleted: [], kept: [], failed: [], ifaceErrors: [], firstErrno: 0, warnings: [],
  };
}

describe('tsiscsiadm iSNS discovery', () => {
  it('-m discovery -t isns -p A: asks discovery.isns (port 3205 by default, no record) and prints addr:port,tpgt target', async () => {
    const api = fakeApi({ 'discovery.isns': () => result([node(T1, '10.0.0.1'), node(T2, '10.0.0.2', 3261, 2)]) });
    const { ctx, io } = context(api);
    expect(await execDiscovery(command('discovery', ['-m', 'discovery', '-t', 'isns', '-p', '10.0.0.9']), ctx)).toBe(0);
    expect(api.calls).toEqual([{ method: 'discovery.isns', params: { address: '10.0.0.9', port: 3205 } }]);
    expect(io.stdout).toBe(`10.0.0.1:3260,1 ${T1}\n10.0.0.2:3261,2 ${T2}\n`);
    expect(io.stderr).toBe('');
  });

  it('-m discoverydb -t isns --discover -I i -o new: asks with record: true, ifaces and ops; -P 1 prints the tree', async () => {
    const api = fakeApi({ 'discovery.isns': () => result([node(T1, '10.0.0.1', 3260, 1, 'eth1')]) });
    const { ctx, io } = context(api);
    const cmd = command('discoverydb', ['-m', 'discoverydb', '-t', 'isns', '-p', '10.0.0.9:5000', '--discover', '-I', 'eth1', '-o', 'new', '-P', '1']);
    expect(await execDiscovery(cmd, ctx)).toBe(0);
    expect(api.calls).toEqual([{ method: 'discovery.isns', params: { address: '10.0.0.9', port: 5000, ifaces: ['eth1'], ops: ['new'], record: true } }]);
    expect(io.stdout).toBe(`Target: ${T1}\n\tPortal: 10.0.0.1:3260,1\n\t\tIface Name: eth1\n`);
  });

  it('server unreachable: libisns\' notes, then iscsiadm\'s two lines, exit 25', async () => {
    const err = daemonError('ISNS_UNREACHABLE', 25, { statusText: 'Internal error', notes: ['socket disconnect, killing socket', 'Warning: Timed out while waiting for reply'] });
    const { ctx, io } = context(fakeApi({ 'discovery.isns': () => { throw err; } }));
    expect(await execDiscovery(command('discovery', ['-m', 'discovery', '-t', 'isns', '-p', '10.0.0.9']), ctx)).toBe(25);
    expect(io.stdout).toBe('');
    expect(io.stderr).toBe('socket disconnect, killing socket\nWarning: Timed out while waiting for reply\niscsiadm: iSNS discovery failed: Internal error\niscsiadm: Could not perform iSNS discovery: iSNS query failed\n');
  });

  it('query refused by status: "iSNS discovery failed: <libisns text>", exit 25', async () => {
    const err = daemonError('ISNS_STATUS', 25, { func: 'DevAttrQry', status: 8, statusText: 'Source unauthorized' });
    const { ctx, io } = context(fakeApi({ 'discovery.isns': () => { throw err; } }));
    expect(await execDiscovery(command('discovery', ['-m', 'discovery', '-t', 'isns', '-p', '10.0.0.9']), ctx)).toBe(25);
    expect(io.stderr).toBe('iscsiadm: iSNS discovery failed: Source unauthorized\niscsiadm: Could not perform iSNS discovery: iSNS query failed\n');
  });

  it('registration refused (after Source Unknown): "Could not register <name> with iSNS server: <text>.", exit 26', async () => {
    const err = daemonError('ISNS_STATUS', 26, { func: 'register', initiator: 'iqn.2024-01.test:me', status: 3, statusText: 'Invalid registration' });
    const { ctx, io } = context(fakeApi({ 'discovery.isns': () => { throw err; } }));
    expect(await execDiscovery(command('discovery', ['-m', 'discovery', '-t', 'isns', '-p', '10.0.0.9']), ctx)).toBe(26);
    expect(io.stderr).toBe('iscsiadm: Could not register iqn.2024-01.test:me with iSNS server: Invalid registration.\niscsiadm: Could not perform iSNS discovery: iSNS registration failed\n');
  });

  it('nothing visible: "iscsiadm: No portals found", exit 21', async () => {
    const { ctx, io } = context(fakeApi({ 'discovery.isns': () => { throw daemonError('NO_PORTALS_FOUND', 21); } }));
    expect(await execDiscovery(command('discovery', ['-m', 'discovery', '-t', 'isns', '-p', '10.0.0.9']), ctx)).toBe(21);
    expect(io.stderr).toBe('iscsiadm: No portals found\n');
  });

  it('--json: the discovered nodes, or the error document', async () => {
    const ok = context(fakeApi({ 'discovery.isns': () => result([node(T1)]) }), { json: true });
    expect(await execDiscovery(command('discovery', ['-m', 'discovery', '-t', 'isns', '-p', '10.0.0.9', '--json']), ok.ctx)).toBe(0);
    expect(JSON.parse(ok.io.stdout)).toMatchObject({ kind: 'discovery.results', nodes: [{ target: T1, address: '10.0.0.1', port: 3260, tpgt: 1, iface: 'default' }], errno: 0 });
    const bad = context(fakeApi({ 'discovery.isns': () => { throw daemonError('ISNS_STATUS', 25, { statusText: 'Busy' }); } }), { json: true });
    expect(await execDiscovery(command('discovery', ['-m', 'discovery', '-t', 'isns', '-p', '10.0.0.9', '--json']), bad.ctx)).toBe(25);
    expect(JSON.parse(bad.io.stdout)).toMatchObject({ kind: 'error', errno: 25, message: 'iSNS discovery failed: Busy\nCould not perform iSNS discovery: iSNS query failed' });
  });

  it('-m discovery -P 1 lists iSNS nodes whose server has no record under iSNS:, exit 0', async () => {
    const api = fakeApi({ 'discovery.list': () => ({ records: [], static: [], firmware: [], isnsUnlisted: [node(T1)], warnings: [] }) });
    const { ctx, io } = context(api);
    expect(await execDiscovery(command('discovery', ['-m', 'discovery', '-P', '1']), ctx)).toBe(0);
    expect(io.stdout).toBe(`SENDTARGETS:\nNo targets found.\niSNS:\nTarget: ${T1}\n\tPortal: 10.0.0.1:3260,1\n\t\tIface Name: default\nSTATIC:\nNo targets found.\nFIRMWARE:\nNo targets found.\n`);
  });
});
