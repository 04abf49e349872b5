/**
 * The rest of the CLI: host and firmware modes (no kernel hosts / no iBFT here, and a
 * fake sysfs with a host), `-k 0`, the daemon-unreachable lines, the iscsiadm alias,
 * the open-iscsi import request, the TTY progress line, and `run()` end to end for
 * commands that never reach the daemon.
 */
import { closeSync, lstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { daemonApi } from '../../../src/cli/exec/api.js';
import { installAlias, uninstallAlias } from '../../../src/cli/exec/alias.js';
import { bufferIo } from '../../../src/cli/exec/context.js';
import { execFirmware } from '../../../src/cli/exec/firmware.js';
import { fdSink } from '../../../src/cli/exec/fd-sink.js';
import { execHost } from '../../../src/cli/exec/host.js';
import { defaultImportRoot, importOpenIscsi } from '../../../src/cli/exec/import.js';
import { execKill } from '../../../src/cli/exec/kill.js';
import { ttyProgress } from '../../../src/cli/exec/progress.js';
import { connectFailure } from '../../../src/cli/exec/report.js';
import { run } from '../../../src/cli/main.js';
import { IscsiError } from '../../../src/shared/errors.js';
import { distPath } from '../../support/dist.js';
import { command, context, daemonError, emptyDir, fakeApi } from './exec-helpers.js';

function fakeSysfsWithHost(): string {
  const sys = emptyDir();
  const h = join(sys, 'class/iscsi_host/host3');
  const s = join(sys, 'class/scsi_host/host3');
  mkdirSync(h, { recursive: true });
  mkdirSync(s, { recursive: true });
  writeFileSync(join(h, 'ipaddress'), '192.168.1.20\n');
  writeFileSync(join(h, 'netdev'), 'eth0\n');
  writeFileSync(join(s, 'proc_name'), 'tcp\n');
  writeFileSync(join(s, 'state'), 'running\n');
  return sys;
}

describe('host and firmware modes', () => {
  it('no iSCSI host (usertcp only): "No iSCSI hosts." exit 21', () => {
    const { ctx, io } = context(fakeApi({}));
    expect(execHost(command('host', ['-m', 'host', '-P', '1']), ctx)).toBe(21);
    expect(io.stderr).toBe('iscsiadm: No iSCSI hosts.\n');
  });

  it('kernel hosts in sysfs are listed in iscsiadm\'s flat format', () => {
    const { ctx, io } = context(fakeApi({}), { sysfs: fakeSysfsWithHost() });
    expect(execHost(command('host', ['-m', 'host']), ctx)).toBe(0);
    expect(io.stdout).toBe('tcp: [3] 192.168.1.20,[<empty>],eth0 <empty>\n');
  });

  it('-C stats on a host that does not exist: iscsiadm\'s two lines, exit 12', () => {
    const { ctx, io } = context(fakeApi({}));
    expect(execHost(command('host', ['-m', 'host', '-H', '1', '-C', 'stats']), ctx)).toBe(12);
    expect(io.stderr).toBe('iscsiadm: Could not read proc_name for host1 rc 5.\niscsiadm: Could not match hostno 1 to transport.\n');
  });

  it('-m fw without firmware targets: err 21 (22 without a firmware directory, as iscsiadm)', async () => {
    const sys = emptyDir();
    mkdirSync(join(sys, 'firmware'), { recursive: true });
    const none = context(fakeApi({}), { sysfs: sys });
    expect(await execFirmware(command('fw', ['-m', 'fw']), none.ctx)).toBe(21);
    expect(none.io.stderr).toBe('iscsiadm: Could not get list of targets from firmware. (err 21)\n');
    mkdirSync(join(sys, 'firmware/ibft'), { recursive: true });
    const empty = context(fakeApi({}), { sysfs: sys });
    expect(await execFirmware(command('fw', ['-m', 'fw']), empty.ctx)).toBe(21);
    const nofw = context(fakeApi({}));
    expect(await execFirmware(command('fw', ['-m', 'fw']), nofw.ctx)).toBe(22);
  });
});

describe('daemon stop and reachability', () => {
  it('-k 0 stops the daemon silently; a failure prints 2.1.8\'s lines and still exits 0', async () => {
    const good = context(fakeApi({ 'daemon.stop': () => ({ stopping: true as const }) }));
    expect(await execKill(good.ctx)).toBe(0);
    expect(good.io.stdout + good.io.stderr).toBe('');
    const down = context(fakeApi({ 'daemon.stop': () => { throw daemonError('DAEMON_NOT_RUNNING', 20); } }));
    expect(await execKill(down.ctx)).toBe(0);
    expect(down.io.stderr).toBe('iscsiadm: initiator reported error (20 - could not connect to iscsid)\niscsiadm: Could not stop iscsid. Trying sending iscsid SIGTERM or SIGKILL signals manually\n');
  });

  it('a daemon that is not there: "iscsid is not running..." and "can not connect to iSCSI daemon (111)!"', () => {
    const err = new IscsiError('DAEMON_NOT_RUNNING', 'x', { errno: 20, details: { syscallCode: 'ECONNREFUSED' } });
    expect(connectFailure(err).stderr).toEqual([
      'iscsiadm: iscsid is not running. Could not start it up automatically using the startup command in the iscsid.conf iscsid.startup setting. Please check that the file exists or that your init scripts have started iscsid.',
      'iscsiadm: can not connect to iSCSI daemon (111)!',
    ]);
    const denied = new IscsiError('DAEMON_ACCESS_DENIED', 'x', { errno: 13, details: { syscallCode: 'EACCES' } });
    expect(connectFailure(denied).stderr).toEqual(['iscsiadm: can not connect to iSCSI daemon (13)!']);
  });

  it('the API reports a missing socket once, as errno 20 (DAEMON_NOT_RUNNING)', async () => {
    const seen: string[] = [];
    const api = daemonApi(join(emptyDir(), 'none.sock'), (e) => seen.push(e.code));
    await expect(api.call('session.list', {})).rejects.toMatchObject({ code: 'DAEMON_NOT_RUNNING', errno: 20 });
    await expect(api.call('node.list', {})).rejects.toMatchObject({ errno: 20 });
    expect(seen).toEqual(['DAEMON_NOT_RUNNING']);
  });
});

describe('iscsiadm alias (opt-in)', () => {
  const setup = () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsiscsiadm-alias-'));
    const target = join(dir, 'bin-tsiscsiadm');
    writeFileSync(target, '#!/bin/sh\n');
    return { dir, target, path: join(dir, 'iscsiadm') };
  };

  it('installs a symbolic link, refreshes its own link, and uninstall removes it', () => {
    const { target, path } = setup();
    const io = bufferIo(false);
    expect(installAlias(io, path, target)).toBe(0);
    expect(readlinkSync(path)).toBe(target);
    expect(installAlias(io, path, target)).toBe(0);
    expect(readlinkSync(path)).toBe(target);
    expect(uninstallAlias(io, path, target)).toBe(0);
    expect(() => lstatSync(path)).toThrow();
    expect(uninstallAlias(bufferIo(false), path, target)).toBe(21);
  });

  it('never replaces a real file or a foreign link (exit 7, untouched)', () => {
    const { dir, target, path } = setup();
    writeFileSync(path, 'REAL ISCSIADM');
    const io = bufferIo(false);
    expect(installAlias(io, path, target)).toBe(7);
    expect(readFileSync(path, 'utf8')).toBe('REAL ISCSIADM');
    expect(io.stderr).toMatch(/^iscsiadm: .*iscsiadm exists and is not a tsiscsiadm link/);
    expect(uninstallAlias(bufferIo(false), path, target)).toBe(7);
    expect(readFileSync(path, 'utf8')).toBe('REAL ISCSIADM');
    const other = join(dir, 'other');
    symlinkSync('/usr/bin/true', other);
    expect(installAlias(bufferIo(false), other, target)).toBe(7);
    expect(readlinkSync(other)).toBe('/usr/bin/true');
  });
});

