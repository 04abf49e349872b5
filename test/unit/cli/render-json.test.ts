/**
 * `--json` documents (docs/cli-json.md, schema 1): envelope, data-not-display values,
 * exact 64-bit integers, secret masking and ordering. Expected JSON is written by hand.
 */
import { describe, expect, it } from 'vitest';
import {
  actionJson, discoveredJson, discoveryTreeJson, errorJson, ifacesJson, nodesJson, recordsJson, sessionsJson, sessionStatsJson, stringifyJson,
} from '../../../src/cli/render/json.js';
import type { SessionView } from '../../../src/cli/render/types.js';

const parse = (r: { stdout: readonly string[]; stderr: readonly string[] }): Record<string, unknown> => {
  expect(r.stderr).toEqual([]);
  return JSON.parse(r.stdout.join('\n')) as Record<string, unknown>;
};

const session: SessionView = {
  sid: 2, target: 'iqn.t', tpgt: 1, transport: 'tcp', flash: false,
  currentPortal: { address: 'fd00::5', port: 3260 }, persistentPortal: { address: 'fd00::5', port: 3260 },
  iface: { name: 'default', transport: 'tcp', initiatorName: 'iqn.i', ipAddress: '', hwAddress: '', netdev: '' },
  states: { connection: 'LOGGED IN', session: 'LOGGED_IN', internal: 'NO CHANGE' },
  timeouts: { recovery: 120, targetReset: -1, lunReset: 30, abort: null },
  chap: { username: 'alice', password: 'pw', usernameIn: '', passwordIn: '' },
  negotiated: null,
  scsi: { hostNumber: null, luns: [{ lun: 0, targetId: 0, vendor: 'IET', sizeBytes: 2n ** 60n }] },
  extra: { dataPath: 'usertcp' },
};

describe('--json', () => {
  it('wraps every document as {schema: 1, kind, ...}', () => {
    expect(parse(nodesJson([]))).toEqual({ schema: 1, kind: 'node.list', nodes: [] });
    expect(parse(errorJson(21, 'No records found'))).toEqual({ schema: 1, kind: 'error', errno: 21, message: 'No records found' });
  });

  it('writes bigints as exact integer literals', () => {
    expect(stringifyJson({ a: 2n ** 64n - 1n, b: -5n })).toBe('{\n  "a": 18446744073709551615,\n  "b": -5\n}');
  });

  it('keeps node data raw (unbracketed IPv6, TPGT -1) and sorted like the text listing', () => {
    const doc = parse(nodesJson([
      { target: 'iqn.b', address: 'fd00::1', port: 3260, tpgt: -1, iface: 'default' },
      { target: 'iqn.a', address: '10.0.0.1', port: 3260, tpgt: 1, iface: 'default' },
    ]));
    expect(doc.nodes).toEqual([
      { target: 'iqn.a', address: '10.0.0.1', port: 3260, tpgt: 1, iface: 'default' },
      { target: 'iqn.b', address: 'fd00::1', port: 3260, tpgt: -1, iface: 'default' },
    ]);
  });

  it('keeps discovery results in discovery order and lists every tree section', () => {
    const a = { target: 'iqn.z', address: '10.0.0.1', port: 3260, tpgt: 1, iface: 'default' };
    const b = { ...a, target: 'iqn.a' };
    expect(parse(discoveredJson([a, b])).nodes).toEqual([a, b]);
    expect(parse(discoveryTreeJson({ sendtargets: [{ type: 'sendtargets', address: '10.0.0.1', port: 3260, nodes: [a] }], isns: [], static: [b], firmware: [] })))
      .toEqual({ schema: 1, kind: 'discovery.tree', sendtargets: [{ type: 'sendtargets', address: '10.0.0.1', port: 3260, nodes: [a] }], isns: [], isnsUnlisted: [], static: [b], firmware: [] });
  });

  it('gives record values with "" for unset and masks set secrets unless asked', () => {
    const rec = { kind: 'node' as const, version: '2.1.8', entries: [{ key: 'node.name', value: 'iqn.t' }, { key: 'node.session.auth.password', value: 'pw', secret: true }, { key: 'iface.hwaddress', value: '' }] };
    expect(parse(recordsJson([rec])).records).toEqual([{ kind: 'node', version: '2.1.8', values: { 'node.name': 'iqn.t', 'node.session.auth.password': '********', 'iface.hwaddress': '' } }]);
    expect((parse(recordsJson([rec], { showSecrets: true })).records as Array<{ values: Record<string, string> }>)[0]!.values['node.session.auth.password']).toBe('pw');
  });

  it('lists ifaces with their built-in flag and bound nodes', () => {
    const doc = parse(ifacesJson([{ name: 'default', transport: 'tcp', hwAddress: '', ipAddress: '', netIfacename: '', initiatorName: '', nodes: [] }]));
    expect(doc.ifaces).toEqual([{ name: 'default', builtin: true, transport: 'tcp', hwAddress: '', ipAddress: '', netIfacename: '', initiatorName: '', nodes: [] }]);
  });

  it('reports sessions with null for unknown timeouts, masked passwords, usertcp LUNs and extras', () => {
    const doc = parse(sessionsJson([session], { versions: { version: '2.1.8' } }));
    expect(doc.versions).toEqual({ transportClass: null, version: '2.1.8' });
    const [s] = doc.sessions as Array<Record<string, unknown>>;
    expect(s!.timeouts).toEqual({ recovery: 120, targetReset: null, lunReset: 30, abort: null });
    expect(s!.chap).toEqual({ username: 'alice', password: '********', usernameIn: '', passwordIn: '' });
    expect(s!.scsi).toEqual({ hostNumber: null, hostState: null, luns: [{ lun: 0, targetId: 0, vendor: 'IET', sizeBytes: 2 ** 60, blockDevice: null }] });
    expect(s!.dataPath).toBe('usertcp');
    expect(s!.currentPortal).toEqual({ address: 'fd00::5', port: 3260 });
  });

  it('reports stats counters by name and action results with the exit errno', () => {
    const doc = parse(sessionStatsJson([{ sid: 1, target: 'iqn.t', persistentPortal: { address: 'a', port: 1 }, currentPortal: { address: 'a', port: 1 }, counters: [['txdata_octets', 7n], ['noptx_pdus', 3]], extended: [] }]));
    expect((doc.stats as Array<Record<string, unknown>>)[0]!.counters).toEqual({ txdata_octets: 7, noptx_pdus: 3 });
    const act = parse(actionJson('login', [{ object: { target: 'iqn.t' }, ok: false, errno: 24, error: 'iSCSI login failed due to authorization failure' }], 24));
    expect(act).toEqual({ schema: 1, kind: 'action', action: 'login', errno: 24, results: [{ object: { target: 'iqn.t' }, ok: false, errno: 24, error: 'iSCSI login failed due to authorization failure' }] });
  });
});
