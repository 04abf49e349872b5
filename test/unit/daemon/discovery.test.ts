/**
 * discovery.* through the control API against the fake target: records created from a
 * SendTargets answer, open-iscsi's ops (new / update / delete / nonpersistent), the
 * edit-preserving merge (open-iscsi #58), login after discovery, record listing/show/
 * delete, and the errors (21 nothing found, 4 refused portal, 15 busy).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseIscsidConf } from '../../../src/db/index.js';
import { FakeTarget, standardTarget, type SendTargetsRecord } from '../../support/fake-target/index.js';
import { INITIATOR, startDaemon, TEST_CONF, type Key, type TestDaemon } from './helpers.js';

const T1 = 'iqn.2024-01.test.fake:one';
const T2 = 'iqn.2024-01.test.fake:two';

interface StResult {
  recordCreated: boolean;
  ifaces: string[];
  portals: Key[];
  created: Key[];
  updated: Key[];
  unchanged: Key[];
  skipped: Key[];
  deleted: Key[];
  kept: Key[];
  logins?: Array<{ node: Key; sids: number[]; error?: { errno: number } }>;
  firstErrno: number;
}

let d: TestDaemon;
let target: FakeTarget;
/** What the fake target answers to SendTargets=All (changed by tests). */
let answer: (portal: string) => SendTargetsRecord[];

beforeEach(async () => {
  answer = (portal) => [{ name: T1, addresses: [`${portal},1`] }, { name: T2, addresses: [`${portal},1`] }];
  target = await FakeTarget.start(standardTarget({
    targets: [{ name: T1 }, { name: T2 }],
    sendTargets: { records: (ctx) => answer(`${ctx.local.address}:${ctx.local.port}`) },
  }));
  d = await startDaemon();
});

afterEach(async () => {
  await d.stop();
  await target.stop();
});

const st = (extra: object = {}): Promise<StResult> => d.call<StResult>('discovery.sendtargets', { address: '127.0.0.1', port: target.port, ...extra });

async function startupOf(name: string): Promise<string> {
  const show = await d.call<{ records: Array<{ record: { entries: [string, string][] } }> }>('node.show', { target: name });
  return Object.fromEntries(show.records[0]!.record.entries)['node.startup']!;
}

async function valueOf(name: string, key: string): Promise<string> {
  const show = await d.call<{ records: Array<{ record: { entries: [string, string][] } }> }>('node.show', { target: name });
  return Object.fromEntries(show.records[0]!.record.entries)[key]!;
}

/** The first Login Request of every TCP connection, read from the wire bytes: ISID (bytes 8-13) and key=value items. */
function firstLogins(t: FakeTarget): Map<number, { isid: string; items: string[] }> {
  const firsts = new Map<number, { isid: string; items: string[] }>();
  for (const r of t.received) {
    if (r.pdu.kind !== 'login-request' || firsts.has(r.conn)) continue;
    firsts.set(r.conn, { isid: r.raw.subarray(8, 14).toString('hex'), items: r.raw.subarray(48, 48 + r.raw.readUIntBE(5, 3)).toString('utf8').split('\0') });
  }
  return firsts;
}

