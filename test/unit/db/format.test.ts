import { describe, expect, it } from 'vitest';
import { parseRecordText, renderRecord } from '../../../src/db/format.js';
import { IFACE_TABLE, NODE_TABLE, SENDTARGETS_TABLE, type NodeRecord } from '../../../src/db/keys/index.js';
import { decodeRecordText } from '../../../src/db/record-io.js';
import { ifaceDefaults, nodeDefaults, sendTargetsDefaults } from '../../../src/db/schema.js';
import { warningToError } from '../../../src/db/warnings.js';
import { GOLDEN_IFACE_V6_SHOW_HEAD, GOLDEN_NODE_FILE, GOLDEN_NODE_SHOW, GOLDEN_ST_FILE } from './golden.js';

function disk1(): NodeRecord {
  return {
    ...nodeDefaults(),
    'node.name': 'iqn.2001-04.com.example:disk1', 'node.tpgt': 1,
    'node.conn[0].address': '10.0.0.5', 'node.conn[0].port': 3260,
    'node.discovery_type': 'send_targets', 'node.discovery_address': '10.0.0.5', 'node.discovery_port': 3260,
  };
}

describe('record text: golden (derived from the reference, §5.2/§5.3/§6.3)', () => {
  it('writes a default node record exactly as the reference format', () => {
    expect(renderRecord(NODE_TABLE, disk1(), { form: 'file' })).toBe(GOLDEN_NODE_FILE);
  });

  it('reads the hand-written golden file back to the same typed record, without warnings', () => {
    const loaded = decodeRecordText(NODE_TABLE, GOLDEN_NODE_FILE, 'golden');
    expect(loaded.warnings).toEqual([]);
    expect(loaded.record).toEqual(disk1());
    expect(loaded.parsed.version).toBe('2.1.11');
  });

  it('leaves out keys newer than a compat version (2.1.8 has no sess_reopen_log_freq)', () => {
    const expected = GOLDEN_NODE_FILE.replace('# BEGIN RECORD 2.1.11', '# BEGIN RECORD 2.1.8').replace('node.session.sess_reopen_log_freq = 1\n', '');
    expect(renderRecord(NODE_TABLE, disk1(), { form: 'file', compat: '2.1.8', version: '2.1.8' })).toBe(expected);
  });

  it('prints -o show in print order with <empty> and a masked password', () => {
    const rec = { ...disk1(), 'node.session.auth.authmethod': 'CHAP', 'node.session.auth.username': 'joe', 'node.session.auth.password': 'secret' } as const;
    expect(renderRecord(NODE_TABLE, rec, { form: 'display' })).toBe(GOLDEN_NODE_SHOW);
    const shown = renderRecord(NODE_TABLE, rec, { form: 'display', showSecrets: true });
    expect(shown).toContain('node.session.auth.password = secret\n');
    expect(shown).toContain('node.session.auth.password_in = <empty>\n');
  });

  it('writes passwords in clear in files and never the hidden length keys', () => {
    const text = renderRecord(NODE_TABLE, { ...disk1(), 'node.session.auth.password': 'secret' }, { form: 'file' });
    expect(text).toContain('node.session.auth.password = secret\n');
    expect(text).not.toContain('password_length');
  });

  it('writes a SendTargets record in §5.5 order', () => {
    const rec = { ...sendTargetsDefaults(), 'discovery.sendtargets.address': '10.0.0.5' };
    expect(renderRecord(SENDTARGETS_TABLE, rec, { form: 'file' })).toBe(GOLDEN_ST_FILE);
  });

  it('prints the IPv6 block for an iface named *ipv6* and the IPv4 block otherwise', () => {
    const v6 = { ...ifaceDefaults(), 'iface.iscsi_ifacename': 'eth0-ipv6', 'iface.net_ifacename': 'eth0', 'iface.ipaddress': 'fd00::20', 'iface.prefix_len': 64 };
    expect(renderRecord(IFACE_TABLE, v6, { form: 'display' }).startsWith(GOLDEN_IFACE_V6_SHOW_HEAD)).toBe(true);
    const v4 = renderRecord(IFACE_TABLE, { ...v6, 'iface.iscsi_ifacename': 'eth0' }, { form: 'display' });
    expect(v4).toContain('iface.tos = 0\n');
    expect(v4).not.toContain('iface.hop_limit');
  });

  it('files pick the block by address (usr/idbm rule) and never lose a set key of the other block', () => {
    const v6file = renderRecord(IFACE_TABLE, { ...ifaceDefaults(), 'iface.iscsi_ifacename': 'x', 'iface.ipaddress': 'fd00::20' }, { form: 'file' });
    expect(v6file).toContain('iface.hop_limit = 0\n');
    expect(v6file).not.toContain('iface.tos =');
    const dhcp = renderRecord(IFACE_TABLE, { ...ifaceDefaults(), 'iface.ipaddress': 'fd00::20', 'iface.bootproto': 'dhcp' }, { form: 'file' });
    expect(dhcp).toContain('iface.tos = 0\n');
    const kept = renderRecord(IFACE_TABLE, { ...ifaceDefaults(), 'iface.hop_limit': 64 }, { form: 'file' });
    expect(kept).toContain('iface.hop_limit = 64\n');
  });
});

