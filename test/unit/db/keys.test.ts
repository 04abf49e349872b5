import { describe, expect, it } from 'vitest';
import { parseRecordText, renderRecord } from '../../../src/db/format.js';
import {
  IFACE_KEYS, IFACE_SHOW, IFACE_TABLE, ISCSID_TABLE, ISNS_TABLE, NODE_SHOW, NODE_TABLE, SENDTARGETS_TABLE,
  type KeyDef, type KeyTable,
} from '../../../src/db/keys/index.js';
import { decodeEntries, defaultsOf, recordSchema } from '../../../src/db/schema.js';

const TABLES: readonly KeyTable[] = [NODE_TABLE, IFACE_TABLE, SENDTARGETS_TABLE, ISNS_TABLE, ISCSID_TABLE];

/** A value of the key's type that differs from its default. */
function sample(def: KeyDef, i: number): unknown {
  switch (def.type) {
    case 'string': return `v${i}.x:y-z`;
    case 'password': return `pa ss#${i}`;
    case 'int': return def.def === -7 ? -8 : -7 - i;
    case 'u8': return 200;
    case 'u16': return 60000;
    case 'u32': return 4000000000;
    case 'bool': return def.def !== true;
    case 'enum': return def.values!.find((v) => v !== def.def);
    case 'list': return ['SHA256', 'SHA3-256', 'MD5'];
  }
}

function sampleRecord(table: KeyTable): Record<string, unknown> {
  return Object.fromEntries(table.keys.filter((d) => !d.hidden).map((d, i) => [d.key, sample(d, i)]));
}

function reparse(table: KeyTable, text: string): ReturnType<typeof decodeEntries> {
  const parsed = parseRecordText(text, 'mem');
  expect(parsed.warnings).toEqual([]);
  return decodeEntries(table, parsed.entries, 'mem', defaultsOf(table));
}

describe.each(TABLES.map((t) => [t.kind, t] as const))('key table %s', (_kind, table) => {
  it('has unique keys, defaults valid for their type, and hidden keys only for password lengths', () => {
    const keys = table.keys.map((d) => d.key);
    expect(new Set(keys).size).toBe(keys.length);
    const schema = recordSchema(table);
    expect(schema.safeParse(defaultsOf(table)).success).toBe(true);
    for (const d of table.keys.filter((k) => k.hidden)) expect(d.key).toMatch(/\.password(_in)?_length$/);
  });

  it('round-trips a record with every key set to a non-default value (file form)', () => {
    const rec = sampleRecord(table);
    const defaults = defaultsOf(table);
    for (const [k, v] of Object.entries(rec)) expect(v, k).not.toEqual(defaults[k]);
    expect(recordSchema(table).safeParse(rec).success).toBe(true);
    const back = reparse(table, renderRecord(table, rec, { form: 'file' }));
    expect(back.warnings).toEqual([]);
    expect(back.record).toEqual(rec);
  });

  it('round-trips through the display form with secrets shown, and masks them otherwise', () => {
    const rec = sampleRecord(table);
    expect(reparse(table, renderRecord(table, rec, { form: 'display', showSecrets: true })).record).toEqual(rec);
    const masked = reparse(table, renderRecord(table, rec, { form: 'display' })).record;
    for (const d of table.keys.filter((k) => k.type === 'password')) expect(masked[d.key]).toBe('********');
  });

  it('round-trips the defaults (empty strings omitted in files, <empty> on screen)', () => {
    const rec = defaultsOf(table);
    const file = renderRecord(table, rec, { form: 'file' });
    expect(file).not.toMatch(/= $/m);
    expect(reparse(table, file).record).toEqual(rec);
    expect(reparse(table, renderRecord(table, rec, { form: 'display' })).record).toEqual(rec);
  });

  it('zod schema rejects a wrongly typed value for every key', () => {
    const schema = recordSchema(table);
    for (const d of table.keys.filter((k) => !k.hidden)) {
      const bad = d.type === 'string' || d.type === 'password' ? 42 : d.type === 'bool' ? 'Yes' : 'not-a-value';
      expect(schema.safeParse({ ...defaultsOf(table), [d.key]: bad }).success, d.key).toBe(false);
    }
  });
});

describe('key table facts (reference §5.3–§5.5)', () => {
  it('print orders list exactly the keys of the tables', () => {
    expect(new Set(IFACE_SHOW.map((s) => s.key))).toEqual(new Set(IFACE_KEYS.map((d) => d.key)));
    expect(new Set(NODE_SHOW.map((s) => s.key))).toEqual(new Set(NODE_TABLE.keys.map((d) => d.key)));
    expect(IFACE_KEYS).toHaveLength(16 + 15 + 15 + 24); // common, IPv4, IPv6, offload blocks of §5.3
  });

  it('marks the read-only keys open-iscsi uses to look records up', () => {
    const ro = (t: KeyTable): string[] => t.keys.filter((d) => d.ro).map((d) => d.key);
    expect(ro(NODE_TABLE)).toEqual([
      'node.name', 'node.tpgt', 'node.discovery_address', 'node.discovery_port', 'node.discovery_type',
      'node.conn[0].address', 'node.conn[0].port',
    ]);
    expect(ro(SENDTARGETS_TABLE)).toEqual(['discovery.type', 'discovery.sendtargets.address', 'discovery.sendtargets.port']);
    expect(ro(IFACE_TABLE)).toEqual(['iface.iscsi_ifacename']);
  });

  it('has open-iscsi compiled-in defaults (Appendix B)', () => {
    const n = defaultsOf(NODE_TABLE);
    expect(n['node.tpgt']).toBe(-1);
    expect(n['node.conn[0].port']).toBe(3260);
    expect(n['node.conn[0].timeo.login_timeout']).toBe(30);
    expect(n['node.session.initial_login_retry_max']).toBe(4);
    expect(n['node.discovery_type']).toBe('static');
    expect(n['node.session.auth.chap_algs']).toEqual(['MD5']);
    expect(defaultsOf(ISNS_TABLE)['discovery.sendtargets.port']).toBe(3205);
    expect(defaultsOf(ISNS_TABLE)['discovery.isns.discoveryd_poll_inval']).toBe(-1);
    expect(defaultsOf(SENDTARGETS_TABLE)['discovery.sendtargets.iscsi.MaxRecvDataSegmentLength']).toBe(32768);
  });
});
