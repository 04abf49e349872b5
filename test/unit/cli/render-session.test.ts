/**
 * `-m session` text. No real iscsiadm can list sessions without a kernel, so the
 * expectations are written by hand from reference §6.5 (its worked `-P 3` example is
 * copied line by line) and the session tree rules stated there.
 */
import { describe, expect, it } from 'vitest';
import { renderSessionFlat, renderSessionTree, sessionBlocks, sessionTreeLines, sortSessions } from '../../../src/cli/render/session.js';
import { toText } from '../../../src/cli/render/text.js';
import type { SessionView } from '../../../src/cli/render/types.js';

/** The session of the reference's worked example (§6.5). */
function example(over: Partial<SessionView> = {}): SessionView {
  return {
    sid: 1,
    target: 'iqn.2024-01.example:store1',
    tpgt: 1,
    transport: 'tcp',
    flash: false,
    currentPortal: { address: '10.0.0.5', port: 3260 },
    persistentPortal: { address: '10.0.0.5', port: 3260 },
    iface: { name: 'default', transport: 'tcp', initiatorName: 'iqn.2016-04.com.open-iscsi:4f2a9c1b7e3', ipAddress: '10.0.0.20', hwAddress: '', netdev: '' },
    states: { connection: 'LOGGED IN', session: 'LOGGED_IN', internal: 'NO CHANGE' },
    timeouts: { recovery: 120, targetReset: 30, lunReset: 30, abort: 15 },
    chap: { username: '', password: '', usernameIn: '', passwordIn: '' },
    negotiated: {
      headerDigest: 'None', dataDigest: 'None', maxRecvDataSegmentLength: 262144, maxXmitDataSegmentLength: 262144,
      firstBurstLength: 65536, maxBurstLength: 262144, immediateData: true, initialR2T: true, maxOutstandingR2T: 1,
    },
    scsi: { hostNumber: 3, hostState: 'running', luns: [{ lun: 0, targetId: 0, blockDevice: 'sdb', state: 'running' }] },
    ...over,
  };
}

/** Reference §6.5 worked example, `\t` = TAB, every line newline-terminated. */
const WORKED_EXAMPLE = [
  'iSCSI Transport Class version 2.0-870',
  'version 2.1.11',
  'Target: iqn.2024-01.example:store1 (non-flash)',
  '\tCurrent Portal: 10.0.0.5:3260,1',
  '\tPersistent Portal: 10.0.0.5:3260,1',
  '\t\t**********',
  '\t\tInterface:',
  '\t\t**********',
  '\t\tIface Name: default',
  '\t\tIface Transport: tcp',
  '\t\tIface Initiatorname: iqn.2016-04.com.open-iscsi:4f2a9c1b7e3',
  '\t\tIface IPaddress: 10.0.0.20',
  '\t\tIface HWaddress: <empty>',
  '\t\tIface Netdev: <empty>',
  '\t\tSID: 1',
  '\t\tiSCSI Connection State: LOGGED IN',
  '\t\tiSCSI Session State: LOGGED_IN',
  '\t\tInternal iscsid Session State: NO CHANGE',
  '\t\t*********',
  '\t\tTimeouts:',
  '\t\t*********',
  '\t\tRecovery Timeout: 120',
  '\t\tTarget Reset Timeout: 30',
  '\t\tLUN Reset Timeout: 30',
  '\t\tAbort Timeout: 15',
  '\t\t*****',
  '\t\tCHAP:',
  '\t\t*****',
  '\t\tusername: <empty>',
  '\t\tpassword: ********',
  '\t\tusername_in: <empty>',
  '\t\tpassword_in: ********',
  '\t\t************************',
  '\t\tNegotiated iSCSI params:',
  '\t\t************************',
  '\t\tHeaderDigest: None',
  '\t\tDataDigest: None',
  '\t\tMaxRecvDataSegmentLength: 262144',
  '\t\tMaxXmitDataSegmentLength: 262144',
  '\t\tFirstBurstLength: 65536',
  '\t\tMaxBurstLength: 262144',
  '\t\tImmediateData: Yes',
  '\t\tInitialR2T: Yes',
  '\t\tMaxOutstandingR2T: 1',
  '\t\t************************',
  '\t\tAttached SCSI devices:',
  '\t\t************************',
  '\t\tHost Number: 3\tState: running',
  '\t\tscsi3 Channel 00 Id 0 Lun: 0',
  '\t\t\tAttached scsi disk sdb\t\tState: running',
].map((l) => `${l}\n`).join('');

