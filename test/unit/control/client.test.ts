/**
 * ControlClient: hello, calls, errno mapping of every failure (daemon down → 20,
 * access → 13, timeout → 33, lost/garbled connection → 18), error reconstruction,
 * subscriptions, and the lean import graph that keeps the CLI fast to start.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ControlClient, connectError } from '../../../src/control/client.js';
import type { ControlEvent } from '../../../src/control/events.js';
import { defineMethod } from '../../../src/control/method.js';
import { IscsiError, ISCSI_ERR, LoginError, TransportError } from '../../../src/shared/errors.js';
import { sleep, socketPathIn, startServer, tempRoot } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

async function rejection(p: Promise<unknown>): Promise<IscsiError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(IscsiError);
  return e as IscsiError;
}

/** A scripted fake daemon: `onLine` gets each request line and the socket. */
async function fakeDaemon(onLine: (msg: { id: unknown; method: string }, sock: Socket) => void): Promise<string> {
  const root = tempRoot();
  const path = join(root.dir, 'fake.sock');
  const srv: Server = createServer((sock) => {
    sock.on('error', () => {});
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) !== -1) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        onLine(JSON.parse(line) as { id: unknown; method: string }, sock);
      }
    });
  });
  await new Promise<void>((res) => srv.listen(path, res));
  cleanups.push(() => new Promise<void>((res) => srv.close(() => res())), root.rm);
  return path;
}

const HELLO_RESULT = { server: 'tsiscsid', version: 'x', protocol: 1, methods: ['hello'], limits: { maxFrameBytes: 200, maxInFlight: 4, maxRequestsPerSecond: 10 } };
const answer = (sock: Socket, obj: object): void => void sock.write(`${JSON.stringify({ jsonrpc: '2.0', ...obj })}\n`);

describe('ControlClient against ControlServer', () => {
  async function live(methods = [] as Parameters<typeof startServer>[0]) {
    const s = await startServer(methods);
    cleanups.push(s.stop);
    return s;
  }

  it('connects, says hello, calls', async () => {
    const { path } = await live({ version: '4.5.6' });
    const c = await ControlClient.connect(path, { client: 'unit', timeoutMs: 5000 });
    cleanups.push(() => c.close());
    expect(c.server).toMatchObject({ server: 'tsiscsid', version: '4.5.6', protocol: 1 });
    expect(c.server.methods).toContain('echo');
    expect(await c.call('echo', { text: 'hi' })).toEqual({ text: 'hi' });
  });

  it('rebuilds handler errors with class, errno, code and retryable', async () => {
    const fail = defineMethod({
      name: 'test.fail',
      params: z.object({ which: z.string() }),
      result: z.null(),
      handler: (p) => {
        if (p.which === 'login') throw new LoginError('LOGIN_AUTH_FAILED', 'auth', { errno: ISCSI_ERR.LOGIN_AUTH_FAILED });
        throw new TransportError('PORTAL_UNREACHABLE', 'no route', { details: { portal: '10.0.0.9:3260' } });
      },
    });
    const { path } = await live({ methods: [fail] });
    const c = await ControlClient.connect(path);
    cleanups.push(() => c.close());
    const e1 = await rejection(c.call('test.fail', { which: 'login' }));
    expect(e1).toBeInstanceOf(LoginError);
    expect(e1).toMatchObject({ code: 'LOGIN_AUTH_FAILED', errno: 24, retryable: false });
    const e2 = await rejection(c.call('test.fail', { which: 'net' }));
    expect(e2).toBeInstanceOf(TransportError);
    expect(e2).toMatchObject({ code: 'PORTAL_UNREACHABLE', errno: 4, retryable: true, details: { portal: '10.0.0.9:3260' } });
    expect(await rejection(c.call('nosuch'))).toMatchObject({ code: 'METHOD_NOT_FOUND', errno: 16 });
    expect(await rejection(c.call('echo', { text: 1 }))).toMatchObject({ code: 'INVALID_PARAMS', errno: 7 });
  });

  it('a call that takes too long fails with errno 33; the connection stays usable and the late answer is ignored', async () => {
    let release: (() => void) | undefined;
    const slow = defineMethod({
      name: 'test.slow',
      params: z.object({}),
      result: z.object({ late: z.boolean() }),
      handler: () => new Promise<{ late: boolean }>((res) => { release = () => res({ late: true }); }),
    });
    const { path } = await live({ methods: [slow] });
    const c = await ControlClient.connect(path, { timeoutMs: 5000 });
    cleanups.push(() => c.close());
    expect(await rejection(c.call('test.slow', {}, { timeoutMs: 50 }))).toMatchObject({ code: 'REQUEST_TIMEOUT', errno: 33, retryable: true });
    release!();
    await sleep(20);
    expect(await c.call('echo', { text: 'next' })).toEqual({ text: 'next' });
  });

  it('server shutdown fails pending calls with SHUTTING_DOWN (errno 18, retryable) and reports the close', async () => {
    const never = defineMethod({ name: 'test.never', params: z.object({}), result: z.null(), handler: () => new Promise<null>(() => {}) });
    const { path, server } = await live({ methods: [never] });
    let closedWith: IscsiError | undefined | 'not called' = 'not called';
    const c = await ControlClient.connect(path, { onClose: (e) => { closedWith = e; } });
    const p = rejection(c.call('test.never'));
    await sleep(20);
    await server.close();
    expect(await p).toMatchObject({ code: 'SHUTTING_DOWN', errno: 18, retryable: true });
    await sleep(20);
    expect(c.isClosed).toBe(true);
    expect(closedWith).toMatchObject({ code: 'CONNECTION_CLOSED', errno: 18 });
    expect(await rejection(c.call('echo', { text: 'x' }))).toMatchObject({ errno: 18 });
  });

  it('close() by us calls onClose without an error', async () => {
    const { path } = await live();
    let closedWith: unknown = 'not called';
    const c = await ControlClient.connect(path, { onClose: (e) => { closedWith = e; } });
    await c.close();
    expect(closedWith).toBeUndefined();
  });

  it('subscribe delivers events to the callback; unsubscribe stops them', async () => {
    const { path, server } = await live();
    const c = await ControlClient.connect(path);
    cleanups.push(() => c.close());
    const got: ControlEvent[] = [];
    const sub = await c.subscribe((e) => got.push(e), { events: ['session.state'] });
    server.publish({ type: 'session.state', sid: 1 });
    server.publish({ type: 'other' });
    await c.call('echo', { text: 'sync' }); // the event line precedes this answer
    expect(got).toEqual([{ type: 'session.state', sid: 1 }]);
    await sub.unsubscribe();
    server.publish({ type: 'session.state', sid: 2 });
    await c.call('echo', { text: 'sync' });
    expect(got).toHaveLength(1);
  });
});