describe('open-iscsi import', () => {
  it('without an import method in the daemon: a clear message and exit 27, nothing called', async () => {
    const api = fakeApi({}, { methods: ['node.list'] });
    const { ctx, io } = context(api);
    expect(await importOpenIscsi(ctx, '/etc/iscsi')).toBe(27);
    expect(io.stderr).toBe('iscsiadm: --import-open-iscsi: this tsiscsid has no import method (db.import); nothing was imported from /etc/iscsi\n');
    expect(api.calls).toEqual([]);
  });

  it('with db.import: asks for the source and summarises', async () => {
    const api = fakeApi({}, { methods: ['db.import'], any: { 'db.import': () => ({ imported: [{}, {}], skipped: [{ id: 'n1', reason: 'exists' }], warnings: [] }) } });
    const { ctx, io } = context(api);
    expect(await importOpenIscsi(ctx, '/srv/iscsi')).toBe(0);
    expect(api.calls).toEqual([{ method: 'db.import', params: { source: '/srv/iscsi' } }]);
    expect(io.stdout).toBe('Imported 2 records from /srv/iscsi, skipped 1.\n');
    expect(io.stderr).toBe('iscsiadm: skipped n1: exists\n');
  });

  it('picks /var/lib/iscsi when it holds a database, else /etc/iscsi', () => {
    expect(defaultImportRoot((p) => p === '/var/lib/iscsi/nodes')).toBe('/var/lib/iscsi');
    expect(defaultImportRoot(() => false)).toBe('/etc/iscsi');
  });
});

