/**
 * `-m session -s` and `-m host` text, written by hand from reference §6.5 (stats),
 * §6.7 (host) and §3.6 (counter order): these need a kernel, so no real iscsiadm
 * output exists here to compare with.
 */
import { describe, expect, it } from 'vitest';
import { renderHostFlat, renderHostTree } from '../../../src/cli/render/host.js';
import { renderHostStats, renderSessionStats, SESSION_COUNTERS } from '../../../src/cli/render/stats.js';
import type { HostView, SessionView } from '../../../src/cli/render/types.js';

describe('session stats (-s)', () => {
  const counters = SESSION_COUNTERS.map((name, i): [string, number | bigint] => [name, i === 0 ? 2n ** 63n - 1n : i]);

  it('prints the header with persistent address and current port, iSCSI SNMP: and 21 counters in §3.6 order', () => {
    const r = renderSessionStats([{
      sid: 4, target: 'iqn.2024-01.example:store1',
      persistentPortal: { address: 'fd00::5', port: 3260 }, currentPortal: { address: '10.0.0.6', port: 3262 },
      counters, extended: [],
    }]);
    expect(r.stdout).toEqual([
      'Stats for session [sid: 4, target: iqn.2024-01.example:store1, portal: fd00::5,3262]',
      'iSCSI SNMP:',
      '\ttxdata_octets: 9223372036854775807',
      '\trxdata_octets: 1',
      '\tnoptx_pdus: 2', '\tscsicmd_pdus: 3', '\ttmfcmd_pdus: 4', '\tlogin_pdus: 5', '\ttext_pdus: 6', '\tdataout_pdus: 7',
      '\tlogout_pdus: 8', '\tsnack_pdus: 9', '\tnoprx_pdus: 10', '\tscsirsp_pdus: 11', '\ttmfrsp_pdus: 12', '\ttextrsp_pdus: 13',
      '\tdatain_pdus: 14', '\tlogoutrsp_pdus: 15', '\tr2t_pdus: 16', '\tasync_pdus: 17', '\trjt_pdus: 18', '\tdigest_err: 19', '\ttimeout_err: 20',
    ]);
    expect(SESSION_COUNTERS).toHaveLength(21);
  });

  it('adds the iSCSI Extended: block only when custom counters exist', () => {
    const r = renderSessionStats([{
      sid: 1, target: 't', persistentPortal: { address: '10.0.0.5', port: 3260 }, currentPortal: { address: '10.0.0.5', port: 3260 },
      counters: [], extended: [['eh_abort_cnt', 3n]],
    }]);
    expect(r.stdout).toEqual(['Stats for session [sid: 1, target: t, portal: 10.0.0.5,3260]', 'iSCSI SNMP:', 'iSCSI Extended:', '\teh_abort_cnt: 3']);
  });

  it('prints host statistics under "Host Statistics:"', () => {
    expect(renderHostStats({ hostNumber: 5, counters: [['mactx_frames', 10], ['mactx_bytes', 2n ** 40n]] }).stdout)
      .toEqual(['Host Statistics:', '\tmactx_frames: 10', '\tmactx_bytes: 1099511627776']);
  });
});

const host: HostView = {
  hostNumber: 3, state: 'running', transport: 'tcp', initiatorName: '', ipAddress: '192.168.1.20', hwAddress: '', netdev: 'eth0',
  ifaces: [], sessions: [],
};