describe('discovery.sendtargets', () => {
  it('creates the discovery record and one node record per returned portal', async () => {
    const r = await st();
    expect(r.recordCreated).toBe(true);
    expect(r.ifaces).toEqual(['default']);
    expect(r.portals).toEqual([
      { target: T1, address: '127.0.0.1', port: target.port, tpgt: 1, iface: 'default' },
      { target: T2, address: '127.0.0.1', port: target.port, tpgt: 1, iface: 'default' },
    ]);
    expect(r.created).toHaveLength(2);
    expect(r.firstErrno).toBe(0);
    const nodes = await d.call<{ nodes: Array<{ node: Key; source: { type: string; address?: string } }> }>('node.list');
    expect(nodes.nodes.map((n) => n.node.target)).toEqual([T1, T2]);
    expect(nodes.nodes[0]!.source).toEqual({ type: 'sendtargets', address: '127.0.0.1', port: target.port });
    const list = await d.call<{ records: Array<{ type: string; port: number; nodes: Key[] }> }>('discovery.list');
    expect(list.records).toEqual([{ type: 'sendtargets', address: '127.0.0.1', port: target.port, nodes: r.portals }]);
    const show = await d.call<{ record: { entries: [string, string][]; text: string } }>('discovery.show', { address: '127.0.0.1', port: target.port });
    expect(show.record.entries).toContainEqual(['discovery.sendtargets.address', '127.0.0.1']);
    expect(show.record.text).toMatch(/^# BEGIN RECORD [\d.]+\n/);
    expect(d.events.some((e) => e.type === 'discovery.changed' && (e.created as Key[]).length === 2)).toBe(true);
  });

  it('keeps a node.startup edit across re-discovery (open-iscsi #58) while refreshing unedited keys', async () => {
    await st();
    await d.call('node.update', { target: T1, values: { 'node.startup': 'automatic' } });
    d.daemon.reload({ iscsid: parseIscsidConf(`${TEST_CONF}\nnode.conn[0].timeo.logout_timeout = 9`, '/x/iscsid.conf'), initiator: { name: 'iqn.2024-01.org.tsiscsi:daemon-test' } });
    const again = await st();
    expect(again.recordCreated).toBe(false);
    expect(again.updated.map((k) => k.target).sort()).toEqual([T1, T2]);
    expect(await startupOf(T1)).toBe('automatic');
    expect(await startupOf(T2)).toBe('manual');
    expect(await valueOf(T1, 'node.conn[0].timeo.logout_timeout')).toBe('9');
  });

  it('with op new only adds missing records and leaves existing ones alone', async () => {
    answer = (portal) => [{ name: T1, addresses: [`${portal},1`] }];
    await st();
    d.daemon.reload({ iscsid: parseIscsidConf(`${TEST_CONF}\nnode.conn[0].timeo.logout_timeout = 9`, '/x/iscsid.conf'), initiator: { name: 'iqn.2024-01.org.tsiscsi:daemon-test' } });
    answer = (portal) => [{ name: T1, addresses: [`${portal},1`] }, { name: T2, addresses: [`${portal},1`] }];
    const r = await st({ ops: ['new'] });
    expect(r.created.map((k) => k.target)).toEqual([T2]);
    expect(r.unchanged.map((k) => k.target)).toEqual([T1]);
    expect(await valueOf(T1, 'node.conn[0].timeo.logout_timeout')).toBe('3');
  });

  it('deletes records the target no longer returns, except one a session uses', async () => {
    await st();
    await d.call('node.login', { target: T2 });
    answer = () => [];
    const err = await d.fail('discovery.sendtargets', { address: '127.0.0.1', port: target.port });
    expect(err.errno).toBe(21);
    expect(err.code).toBe('NO_PORTALS_FOUND');
    const nodes = await d.call<{ nodes: Array<{ node: Key; inUse: boolean }> }>('node.list');
    expect(nodes.nodes.map((n) => [n.node.target, n.inUse])).toEqual([[T2, true]]);
  });

  it('with op nonpersistent and login stores nothing and logs in to what was returned', async () => {
    const r = await st({ ops: ['nonpersistent'], login: true });
    expect(r.recordCreated).toBe(false);
    expect(r.skipped).toHaveLength(2);
    expect(r.logins!.map((l) => [l.node.target, l.sids.length])).toEqual([[T1, 1], [T2, 1]]);
    expect((await d.call<{ nodes: unknown[] }>('node.list')).nodes).toEqual([]);
    expect((await d.call<{ records: unknown[] }>('discovery.list')).records).toEqual([]);
    expect((await d.call<{ sessions: unknown[] }>('session.list')).sessions).toHaveLength(2);
  });

  it('logs in to the discovered portals with login: true', async () => {
    const r = await st({ login: true });
    expect(r.logins!.every((l) => l.sids.length === 1 && l.error === undefined)).toBe(true);
    const sessions = (await d.call<{ sessions: Array<{ target: string; node: Key }> }>('session.list')).sessions;
    expect(sessions.map((s) => s.target).sort()).toEqual([T1, T2]);
  });

  it('B-13 a discovery while Normal sessions to the portal are live is unnamed, uses another ISID, and leaves them up', async () => {
    await st({ login: true });
    const discoveryFrom = target.connections();
    await st({ ops: ['nonpersistent'] });
    const firsts = firstLogins(target);
    const normal = [...firsts.values()].filter((f) => f.items.includes('SessionType=Normal'));
    const later = [...firsts.entries()].filter(([conn]) => conn >= discoveryFrom).map(([, f]) => f);
    expect(normal).toHaveLength(2);
    expect(later).toHaveLength(1);
    expect(later[0]!.items).toContain('SessionType=Discovery');
    expect(later[0]!.items.some((k) => k.startsWith('TargetName='))).toBe(false);
    expect(normal.map((f) => f.isid)).not.toContain(later[0]!.isid);
    const sessions = (await d.call<{ sessions: Array<{ states: { connection: string; session: string } }> }>('session.list')).sessions;
    expect(sessions.map((x) => x.states)).toEqual(Array(2).fill(expect.objectContaining({ connection: 'LOGGED IN', session: 'LOGGED_IN' })));
    expect(target.openConnections()).toBe(2);
  });

  it('A-06 presents the one InitiatorName on the discovery and on every session and connection', async () => {
    await st({ login: true });
    const [first] = (await d.call<{ sessions: Array<{ sid: number; target: string }> }>('session.list')).sessions;
    await d.call('session.logout', { sid: first!.sid });
    await d.call('node.login', { target: first!.target });
    // The first Login Request of each TCP connection names the initiator (D-01).
    const firsts = firstLogins(target);
    expect(firsts.size).toBe(4); // discovery, T1, T2, and the re-login
    for (const { items } of firsts.values()) expect(items.filter((item) => item.startsWith('InitiatorName='))).toEqual([`InitiatorName=${INITIATOR}`]);
  });

  it('B-14 concurrent discoveries of one portal use different ISIDs', async () => {
    await Promise.all([st(), st({ ops: ['nonpersistent'] }), st({ ops: ['nonpersistent'] })]);
    const isids = target.received.filter((r) => r.pdu.kind === 'login-request').map((r) => (r.pdu as { isid: Buffer }).isid.toString('hex'));
    expect(isids.length).toBeGreaterThanOrEqual(3);
    expect(new Set(isids).size).toBe(isids.length);
  });

  it('reports a refused portal with the session layer\'s errno and creates no node records', async () => {
    const gone = await FakeTarget.start(standardTarget());
    const port = gone.port;
    await gone.stop();
    const err = await d.fail('discovery.sendtargets', { address: '127.0.0.1', port, ops: ['nonpersistent'] });
    expect(err.errno).toBe(4);
    expect(err.code).toBe('CONNECT_FAILED');
    expect((await d.call<{ nodes: unknown[] }>('node.list')).nodes).toEqual([]);
    // Without nonpersistent, a failed discovery leaves no discovery record behind either.
    expect((await d.fail('discovery.sendtargets', { address: '127.0.0.1', port })).errno).toBe(4);
    expect((await d.call<{ records: unknown[] }>('discovery.list')).records).toEqual([]);
  });

  it('refuses an unknown iface with errno 7', async () => {
    const err = await d.fail('discovery.sendtargets', { address: '127.0.0.1', port: target.port, ifaces: ['nope'] });
    expect(err.errno).toBe(7);
    expect(err.code).toBe('IFACE_NOT_FOUND');
  });
});

describe('discovery records', () => {
  it('discovery.delete removes the record and its nodes, but not while a session uses one (15)', async () => {
    await st();
    await d.call('node.login', { target: T1 });
    const busy = await d.fail('discovery.delete', { address: '127.0.0.1', port: target.port });
    expect(busy.errno).toBe(15);
    await d.call('session.logout', { sid: 1 });
    const r = await d.call<{ deletedNodes: Key[] }>('discovery.delete', { address: '127.0.0.1', port: target.port });
    expect(r.deletedNodes.map((k) => k.target).sort()).toEqual([T1, T2]);
    expect((await d.call<{ records: unknown[] }>('discovery.list')).records).toEqual([]);
    expect((await d.fail('discovery.show', { address: '127.0.0.1', port: target.port })).errno).toBe(21);
  });

  it('discovery.new / update create and edit a record without discovering', async () => {
    await d.call('discovery.new', { address: '10.9.9.9', values: { 'discovery.sendtargets.timeo.login_timeout': '7' } });
    await d.call('discovery.update', { address: '10.9.9.9', values: { 'discovery.startup': 'automatic' } });
    const show = await d.call<{ port: number; record: { entries: [string, string][] } }>('discovery.show', { address: '10.9.9.9' });
    expect(show.port).toBe(3260);
    const e = Object.fromEntries(show.record.entries);
    expect(e['discovery.sendtargets.timeo.login_timeout']).toBe('7');
    expect(e['discovery.startup']).toBe('automatic');
    const bad = await d.fail('discovery.update', { address: '10.9.9.9', values: { 'discovery.bogus': '1' } });
    expect(bad.errno).toBe(7);
    expect(bad.details.key).toBe('discovery.bogus');
    expect(target.connections()).toBe(0);
  });
});
