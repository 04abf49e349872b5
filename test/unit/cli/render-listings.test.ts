/**
 * Listing and record-dump rules at the edges the golden captures do not reach
 * (reference §5.2, §6.1, §6.2, §6.6): expected text written by hand.
 */
import { describe, expect, it } from 'vitest';
import { renderDiscoveredTree, renderDiscoveryTree } from '../../../src/cli/render/discovery.js';
import { renderIfaceFlat } from '../../../src/cli/render/iface.js';
import { renderNodeFlat, renderNodeTree } from '../../../src/cli/render/node.js';
import { renderRecords } from '../../../src/cli/render/record.js';
import type { NodeView, RecordView } from '../../../src/cli/render/types.js';

const n = (over: Partial<NodeView>): NodeView => ({ target: 'iqn.t', address: '10.0.0.1', port: 3260, tpgt: 1, iface: 'default', ...over });

describe('node listing', () => {
  it('prints TPGT -1 unsigned in the flat form but signed in the tree', () => {
    const nodes = [n({ tpgt: -1 })];
    expect(renderNodeFlat(nodes).stdout).toEqual(['10.0.0.1:3260,4294967295 iqn.t']);
    expect(renderNodeTree(nodes).stdout).toEqual(['Target: iqn.t', '\tPortal: 10.0.0.1:3260,-1', '\t\tIface Name: default']);
  });

  it('sorts by target, portal directory name (string order) and iface', () => {
    const nodes = [n({ address: '10.0.0.9' }), n({ address: '10.0.0.10', iface: 'zz' }), n({ address: '10.0.0.10', iface: 'aa' }), n({ target: 'iqn.a', address: 'localhost' })];
    expect(renderNodeFlat(nodes).stdout).toEqual([
      '[localhost]:3260,1 iqn.a', '10.0.0.10:3260,1 iqn.t', '10.0.0.10:3260,1 iqn.t', '10.0.0.9:3260,1 iqn.t',
    ]);
    expect(renderNodeTree(nodes).stdout.filter((l) => l.includes('Iface'))).toEqual([
      '\t\tIface Name: default', '\t\tIface Name: aa', '\t\tIface Name: zz', '\t\tIface Name: default',
    ]);
  });
});

describe('discovery trees', () => {
  it('prints a Portal line only when address or port change (a TPGT change alone does not)', () => {
    const lines = renderDiscoveredTree([n({ tpgt: 2 }), n({ iface: 'eth1' }), n({ port: 3261 }), n({ target: 'iqn.u', port: 3261 })]).stdout;
    expect(lines).toEqual([
      'Target: iqn.t', '\tPortal: 10.0.0.1:3260,2', '\t\tIface Name: default', '\t\tIface Name: eth1',
      '\tPortal: 10.0.0.1:3261,1', '\t\tIface Name: default',
      'Target: iqn.u', '\tPortal: 10.0.0.1:3261,1', '\t\tIface Name: default',
    ]);
  });

  it('prints legacy iSNS nodes only when there is no iSNS record, and restarts the tree per DiscoveryAddress', () => {
    const r = renderDiscoveryTree({
      sendtargets: [
        { type: 'sendtargets', address: 'fd00::1', port: 3260, nodes: [n({})] },
        { type: 'sendtargets', address: '10.0.0.1', port: 3260, nodes: [n({})] },
      ],
      isns: [], isnsUnlisted: [n({ target: 'iqn.isns' })], static: [], firmware: [n({ target: 'iqn.fw' })],
    });
    expect(r.stdout).toEqual([
      'SENDTARGETS:',
      'DiscoveryAddress: fd00::1,3260', 'Target: iqn.t', '\tPortal: 10.0.0.1:3260,1', '\t\tIface Name: default',
      'DiscoveryAddress: 10.0.0.1,3260', 'Target: iqn.t', '\tPortal: 10.0.0.1:3260,1', '\t\tIface Name: default',
      'iSNS:', 'Target: iqn.isns', '\tPortal: 10.0.0.1:3260,1', '\t\tIface Name: default',
      'STATIC:', 'No targets found.',
      'FIRMWARE:', 'Target: iqn.fw', '\tPortal: 10.0.0.1:3260,1', '\t\tIface Name: default',
    ]);
  });
});

describe('iface listing', () => {
  it('lists stored ifaces by name, then default and iser, with <empty> placeholders', () => {
    const blank = { transport: 'tcp', hwAddress: '', ipAddress: '', netIfacename: '', initiatorName: '' };
    const r = renderIfaceFlat([
      { ...blank, name: 'iser', transport: 'iser' }, { ...blank, name: 'default' },
      { ...blank, name: 'zz', ipAddress: 'fd00::1' }, { ...blank, name: 'aa', initiatorName: 'iqn.i' },
    ]);
    expect(r.stdout).toEqual([
      'aa tcp,<empty>,<empty>,<empty>,iqn.i', 'zz tcp,<empty>,fd00::1,<empty>,<empty>',
      'default tcp,<empty>,<empty>,<empty>,<empty>', 'iser iser,<empty>,<empty>,<empty>,<empty>',
    ]);
  });
});

describe('record dumps', () => {
  const rec: RecordView = {
    kind: 'node', version: '2.1.8',
    entries: [
      { key: 'node.name', value: 'iqn.t' },
      { key: 'iface.net_ifacename', value: '' },
      { key: 'node.session.auth.password', value: 'pw', secret: true },
      { key: 'node.session.auth.password_in', value: '', secret: true },
    ],
  };

  it('prints <empty> for unset values (secrets too) and masks set secrets unless -S', () => {
    expect(renderRecords([rec, rec]).stdout).toEqual([
      '# BEGIN RECORD 2.1.8', 'node.name = iqn.t', 'iface.net_ifacename = <empty>',
      'node.session.auth.password = ********', 'node.session.auth.password_in = <empty>', '# END RECORD',
      '# BEGIN RECORD 2.1.8', 'node.name = iqn.t', 'iface.net_ifacename = <empty>',
      'node.session.auth.password = ********', 'node.session.auth.password_in = <empty>', '# END RECORD',
    ]);
    expect(renderRecords([rec], { showSecrets: true }).stdout[3]).toBe('node.session.auth.password = pw');
  });

  it('prints firmware records as given: only the keys present, passwords in clear', () => {
    const fw: RecordView = {
      kind: 'fw', version: '2.1.8',
      entries: [{ key: 'iface.transport_name', value: 'tcp' }, { key: 'iface.bootproto', value: 'DHCP' }, { key: 'node.session.auth.password', value: 'boot' }],
    };
    expect(renderRecords([fw]).stdout).toEqual([
      '# BEGIN RECORD 2.1.8', 'iface.transport_name = tcp', 'iface.bootproto = DHCP', 'node.session.auth.password = boot', '# END RECORD',
    ]);
  });
});
