/**
 * listenFd(): serve on a listening socket inherited as a file descriptor (systemd
 * socket activation passes fd 3). The parent binds the socket, hands it to a
 * child as fd 3 and closes its own copy; the client must reach the child.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, renameSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../../src/control/client.js';
import { distPath } from '../../support/dist.js';
import { tempRoot } from './helpers.js';

const root = tempRoot();
const childScript = resolve('test/unit/control/listen-fd-child.mjs');
let distDir = '';
let child: ChildProcess | undefined;

beforeAll(() => {
  // The child is plain node running the compiled control server (built if stale).
  distDir = resolve(distPath('control/server.js'), '../..');
});

afterAll(() => {
  child?.kill('SIGKILL');
  root.rm();
});

describe('ControlServer.listenFd (socket activation)', () => {
  it('serves on an inherited listening fd', async () => {
    const dir = join(root.dir, 'run');
    mkdirSync(dir, { mode: 0o700 });
    const tmpPath = join(dir, 'bind.sock');
    const path = join(dir, 'tsiscsid.sock');
    const parent = createServer(() => {
      throw new Error('the parent must not accept connections');
    });
    await new Promise<void>((res) => parent.listen(tmpPath, res));
    const fd = (parent as unknown as { _handle: { fd: number } })._handle.fd;
    expect(fd).toBeGreaterThan(2);
    child = spawn(process.execPath, [childScript, distDir, '3'], { stdio: ['ignore', 'pipe', 'inherit', fd] });
    // Move the name away before closing our copy: libuv unlinks the path it bound on close.
    renameSync(tmpPath, path);
    await new Promise<void>((res) => parent.close(() => res()));
    await new Promise<void>((res, rej) => {
      child!.stdout!.on('data', (d: Buffer) => d.toString().includes('READY') && res());
      child!.once('exit', (code) => rej(new Error(`child exited with ${code}`)));
    });
    const c = await ControlClient.connect(path, { timeoutMs: 5000 });
    expect(c.server.methods).toContain('test.pid');
    expect(await c.call('test.pid')).toEqual({ pid: child.pid });
    await c.close();
  });
});
