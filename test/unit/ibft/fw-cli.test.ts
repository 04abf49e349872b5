/**
 * `tsiscsiadm -m fw` / `-m fw -l` / `-m discovery -t fw` over fake /sys/firmware trees
 * (reference boot-and-isns.md §2.6 case list). The trees come from the independent builder
 * (test/support/ibft-builder.ts), whose files equal the real kernel's dump. The expected
 * `-m fw` text of the reference table is the real iscsiadm 2.1.8 output captured in the VM
 * (ibft-vm-transcript.txt); the other cases follow fwparam_sysfs.c / fw_entry.c.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { execFirmware } from '../../../src/cli/exec/firmware.js';
import { readFirmwareTargets } from '../../../src/cli/exec/firmware-sysfs.js';
import { execDiscovery } from '../../../src/cli/exec/discovery.js';
import { ibftTree, referenceSpec, writeTree, type IbftSpec } from '../../support/ibft-builder.js';
import { command, context, emptyDir, fakeApi } from '../cli/exec-helpers.js';

const TRANSCRIPT = '/work/shared/reference/boot-and-isns/ibft-vm-transcript.txt';
const T0 = 'iqn.2026-11.test:disk1';
const T1 = 'iqn.2024-01.test.tsiscsi:ibft-second';
const V6 = 'fd00:0000:0000:0000:0000:0000:0002:0001';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A sysfs root holding firmware/ibft built from `spec`. */
function sysfsWith(spec: IbftSpec, opts: { netdev?: string; edit?: (ibft: string) => void } = {}): string {
  const sys = emptyDir();
  dirs.push(sys);
  const ibft = join(sys, 'firmware/ibft');
  writeTree(ibft, ibftTree(spec), opts.netdev ? { netdev: opts.netdev } : {});
  opts.edit?.(ibft);
  return sys;
}

/** The `iscsiadm -m fw` stdout of run 1 in the VM transcript. */
function vmFwOutput(): string {
  const t = readFileSync(TRANSCRIPT, 'utf8');
  const start = t.indexOf('=== iscsiadm -m fw\n') + '=== iscsiadm -m fw\n'.length;
  return t.slice(start, t.indexOf('rc=0', start));
}

