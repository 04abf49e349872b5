/**
 * The real `bin/tsiscsid` as a child process, under `--root` in a temp dir: options,
 * start-up (socket 0600 in a 0700 dir, hello, pid file, shipped iscsid.conf, generated
 * initiator name kept across restarts), SIGHUP with a broken config line, SIGTERM,
 * refusal to start on an insecure socket directory or beside a running daemon.
 */
import { lstatSync, mkdirSync, readFileSync, statSync, writeFileSync, appendFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../../src/control/client.js';
import { parseIscsidConf } from '../../../src/db/index.js';
import { validateName } from '../../../src/iscsi/names.js';
import { VERSION } from '../../../src/shared/version.js';
import {
  ensureBuilt, pathsIn, REPO, runDaemonCommand, spawnDaemon, tempRoot, type DaemonProcess, type LogRecord,
} from './helpers.js';

const roots: Array<{ rm: () => void }> = [];
const running: DaemonProcess[] = [];

function newRoot(): string {
  const r = tempRoot();
  roots.push(r);
  return r.dir;
}

function start(root: string, args: string[] = []): DaemonProcess {
  const d = spawnDaemon(root, args);
  running.push(d);
  return d;
}

async function stop(d: DaemonProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  d.child.kill('SIGTERM');
  return d.exited;
}

beforeAll(() => ensureBuilt(), 120_000);
afterEach(() => {
  for (const d of running.splice(0)) d.kill();
});
afterAll(() => {
  for (const r of roots.splice(0)) r.rm();
});

describe('tsiscsid command line', () => {
  it('-v prints the version, -h the usage; both exit 0', async () => {
    const v = await runDaemonCommand(['-v']);
    expect(v).toMatchObject({ code: 0, stdout: `tsiscsid version ${VERSION}\n` });
    const h = await runDaemonCommand(['--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/^Usage: tsiscsid/);
    for (const opt of ['--config', '--initiatorname', '--foreground', '--debug', '--uid', '--gid', '--pid', '--no-pid-file', '--root']) {
      expect(h.stdout).toContain(opt);
    }
  });

  it.each([
    [['-x']],
    [['--bogus']],
    [['stray-argument']],
    [['-d', '9']],
    [['-p', '/tmp/x.pid', '-n']],
    [['-p', '/tmp/x.pid', '-f']],
    [['-u', 'nobody']],
  ])('%j exits 7 with a message on stderr', async (args) => {
    const r = await runDaemonCommand(args);
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/^tsiscsid: .+\nTry 'tsiscsid --help'/);
    expect(r.stdout).toBe('');
  });

  it('--generate-initiatorname creates the file once and prints the same name every time', async () => {
    const root = newRoot();
    const first = await runDaemonCommand(['--root', root, '--generate-initiatorname']);
    const second = await runDaemonCommand(['--generate-initiatorname'], { TSISCSI_ROOT: root });
    expect(first.code).toBe(0);
    const name = /^InitiatorName=(\S+)\n$/.exec(first.stdout)?.[1];
    expect(name).toMatch(/^iqn\.2016-04\.com\.tsiscsi:[0-9a-f]{12}$/);
    expect(second.stdout).toBe(first.stdout);
    expect(readFileSync(pathsIn(root).initiatorName, 'utf8')).toContain(`InitiatorName=${name}\n`);
  });
});

describe('tsiscsid start and stop', () => {
  it('starts: 0700 dir, 0600 socket answering hello, pid file, shipped iscsid.conf, generated name; SIGTERM cleans up', async () => {
    const root = newRoot();
    const p = pathsIn(root);
    const d = start(root);
    await d.ready();
    expect(statSync(p.runDir).mode & 0o777).toBe(0o700);
    const sock = lstatSync(p.socket);
    expect(sock.isSocket()).toBe(true);
    expect(sock.mode & 0o777).toBe(0o600);
    const c = await ControlClient.connect(p.socket, { timeoutMs: 5000 });
    expect(c.server).toMatchObject({ server: 'tsiscsid', version: VERSION });
    expect(c.server.methods).toContain('hello');
    await c.close();
    expect(readFileSync(p.pidFile, 'utf8')).toBe(`${d.child.pid}\n`);
    expect(statSync(p.pidFile).mode & 0o777).toBe(0o644);
    // The shipped iscsid.conf: created 0600, identical to etc/iscsid.conf, no warnings.
    const conf = readFileSync(p.config, 'utf8');
    expect(conf).toBe(readFileSync(join(REPO, 'etc/iscsid.conf'), 'utf8'));
    expect(statSync(p.config).mode & 0o777).toBe(0o600);
    expect(parseIscsidConf(conf, p.config).warnings).toEqual([]);
    const name = /^InitiatorName=(\S+)$/m.exec(readFileSync(p.initiatorName, 'utf8'))?.[1];
    expect(() => validateName(name ?? '', 'generated')).not.toThrow();
    expect(d.logs().some((r) => r.msg === 'generated a new InitiatorName' && r.initiator === name)).toBe(true);
    expect(await stop(d)).toEqual({ code: 0, signal: null });
    expect(existsSync(p.socket)).toBe(false);
    expect(existsSync(p.pidFile)).toBe(false);
    expect(d.logs().some((r) => r.msg === 'tsiscsid stopped')).toBe(true);
    expect(d.stderr).toBe('');
  });

  it('keeps the initiator name and an edited iscsid.conf across restarts; -f writes no pid file', async () => {
    const root = newRoot();
    const p = pathsIn(root);
    const a = start(root, ['-f']);
    await a.ready();
    expect(existsSync(p.pidFile)).toBe(false);
    const nameFile = readFileSync(p.initiatorName, 'utf8');
    expect(await stop(a)).toMatchObject({ code: 0 });
    appendFileSync(p.config, 'node.session.cmds_max = 64\n');
    const edited = readFileSync(p.config, 'utf8');
    const b = start(root, ['-n']);
    const ready = await b.ready();
    expect(readFileSync(p.initiatorName, 'utf8')).toBe(nameFile);
    expect(readFileSync(p.config, 'utf8')).toBe(edited);
    expect(b.logs().some((r) => r.msg === 'generated a new InitiatorName')).toBe(false);
    expect(ready.initiator).toBe(/^InitiatorName=(\S+)$/m.exec(nameFile)?.[1]);
    expect(existsSync(p.pidFile)).toBe(false);
    expect(await stop(b)).toMatchObject({ code: 0 });
  });

  it('A-01 maps an uppercase InitiatorName to lowercase before use', async () => {
    const root = newRoot();
    const p = pathsIn(root);
    mkdirSync(join(root, 'etc/tsiscsi'), { recursive: true });
    writeFileSync(p.initiatorName, 'InitiatorName=iqn.2005-03.org.Example:Host1\n');
    const d = start(root, ['-n']);
    const ready = await d.ready();
    expect(ready.initiator).toBe('iqn.2005-03.org.example:host1');
    expect(await stop(d)).toMatchObject({ code: 0 });
  });

  it('A-02 refuses to start with an invalid InitiatorName (exit 7)', async () => {
    const root = newRoot();
    mkdirSync(join(root, 'etc/tsiscsi'), { recursive: true });
    writeFileSync(pathsIn(root).initiatorName, 'InitiatorName=iqn.2005-03.org.example:bad name\n');
    const d = start(root, ['-n']);
    expect(await d.exited).toMatchObject({ code: 7 });
    expect(d.logs().some((r) => (r.err as LogRecord | undefined)?.code === 'INVALID_ISCSI_NAME')).toBe(true);
  });

  it('SIGHUP with a broken iscsid.conf line: warns with file and line, keeps serving', async () => {
    const root = newRoot();
    const p = pathsIn(root);
    const d = start(root, ['-n']);
    await d.ready();
    const lines = readFileSync(p.config, 'utf8').split('\n').length; // the new lines start here
    appendFileSync(p.config, 'this line is broken\nnode.session.cmds_max = lots\n');
    d.child.kill('SIGHUP');
    const w1 = await d.waitForLog((r) => r.level === 40 && r.file === p.config && r.line === lines);
    const w2 = await d.waitForLog((r) => r.level === 40 && r.file === p.config && r.line === lines + 1);
    expect(w1.msg).toContain(`${p.config}:${lines}`);
    expect(w2.key).toBe('node.session.cmds_max');
    await d.waitForLog((r) => r.msg === 'configuration reloaded');
    expect(d.child.exitCode).toBeNull();
    const c = await ControlClient.connect(p.socket, { timeoutMs: 5000 });
    expect(c.server.server).toBe('tsiscsid');
    await c.close();
    expect(await stop(d)).toMatchObject({ code: 0 });
  });

  it('refuses a socket directory that grants group/other access, and a second daemon on a live socket', async () => {
    const root = newRoot();
    const p = pathsIn(root);
    mkdirSync(p.runDir, { recursive: true, mode: 0o755 });
    const bad = start(root, ['-n']);
    const exit = await bad.exited;
    expect(exit.code).not.toBe(0);
    expect(bad.logs().some((r) => (r.err as LogRecord | undefined)?.code === 'SOCKET_DIR_INSECURE')).toBe(true);

    const root2 = newRoot();
    const first = start(root2);
    await first.ready();
    const second = start(root2);
    expect((await second.exited).code).not.toBe(0);
    expect(second.logs().some((r) => (r.err as LogRecord | undefined)?.code === 'SOCKET_IN_USE')).toBe(true);
    // The first one is untouched: its socket serves and its pid file still names it.
    const c = await ControlClient.connect(pathsIn(root2).socket, { timeoutMs: 5000 });
    await c.close();
    expect(readFileSync(pathsIn(root2).pidFile, 'utf8')).toBe(`${first.child.pid}\n`);
    expect(await stop(first)).toMatchObject({ code: 0 });
  });

  it('daemon.stop over the API stops the process like SIGTERM (reply first, then exit 0)', async () => {
    const root = newRoot();
    const p = pathsIn(root);
    const d = start(root);
    await d.ready();
    const c = await ControlClient.connect(p.socket, { timeoutMs: 5000 });
    await c.call('daemon.stop', {});
    expect(await d.exited).toEqual({ code: 0, signal: null });
    await c.close();
    expect(d.logs().some((r) => r.msg === 'tsiscsid stopping' && r.reason === 'daemon stop request')).toBe(true);
    expect(existsSync(p.socket)).toBe(false);
    expect(existsSync(p.pidFile)).toBe(false);
  });

  it('SIGINT stops like SIGTERM', async () => {
    const root = newRoot();
    const d = start(root, ['-f']);
    await d.ready();
    d.child.kill('SIGINT');
    expect(await d.exited).toEqual({ code: 0, signal: null });
    expect(existsSync(pathsIn(root).socket)).toBe(false);
  });
});
