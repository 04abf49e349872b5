/**
 * The socket's filesystem protection (DESIGN.md §4): directory 0700 owned by us,
 * socket 0600, refusal of foreign or open directories, safe stale-socket cleanup.
 * Needs root (chown to nobody, setpriv).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ControlServer } from '../../../src/control/server.js';
import { ControlClient } from '../../../src/control/client.js';
import { IscsiError } from '../../../src/shared/errors.js';
import { echoMethod, socketPathIn, tempRoot } from './helpers.js';

const isRoot = process.geteuid?.() === 0;
const NOBODY = 65534;

/** Run a one-shot Node client as uid/gid nobody; returns what it printed. */
function connectAsNobody(path: string): string {
  const script = `const s=require('net').createConnection(${JSON.stringify(path)});`
    + `s.on('connect',()=>{console.log('CONNECTED');s.destroy()});s.on('error',e=>console.log(e.code));`;
  const r = spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, '-e', script], { encoding: 'utf8', timeout: 10_000 });
  if (r.error) throw r.error;
  return r.stdout.trim();
}

async function expectCode(p: Promise<unknown>, code: string, errno?: number): Promise<IscsiError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(IscsiError);
  expect((err as IscsiError).code).toBe(code);
  if (errno !== undefined) expect((err as IscsiError).errno).toBe(errno);
  return err as IscsiError;
}

describe.skipIf(!isRoot)('control socket filesystem protection', () => {
  let root: ReturnType<typeof tempRoot>;
  let path: string;
  let dir: string;
  const servers: ControlServer[] = [];
  const newServer = (): ControlServer => {
    const s = new ControlServer({ methods: [echoMethod], closeGraceMs: 100 });
    servers.push(s);
    return s;
  };

  beforeEach(() => {
    root = tempRoot();
    path = socketPathIn(root.dir);
    dir = dirname(path);
  });
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
    root.rm();
  });

  it('creates the directory 0700 and the socket 0600, owned by us, even under umask 000', async () => {
    const old = process.umask(0);
    try {
      await newServer().listen(path);
    } finally {
      process.umask(old);
    }
    const d = lstatSync(dir);
    const s = lstatSync(path);
    expect(d.mode & 0o7777).toBe(0o700);
    expect(s.isSocket()).toBe(true);
    expect(s.mode & 0o7777).toBe(0o600);
    expect([d.uid, s.uid]).toEqual([0, 0]);
  });

  it('accepts an existing 0700 directory of ours and leaves its mode alone', async () => {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    await newServer().listen(path);
    expect(lstatSync(dir).mode & 0o7777).toBe(0o700);
  });

  it('refuses a directory owned by another uid (nobody)', async () => {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chownSync(dir, NOBODY, NOBODY);
    await expectCode(newServer().listen(path), 'SOCKET_DIR_NOT_OWNED', 13);
    expect(existsSync(path)).toBe(false);
  });

  it.each([0o750, 0o705, 0o770, 0o701, 0o710, 0o777, 0o1777])('refuses a directory with mode %o (group/other bits)', async (mode) => {
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, mode);
    await expectCode(newServer().listen(path), 'SOCKET_DIR_INSECURE', 13);
    expect(lstatSync(dir).mode & 0o7777).toBe(mode); // not silently "fixed"
    expect(existsSync(path)).toBe(false);
  });

  it('refuses a symlink in place of the directory', async () => {
    const real = join(root.dir, 'real');
    mkdirSync(real, { mode: 0o700 });
    mkdirSync(dirname(dir), { recursive: true });
    symlinkSync(real, dir);
    await expectCode(newServer().listen(path), 'SOCKET_DIR_NOT_DIRECTORY', 13);
  });

  it('removes a stale socket (nothing listening) and serves on the path', async () => {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // A "crashed daemon": binds the path and is killed before it can clean up.
    const script = `require('net').createServer().listen(${JSON.stringify(path)},()=>process.kill(process.pid,'SIGKILL'))`;
    spawnSync(process.execPath, ['-e', script], { timeout: 10_000 });
    expect(lstatSync(path).isSocket()).toBe(true);
    await newServer().listen(path);
    const c = await ControlClient.connect(path, { timeoutMs: 5000 });
    expect(await c.call('echo', { text: 'alive' })).toEqual({ text: 'alive' });
    await c.close();
  });

  it('refuses to start when a live server answers on the socket, and leaves it alone', async () => {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const other = createServer((s) => {
      s.on('error', () => {}); // our probe hangs up at once
      s.end('other\n');
    });
    await new Promise<void>((res) => other.listen(path, res));
    try {
      await expectCode(newServer().listen(path), 'SOCKET_IN_USE', 28);
      expect(lstatSync(path).isSocket()).toBe(true);
      const { createConnection } = await import('node:net');
      const got = await new Promise<string>((res, rej) => {
        const s = createConnection(path);
        s.setEncoding('utf8');
        s.on('data', (d: string) => res(d));
        s.on('error', rej);
      });
      expect(got).toBe('other\n');
    } finally {
      await new Promise<void>((res) => other.close(() => res()));
    }
  });

  it('never removes a regular file at the socket path', async () => {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(path, 'precious');
    await expectCode(newServer().listen(path), 'SOCKET_PATH_NOT_SOCKET', 7);
    expect(readFileSync(path, 'utf8')).toBe('precious');
  });

  it('refuses a path longer than sun_path', async () => {
    await expectCode(newServer().listen(join(root.dir, 'x'.repeat(120), 's.sock')), 'SOCKET_PATH_TOO_LONG', 7);
  });

  it('close() removes the socket file', async () => {
    const s = newServer();
    await s.listen(path);
    expect(existsSync(path)).toBe(true);
    await s.close();
    expect(existsSync(path)).toBe(false);
  });

  it('a second listen on the same server is refused', async () => {
    const s = newServer();
    await s.listen(path);
    await expectCode(s.listen(path), 'SERVER_STATE');
  });

  describe('a non-root client is refused by permissions', () => {
    // mkdtemp makes the temp root 0700: open it so that only our directory/socket decide.
    beforeEach(() => chmodSync(root.dir, 0o755));

    it('user nobody gets EACCES (directory 0700)', async () => {
      await newServer().listen(path);
      expect(connectAsNobody(path)).toBe('EACCES');
    });

    it('user nobody still gets EACCES from the 0600 socket when the directory is opened to 0711', async () => {
      await newServer().listen(path);
      chmodSync(dir, 0o711);
      expect(connectAsNobody(path)).toBe('EACCES');
    });

    it('control: with the socket made 0666 in a 0711 directory, nobody can connect (so the checks above can fail)', async () => {
      await newServer().listen(path);
      chmodSync(dir, 0o711);
      chmodSync(path, 0o666);
      expect(connectAsNobody(path)).toBe('CONNECTED');
    });
  });
});
