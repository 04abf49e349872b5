/**
 * Golden: SendTargets discovery (reference §6.1). The real iscsiadm 2.1.8 discovers a
 * private tgtd (IPv4 and IPv6 portals; one target visible only from 127.0.0.1) in a
 * private mount namespace: a fake /sys/class/iscsi_transport/tcp and
 * `iface.initiatorname` in its iface records let it run without iscsid or a kernel.
 *
 * tsiscsi's side: its own SendTargets client (src/discovery, over usertcp) asks the
 * same tgtd; the answers, multiplied by the ifaces in iscsiadm's order, are fed to the
 * discovery renderers. The answers are stored with the capture (`inputs`) so the
 * stored-capture tests run without tgtd. Record listings afterwards are rendered from
 * the captured database.
 */
import { discoverSendTargets } from '../../src/discovery/sendtargets.js';
import { isidFromQualifier } from '../../src/iscsi/isid.js';
import type { DiscoveredTarget } from '../../src/iscsi/sendtargets.js';
import { userTcpTransport } from '../../src/transport/usertcp/index.js';
import {
  renderDiscoveredFlat, renderDiscoveredTree, renderDiscoveryRecords, renderDiscoveryTree, renderIfaceTree, renderNodeFlat,
  renderNodeTree, renderRecords,
} from '../../src/cli/render/index.js';
import type { NodeView } from '../../src/cli/render/types.js';
import { Tgtd } from '../support/tgtd.js';
import { DEFAULT_INITIATOR, type Capture } from './support/capture.js';
import { defineGolden, type GoldenStep } from './support/golden.js';
import { sendTargetsRecordView, type SnapshotDb } from './support/snapshot-db.js';

const V = '2.1.8';
const T = 'iqn.2024-01.org.example';
const IFACES = ['gold', 'gold2'];

type Answers = Record<string, DiscoveredTarget[]>;

/** What discovery at `host` yields through `ifaces`: per iface, per target, per portal. */
function discovered(c: Capture, host: string, ifaces: readonly string[]): NodeView[] {
  const answers = (c.inputs?.sendTargets ?? {}) as Answers;
  const targets = answers[host];
  if (!targets) throw new Error(`capture has no SendTargets answer for ${host}`);
  return ifaces.flatMap((iface) => targets.flatMap((t) => t.portals.map((p) => ({ target: t.name, address: p.host, port: p.port, tpgt: p.tpgt, iface }))));
}

/** iscsiadm without -I: every stored tcp iface, in directory order. */
function allTcpIfaces(db: SnapshotDb): string[] {
  return db.ifaces().filter((i) => !i.builtin && i.transport === 'tcp').map((i) => i.name);
}

const steps: GoldenStep[] = [
  ...IFACES.flatMap((name): GoldenStep[] => [
    { argv: ['-m', 'iface', '-I', name, '-o', 'new'], status: 0 },
    { argv: ['-m', 'iface', '-I', name, '-o', 'update', '-n', 'iface.initiatorname', '-v', DEFAULT_INITIATOR], status: 0 },
  ]),
  { argv: ['-m', 'discovery', '-t', 'st', '-p', '[::1]:{PORT}', '-I', 'gold'], status: 0, render: (_db, c) => renderDiscoveredFlat(discovered(c, '::1', ['gold'])) },
  { argv: ['-m', 'discovery', '-t', 'st', '-p', '127.0.0.1:{PORT}'], status: 0, render: (db, c) => renderDiscoveredFlat(discovered(c, '127.0.0.1', allTcpIfaces(db))) },
  { argv: ['-m', 'discovery', '-t', 'sendtargets', '-p', '127.0.0.1:{PORT}', '-I', 'gold', '-P', '1'], status: 0, render: (_db, c) => renderDiscoveredTree(discovered(c, '127.0.0.1', ['gold'])) },
  { argv: ['-m', 'discovery', '-t', 'st', '-p', '[::1]:{PORT}', '-P', '1'], status: 0, render: (db, c) => renderDiscoveredTree(discovered(c, '::1', allTcpIfaces(db))) },
  { argv: ['-m', 'discovery', '-t', 'st', '-p', '127.0.0.1:{PORT}', '-I', 'gold2', '-o', 'nonpersistent'], status: 0, render: (_db, c) => renderDiscoveredFlat(discovered(c, '127.0.0.1', ['gold2'])) },
  { argv: ['-m', 'discovery'], status: 0, render: (db) => renderDiscoveryRecords(db.discoveryRecords()) },
  { argv: ['-m', 'discovery', '-P', '1'], status: 0, render: (db) => renderDiscoveryTree(db.discoveryTree()) },
  { argv: ['-m', 'node'], status: 0, render: (db) => renderNodeFlat(db.nodesInDirOrder()) },
  { argv: ['-m', 'node', '-P', '1'], status: 0, render: (db) => renderNodeTree(db.nodesInDirOrder()) },
  { argv: ['-m', 'iface', '-P', '1'], status: 0, render: (db) => renderIfaceTree(db.ifaceTree()) },
  { argv: ['-m', 'discoverydb', '-t', 'st', '-p', '127.0.0.1:{PORT}', '-o', 'show'], status: 0, render: (db, c) => renderRecords([sendTargetsRecordView(db, '127.0.0.1', Number(c.vars.PORT), V)]) },
  { argv: ['-m', 'discoverydb', '-t', 'st', '-p', '[::1]:{PORT}', '-o', 'show'], status: 0, render: (db, c) => renderRecords([sendTargetsRecordView(db, '::1', Number(c.vars.PORT), V)]) },
];

let tgt: Tgtd | undefined;

async function ask(host: string, port: number, qualifier: number): Promise<DiscoveredTarget[]> {
  const found = await discoverSendTargets({
    transport: userTcpTransport, portal: { host, port }, initiatorName: DEFAULT_INITIATOR, isid: isidFromQualifier(qualifier), loginTimeoutMs: 5000,
  });
  return found.targets;
}

defineGolden({
  scenario: 'sendtargets',
  network: true,
  steps,
  async setup() {
    if (!Tgtd.available()) throw new Error('tgtd is needed for the live SendTargets capture (Debian package tgt)');
    tgt = await Tgtd.start({ ipv6: true });
    for (const [i, name] of ['t1', 't2', 't3'].entries()) await tgt.addTarget({ tid: i + 1, iqn: `${T}:${name}` });
    await tgt.addTarget({ tid: 4, iqn: `${T}:t0-v4-only`, acl: '127.0.0.1' });
    const sendTargets: Answers = { '127.0.0.1': await ask('127.0.0.1', tgt.port, 1), '::1': await ask('::1', tgt.port, 2) };
    return { vars: { PORT: String(tgt.port) }, inputs: { sendTargets } };
  },
  async teardown() {
    await tgt?.stop();
  },
});
