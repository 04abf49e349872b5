/**
 * Golden: node, iface and discovery records, plus every message Debian's iscsiadm
 * 2.1.8 prints without iscsid or a kernel (reference §6.1–§6.4, §6.6). The real
 * iscsiadm builds the database; tsiscsi's renderers are fed the same state (read back
 * from the captured DB) and must print the same bytes on the same stream.
 */
import { ISCSI_ERR } from '../../src/shared/errors.js';
import {
  compareNodes, concat, messages, renderDiscoveryRecords, renderDiscoveryTree, renderIfaceFlat, renderIfaceTree, renderNodeFlat,
  renderNodeTree, renderRecords, NOTHING,
} from '../../src/cli/render/index.js';
import type { NodeView } from '../../src/cli/render/types.js';
import { defineGolden, type GoldenStep } from './support/golden.js';
import { ifaceRecordView, nodeRecordViews, sendTargetsRecordView, type SnapshotDb } from './support/snapshot-db.js';

const V = '2.1.8';
const T = 'iqn.2024-01.org.example';
const EMPTY_TREE = { sendtargets: [], isns: [], static: [], firmware: [] };
const plainIface = { transport: 'tcp', hwAddress: '', ipAddress: '', netIfacename: '' };

/** `-m node -o new` with its message. */
function newNode(target: string, portal: string, n: Omit<NodeView, 'target'>, iface: Partial<typeof plainIface> = {}, extra: string[] = []): GoldenStep {
  const argv = ['-m', 'node', '-o', 'new', '-T', target, '-p', portal, ...extra];
  return { argv, status: 0, render: () => messages.newNode({ ...plainIface, ...iface, ...n, target }) };
}

/** Node record paths in the order iscsiadm dumps `-o show` matches (checked: node order, not directory order). */
function nodePaths(db: SnapshotDb, match: (n: NodeView) => boolean): string[] {
  return db.nodesInDirOrder().filter(match).sort(compareNodes).map((n) => n.path);
}