describe('-m fw prints firmware records like iscsiadm 2.1.8', () => {
  it('reference table (two targets, mutual CHAP, IPv6, netdev from device/net): the VM\'s real iscsiadm output byte for byte', async () => {
    const { ctx, io } = context(fakeApi({}), { sysfs: sysfsWith(referenceSpec(true), { netdev: 'eth0' }) });
    expect(await execFirmware(command('fw', ['-m', 'fw']), ctx)).toBe(0);
    expect(io.stdout).toBe(vmFwOutput());
    expect(io.stderr).toBe('');
  });

  it('no device link: no iface.net_ifacename line; target flags 0 is ignored; flags 2 alone is enough', async () => {
    const spec = referenceSpec(true);
    spec.targets[0]!.flags = 0;
    spec.targets[1]!.flags = 2;
    const { ctx, io } = context(fakeApi({}), { sysfs: sysfsWith(spec) });
    expect(await execFirmware(command('fw', ['-m', 'fw']), ctx)).toBe(0);
    expect(io.stdout).not.toContain('net_ifacename');
    expect(io.stdout).not.toContain(T0);
    expect(io.stdout).toContain(`node.name = ${T1}\n`);
  });

  it('missing port → 3260; DHCP origin → bootproto DHCP; VLAN and secondary DNS shown', async () => {
    const spec = referenceSpec(false);
    Object.assign(spec.nics[0]!, { origin: 3, vlan: 12, dns2: '10.0.2.4' });
    const sys = sysfsWith(spec, { edit: (d) => rmSync(join(d, 'target0/port')) });
    const { ctx, io } = context(fakeApi({}), { sysfs: sys });
    expect(await execFirmware(command('fw', ['-m', 'fw']), ctx)).toBe(0);
    expect(io.stdout).toContain('iface.bootproto = DHCP\n');
    expect(io.stdout).toContain('iface.secondary_dns = 10.0.2.4\niface.vlan_id = 12\n');
    expect(io.stdout).toContain('node.conn[0].port = 3260\n');
  });

  it('nic-assoc naming no NIC: "Invalid nic-assoc" on stdout, target dropped; none left → err 21', async () => {
    const spec = referenceSpec(false);
    spec.targets[0]!.nicAssoc = 4;
    const { ctx, io } = context(fakeApi({}), { sysfs: sysfsWith(spec) });
    expect(await execFirmware(command('fw', ['-m', 'fw']), ctx)).toBe(21);
    expect(io.stdout).toBe('Invalid nic-assoc of 4. Max id 1.\n');
    expect(io.stderr).toBe('iscsiadm: Could not get list of targets from firmware. (err 21)\n');
  });

  it('NIC device without net/: the netdev is found by MAC in class/net; no match drops the target', async () => {
    const sys = sysfsWith(referenceSpec(false), { edit: (d) => mkdirSync(join(d, 'ethernet0/device'), { recursive: true }) });
    expect(readFirmwareTargets(sys).targets).toEqual([]);
    mkdirSync(join(sys, 'class/net/ens3'), { recursive: true });
    writeFileSync(join(sys, 'class/net/ens3/address'), '52:54:00:12:34:56\n');
    expect(readFirmwareTargets(sys).targets.map((t) => t.iface)).toEqual(['ens3']);
  });

  it('offload HBA (iscsi_boot5, qla4xxx layout without IP files): transport from the host driver', async () => {
    const sys = emptyDir();
    dirs.push(sys);
    const root = join(sys, 'firmware/iscsi_boot5');
    const files: Record<string, string> = {
      'initiator/initiator-name': 'iqn.2024-01.test:hba\n', 'ethernet0/flags': '2\n', 'ethernet0/index': '0\n', 'ethernet0/mac': '00:0e:1e:aa:bb:cc\n',
      'target0/flags': '2\n', 'target0/target-name': `${T0}\n`, 'target0/ip-addr': '192.168.5.9\n', 'target0/port': '3260\n', 'target0/nic-assoc': '0\n',
    };
    writeTree(root, new Map(Object.entries(files)));
    mkdirSync(join(sys, 'class/scsi_host/host5'), { recursive: true });
    writeFileSync(join(sys, 'class/scsi_host/host5/proc_name'), 'qla4xxx\n');
    const { ctx, io } = context(fakeApi({}), { sysfs: sys });
    expect(await execFirmware(command('fw', ['-m', 'fw']), ctx)).toBe(0);
    expect(io.stdout).toBe([
      '# BEGIN RECORD 2.1.8', 'iface.initiatorname = iqn.2024-01.test:hba', 'iface.transport_name = qla4xxx', 'iface.hwaddress = 00:0e:1e:aa:bb:cc',
      'iface.bootproto = STATIC', `node.name = ${T0}`, 'node.conn[0].address = 192.168.5.9', 'node.conn[0].port = 3260', '# END RECORD', '',
    ].join('\n'));
  });

  it('--json: one firmware.targets document, passwords masked', async () => {
    const { ctx, io } = context(fakeApi({}), { sysfs: sysfsWith(referenceSpec(true)), json: true });
    expect(await execFirmware(command('fw', ['-m', 'fw', '--json']), ctx)).toBe(0);
    const doc = JSON.parse(io.stdout) as { kind: string; targets: { target: string; password: string; username: string }[] };
    expect(doc.kind).toBe('firmware.targets');
    expect(doc.targets.map((t) => t.target)).toEqual([T0, T1]);
    expect(doc.targets[1]!.username).toBe('chapuser');
    expect(io.stdout).not.toContain('chapsecret123');
    expect(doc.targets[1]!.password).toBe('********');
  });
});

const key = (target: string, address: string, port: number) => ({ target, address, port, tpgt: 1, iface: 'default' });
const ok = (target: string, address: string, port: number, sid: number) => ({ node: key(target, address, port), sids: [sid], multiple: false, completedAfterMs: 1 });

