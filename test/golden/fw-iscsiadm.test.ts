/**
 * Golden: firmware mode (reference open-iscsi.md §6.8, boot-and-isns.md §2.3/§2.6). The real
 * iscsiadm 2.1.8 runs in a private mount namespace with a tmpfs over /sys/firmware holding
 * an ibft tree built from the reference table's values (the builder's files equal the
 * kernel's own dump, test/unit/ibft/ibft-parse.test.ts), with `ethernet0/device/net/eth0`
 * as a PCI NIC has it. tsiscsi's side reads the same tree with its sysfs reader
 * (src/cli/exec/firmware-sysfs.ts) and renders it (src/cli/render/firmware.ts, the
 * discovery renderers). Scenarios:
 *
 * - fw-ibft: the reference table (two targets, IPv6, mutual CHAP): `-m fw`,
 *   `-m discovery -t fw` (-P 0 and -P 1), `-m discoverydb -t fw -D`, and `-m fw -l [-W]`
 *   with no iscsid reachable (the per-target login lines, error 20, exit 0).
 * - fw-variants: DHCP origin, VLAN, secondary DNS, a target with flags 2 only and no `port`
 *   file, a target with flags 0 (ignored) and one whose nic-assoc names no NIC.
 * - fw-none: an empty /sys/firmware: every fw command says err 21.
 *
 * tmpfs lists the newest entry first, so directories are created in reverse name order
 * to make iscsiadm's readdir walk see target0 before target1 (as kernfs did in the VM).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fwLoginsUnreachable } from '../../src/cli/exec/firmware.js';
import { readFirmwareTargets } from '../../src/cli/exec/firmware-sysfs.js';
import { renderDiscoveredFlat, renderDiscoveredTree } from '../../src/cli/render/discovery.js';
import { renderFirmwareRecords } from '../../src/cli/render/firmware.js';
import { fwNoTargets } from '../../src/cli/render/messages.js';
import { concat, toStdout } from '../../src/cli/render/text.js';
import type { NodeView, Rendered } from '../../src/cli/render/types.js';
import { ibftTree, referenceSpec, writeTree, type IbftSpec } from '../support/ibft-builder.js';
import { defineGolden, type GoldenStep } from './support/golden.js';

type Tree = ReadonlyMap<string, string>;

const sq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Shell lines that mount a tmpfs over /sys/firmware and write `tree` under ibft/. */
function prepareTree(tree: Tree | undefined): string[] {
  const lines = ['mount -t tmpfs -o mode=0755 tsiscsi-golden /sys/firmware'];
  if (!tree) return lines;
  const base = '/sys/firmware/ibft';
  const natural = (a: string, b: string): number => a.localeCompare(b, 'en', { numeric: true });
  const tops = [...new Set([...tree.keys()].map((p) => p.split('/')[0]!))].sort(natural).reverse();
  lines.push(`mkdir -p ${base}`, ...tops.map((d) => `mkdir ${base}/${d}`), `mkdir -p ${base}/ethernet0/device/net/eth0`);
  for (const [path, content] of tree) lines.push(`printf '%s' ${sq(content)} > ${base}/${path}`);
  return lines;
}

/** What tsiscsi reads from the same tree (a temp sysfs with the same files). */
function scanOf(tree: Tree) {
  const sys = mkdtempSync(join(tmpdir(), 'tsiscsi-fw-golden-'));
  try {
    writeTree(join(sys, 'firmware/ibft'), tree, { netdev: 'eth0' });
    return readFirmwareTargets(sys);
  } finally {
    rmSync(sys, { recursive: true, force: true });
  }
}

function fwText(tree: Tree): Rendered {
  const s = scanOf(tree);
  return concat(toStdout(s.notices), s.errno === 0 ? renderFirmwareRecords(s.targets) : fwNoTargets(s.errno));
}

function discovered(tree: Tree, level: 0 | 1): Rendered {
  const s = scanOf(tree);
  const nodes: NodeView[] = s.targets.map((t) => ({ target: t.targetName, address: t.targetAddress, port: t.targetPort, tpgt: 1, iface: 'default' }));
  // iscsiadm scans twice during fw discovery (exec_fw_disc_op, then discovery_fw): notices twice.
  return concat(toStdout(s.notices), toStdout(s.notices), level === 1 ? renderDiscoveredTree(nodes) : renderDiscoveredFlat(nodes));
}

function unreachable(tree: Tree): Rendered {
  const s = scanOf(tree);
  return concat(toStdout(s.notices), fwLoginsUnreachable(s.targets.map((t) => ({ target: t.targetName, address: t.targetAddress, port: t.targetPort }))));
}

function withFiles(spec: IbftSpec, edit: (m: Map<string, string>) => void): Tree {
  const m = ibftTree(spec);
  edit(m);
  return m;
}

const REFERENCE = ibftTree(referenceSpec(true));

const VARIANTS = withFiles((() => {
  const spec = referenceSpec(true);
  Object.assign(spec.nics[0]!, { origin: 3, vlan: 100, dns2: '10.0.2.4', hostname: undefined });
  spec.targets[0]!.flags = 2;
  spec.targets[1]!.flags = 0;
  return spec;
})(), (m) => {
  m.delete('target0/port');
  for (const [k, v] of [['index', '2\n'], ['flags', '3\n'], ['ip-addr', '10.0.2.9\n'], ['port', '3261\n'], ['lun', '00000000\n'], ['nic-assoc', '7\n'], ['chap-type', '0\n'], ['target-name', 'iqn.2026-11.test:orphan\n']]) {
    m.set(`target2/${k}`, v!);
  }
});

function fwSteps(tree: Tree): GoldenStep[] {
  return [
    { argv: ['-m', 'fw'], status: 0, render: () => fwText(tree) },
    { argv: ['-m', 'discovery', '-t', 'fw'], status: 0, render: () => discovered(tree, 0) },
    { argv: ['-m', 'discovery', '-t', 'fw', '-P', '1'], status: 0, render: () => discovered(tree, 1) },
    { argv: ['-m', 'discoverydb', '-t', 'fw', '-D'], status: 0, render: () => discovered(tree, 0) },
    // No iscsid in the namespace: every login fails with 20, and 2.1.8 still exits 0.
    { argv: ['-m', 'fw', '-l'], status: 0, render: () => unreachable(tree) },
    { argv: ['-m', 'fw', '-l', '-W'], status: 0, render: () => unreachable(tree) },
  ];
}

defineGolden({ scenario: 'fw-ibft', steps: fwSteps(REFERENCE), prepare: prepareTree(REFERENCE) });

defineGolden({ scenario: 'fw-variants', steps: fwSteps(VARIANTS), prepare: prepareTree(VARIANTS) });

const none = (): Rendered => fwNoTargets(21);
defineGolden({
  scenario: 'fw-none',
  prepare: prepareTree(undefined),
  steps: [
    { argv: ['-m', 'fw'], status: 21, render: none },
    { argv: ['-m', 'fw', '-l'], status: 21, render: none },
    { argv: ['-m', 'discovery', '-t', 'fw'], status: 21, render: none },
    { argv: ['-m', 'discoverydb', '-t', 'fw', '-D'], status: 21, render: none },
  ],
});
