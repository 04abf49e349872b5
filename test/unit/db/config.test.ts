import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ensureInitiatorName, parseInitiatorName, parseIscsidConf, readIscsidConf,
} from '../../../src/db/config.js';
import { SHIPPED_ISCSID_CONF } from '../../../src/db/keys/index.js';
import { ConfigError } from '../../../src/shared/errors.js';
import { tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => cleanup());

describe('iscsid.conf (reference §8)', () => {
  it('applies the shipped iscsid.conf lines as new-record defaults over the compiled-in ones', () => {
    const text = `# iSCSI daemon config\n${SHIPPED_ISCSID_CONF.map(([k, v]) => `${k} = ${v}`).join('\n')}\n`;
    const conf = parseIscsidConf(text, '/etc/tsiscsi/iscsid.conf');
    expect(conf.warnings).toEqual([]);
    expect(conf.defaults.node['node.conn[0].timeo.login_timeout']).toBe(15); // compiled-in 30
    expect(conf.defaults.node['node.session.initial_login_retry_max']).toBe(8); // compiled-in 4
    expect(conf.defaults.node['node.conn[0].timeo.auth_timeout']).toBe(45); // not in the file: compiled-in
    expect(conf.defaults.sendtargets['discovery.sendtargets.iscsi.MaxRecvDataSegmentLength']).toBe(32768);
    expect(conf.iscsid).toMatchObject({ startup: '', safeLogout: false, ipcAuthUid: true });
  });

  it('reads iscsid.* keys literally: safe_logout only on exact Yes, ipc_auth_uid off only on exact No', () => {
    const c1 = parseIscsidConf('iscsid.startup = /bin/systemctl start tsiscsid.socket\niscsid.safe_logout = Yes\niscsid.ipc_auth_uid = No\n', 'f');
    expect(c1.iscsid).toMatchObject({ startup: '/bin/systemctl start tsiscsid.socket', safeLogout: true, ipcAuthUid: false });
    const c2 = parseIscsidConf('iscsid.safe_logout = yes\niscsid.ipc_auth_uid = no\n', 'f');
    expect(c2.iscsid).toMatchObject({ safeLogout: false, ipcAuthUid: true });
  });

  it('applies chap_algs to node and SendTargets defaults, discovery keys to their records', () => {
    const conf = parseIscsidConf('node.session.auth.chap_algs = SHA256,MD5\ndiscovery.sendtargets.auth.authmethod = CHAP\ndiscovery.isns.use_discoveryd = Yes\n', 'f');
    expect(conf.warnings).toEqual([]);
    expect(conf.defaults.node['node.session.auth.chap_algs']).toEqual(['SHA256', 'MD5']);
    expect(conf.defaults.sendtargets['node.session.auth.chap_algs']).toEqual(['SHA256', 'MD5']);
    expect(conf.defaults.sendtargets['discovery.sendtargets.auth.authmethod']).toBe('CHAP');
    expect(conf.defaults.isns['discovery.isns.use_discoveryd']).toBe(true);
  });

  it('reports unknown keys, bad values and read-only keys with line numbers and applies the rest', () => {
    const conf = parseIscsidConf([
      'node.startup = automatic', 'node.sesion.cmds_max = 64', 'node.session.queue_depth = lots', 'node.name = iqn.x:y',
      'garbage', 'node.session.scan = manual', 'node.session.auth.chap_algs = MD5,MD4',
    ].join('\n'), '/etc/tsiscsi/iscsid.conf');
    expect(conf.warnings.map((w) => [w.code, w.line])).toEqual([
      ['UNKNOWN_KEY', 2], ['INVALID_VALUE', 3], ['READ_ONLY_KEY', 4], ['SYNTAX', 5], ['INVALID_VALUE', 7],
    ]);
    expect(conf.warnings.every((w) => w.file === '/etc/tsiscsi/iscsid.conf')).toBe(true);
    expect(conf.defaults.node['node.startup']).toBe('automatic');
    expect(conf.defaults.node['node.session.queue_depth']).toBe(32);
    expect(conf.defaults.node['node.name']).toBe('');
    expect(conf.defaults.node['node.session.scan']).toBe('manual');
  });

  it('a missing iscsid.conf gives compiled-in defaults and says so', async () => {
    const conf = await readIscsidConf(join(dir, 'nope.conf'));
    expect(conf.exists).toBe(false);
    expect(conf.warnings.map((w) => w.code)).toEqual(['CONFIG_MISSING']);
    expect(conf.defaults.node['node.conn[0].timeo.login_timeout']).toBe(30);
  });
});

describe('initiatorname.iscsi', () => {
  it('parses InitiatorName= and InitiatorAlias=, reporting stray lines', () => {
    const f = parseInitiatorName('## comment\nInitiatorName=iqn.1993-08.org.debian:01:abc\n  InitiatorAlias = host1 \nfoo\nInitiatorName=iqn.x:y\n', 'f');
    expect(f.name).toBe('iqn.1993-08.org.debian:01:abc');
    expect(f.alias).toBe('host1');
    expect(f.warnings.map((w) => [w.code, w.line])).toEqual([['SYNTAX', 4], ['DUPLICATE_KEY', 5]]);
  });

  it('generates a name once (0644) and keeps it on every later start', async () => {
    const file = join(dir, 'etc/tsiscsi/initiatorname.iscsi');
    let calls = 0;
    const gen = (): string => `iqn.2016-04.com.tsiscsi:00000000000${++calls}`;
    const first = await ensureInitiatorName(file, gen);
    expect(first).toMatchObject({ name: 'iqn.2016-04.com.tsiscsi:000000000001', created: true });
    expect((await stat(file)).mode & 0o777).toBe(0o644);
    expect(await readFile(file, 'utf8')).toMatch(/^InitiatorName=iqn\.2016-04\.com\.tsiscsi:000000000001$/m);
    const second = await ensureInitiatorName(file, gen);
    expect(second).toMatchObject({ name: first.name, created: false });
    expect(calls).toBe(1);
  });

  it('concurrent first starts agree on one name', async () => {
    const file = join(dir, 'initiatorname.iscsi');
    let n = 0;
    const results = await Promise.all(Array.from({ length: 8 }, () => ensureInitiatorName(file, () => `iqn.2016-04.com.tsiscsi:${String(++n).padStart(12, '0')}`)));
    expect(new Set(results.map((r) => r.name)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });

  it('never overwrites an existing file without a name: NO_INITIATOR_NAME, file untouched', async () => {
    const file = join(dir, 'initiatorname.iscsi');
    await writeFile(file, '# nothing here\n');
    const err = await ensureInitiatorName(file, () => 'iqn.2016-04.com.tsiscsi:aaaaaaaaaaaa').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('NO_INITIATOR_NAME');
    expect((err as ConfigError).errno).toBe(7);
    expect(await readFile(file, 'utf8')).toBe('# nothing here\n');
  });

  it('A-04 runs the validator on generated and stored names', async () => {
    const file = join(dir, 'initiatorname.iscsi');
    await writeFile(file, 'InitiatorName=iqn.24-1.com.x:bad\n');
    const validate = (name: string): void => {
      if (!/^iqn\.\d{4}-\d{2}\./.test(name)) throw new ConfigError('INVALID_ISCSI_NAME', name);
    };
    const err = await ensureInitiatorName(file, () => 'unused', validate).catch((e: unknown) => e);
    expect((err as ConfigError).code).toBe('INVALID_ISCSI_NAME');
  });
});