describe('host', () => {
  it('-P 0 prints the reference example and brackets IPv6', () => {
    expect(renderHostFlat([host]).stdout).toEqual(['tcp: [3] 192.168.1.20,[<empty>],eth0 <empty>']);
    expect(renderHostFlat([{ ...host, ipAddress: 'fd00::20', hwAddress: '00:0e:1e:00:00:01', transport: '' }]).stdout)
      .toEqual(['<empty>: [3] [fd00::20],[00:0e:1e:00:00:01],eth0 <empty>']);
  });

  it('-P 1 prints the host block and an IPv4 and an IPv6 kernel iface', () => {
    const h: HostView = {
      ...host, state: undefined,
      ifaces: [
        { kernelName: 'ipv4-iface-3-0', ipAddress: '192.168.1.20', gateway: '192.168.1.1', subnet: '', bootProto: 'static', portState: 'up', portSpeed: '10 Gbps', port: 3260, mtu: 0, vlanId: null, vlanPriority: 0 },
        { kernelName: 'ipv6-iface-3-1', ipAddress: 'fd00::20', linkLocalAddress: 'fe80::1', portState: '', portSpeed: '', port: 0, mtu: 9000, vlanId: 12, vlanPriority: null },
      ],
    };
    expect(renderHostTree([h], 1).stdout).toEqual([
      'Host Number: 3', '\tState: Unknown', '\tTransport: tcp', '\tInitiatorname: <empty>', '\tIPaddress: 192.168.1.20', '\tHWaddress: <empty>', '\tNetdev: eth0',
      '\t**********', '\tInterface:', '\t**********', '\tKernel Name: ipv4-iface-3-0',
      '\tIPaddress: 192.168.1.20', '\tGateway: 192.168.1.1', '\tSubnet: <empty>', '\tBootProto: static',
      '\tPort State: up', '\tPort Speed: 10 Gbps', '\tPort: 3260', '\tMTU: <empty>', '\tVLAN ID: <empty>', '\tVLAN priority: 0',
      '\t**********', '\tInterface:', '\t**********', '\tKernel Name: ipv6-iface-3-1',
      '\tIPaddress: [fd00::20]', '\tIPaddress Autocfg: <empty>', '\tLink Local Address: [fe80::1]', '\tLink Local Autocfg: <empty>', '\tRouter Address: <empty>',
      '\tPort State: <empty>', '\tPort Speed: <empty>', '\tPort: <empty>', '\tMTU: 9000', '\tVLAN ID: 12', '\tVLAN priority: <empty>',
    ]);
  });

  const session: SessionView = {
    sid: 2, target: 'iqn.t', tpgt: 1, transport: 'tcp', flash: false,
    currentPortal: { address: '10.0.0.5', port: 3260 }, persistentPortal: { address: '10.0.0.5', port: 3260 },
    iface: { name: 'default', transport: 'tcp', initiatorName: 'iqn.i', ipAddress: '10.0.0.20', hwAddress: '', netdev: '' },
    states: { connection: 'LOGGED IN', session: 'LOGGED_IN', internal: 'NO CHANGE' },
    timeouts: { recovery: 120, targetReset: 30, lunReset: 30, abort: 15 },
    chap: { username: '', password: '', usernameIn: '', passwordIn: '' },
    negotiated: { headerDigest: 'None' },
    scsi: { hostNumber: 3, hostState: 'running', luns: [{ lun: 0, targetId: 0, blockDevice: 'sdb', state: 'running' }] },
  };

  it('-P 2 adds the Sessions banner and TAB-prefixed session trees without timeouts or CHAP', () => {
    const lines = renderHostTree([{ ...host, sessions: [session] }], 2).stdout;
    const at = lines.indexOf('\tSessions:');
    expect(lines.slice(at - 1, at + 5)).toEqual(['\t*********', '\tSessions:', '\t*********', '\tTarget: iqn.t (non-flash)', '\t\tCurrent Portal: 10.0.0.5:3260,1', '\t\tPersistent Portal: 10.0.0.5:3260,1']);
    expect(lines.at(-1)).toBe('\t\t\tInternal iscsid Session State: NO CHANGE');
    expect(lines.some((l) => l.includes('Timeouts:') || l.includes('CHAP:'))).toBe(false);
  });

  it('-P 4 prints the version lines first and the LUNs without a Host Number line', () => {
    const lines = renderHostTree([{ ...host, sessions: [session] }], 4, { transportClass: '2.0-870', version: '2.1.8' }).stdout;
    expect(lines.slice(0, 2)).toEqual(['iSCSI Transport Class version 2.0-870', 'version 2.1.8']);
    expect(lines.slice(-5)).toEqual([
      '\t\t\t************************', '\t\t\tAttached SCSI devices:', '\t\t\t************************',
      '\t\t\tscsi3 Channel 00 Id 0 Lun: 0', '\t\t\t\tAttached scsi disk sdb\t\tState: running',
    ]);
    expect(lines).toContain('\t\t\tHeaderDigest: None');
  });

  it('prints no Sessions banner for a host without sessions', () => {
    expect(renderHostTree([host], 3).stdout).not.toContain('\tSessions:');
  });
});