describe('record parser: bad input is reported with file and line, the rest is kept', () => {
  const good = 'node.name = iqn.2001-04.com.example:a\nnode.startup = automatic\n';

  function load(text: string): ReturnType<typeof decodeRecordText> {
    return decodeRecordText(NODE_TABLE, text, '/db/nodes/x');
  }

  it('skips lines longer than 2047 bytes with a warning, keeping the other keys', () => {
    const long = `node.session.auth.username = ${'u'.repeat(2048)}`;
    const r = load(`${good}${long}\nnode.session.cmds_max = 64\n`);
    expect(r.warnings).toEqual([expect.objectContaining({ code: 'LINE_TOO_LONG', file: '/db/nodes/x', line: 3 })]);
    expect(r.record['node.startup']).toBe('automatic');
    expect(r.record['node.session.cmds_max']).toBe(64);
    expect(r.record['node.session.auth.username']).toBe('');
    const atLimit = load(`node.conn[0].address = ${'a'.repeat(2047 - 'node.conn[0].address = '.length)}\n`);
    expect(atLimit.warnings.map((w) => w.code)).toEqual(['VALUE_TOO_LONG']); // line fits; the value limit (255) applies
  });

  it('reports a broken line and keeps every other key', () => {
    const r = load(`${good}this line is broken\nnode.session.queue_depth = 16\n`);
    expect(r.warnings).toEqual([expect.objectContaining({ code: 'SYNTAX', line: 3 })]);
    expect(r.record['node.session.queue_depth']).toBe(16);
    expect(r.record['node.name']).toBe('iqn.2001-04.com.example:a');
  });

  it('reports unknown keys, bad enum words, bad numbers and empty values (open-iscsi ignores them silently)', () => {
    const r = load([
      'node.bogus = 1', 'node.startup = Automatic', 'node.session.cmds_max = 12abc', 'iface.mtu = 70000',
      'node.session.auth.username =', 'node.leading_login = yes', 'node.tpgt = -1', 'node.session.queue_depth = 8',
    ].join('\n'));
    expect(r.warnings.map((w) => [w.code, w.line, w.key])).toEqual([
      ['UNKNOWN_KEY', 1, 'node.bogus'], ['INVALID_VALUE', 2, 'node.startup'], ['INVALID_VALUE', 3, 'node.session.cmds_max'],
      ['INVALID_VALUE', 4, 'iface.mtu'], ['EMPTY_VALUE', 5, 'node.session.auth.username'], ['INVALID_VALUE', 6, 'node.leading_login'],
    ]);
    expect(r.record['node.startup']).toBe('manual');
    expect(r.record['node.session.cmds_max']).toBe(128);
    expect(r.record['node.tpgt']).toBe(-1);
    expect(r.record['node.session.queue_depth']).toBe(8);
  });

  it('enforces key (127) and value (255) byte limits', () => {
    const r = load(`${'k'.repeat(128)} = 1\nnode.session.auth.username = ${'u'.repeat(256)}\nnode.session.auth.username_in = ${'u'.repeat(255)}\n`);
    expect(r.warnings.map((w) => [w.code, w.line])).toEqual([['KEY_TOO_LONG', 1], ['VALUE_TOO_LONG', 2]]);
    expect(r.record['node.session.auth.username_in']).toHaveLength(255);
  });

  it('accepts open-iscsi spacing variants, CRLF, comments and <empty>', () => {
    const r = load('# comment\r\n  node.startup=automatic  \r\nnode.session.cmds_max\t=\t64\r\nnode.session.auth.username = <empty>\r\n');
    expect(r.warnings).toEqual([]);
    expect(r.record['node.startup']).toBe('automatic');
    expect(r.record['node.session.cmds_max']).toBe(64);
    expect(r.record['node.session.auth.username']).toBe('');
  });

  it('reports duplicates (the later line wins, as open-iscsi) and the legacy node.transport_name alias works', () => {
    const r = load('node.startup = automatic\nnode.startup = onboot\nnode.transport_name = iser\n');
    expect(r.warnings).toEqual([expect.objectContaining({ code: 'DUPLICATE_KEY', line: 2, key: 'node.startup' })]);
    expect(r.record['node.startup']).toBe('onboot');
    expect(r.record['iface.transport_name']).toBe('iser');
  });

  it('parses chap_algs lists, dropping unknown and duplicate items with a warning', () => {
    const r = load('node.session.auth.chap_algs = SHA3-256, SHA256,MD4,SHA256,MD5\n');
    expect(r.record['node.session.auth.chap_algs']).toEqual(['SHA3-256', 'SHA256', 'MD5']);
    expect(r.warnings.map((w) => w.code)).toEqual(['INVALID_VALUE', 'INVALID_VALUE']);
    expect(load('node.session.auth.chap_algs = MD4\n').record['node.session.auth.chap_algs']).toEqual(['MD5']);
  });

  it('flags truncated and empty records, and NUL garbage', () => {
    expect(load('# BEGIN RECORD 2.1.8\nnode.startup = automatic\n').warnings.map((w) => w.code)).toEqual(['RECORD_TRUNCATED']);
    expect(load('').warnings.map((w) => w.code)).toEqual(['RECORD_EMPTY']);
    expect(load('\0\0\0\0').warnings.map((w) => [w.code, w.line])).toEqual([['BINARY_DATA', 1]]);
  });

  it('turns a warning into a typed error with file, line and key', () => {
    const w = load('node.startup = sometimes\n').warnings[0]!;
    const err = warningToError(w);
    expect(err.code).toBe('INVALID_VALUE');
    expect(err.errno).toBe(7);
    expect(err.details).toEqual({ file: '/db/nodes/x', line: 1, key: 'node.startup' });
  });

  it('keeps # tsiscsi-edited annotations out of entries', () => {
    const p = parseRecordText('# BEGIN RECORD 2.1.11\n# tsiscsi-edited: node.startup\n# tsiscsi-edited:\nnode.startup = automatic\n# END RECORD\n', 'f');
    expect(p.edited).toEqual(['node.startup', '']);
    expect(p.entries.map((e) => e.key)).toEqual(['node.startup']);
  });
});
