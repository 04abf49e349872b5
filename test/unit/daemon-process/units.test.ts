/**
 * systemd/ unit files and etc/ defaults: `systemd-analyze verify` on a copy whose
 * ExecStart paths point at this checkout's bin/, the settings issue 3 §4 requires, and
 * the shipped config files.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { shippedIscsidConfText } from '../../../src/daemon/main.js';
import { parseInitiatorName, parseIscsidConf } from '../../../src/db/index.js';
import { validateName } from '../../../src/iscsi/names.js';
import { daemonPaths } from '../../../src/shared/paths.js';
import { REPO } from './helpers.js';

const UNIT_DIR = join(REPO, 'systemd');
const UNITS = ['tsiscsid.service', 'tsiscsid.socket', 'tsiscsi.service', 'tsiscsi-init.service'];

/** Unit file → section → key → values (a key may repeat, e.g. ExecStop). */
function parseUnit(name: string): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  let section = '';
  for (const raw of readFileSync(join(UNIT_DIR, name), 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) {
      section = sec[1]!;
      out[section] ??= {};
      continue;
    }
    const eq = line.indexOf('=');
    const key = line.slice(0, eq);
    (out[section]![key] ??= []).push(line.slice(eq + 1));
  }
  return out;
}

const ROOT_PATHS = daemonPaths('/');

describe('unit files', () => {
  it('the directory holds exactly the four units', () => {
    expect(readdirSync(UNIT_DIR).sort()).toEqual([...UNITS].sort());
  });

  it('tsiscsid.service: Type=notify, NotifyAccess=all, watchdog, open-iscsi ordering', () => {
    const u = parseUnit('tsiscsid.service');
    expect(u.Service).toMatchObject({
      Type: ['notify'], NotifyAccess: ['all'], ExecStart: ['/usr/sbin/tsiscsid -f'], KillMode: ['mixed'], Restart: ['on-failure'],
    });
    expect(Number(u.Service!.WatchdogSec![0])).toBeGreaterThan(0);
    expect(u.Unit).toMatchObject({
      DefaultDependencies: ['no'], After: ['network-online.target tsiscsi-init.service'], Before: ['remote-fs-pre.target'],
      Wants: ['remote-fs-pre.target'], Requires: ['tsiscsi-init.service'],
    });
    expect(u.Install).toMatchObject({ Also: ['tsiscsid.socket'] });
  });

  it('tsiscsid.socket listens on the daemon socket path, root-only', () => {
    const u = parseUnit('tsiscsid.socket');
    expect(u.Socket).toMatchObject({ ListenStream: [ROOT_PATHS.socket], SocketMode: ['0600'], DirectoryMode: ['0700'] });
    expect(u.Install).toMatchObject({ WantedBy: ['sockets.target'] });
  });

  it('tsiscsi.service logs in automatic nodes without waiting (-W) and logs out on stop', () => {
    const u = parseUnit('tsiscsi.service');
    expect(u.Service).toMatchObject({
      Type: ['oneshot'], RemainAfterExit: ['yes'], SuccessExitStatus: ['21 15'],
      ExecStart: ['/usr/sbin/tsiscsiadm -m node --loginall=automatic -W'],
      ExecStop: ['/usr/sbin/tsiscsiadm -m node --logoutall=automatic', '/usr/sbin/tsiscsiadm -m node --logoutall=manual'],
    });
    expect(u.Unit).toMatchObject({ Requires: ['tsiscsid.socket tsiscsi-init.service'], Before: ['remote-fs.target'] });
  });

  it('tsiscsi-init.service creates the initiator name only when missing', () => {
    const u = parseUnit('tsiscsi-init.service');
    expect(u.Unit).toMatchObject({ ConditionPathExists: [`!${ROOT_PATHS.initiatorName}`], DefaultDependencies: ['no'] });
    expect(u.Service).toMatchObject({ Type: ['oneshot'], ExecStart: ['/usr/sbin/tsiscsid --generate-initiatorname'] });
  });
});

const haveAnalyze = spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).status === 0;

// Under CI, systemd-analyze must exist (the workflow installs systemd); locally it is optional.
describe.skipIf(!haveAnalyze && process.env.CI === undefined)('systemd-analyze verify', () => {
  const dir = mkdtempSync('/tmp/tsu-');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts the units (ExecStart pointed at this checkout) with no warning about them', () => {
    for (const name of UNITS) {
      const text = readFileSync(join(UNIT_DIR, name), 'utf8')
        .replaceAll('/usr/sbin/tsiscsiadm', join(REPO, 'bin/tsiscsiadm'))
        .replaceAll('/usr/sbin/tsiscsid', join(REPO, 'bin/tsiscsid'));
      writeFileSync(join(dir, name), text);
    }
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', '--generators=no', ...UNITS.map((u) => join(dir, u))], { encoding: 'utf8' });
    const output = `${r.stdout}${r.stderr}`;
    const aboutUs = output.split('\n').filter((l) => l.includes(dir) || UNITS.some((u) => l.startsWith(`${u}:`)));
    expect(aboutUs).toEqual([]);
    expect(r.status).toBe(0);
  });

  it('is strict enough to fail on a broken unit (the check can fail)', () => {
    writeFileSync(join(dir, 'broken.service'), '[Service]\nType=notify\nExecStart=/nonexistent/tsiscsid -f\n');
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', '--generators=no', join(dir, 'broken.service')], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(`${r.stdout}${r.stderr}`).toContain('/nonexistent/tsiscsid');
  });
});

describe('etc/', () => {
  it('etc/iscsid.conf is the text tsiscsid writes on first start, and parses without warnings', () => {
    const text = readFileSync(join(REPO, 'etc/iscsid.conf'), 'utf8');
    expect(text).toBe(shippedIscsidConfText());
    const conf = parseIscsidConf(text, 'etc/iscsid.conf');
    expect(conf.warnings).toEqual([]);
    expect(conf.defaults.node['node.session.timeo.replacement_timeout']).toBe(120);
    expect(conf.iscsid.safeLogout).toBe(false);
  });

  it('etc/initiatorname.iscsi.example holds a valid name', () => {
    const f = parseInitiatorName(readFileSync(join(REPO, 'etc/initiatorname.iscsi.example'), 'utf8'), 'example');
    expect(f.warnings).toEqual([]);
    expect(() => validateName(f.name ?? '', 'example')).not.toThrow();
  });

  it('bin/tsiscsid is executable', () => {
    expect(() => execFileSync('test', ['-x', join(REPO, 'bin/tsiscsid')])).not.toThrow();
  });
});