describe('output to a file descriptor', () => {
  it('writes everything in order, multi-byte text included', () => {
    const file = join(emptyDir(), 'out');
    const fd = openSync(file, 'w');
    const sink = fdSink(fd);
    sink.write('Login to [iface: default] successful.\n');
    sink.write('ä'.repeat(100_000));
    closeSync(fd);
    expect(readFileSync(file, 'utf8')).toBe(`Login to [iface: default] successful.\n${'ä'.repeat(100_000)}`);
  });

  it('a reader that went away (EPIPE) ends the output quietly; other errors are thrown', () => {
    const mod = JSON.stringify(distPath('cli/exec/fd-sink.js'));
    const script = `import { fdSink } from ${mod}; const o = fdSink(1); o.write('x'.repeat(1 << 20)); o.write('more'); process.stderr.write('survived')`;
    const r = spawnSync('/bin/sh', ['-c', `${JSON.stringify(process.execPath)} --input-type=module -e "$0" | head -c 1 >/dev/null`, script], { encoding: 'utf8' });
    expect(r.stderr).toBe('survived');
    const fd = openSync(join(emptyDir(), 'closed'), 'w');
    closeSync(fd);
    expect(() => fdSink(fd).write('x')).toThrow(/EBADF/);
  });
});

describe('progress line', () => {
  it('draws on a TTY and erases itself; nothing at all when not a TTY', () => {
    let out = '';
    const p = ttyProgress({ isTTY: true, write: (s: string) => (out += s) })!;
    p.start('logging in', 2);
    p.tick();
    p.done();
    expect(out).toBe('\r\u001b[Klogging in: 0/2\r\u001b[Klogging in: 1/2\r\u001b[K');
    expect(ttyProgress({ isTTY: false, write: () => undefined })).toBeUndefined();
  });
});

describe('run() without the daemon', () => {
  const env = () => {
    const out = { stdout: '', stderr: '' };
    return {
      out,
      env: {
        stdout: { write: (s: string) => (out.stdout += s) }, stderr: { write: (s: string) => (out.stderr += s) },
        env: { TSISCSI_ROOT: emptyDir() }, programPath: '/usr/bin/tsiscsiadm',
      },
    };
  };

  it('a bad option prints iscsiadm\'s exact lines and exits 7', async () => {
    const { out, env: e } = env();
    expect(await run(['-m', 'node', '-P', '2'], e)).toBe(7);
    expect(out).toEqual({ stdout: '', stderr: 'iscsiadm: Invalid info level 2. Try 0 or 1.\n' });
  });

  it('--json turns an argument error into an error document', async () => {
    const { out, env: e } = env();
    expect(await run(['-m', 'session', '-o', 'new', '--json'], e)).toBe(7);
    expect(JSON.parse(out.stdout)).toEqual({ schema: 1, kind: 'error', errno: 7, message: "session mode: Operation 'new' only allowed with specific session IDs" });
  });

  it('-V names the program; through the iscsiadm alias it answers as iscsiadm 2.1.8', async () => {
    const a = env();
    expect(await run(['-V'], a.env)).toBe(0);
    expect(a.out.stdout).toBe('tsiscsiadm version 0.1.0\n');
    const b = env();
    expect(await run(['-V'], { ...b.env, programPath: '/usr/sbin/iscsiadm' })).toBe(0);
    expect(b.out.stdout).toBe('iscsiadm version 2.1.8\n');
  });

  it('an unreachable daemon: the two iscsiadm lines (111 also for a missing socket file), exit 20', async () => {
    const { out, env: e } = env();
    expect(await run(['-m', 'discovery', '-t', 'st', '-p', '127.0.0.1:1'], e)).toBe(20);
    expect(out.stdout).toBe('');
    expect(out.stderr).toMatch(new RegExp(
      '^iscsiadm: iscsid is not running. Could not start it up automatically using the startup command in the iscsid.conf iscsid.startup setting. Please check that the file exists or that your init scripts have started iscsid.\n'
      + 'iscsiadm: can not connect to iSCSI daemon \\(111\\)!\n',
    ));
  });

  it('no daemon: -m session answers like iscsiadm with no sessions ("No active sessions.", exit 21)', async () => {
    const { out, env: e } = env();
    expect(await run(['-m', 'session'], e)).toBe(21);
    expect(out.stdout).toBe('');
    expect(out.stderr).toBe('iscsiadm: No active sessions.\n');
  });
});