describe('session flat (-P 0)', () => {
  it('prints the reference example line', () => {
    const s = example({ target: 'iqn.2003-01.org.linux-iscsi.x:sn.e29c', persistentPortal: { address: '192.168.101.3', port: 3260 } });
    expect(renderSessionFlat([s]).stdout).toEqual(['tcp: [1] 192.168.101.3:3260,1 iqn.2003-01.org.linux-iscsi.x:sn.e29c (non-flash)']);
  });

  it('brackets an IPv6 persistent address, prints <empty> for an unknown transport and flash sessions', () => {
    const s = example({ transport: '', flash: true, persistentPortal: { address: 'fd00::5', port: 3260 } });
    expect(renderSessionFlat([s]).stdout).toEqual(['<empty>: [1] [fd00::5]:3260,1 iqn.2024-01.example:store1 (flash)']);
  });

  it('lists sessions in sysfs name order: session10 before session2', () => {
    const lines = renderSessionFlat([2, 10, 1].map((sid) => example({ sid }))).stdout;
    expect(lines.map((l) => /\[(\d+)\]/.exec(l)?.[1])).toEqual(['1', '10', '2']);
    expect(sortSessions([{ sid: 2 }, { sid: 10 }]).map((s) => s.sid)).toEqual([10, 2]);
  });
});

