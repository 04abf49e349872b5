/**
 * Golden: iSNS discovery (reference boot-and-isns.md §3.6). Debian's iscsiadm 2.1.8 is
 * built with iSNS (it links libisns.so.0) and asks a private open-isns isnsd on loopback,
 * in a private mount namespace (test/golden/support/capture.ts). isnsd knows two targets:
 * one registered by a private tgtd (tgtadm `--mode sys --name iSNS...`), one by
 * `isnsadm`; a second, empty isnsd answers "nothing", and a closed port plays a dead
 * server.
 *
 * tsiscsi's side: its own iSNS client (src/discovery/isns.ts) asks the same isnsd with the
 * same initiator name; the portal groups it got are stored with the capture (`inputs`)
 * and fed to the discovery renderers; the failure lines come from `renderIsnsFailure` of
 * the error our client raises against a closed port.
 */
import { beforeAll } from 'vitest';
import { discoverIsns, type IsnsDiscoveryResult } from '../../src/discovery/isns.js';
import { renderIsnsFailure } from '../../src/cli/exec/discovery-isns.js';
import { noPortalsFound, newDiscoveryRecord } from '../../src/cli/render/messages.js';
import {
  renderDiscoveredFlat, renderDiscoveredTree, renderDiscoveryRecords, renderDiscoveryTree, renderRecords,
} from '../../src/cli/render/index.js';
import type { NodeView, Rendered } from '../../src/cli/render/types.js';
import { isnsDefaults, ISNS_TABLE } from '../../src/db/index.js';
import { Isnsd, isnsadmRegisterTarget, registerTgtdWithIsns } from '../support/isnsd.js';
import { freePort } from '../support/net.js';
import { Tgtd } from '../support/tgtd.js';
import { DEFAULT_INITIATOR, type Capture } from './support/capture.js';
import { defineGolden, type GoldenStep } from './support/golden.js';
import { recordViewFromRecord, type SnapshotDb } from './support/snapshot-db.js';

const V = '2.1.8';
const T1 = 'iqn.2024-01.org.example.isns:disk1';
const T2 = 'iqn.2024-01.org.example.isns:disk2';

type PortalGroups = IsnsDiscoveryResult['portalGroups'];

/** What iSNS discovery yields through `ifaces`: per iface, per portal group. */
function discovered(c: Capture, ifaces: readonly string[]): NodeView[] {
  const pgs = c.inputs?.portalGroups as PortalGroups | undefined;
  if (!pgs) throw new Error('capture has no iSNS answer');
  return ifaces.flatMap((iface) => pgs.map((g) => ({ target: g.name, address: g.address, port: g.port, tpgt: g.tag, iface })));
}

/** The lines our CLI prints for the error our client raises against a dead server. */
async function deadServerLines(): Promise<Rendered> {
  const port = await freePort();
  const err = await discoverIsns({ server: { host: '127.0.0.1', port }, initiatorName: DEFAULT_INITIATOR }).catch((e: unknown) => e);
  const r = renderIsnsFailure(err);
  if (!r) throw new Error(`unexpected error from a dead server: ${String(err)}`);
  return r;
}
let dead: Rendered | undefined;

/** The isns_config record tsiscsi creates for a server (defaults + address/port). */
function isnsRecord(c: Capture): Rendered {
  const port = Number(c.vars.ISNS);
  const record = { ...isnsDefaults(), 'discovery.type': 'isns', 'discovery.sendtargets.address': '127.0.0.1', 'discovery.sendtargets.port': port };
  return renderRecords([recordViewFromRecord('discovery', ISNS_TABLE, record, V)]);
}