describe('-m fw -l logs in through the daemon', () => {
  it('sends every target with its CHAP and initiator name; prints Logging in + result per target; exit 0 even when one failed', async () => {
    const api = fakeApi({
      'firmware.login': () => ({
        results: [ok(T0, '10.0.2.2', 13260, 1), { ...ok(T1, V6, 3260, 2), sids: [], error: { errno: 8, code: 'LOGIN_TIMEOUT', message: 'timed out' } }],
        firstErrno: 8,
      }),
    });
    const { ctx, io } = context(api, { sysfs: sysfsWith(referenceSpec(true)) });
    expect(await execFirmware(command('fw', ['-m', 'fw', '-l', '-W']), ctx)).toBe(0);
    expect(api.calls[0]!.params).toEqual({
      targets: [
        { target: T0, address: '10.0.2.2', port: 13260, initiatorName: 'iqn.2024-01.test.tsiscsi:ibft-init', username: '', password: '', usernameIn: '', passwordIn: '' },
        { target: T1, address: V6, port: 3260, initiatorName: 'iqn.2024-01.test.tsiscsi:ibft-init', username: 'chapuser', password: 'chapsecret123', usernameIn: 'revuser', passwordIn: 'revsecret4567' },
      ],
    });
    expect(io.stdout).toBe(
      `Logging in to [iface: default, target: ${T0}, portal: 10.0.2.2,13260]\nLogin to [iface: default, target: ${T0}, portal: 10.0.2.2,13260] successful.\n` +
      `Logging in to [iface: default, target: ${T1}, portal: ${V6},3260]\n`,
    );
    expect(io.stderr).toBe(`iscsiadm: Could not login to [iface: default, target: ${T1}, portal: ${V6},3260].\niscsiadm: initiator reported error (8 - connection timed out)\n`);
  });

  it('a target whose session exists already prints nothing (iscsi_login_portal skips it)', async () => {
    const api = fakeApi({
      'firmware.login': () => ({ results: [{ ...ok(T0, '10.0.2.2', 13260, 1), sids: [], error: { errno: 15, code: 'SESSION_EXISTS', message: 'x: 1 session requested, but 1 already present' } }], firstErrno: 15 }),
    });
    const { ctx, io } = context(api, { sysfs: sysfsWith(referenceSpec(false)) });
    expect(await execFirmware(command('fw', ['-m', 'fw', '-l']), ctx)).toBe(0);
    expect(io.stdout + io.stderr).toBe('');
  });

  it('no firmware: err 21 and the daemon is never asked', async () => {
    const sys = emptyDir();
    mkdirSync(join(sys, 'firmware'));
    const api = fakeApi({ 'firmware.login': () => ({ results: [], firstErrno: 0 }) });
    const { ctx, io } = context(api, { sysfs: sys });
    expect(await execFirmware(command('fw', ['-m', 'fw', '-l']), ctx)).toBe(21);
    expect(io.stderr).toBe('iscsiadm: Could not get list of targets from firmware. (err 21)\n');
    expect(api.calls).toEqual([]);
  });
});

describe('-m discovery -t fw', () => {
  const result = (portals: ReturnType<typeof key>[]) => ({
    portals, created: portals, updated: [], unchanged: [], skipped: [], deleted: [], kept: [], failed: [], firstErrno: 0, warnings: [],
  });

  it('prints addr:port,1 target lines (IPv6 bracketed) in firmware order; -o ops are passed on', async () => {
    const api = fakeApi({ 'discovery.firmware': () => result([key(T0, '10.0.2.2', 13260), key(T1, V6, 3260)]) });
    const { ctx, io } = context(api, { sysfs: sysfsWith(referenceSpec(true)) });
    expect(await execDiscovery(command('discovery', ['-m', 'discovery', '-t', 'fw', '-o', 'new']), ctx)).toBe(0);
    expect(io.stdout).toBe(`10.0.2.2:13260,1 ${T0}\n[${V6}]:3260,1 ${T1}\n`);
    expect((api.calls[0]!.params as { ops?: string[] }).ops).toEqual(['new']);
  });

  it('discoverydb -t fw -D behaves the same; no firmware → err 21', async () => {
    const api = fakeApi({ 'discovery.firmware': () => result([key(T0, '10.0.2.2', 13260)]) });
    const { ctx, io } = context(api, { sysfs: sysfsWith(referenceSpec(false)) });
    expect(await execDiscovery(command('discoverydb', ['-m', 'discoverydb', '-t', 'fw', '-D']), ctx)).toBe(0);
    expect(io.stdout).toBe(`10.0.2.2:13260,1 ${T0}\n`);
    const sys = emptyDir();
    mkdirSync(join(sys, 'firmware'));
    const none = context(api, { sysfs: sys });
    expect(await execDiscovery(command('discovery', ['-m', 'discovery', '-t', 'fw']), none.ctx)).toBe(21);
  });

  it('a scan notice is printed twice, as iscsiadm reads the firmware twice during fw discovery', async () => {
    const spec = referenceSpec(true);
    spec.targets[1]!.nicAssoc = 9;
    const api = fakeApi({ 'discovery.firmware': () => result([key(T0, '10.0.2.2', 13260)]) });
    const { ctx, io } = context(api, { sysfs: sysfsWith(spec) });
    expect(await execDiscovery(command('discovery', ['-m', 'discovery', '-t', 'fw']), ctx)).toBe(0);
    expect(io.stdout).toBe(`Invalid nic-assoc of 9. Max id 1.\nInvalid nic-assoc of 9. Max id 1.\n10.0.2.2:13260,1 ${T0}\n`);
  });
});