const steps: GoldenStep[] = [
  // Empty database: listings and "nothing found" messages.
  { argv: ['-m', 'node'], status: ISCSI_ERR.NO_OBJS_FOUND, render: () => messages.noRecordsFound() },
  { argv: ['-m', 'node', '-P', '1'], status: ISCSI_ERR.NO_OBJS_FOUND, render: () => messages.noRecordsFound() },
  { argv: ['-m', 'discovery'], status: ISCSI_ERR.NO_OBJS_FOUND, render: () => renderDiscoveryRecords([]) },
  // Checked: the four sections print, yet the exit status is 21 (nothing found).
  { argv: ['-m', 'discovery', '-P', '1'], status: ISCSI_ERR.NO_OBJS_FOUND, render: () => renderDiscoveryTree(EMPTY_TREE) },
  { argv: ['-m', 'session'], status: ISCSI_ERR.NO_OBJS_FOUND, render: () => messages.noActiveSessions() },
  { argv: ['-m', 'session', '-P', '3'], status: ISCSI_ERR.NO_OBJS_FOUND, render: () => messages.noActiveSessions() },
  { argv: ['-m', 'session', '-s'], status: ISCSI_ERR.NO_OBJS_FOUND, render: () => messages.noSessionFound() },
  { argv: ['-m', 'session', '-R'], status: ISCSI_ERR.NO_OBJS_FOUND, render: () => messages.noSessionFound() },
  { argv: ['-m', 'session', '-u'], status: ISCSI_ERR.NO_OBJS_FOUND, render: () => messages.noMatchingSessions() },
  { argv: ['-m', 'session', '-r', '1'], status: ISCSI_ERR.SYSFS_LOOKUP, render: () => messages.sessionInfoNotFound(1) },
  { argv: ['-m', 'host'], status: ISCSI_ERR.NO_OBJS_FOUND, render: () => messages.noIscsiHosts() },
  { argv: ['-m', 'host', '-P', '1'], status: ISCSI_ERR.NO_OBJS_FOUND, render: () => messages.noIscsiHosts() },
  { argv: ['-m', 'fw'], status: ISCSI_ERR.NO_OBJS_FOUND, render: () => messages.fwNoTargets(ISCSI_ERR.NO_OBJS_FOUND) },
  { argv: ['-m', 'node', '-P', '2'], status: ISCSI_ERR.INVAL, render: () => messages.invalidInfoLevel(2, 'node') },
  { argv: ['-m', 'node', '-u'], status: ISCSI_ERR.NO_OBJS_FOUND, render: () => messages.noMatchingSessions() },
  { argv: ['-m', 'iface'], status: 0, render: (db) => renderIfaceFlat(db.ifaces().filter((i) => i.builtin)) },
  {
    argv: ['-m', 'discovery', '-t', 'st', '-p', '127.0.0.1:1'], status: ISCSI_ERR.ISCSID_NOTCONN,
    render: () => concat(messages.initiatorNameRequired(), messages.sendTargetsFailed(ISCSI_ERR.ISCSID_NOTCONN)),
  },
  // Ifaces.
  { argv: ['-m', 'iface', '-I', 'eth-a', '-o', 'new'], status: 0, render: () => messages.ifaceCreated('eth-a') },
  { argv: ['-m', 'iface', '-I', 'eth-a', '-o', 'update', '-n', 'iface.net_ifacename', '-v', 'eth0'], status: 0, render: () => messages.ifaceUpdated('eth-a') },
  { argv: ['-m', 'iface', '-I', 'ipv6-b', '-o', 'new'], status: 0, render: () => messages.ifaceCreated('ipv6-b') },
  { argv: ['-m', 'iface', '-I', 'ipv6-b', '-o', 'update', '-n', 'iface.ipaddress', '-v', 'fd00::20'], status: 0, render: () => messages.ifaceUpdated('ipv6-b') },
  { argv: ['-m', 'iface', '-I', 'hw-c', '-o', 'new'], status: 0, render: () => messages.ifaceCreated('hw-c') },
  { argv: ['-m', 'iface', '-I', 'hw-c', '-o', 'update', '-n', 'iface.hwaddress', '-v', '00:11:22:33:44:55'], status: 0 },
  { argv: ['-m', 'iface', '-I', 'hw-c', '-o', 'update', '-n', 'iface.initiatorname', '-v', 'iqn.2024-01.org.example:hw-c'], status: 0 },
  { argv: ['-m', 'iface', '-I', 'aa-v4', '-o', 'new'], status: 0 },
  { argv: ['-m', 'iface', '-I', 'aa-v4', '-o', 'update', '-n', 'iface.ipaddress', '-v', '10.1.1.1'], status: 0 },
  // Nodes, created out of sorted order so directory order and sorted order differ.
  newNode(`${T}:disk1`, '192.168.1.10:3260,1', { address: '192.168.1.10', port: 3260, tpgt: 1, iface: 'default' }),
  newNode(`${T}:disk1`, '[fd00::10]:3260,1', { address: 'fd00::10', port: 3260, tpgt: 1, iface: 'default' }),
  newNode(`${T}:disk1`, '192.168.1.10:3260,1', { address: '192.168.1.10', port: 3260, tpgt: 1, iface: 'eth-a' }, { netIfacename: 'eth0' }, ['-I', 'eth-a']),
  newNode(`${T}:disk1`, '192.168.1.9:999,1', { address: '192.168.1.9', port: 999, tpgt: 1, iface: 'default' }),
  newNode(`${T}:disk1`, '192.168.1.10:3260,12', { address: '192.168.1.10', port: 3260, tpgt: 12, iface: 'hw-c' }, { hwAddress: '00:11:22:33:44:55' }, ['-I', 'hw-c']),
  newNode(`${T}:disk2`, '10.0.0.1', { address: '10.0.0.1', port: 3260, tpgt: -1, iface: 'default' }),
  newNode(`${T}:disk2`, 'localhost:3261,5', { address: 'localhost', port: 3261, tpgt: 5, iface: 'default' }),
  newNode(`${T}:disk0`, '10.0.0.2:3260,2', { address: '10.0.0.2', port: 3260, tpgt: 2, iface: 'ipv6-b' }, { ipAddress: 'fd00::20' }, ['-I', 'ipv6-b']),
  newNode(`${T}:disk0`, '10.0.0.10:3260,2', { address: '10.0.0.10', port: 3260, tpgt: 2, iface: 'aa-v4' }, { ipAddress: '10.1.1.1' }, ['-I', 'aa-v4']),
  { argv: ['-m', 'node', '-T', `${T}:disk1`, '-p', '192.168.1.10:3260', '-I', 'default', '-o', 'update', '-n', 'node.session.auth.authmethod', '-v', 'CHAP'], status: 0, render: () => NOTHING },
  { argv: ['-m', 'node', '-T', `${T}:disk1`, '-p', '192.168.1.10:3260', '-I', 'default', '-o', 'update', '-n', 'node.session.auth.username', '-v', 'alice'], status: 0 },
  { argv: ['-m', 'node', '-T', `${T}:disk1`, '-p', '192.168.1.10:3260', '-I', 'default', '-o', 'update', '-n', 'node.session.auth.password', '-v', 'alice-secret'], status: 0 },
  { argv: ['-m', 'node', '-T', `${T}:disk2`, '-o', 'update', '-n', 'node.startup', '-v', 'automatic'], status: 0 },
  // Discovery records.
  { argv: ['-m', 'discoverydb', '-t', 'st', '-p', '192.168.1.10', '-o', 'new'], status: 0, render: () => messages.newDiscoveryRecord('192.168.1.10', 3260) },
  { argv: ['-m', 'discoverydb', '-t', 'st', '-p', '[fd00::1]:3261', '-o', 'new'], status: 0, render: () => messages.newDiscoveryRecord('fd00::1', 3261) },
  { argv: ['-m', 'discoverydb', '-t', 'st', '-p', '192.168.1.10', '-o', 'update', '-n', 'discovery.sendtargets.auth.password', '-v', 'disc-secret'], status: 0 },
  { argv: ['-m', 'discoverydb', '-t', 'st', '-p', '10.9.9.9', '-o', 'show'], status: ISCSI_ERR.IDBM, render: () => messages.discoveryRecordNotFound('10.9.9.9', 3260) },
  // Errors that need a record.
  { argv: ['-m', 'node', '-T', 'iqn.2024-01.org.example:nope', '-o', 'show'], status: ISCSI_ERR.NO_OBJS_FOUND, render: () => messages.noRecordsFound() },
  {
    argv: ['-m', 'node', '-T', `${T}:disk0`, '-p', '10.0.0.2', '-l'], status: ISCSI_ERR.ISCSID_NOTCONN,
    render: () => {
      const t = { iface: 'ipv6-b', target: `${T}:disk0`, address: '10.0.0.2', port: 3260 };
      return concat(messages.loggingIn(t), messages.loginFailed(t, ISCSI_ERR.ISCSID_NOTCONN), messages.loginSomeFailed());
    },
  },
  // Listings of the final state.
  { argv: ['-m', 'node'], status: 0, render: (db) => renderNodeFlat(db.nodesInDirOrder()) },
  { argv: ['-m', 'node', '-P', '1'], status: 0, render: (db) => renderNodeTree(db.nodesInDirOrder()) },
  { argv: ['-m', 'node', '-P', '0'], status: 0, render: (db) => renderNodeFlat(db.nodesInDirOrder()) },
  { argv: ['-m', 'iface'], status: 0, render: (db) => renderIfaceFlat(db.ifaces()) },
  { argv: ['-m', 'iface', '-P', '1'], status: 0, render: (db) => renderIfaceTree(db.ifaceTree()) },
  ...['eth-a', 'ipv6-b', 'hw-c', 'aa-v4', 'default', 'iser'].map((name): GoldenStep => ({
    argv: ['-m', 'iface', '-I', name], status: 0, render: (db) => renderRecords([ifaceRecordView(db, name, V)]),
  })),
  { argv: ['-m', 'iface', '-I', 'eth-a', '-o', 'show'], status: 0, render: (db) => renderRecords([ifaceRecordView(db, 'eth-a', V)]) },
  ...[[], ['-S']].map((show): GoldenStep => ({
    argv: ['-m', 'node', '-T', `${T}:disk1`, '-p', '192.168.1.10:3260', '-o', 'show', ...show], status: 0,
    render: (db) => renderRecords(
      nodeRecordViews(db, nodePaths(db, (n) => n.target === `${T}:disk1` && n.address === '192.168.1.10' && n.port === 3260), V),
      { showSecrets: show.length > 0 }),
  })),
  {
    argv: ['-m', 'node', '-T', `${T}:disk0`, '-o', 'show'], status: 0,
    render: (db) => renderRecords(nodeRecordViews(db, nodePaths(db, (n) => n.target === `${T}:disk0`), V)),
  },
  {
    argv: ['-m', 'node', '-T', `${T}:disk2`, '-p', '10.0.0.1', '-o', 'show'], status: 0,
    render: (db) => renderRecords(nodeRecordViews(db, nodePaths(db, (n) => n.target === `${T}:disk2` && n.address === '10.0.0.1'), V)),
  },
  ...[[], ['-S']].map((show): GoldenStep => ({
    argv: ['-m', 'discoverydb', '-t', 'st', '-p', '192.168.1.10', '-o', 'show', ...show], status: 0,
    render: (db) => renderRecords([sendTargetsRecordView(db, '192.168.1.10', 3260, V)], { showSecrets: show.length > 0 }),
  })),
  { argv: ['-m', 'discoverydb', '-t', 'st', '-p', '[fd00::1]:3261'], status: 0, render: (db) => renderRecords([sendTargetsRecordView(db, 'fd00::1', 3261, V)]) },
  { argv: ['-m', 'discovery'], status: 0, render: (db) => renderDiscoveryRecords(db.discoveryRecords()) },
  { argv: ['-m', 'discovery', '-P', '1'], status: 0, render: (db) => renderDiscoveryTree(db.discoveryTree()) },
];

defineGolden({ scenario: 'records', steps });