const steps: GoldenStep[] = [
  { argv: ['-m', 'iface', '-I', 'gold', '-o', 'new'], status: 0 },
  { argv: ['-m', 'iface', '-I', 'gold', '-o', 'update', '-n', 'iface.initiatorname', '-v', DEFAULT_INITIATOR], status: 0 },
  { argv: ['-m', 'discovery', '-t', 'isns', '-p', '127.0.0.1:{ISNS}'], status: 0, render: (_db, c) => renderDiscoveredFlat(discovered(c, ['gold'])) },
  { argv: ['-m', 'discovery', '-t', 'isns', '-p', '127.0.0.1:{ISNS}', '-I', 'gold', '-P', '1'], status: 0, render: (_db, c) => renderDiscoveredTree(discovered(c, ['gold'])) },
  { argv: ['-m', 'discovery'], status: 21, render: () => renderDiscoveryRecords([]) },
  { argv: ['-m', 'discoverydb', '-t', 'isns', '-p', '127.0.0.1:{ISNS}', '-o', 'new'], status: 0, render: (_db, c) => newDiscoveryRecord('127.0.0.1', Number(c.vars.ISNS)) },
  { argv: ['-m', 'discoverydb', '-t', 'isns', '-p', '127.0.0.1:{ISNS}', '-o', 'show'], status: 0, render: (_db, c) => isnsRecord(c) },
  { argv: ['-m', 'discoverydb', '-t', 'isns', '-p', '127.0.0.1:{ISNS}', '--discover', '-I', 'gold'], status: 0, render: (_db, c) => renderDiscoveredFlat(discovered(c, ['gold'])) },
  { argv: ['-m', 'discovery'], status: 0, render: (db: SnapshotDb) => renderDiscoveryRecords(db.discoveryRecords()) },
  { argv: ['-m', 'discovery', '-P', '1'], status: 0, render: (db: SnapshotDb) => renderDiscoveryTree(db.discoveryTree()) },
  { argv: ['-m', 'discovery', '-t', 'isns', '-p', '127.0.0.1:{EMPTY}', '-I', 'gold'], status: 21, render: () => noPortalsFound() },
  {
    argv: ['-m', 'discovery', '-t', 'isns', '-p', '127.0.0.1:{DOWN}', '-I', 'gold'], status: 25,
    render: () => {
      if (!dead) throw new Error('deadServerLines() did not run');
      return dead;
    },
  },
];

let isns: Isnsd | undefined;
let empty: Isnsd | undefined;
let tgt: Tgtd | undefined;

defineGolden({
  scenario: 'isns',
  network: true,
  steps,
  async setup() {
    if (!Isnsd.available()) throw new Error('isnsd is needed for the live iSNS capture (Debian package open-isns-server)');
    if (!Tgtd.available()) throw new Error('tgtd is needed for the live iSNS capture (Debian package tgt)');
    [isns, empty, tgt] = await Promise.all([Isnsd.start(), Isnsd.start(), Tgtd.start()]);
    await tgt.addTarget({ tid: 1, iqn: T1 });
    await registerTgtdWithIsns((a) => tgt!.tgtadm(a), isns);
    await isnsadmRegisterTarget(isns, T2, `127.0.0.1:${tgt.port + 1}`);
    let r: IsnsDiscoveryResult | undefined;
    for (let i = 0; i < 100 && (r?.portalGroups.length ?? 0) < 2; i++) {
      r = await discoverIsns({ server: { host: '127.0.0.1', port: isns.port }, initiatorName: DEFAULT_INITIATOR }).catch(() => undefined);
      if ((r?.portalGroups.length ?? 0) < 2) await new Promise((res) => setTimeout(res, 100));
    }
    if (!r || r.portalGroups.length < 2) throw new Error(`isnsd did not show both targets:\n${isns.log().slice(-2000)}`);
    return {
      vars: { ISNS: String(isns.port), EMPTY: String(empty.port), DOWN: String(await freePort()), TGT: String(tgt.port), TGT2: String(tgt.port + 1) },
      inputs: { portalGroups: r.portalGroups },
    };
  },
  async teardown() {
    await Promise.all([isns?.stop(), empty?.stop(), tgt?.stop()]);
  },
});

// The dead-server lines come from our client at run time (stored-capture mode too).
beforeAll(async () => {
  dead = await deadServerLines();
});