describe('session tree (-P 1..3)', () => {
  it('prints the reference -P 3 worked example byte for byte', () => {
    const r = renderSessionTree([example()], { level: 3, versions: { transportClass: '2.0-870', version: '2.1.11' } });
    expect(toText(r.stdout)).toBe(WORKED_EXAMPLE);
    expect(r.stderr).toEqual([]);
  });

  it('-P 1 stops after the state lines; -P 2 stops after the negotiated params', () => {
    const lines = WORKED_EXAMPLE.split('\n');
    const p1 = renderSessionTree([example()], { level: 1 }).stdout;
    expect(p1).toEqual(lines.slice(2, lines.indexOf('\t\tInternal iscsid Session State: NO CHANGE') + 1));
    const p2 = renderSessionTree([example()], { level: 2 }).stdout;
    expect(p2).toEqual(lines.slice(2, lines.indexOf('\t\tMaxOutstandingR2T: 1') + 1));
  });

  it('prints no version lines at -P 3 when the transport class version is unknown', () => {
    const r = renderSessionTree([example()], { level: 3, versions: { transportClass: null, version: '2.1.8' } });
    expect(r.stdout[0]).toBe('Target: iqn.2024-01.example:store1 (non-flash)');
  });

  it('prints Target only when it changes and an empty line for a repeated current portal', () => {
    const a = example({ sid: 1 });
    const b = example({ sid: 2, iface: { ...a.iface, name: 'eth1' } });
    const c = example({ sid: 3, currentPortal: { address: 'fd00::9', port: 3261 }, persistentPortal: { address: 'fd00::9', port: 3261 } });
    const d = example({ sid: 4, target: 'iqn.2024-01.example:store2' });
    const lines = renderSessionTree([a, b, c, d], { level: 1 }).stdout;
    const heads = lines.filter((l) => l.startsWith('Target:') || l.startsWith('\tCurrent') || l.startsWith('\tPersistent') || l === '');
    expect(heads).toEqual([
      'Target: iqn.2024-01.example:store1 (non-flash)',
      '\tCurrent Portal: 10.0.0.5:3260,1',
      '\tPersistent Portal: 10.0.0.5:3260,1',
      '',
      '\tCurrent Portal: [fd00::9]:3261,1',
      '\tPersistent Portal: [fd00::9]:3261,1',
      'Target: iqn.2024-01.example:store2 (non-flash)',
      '\tCurrent Portal: 10.0.0.5:3260,1',
      '\tPersistent Portal: 10.0.0.5:3260,1',
    ]);
  });

  it('shows the redirected current portal next to the persistent one', () => {
    const s = example({ currentPortal: { address: '10.0.0.6', port: 3262 } });
    const lines = renderSessionTree([s], { level: 1 }).stdout;
    expect(lines.slice(1, 3)).toEqual(['\tCurrent Portal: 10.0.0.6:3262,1', '\tPersistent Portal: 10.0.0.5:3260,1']);
  });

  it('brackets an IPv6 iface address and prints <empty> for unset iface values and Unknown states', () => {
    const s = example({
      iface: { name: '', transport: '', initiatorName: '', ipAddress: 'fd00::20', hwAddress: '', netdev: '' },
      states: { connection: 'Unknown', session: '', internal: 'Unknown' },
    });
    const lines = renderSessionTree([s], { level: 1 }).stdout;
    expect(lines.slice(6)).toEqual([
      '\t\tIface Name: <empty>', '\t\tIface Transport: <empty>', '\t\tIface Initiatorname: <empty>',
      '\t\tIface IPaddress: [fd00::20]', '\t\tIface HWaddress: <empty>', '\t\tIface Netdev: <empty>',
      '\t\tSID: 1', '\t\tiSCSI Connection State: Unknown', '\t\tiSCSI Session State: Unknown', '\t\tInternal iscsid Session State: Unknown',
    ]);
  });

  it('prints <empty> for unknown or negative reset/abort timeouts', () => {
    const s = example({ timeouts: { recovery: -1, targetReset: null, lunReset: -1, abort: null } });
    const lines = renderSessionTree([s], { level: 2 }).stdout;
    const at = lines.indexOf('\t\tTimeouts:');
    expect(lines.slice(at + 2, at + 6)).toEqual([
      '\t\tRecovery Timeout: -1', '\t\tTarget Reset Timeout: <empty>', '\t\tLUN Reset Timeout: <empty>', '\t\tAbort Timeout: <empty>',
    ]);
  });

  it('masks CHAP passwords without -S; with -S shows them and labels the inbound one "password:" (upstream bug)', () => {
    const s = example({ chap: { username: 'alice', password: 'a-secret', usernameIn: 'tgt', passwordIn: '' } });
    const chap = (show: boolean) => {
      const lines = renderSessionTree([s], { level: 2, showSecrets: show }).stdout;
      const at = lines.indexOf('\t\tCHAP:');
      return lines.slice(at + 2, at + 6);
    };
    expect(chap(false)).toEqual(['\t\tusername: alice', '\t\tpassword: ********', '\t\tusername_in: tgt', '\t\tpassword_in: ********']);
    expect(chap(true)).toEqual(['\t\tusername: alice', '\t\tpassword: a-secret', '\t\tusername_in: tgt', '\t\tpassword: <empty>']);
  });

  it('prints only the negotiated values present, and just the header before the first login', () => {
    const lines = (negotiated: SessionView['negotiated']) => {
      const all = renderSessionTree([example({ negotiated })], { level: 2 }).stdout;
      return all.slice(all.indexOf('\t\tNegotiated iSCSI params:') + 2);
    };
    expect(lines({ headerDigest: 'CRC32C', initialR2T: false })).toEqual(['\t\tHeaderDigest: CRC32C', '\t\tInitialR2T: No']);
    expect(lines(null)).toEqual([]);
  });

  it('prints Unavailable for a session without a kernel SCSI host (usertcp) and no LUN lines', () => {
    const s = example({ scsi: { hostNumber: null, hostState: 'Unknown', luns: [{ lun: 0, targetId: 0, vendor: 'IET', product: 'VIRTUAL-DISK' }] } });
    const lines = renderSessionTree([s], { level: 3, versions: { version: '2.1.8' } }).stdout;
    expect(lines.slice(-4)).toEqual(['\t\t************************', '\t\tAttached SCSI devices:', '\t\t************************', '\t\tUnavailable']);
  });

  it('prints every LUN, the disk line only with a block device, and Unknown for missing states', () => {
    const s = example({
      scsi: { hostNumber: 7, luns: [{ lun: 0, targetId: 0 }, { lun: 1, targetId: 0, blockDevice: 'sdc' }] },
    });
    const lines = renderSessionTree([s], { level: 3 }).stdout;
    expect(lines.slice(-4)).toEqual([
      '\t\tHost Number: 7\tState: Unknown',
      '\t\tscsi7 Channel 00 Id 0 Lun: 0',
      '\t\tscsi7 Channel 00 Id 0 Lun: 1',
      '\t\t\tAttached scsi disk sdc\t\tState: Unknown',
    ]);
  });

  it('in host mode prefixes every line with a TAB except the same-portal empty line', () => {
    const lines = sessionTreeLines([example({ sid: 1 }), example({ sid: 2 })], '\t', sessionBlocks(1));
    expect(lines[0]).toBe('\tTarget: iqn.2024-01.example:store1 (non-flash)');
    expect(lines).toContain('');
    expect(lines.filter((l) => l !== '').every((l) => l.startsWith('\t'))).toBe(true);
    expect(lines).toContain('\t\t\tSID: 2');
  });
});
