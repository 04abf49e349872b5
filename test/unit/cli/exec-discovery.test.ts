/**
 * `-m discovery` / `-m discoverydb` executor against a fake daemon: SendTargets output
 * (-P 0 lines as iscsiadm 2.1.8 prints them, reference §6.1), `-l`, failures, and the
 * stored-record commands with the messages observed on Debian's iscsiadm 2.1.8.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { execDiscovery } from '../../../src/cli/exec/discovery.js';
import { command, context, daemonError, dump, emptyDir, fakeApi, node, T1, T2 } from './exec-helpers.js';

function stResult(portals: ReturnType<typeof node>[], extra: object = {}) {
  return {
    source: { type: 'sendtargets' as const, address: '127.0.0.1', port: 3260 }, recordCreated: true, ifaces: ['default'],
    portals, created: portals, updated: [], unchanged: [], skipped: [], deleted: [], kept: [], failed: [], ifaceErrors: [],
    firstErrno: 0, warnings: [], ...extra,
  };
}

describe('SendTargets discovery', () => {
  it('prints one "addr:port,tpgt target" line per portal, in discovery order (IPv6 bracketed)', async () => {
    const portals = [node(T2, '127.0.0.1'), node(T1, '::1', 3260, 2)];
    const api = fakeApi({ 'discovery.sendtargets': (p) => (expect(p).toEqual({ address: '127.0.0.1', port: 3260 }), stResult(portals)) });
    const { ctx, io } = context(api);
    expect(await execDiscovery(command('discovery', ['-m', 'discovery', '-t', 'st', '-p', '127.0.0.1']), ctx)).toBe(0);
    expect(io.stdout).toBe(`127.0.0.1:3260,1 ${T2}\n[::1]:3260,2 ${T1}\n`);
  });

  it('passes -I and -o to the daemon; -P 1 prints the tree', async () => {
    const api = fakeApi({
      'discovery.sendtargets': (p) => (expect(p).toEqual({ address: '10.1.1.1', port: 3262, ifaces: ['eth0'], ops: ['nonpersistent'] }), stResult([node(T1, '10.1.1.1', 3262, 1, 'eth0')])),
    });
    const { ctx, io } = context(api);
    expect(await execDiscovery(command('discovery', ['-m', 'discovery', '-t', 'st', '-p', '10.1.1.1:3262', '-I', 'eth0', '-o', 'nonpersistent', '-P', '1']), ctx)).toBe(0);
    expect(io.stdout).toBe(`Target: ${T1}\n\tPortal: 10.1.1.1:3262,1\n\t\tIface Name: eth0\n`);
  });

  it('-l: the portal lines, then the logins; the exit status is the first error', async () => {
    const n = node(T1, '127.0.0.1');
    const logins = [{ node: n, sids: [], multiple: false, completedAfterMs: 1, error: { errno: 24, code: 'AUTHENTICATION_FAILURE', message: 'auth' } }];
    const api = fakeApi({ 'node.list': () => ({ nodes: [], warnings: [] }), 'discovery.sendtargets': () => stResult([n], { logins, firstErrno: 24 }) });
    const { ctx, io } = context(api);
    expect(await execDiscovery(command('discovery', ['-m', 'discovery', '-t', 'st', '-p', '127.0.0.1', '-l']), ctx)).toBe(24);
    expect(io.stdout).toBe(`127.0.0.1:3260,1 ${T1}\nLogging in to [iface: default, target: ${T1}, portal: 127.0.0.1,3260]\n`);
    expect(io.stderr).toBe(
      `iscsiadm: Could not login to [iface: default, target: ${T1}, portal: 127.0.0.1,3260].\n`
      + 'iscsiadm: initiator reported error (24 - iSCSI login failed due to authorization failure)\niscsiadm: Could not log into all portals\n',
    );
  });

  it('a portal that refuses the connection: the cause, then "Could not perform SendTargets discovery: ..." with its errno', async () => {
    const api = fakeApi({ 'discovery.sendtargets': () => { throw daemonError('CONNECT_FAILED', 4, {}, 'cannot connect to 127.0.0.1:1: ECONNREFUSED'); } });
    const { ctx, io } = context(api);
    expect(await execDiscovery(command('discovery', ['-m', 'discovery', '-t', 'st', '-p', '127.0.0.1:1']), ctx)).toBe(4);
    expect(io.stderr).toBe('iscsiadm: cannot connect to 127.0.0.1:1: ECONNREFUSED\niscsiadm: Could not perform SendTargets discovery: encountered connection failure\n');
  });

  it('nothing found: "No portals found" exit 21; an unknown -I iface: iscsiadm\'s hint, exit 21', async () => {
    const none = context(fakeApi({ 'discovery.sendtargets': () => { throw daemonError('NO_PORTALS_FOUND', 21); } }));
    expect(await execDiscovery(command('discovery', ['-m', 'discovery', '-t', 'st', '-p', '10.0.0.1']), none.ctx)).toBe(21);
    expect(none.io.stderr).toBe('iscsiadm: No portals found\n');
    const iface = context(fakeApi({ 'discovery.sendtargets': () => { throw daemonError('IFACE_NOT_FOUND', 7, { iface: 'nosuch' }); } }));
    expect(await execDiscovery(command('discovery', ['-m', 'discovery', '-t', 'st', '-p', '10.0.0.1', '-I', 'nosuch']), iface.ctx)).toBe(21);
    expect(iface.io.stderr).toBe('iscsiadm: Could not read iface info for nosuch. Make sure an iface config with the file name and iface.iscsi_ifacename nosuch is in /var/lib/tsiscsi/ifaces.\n');
  });

  it('--json: one discovery.results document', async () => {
    const api = fakeApi({ 'discovery.sendtargets': () => stResult([node(T1, '127.0.0.1')]) });
    const { ctx, io } = context(api, { json: true });
    expect(await execDiscovery(command('discovery', ['-m', 'discovery', '-t', 'st', '-p', '127.0.0.1', '--json']), ctx)).toBe(0);
    expect(JSON.parse(io.stdout)).toEqual({ schema: 1, kind: 'discovery.results', nodes: [node(T1, '127.0.0.1')], errno: 0 });
  });
});

describe('stored discovery records', () => {
  it('missing record: discovery mode says "not found!" (exit 7), discoverydb "not found." (exit 6)', async () => {
    const missing = () => { throw daemonError('RECORD_NOT_FOUND', 21); };
    const d = context(fakeApi({ 'discovery.show': missing }));
    expect(await execDiscovery(command('discovery', ['-m', 'discovery', '-p', '1.2.3.4']), d.ctx)).toBe(7);
    expect(d.io.stderr).toBe('iscsiadm: Discovery record [1.2.3.4,3260] not found!\n');
    const db = context(fakeApi({ 'discovery.show': missing }));
    expect(await execDiscovery(command('discoverydb', ['-m', 'discoverydb', '-t', 'st', '-p', '1.2.3.4', '-o', 'show']), db.ctx)).toBe(6);
    expect(db.io.stderr).toBe('iscsiadm: Discovery record [1.2.3.4,3260] not found.\n');
  });

  it('-o show dumps the record (2.1.8 format asked for)', async () => {
    const rec = dump('2.1.8', [['discovery.startup', 'manual'], ['discovery.sendtargets.auth.password', '********']]);
    const api = fakeApi({ 'discovery.show': (p) => (expect(p).toMatchObject({ recordVersion: '2.1.8', showSecrets: false }), { type: 'sendtargets', address: '1.2.3.4', port: 3260, record: rec, warnings: [] }) });
    const { ctx, io } = context(api);
    expect(await execDiscovery(command('discoverydb', ['-m', 'discoverydb', '-t', 'st', '-p', '1.2.3.4', '-o', 'show']), ctx)).toBe(0);
    expect(io.stdout).toBe('# BEGIN RECORD 2.1.8\ndiscovery.startup = manual\ndiscovery.sendtargets.auth.password = ********\n# END RECORD\n');
  });

  it('discoverydb -o new says "added" even when the record exists (2.1.8 rewrites it)', async () => {
    const api = fakeApi({ 'discovery.new': () => { throw daemonError('RECORD_EXISTS', 6); } });
    const { ctx, io } = context(api);
    expect(await execDiscovery(command('discoverydb', ['-m', 'discoverydb', '-t', 'st', '-p', '[fd00::1]:3261', '-o', 'new']), ctx)).toBe(0);
    expect(io.stdout).toBe('New discovery record for [fd00::1,3261] added.\n');
  });

  it('discoverydb -o update of a lookup key: "It is used to look up the record and cannot be changed." exit 7', async () => {
    const api = fakeApi({ 'discovery.update': () => { throw daemonError('READ_ONLY_KEY', 7, { key: 'discovery.sendtargets.port' }); } });
    const { ctx, io } = context(api);
    expect(await execDiscovery(command('discoverydb', ['-m', 'discoverydb', '-t', 'st', '-p', '1.2.3.4', '-o', 'update', '-n', 'discovery.sendtargets.port', '-v', '5']), ctx)).toBe(7);
    expect(io.stderr).toBe('iscsiadm: Cannot modify discovery.sendtargets.port. It is used to look up the record and cannot be changed.\n');
  });

  it('discoverydb -o update with an unknown key: "Cannot modify <key>. Invalid param name." exit 7', async () => {
    const api = fakeApi({ 'discovery.update': () => { throw daemonError('UNKNOWN_KEY', 7, { key: 'discovery.bogus' }); } });
    const { ctx, io } = context(api);
    expect(await execDiscovery(command('discoverydb', ['-m', 'discoverydb', '-t', 'st', '-p', '1.2.3.4', '-o', 'update', '-n', 'discovery.bogus', '-v', '1']), ctx)).toBe(7);
    expect(io.stderr).toBe('iscsiadm: Cannot modify discovery.bogus. Invalid param name.\n');
  });

  it('the listing is sorted (type, then address,port); nothing stored prints nothing and exits 21', async () => {
    const rec = (type: 'sendtargets' | 'isns', address: string, port: number) => ({ type, address, port, nodes: [] });
    const api = fakeApi({ 'discovery.list': () => ({ records: [rec('isns', '10.0.0.9', 3205), rec('sendtargets', '192.168.1.10', 3260), rec('sendtargets', '127.0.0.1', 1)], static: [], firmware: [], warnings: [] }) });
    const { ctx, io } = context(api);
    expect(await execDiscovery(command('discovery', ['-m', 'discovery']), ctx)).toBe(0);
    expect(io.stdout).toBe('127.0.0.1:1 via sendtargets\n192.168.1.10:3260 via sendtargets\n10.0.0.9:3205 via isns\n');
    const empty = context(fakeApi({ 'discovery.list': () => ({ records: [], static: [], firmware: [], warnings: [] }) }));
    expect(await execDiscovery(command('discovery', ['-m', 'discovery']), empty.ctx)).toBe(21);
    expect(empty.io.stdout + empty.io.stderr).toBe('');
  });

  it('-P 1 with nothing stored prints the four empty sections and exits 21 (as 2.1.8 does)', async () => {
    const { ctx, io } = context(fakeApi({ 'discovery.list': () => ({ records: [], static: [], firmware: [], warnings: [] }) }));
    expect(await execDiscovery(command('discovery', ['-m', 'discovery', '-P', '1']), ctx)).toBe(21);
    expect(io.stdout).toBe('SENDTARGETS:\nNo targets found.\niSNS:\nNo targets found.\nSTATIC:\nNo targets found.\nFIRMWARE:\nNo targets found.\n');
  });

  it('-t fw without an iBFT table: "Could not get list of targets from firmware. (err 21)"', async () => {
    const sysfs = emptyDir();
    mkdirSync(join(sysfs, 'firmware')); // a /sys/firmware without ibft (none at all is err 22)
    const { ctx, io } = context(fakeApi({}), { sysfs });
    expect(await execDiscovery(command('discovery', ['-m', 'discovery', '-t', 'fw']), ctx)).toBe(21);
    expect(io.stderr).toBe('iscsiadm: Could not get list of targets from firmware. (err 21)\n');
  });
});
