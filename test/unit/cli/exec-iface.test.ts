/**
 * `-m iface` executor against a fake daemon. Texts and exit statuses are those of
 * Debian's iscsiadm 2.1.8 (test/fixtures/iscsiadm/golden and runs in a private
 * namespace), including its quirks: `-o new` says "x updated." first, a refused update
 * still exits 0, `-o apply` on a software iface has "Nothing to configure."
 */
import { describe, expect, it } from 'vitest';
import { execIface } from '../../../src/cli/exec/iface.js';
import { command, context, daemonError, dump, fakeApi, node, T1 } from './exec-helpers.js';

const iface = (name: string, builtin: boolean, over: object = {}) => ({
  name, builtin, transport: name === 'iser' ? 'iser' : 'tcp', hwAddress: '', ipAddress: '', netIfacename: '', initiatorName: '', nodes: [], ...over,
});

describe('iface listings', () => {
  it('flat: stored ifaces by name, then default and iser, <empty> for unset fields', async () => {
    const list = [iface('default', true), iface('iser', true), iface('hw-c', false, { hwAddress: '00:11:22:33:44:55' }), iface('aa-v4', false, { ipAddress: '10.1.1.1' })];
    const { ctx, io } = context(fakeApi({ 'iface.list': () => ({ ifaces: list, warnings: [] }) }));
    expect(await execIface(command('iface', ['-m', 'iface']), ctx)).toBe(0);
    expect(io.stdout).toBe(
      'aa-v4 tcp,<empty>,10.1.1.1,<empty>,<empty>\nhw-c tcp,00:11:22:33:44:55,<empty>,<empty>,<empty>\n'
      + 'default tcp,<empty>,<empty>,<empty>,<empty>\niser iser,<empty>,<empty>,<empty>,<empty>\n',
    );
  });

  it('-P 1: each iface with its bound node records', async () => {
    const list = [iface('default', true, { nodes: [node(T1, '10.0.0.1'), node(T1, '10.0.0.2')] }), iface('iser', true)];
    const { ctx, io } = context(fakeApi({ 'iface.list': () => ({ ifaces: list, warnings: [] }) }));
    expect(await execIface(command('iface', ['-m', 'iface', '-P', '1']), ctx)).toBe(0);
    expect(io.stdout).toBe(`Iface: default\n\tTarget: ${T1}\n\t\tPortal: 10.0.0.1:3260,1\n\t\tPortal: 10.0.0.2:3260,1\nIface: iser\n`);
  });

  it('-I x dumps the record', async () => {
    const api = fakeApi({ 'iface.show': () => ({ name: 'x', builtin: false, record: dump('2.1.8', [['iface.iscsi_ifacename', 'x'], ['iface.ipaddress', '<empty>']]), warnings: [] }) });
    const { ctx, io } = context(api);
    expect(await execIface(command('iface', ['-m', 'iface', '-I', 'x']), ctx)).toBe(0);
    expect(io.stdout).toBe('# BEGIN RECORD 2.1.8\niface.iscsi_ifacename = x\niface.ipaddress = <empty>\n# END RECORD\n');
  });
});

describe('iface changes', () => {
  it('-o new: "x updated." then "New interface x added" (also when it exists)', async () => {
    for (const handler of [() => ({ name: 'x' }), () => { throw daemonError('RECORD_EXISTS', 6); }]) {
      const { ctx, io } = context(fakeApi({ 'iface.new': handler }));
      expect(await execIface(command('iface', ['-m', 'iface', '-I', 'x', '-o', 'new']), ctx)).toBe(0);
      expect(io.stdout).toBe('x updated.\nNew interface x added\n');
    }
  });

  it('-o new of a built-in: two lines, exit 7', async () => {
    const { ctx, io } = context(fakeApi({ 'iface.new': () => { throw daemonError('BUILTIN_IFACE', 7); } }));
    expect(await execIface(command('iface', ['-m', 'iface', '-I', 'default', '-o', 'new']), ctx)).toBe(7);
    expect(io.stderr).toBe('iscsiadm: iface default is a special interface and is not stored in /var/lib/tsiscsi/ifaces.\niscsiadm: Could not create new interface default.\n');
  });

  it('-o update: "x updated."; refused updates print why and still exit 0 (2.1.8)', async () => {
    const good = context(fakeApi({ 'iface.update': (p) => (expect(p).toEqual({ name: 'x', values: { 'iface.ipaddress': '10.0.0.5' } }), { name: 'x', keys: ['iface.ipaddress'] }) }));
    expect(await execIface(command('iface', ['-m', 'iface', '-I', 'x', '-o', 'update', '-n', 'iface.ipaddress', '-v', '10.0.0.5']), good.ctx)).toBe(0);
    expect(good.io.stdout).toBe('x updated.\n');
    const builtin = context(fakeApi({ 'iface.update': () => { throw daemonError('BUILTIN_IFACE', 7); } }));
    expect(await execIface(command('iface', ['-m', 'iface', '-I', 'default', '-o', 'update', '-n', 'iface.ipaddress', '-v', '1.1.1.1']), builtin.ctx)).toBe(0);
    expect(builtin.io.stderr).toBe('iscsiadm: iface default is a special interface and cannot be modified.\niscsiadm: Could not update iface default: invalid parameter\n');
    const key = context(fakeApi({ 'iface.update': () => { throw daemonError('UNKNOWN_KEY', 7, { key: 'iface.bogus' }); } }));
    expect(await execIface(command('iface', ['-m', 'iface', '-I', 'x', '-o', 'update', '-n', 'iface.bogus', '-v', '1']), key.ctx)).toBe(0);
    expect(key.io.stderr).toBe('iscsiadm: Cannot modify iface.bogus. Invalid param name.\niscsiadm: Could not update iface x: invalid parameter\n');
  });

  it('-o delete: "x unbound and deleted."; unknown iface: two lines, exit 7', async () => {
    const good = context(fakeApi({ 'iface.delete': () => ({ name: 'x' }) }));
    expect(await execIface(command('iface', ['-m', 'iface', '-I', 'x', '-o', 'delete']), good.ctx)).toBe(0);
    expect(good.io.stdout).toBe('x unbound and deleted.\n');
    const missing = context(fakeApi({ 'iface.delete': () => { throw daemonError('RECORD_NOT_FOUND', 21); } }));
    expect(await execIface(command('iface', ['-m', 'iface', '-I', 'nosuch', '-o', 'delete']), missing.ctx)).toBe(7);
    expect(missing.io.stderr).toBe('iscsiadm: Could not read iface info for nosuch.\niscsiadm: Could not delete iface nosuch: invalid parameter\n');
  });

  it('-o apply on a software iface: "Nothing to configure." and "x applied."', async () => {
    const { ctx, io } = context(fakeApi({ 'iface.show': () => ({ name: 'x', builtin: false, record: dump('2.1.8', []), warnings: [] }) }));
    expect(await execIface(command('iface', ['-m', 'iface', '-I', 'x', '-o', 'apply']), ctx)).toBe(0);
    expect(io.stderr).toBe('iscsiadm: Nothing to configure.\n');
    expect(io.stdout).toBe('x applied.\n');
  });
});