describe('ControlClient errno mapping', () => {
  it('daemon not running (no socket file) → DAEMON_NOT_RUNNING, errno 20', async () => {
    const root = tempRoot();
    cleanups.push(root.rm);
    const e = await rejection(ControlClient.connect(socketPathIn(root.dir)));
    expect(e).toMatchObject({ code: 'DAEMON_NOT_RUNNING', errno: ISCSI_ERR.ISCSID_NOTCONN, retryable: true });
  });

  it('stale socket file (nobody listening, ECONNREFUSED) → errno 20', async () => {
    const root = tempRoot();
    cleanups.push(root.rm);
    const path = join(root.dir, 'stale.sock');
    spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)},()=>process.kill(process.pid,'SIGKILL'))`]);
    const e = await rejection(ControlClient.connect(path));
    expect(e).toMatchObject({ code: 'DAEMON_NOT_RUNNING', errno: 20, details: { syscallCode: 'ECONNREFUSED' } });
  });

  it('a path through a regular file (ENOTDIR) → errno 20', async () => {
    const root = tempRoot();
    cleanups.push(root.rm);
    writeFileSync(join(root.dir, 'f'), '');
    expect(await rejection(ControlClient.connect(join(root.dir, 'f', 's.sock')))).toMatchObject({ code: 'DAEMON_CONNECT_FAILED', errno: 20 });
  });

  it.each([['EACCES'], ['EPERM']])('%s → DAEMON_ACCESS_DENIED, errno 13', (code) => {
    const err = Object.assign(new Error(code), { code });
    expect(connectError(err, '/run/tsiscsi/tsiscsid.sock')).toMatchObject({ code: 'DAEMON_ACCESS_DENIED', errno: ISCSI_ERR.ACCESS });
  });

  it('a daemon that never answers hello → REQUEST_TIMEOUT, errno 33', async () => {
    const path = await fakeDaemon(() => {});
    expect(await rejection(ControlClient.connect(path, { timeoutMs: 100 }))).toMatchObject({ code: 'REQUEST_TIMEOUT', errno: ISCSI_ERR.REQ_TIMEDOUT });
  });

  it('a daemon that drops the connection mid-call → CONNECTION_CLOSED, errno 18', async () => {
    const path = await fakeDaemon((m, sock) => {
      if (m.method === 'hello') answer(sock, { id: m.id, result: HELLO_RESULT });
      else sock.destroy();
    });
    const c = await ControlClient.connect(path);
    expect(await rejection(c.call('x'))).toMatchObject({ code: 'CONNECTION_CLOSED', errno: 18 });
  });

  it('garbage from the daemon → BAD_RESPONSE, errno 18', async () => {
    const path = await fakeDaemon((m, sock) => {
      if (m.method === 'hello') answer(sock, { id: m.id, result: HELLO_RESULT });
      else sock.write('not json at all\n');
    });
    const c = await ControlClient.connect(path);
    expect(await rejection(c.call('x'))).toMatchObject({ code: 'BAD_RESPONSE', errno: 18 });
  });

  it('a hello answer for another protocol → BAD_RESPONSE; a PROTOCOL_VERSION_MISMATCH error keeps its code', async () => {
    const p1 = await fakeDaemon((m, sock) => answer(sock, { id: m.id, result: { ...HELLO_RESULT, protocol: 2 } }));
    expect(await rejection(ControlClient.connect(p1))).toMatchObject({ code: 'BAD_RESPONSE', errno: 18 });
    const p2 = await fakeDaemon((m, sock) => answer(sock, {
      id: m.id,
      error: { code: -32002, message: 'mismatch', data: { errno: 18, code: 'PROTOCOL_VERSION_MISMATCH', retryable: false, details: { supported: [2] } } },
    }));
    expect(await rejection(ControlClient.connect(p2))).toMatchObject({ code: 'PROTOCOL_VERSION_MISMATCH', errno: 18, details: { supported: [2] } });
  });

  it('requests larger than the announced frame limit fail locally with FRAME_TOO_LARGE', async () => {
    let seen = 0;
    const path = await fakeDaemon((m, sock) => {
      seen++;
      answer(sock, { id: m.id, result: m.method === 'hello' ? HELLO_RESULT : null });
    });
    const c = await ControlClient.connect(path);
    cleanups.push(() => c.close());
    expect(await rejection(c.call('x', { big: 'y'.repeat(500) }))).toMatchObject({ code: 'FRAME_TOO_LARGE' });
    expect(await c.call('x', { small: 1 })).toBeNull();
    expect(seen).toBe(2);
  });

  it('an event that follows the subscribe answer in the same chunk is not lost', async () => {
    const path = await fakeDaemon((m, sock) => {
      if (m.method === 'hello') answer(sock, { id: m.id, result: HELLO_RESULT });
      else sock.write(`${JSON.stringify({ jsonrpc: '2.0', id: m.id, result: { subscription: 's9' } })}\n{"jsonrpc":"2.0","method":"event","params":{"subscription":"s9","event":{"type":"first"}}}\n`);
    });
    const c = await ControlClient.connect(path);
    cleanups.push(() => c.close());
    const got: ControlEvent[] = [];
    await c.subscribe((e) => got.push(e));
    await sleep(10);
    expect(got).toEqual([{ type: 'first' }]);
  });
});

describe('client start-up cost', () => {
  /** Static value imports (not `import type`) of a module, resolved to paths or bare names. */
  function valueImports(file: string): string[] {
    const src = readFileSync(file, 'utf8');
    const out: string[] = [];
    for (const m of src.matchAll(/^import\s+(type\s+)?[^'"]*?from\s+'([^']+)';/gms)) {
      if (m[1]) continue;
      const spec = m[2]!;
      out.push(spec.startsWith('.') ? resolve(dirname(file), spec.replace(/\.js$/, '.ts')) : spec);
    }
    return out;
  }

  it('client.ts does not pull in zod, the server or method tables (transitively)', () => {
    const start = resolve('src/control/client.ts');
    const seen = new Set<string>();
    const bare = new Set<string>();
    const todo = [start];
    while (todo.length > 0) {
      const f = todo.pop()!;
      if (seen.has(f)) continue;
      seen.add(f);
      for (const dep of valueImports(f)) {
        if (dep.startsWith('/')) todo.push(dep);
        else bare.add(dep);
      }
    }
    const local = [...seen].map((f) => f.slice(resolve('src').length + 1)).sort();
    expect([...bare].filter((b) => !b.startsWith('node:'))).toEqual([]);
    for (const banned of ['control/server.ts', 'control/method.ts', 'control/hello.ts', 'control/subscribe.ts', 'control/connection.ts']) {
      expect(local).not.toContain(banned);
    }
    expect(local).toContain('control/framing.ts'); // the walk did follow imports
  });
});

