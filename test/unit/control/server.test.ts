/**
 * ControlServer over a real Unix socket, driven by a raw NDJSON client: hello
 * gating, dispatch and validation errors, per-connection limits, shutdown.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineMethod } from '../../../src/control/method.js';
import { IscsiError, ISCSI_ERR, LoginError } from '../../../src/shared/errors.js';
import { ManualNow, RawClient, sleep, startServer, type Msg } from './helpers.js';

const HELLO = { client: 'test', version: '1.2.3', protocol: 1 };
const req = (id: unknown, method: string, params?: unknown): object => (params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params });

let stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops) await s();
  stops = [];
});

async function server(opts: Parameters<typeof startServer>[0] = {}): ReturnType<typeof startServer> {
  const s = await startServer(opts);
  stops.push(s.stop);
  return s;
}

function errCode(m: Msg): { rpc: number | undefined; code: unknown; errno: unknown } {
  return { rpc: m.error?.code, code: m.error?.data?.code, errno: m.error?.data?.errno };
}

describe('hello', () => {
  it('answers with server name, version, protocol, methods and limits', async () => {
    const { path } = await server({ version: '9.9.9', limits: { maxInFlight: 3, maxRequestsPerSecond: 50 } });
    const c = await RawClient.connect(path);
    c.send(req(1, 'hello', HELLO));
    const r = await c.byId(1);
    expect(r.result).toEqual({
      server: 'tsiscsid',
      version: '9.9.9',
      protocol: 1,
      methods: ['echo', 'hello', 'subscribe', 'unsubscribe'],
      limits: { maxFrameBytes: 1048576, maxInFlight: 3, maxRequestsPerSecond: 50 },
    });
    c.destroy();
  });

  it('any other method before hello fails with HELLO_REQUIRED; after hello it works', async () => {
    const { path } = await server();
    const c = await RawClient.connect(path);
    c.send(req(1, 'echo', { text: 'x' }));
    c.send(req(2, 'nosuch'));
    expect(errCode(await c.byId(1))).toEqual({ rpc: -32001, code: 'HELLO_REQUIRED', errno: ISCSI_ERR.ISCSID_COMM_ERR });
    expect(errCode(await c.byId(2)).code).toBe('HELLO_REQUIRED');
    c.send(req(3, 'hello', HELLO));
    c.send(req(4, 'echo', { text: 'x' }));
    expect((await c.byId(4)).result).toEqual({ text: 'x' });
    c.destroy();
  });

  it('a protocol version mismatch is a typed error and the connection stays usable', async () => {
    const { path } = await server();
    const c = await RawClient.connect(path);
    c.send(req(1, 'hello', { ...HELLO, protocol: 2 }));
    const r = await c.byId(1);
    expect(errCode(r)).toEqual({ rpc: -32002, code: 'PROTOCOL_VERSION_MISMATCH', errno: 18 });
    expect(r.error?.data?.details).toEqual({ requested: 2, supported: [1] });
    c.send(req(2, 'echo', { text: 'x' }));
    expect(errCode(await c.byId(2)).code).toBe('HELLO_REQUIRED');
    c.send(req(3, 'hello', HELLO));
    expect((await c.byId(3)).result).toBeDefined();
    c.destroy();
  });

  it('a connection that does not say hello in time is closed', async () => {
    const { path } = await server({ limits: { helloTimeoutMs: 100 } });
    const c = await RawClient.connect(path);
    await c.closedP;
    expect(c.closed).toBe(true);
    const ok = await RawClient.hello(path); // a fast one is not closed
    await sleep(200);
    expect(ok.closed).toBe(false);
    ok.destroy();
  });
});

describe('dispatch and validation', () => {
  it('echo round trip, string and number ids, and ids echoed exactly', async () => {
    const { path } = await server();
    const c = await RawClient.hello(path);
    c.send(req('abc', 'echo', { text: 'é€𝄞' }));
    c.send(req(-1.5, 'echo', { text: 'n' }));
    expect((await c.byId('abc')).result).toEqual({ text: 'é€𝄞' });
    expect((await c.byId(-1.5)).result).toEqual({ text: 'n' });
    c.destroy();
  });

  it.each([
    ['unknown method', req(1, 'nosuch'), -32601, 'METHOD_NOT_FOUND', 16],
    ['missing field', req(1, 'echo', {}), -32602, 'INVALID_PARAMS', 7],
    ['wrong type', req(1, 'echo', { text: 5 }), -32602, 'INVALID_PARAMS', 7],
    ['extra field (strict schema)', req(1, 'echo', { text: 'a', extra: 1 }), -32602, 'INVALID_PARAMS', 7],
    ['array params', req(1, 'echo', ['a']), -32602, 'INVALID_PARAMS', 7],
    ['jsonrpc 1.0', { jsonrpc: '1.0', id: 1, method: 'echo' }, -32600, 'INVALID_REQUEST', 18],
  ])('%s → %s %s (errno %s), id preserved', async (_n, msg, rpc, code, errno) => {
    const { path } = await server();
    const c = await RawClient.hello(path);
    c.send(msg);
    expect(errCode(await c.byId(1))).toEqual({ rpc, code, errno });
    c.destroy();
  });

  it('invalid params name the bad field path', async () => {
    const { path } = await server();
    const c = await RawClient.hello(path);
    c.send(req(1, 'echo', { text: 'a', nested: { n: 'x' } }));
    const r = await c.byId(1);
    expect(r.error?.data?.details).toMatchObject({ method: 'echo', issues: [{ path: 'nested.n' }] });
    expect(r.error?.message).toContain('nested.n');
    c.send(req(2, 'echo', { text: 'a', extra: 1 }));
    expect((await c.byId(2)).error?.data?.details).toMatchObject({ issues: [{ path: 'extra', message: 'unknown field' }] });
    c.destroy();
  });

  it('garbage gets PARSE_ERROR with id null, and a batch is refused', async () => {
    const { path } = await server();
    const c = await RawClient.hello(path);
    c.send('this is not json\n');
    c.send('[{"jsonrpc":"2.0","id":5,"method":"echo","params":{"text":"a"}}]\n');
    await c.until((m) => m.length >= 3);
    expect(c.messages.slice(1).map((m) => [m.id, errCode(m).rpc, errCode(m).code])).toEqual([
      [null, -32700, 'PARSE_ERROR'],
      [null, -32600, 'BATCH_NOT_SUPPORTED'],
    ]);
    c.destroy();
  });

  it('notifications (no id) get no reply, not even errors', async () => {
    const { path } = await server();
    const c = await RawClient.hello(path);
    c.send({ jsonrpc: '2.0', method: 'echo', params: { text: 'a' } });
    c.send({ jsonrpc: '2.0', method: 'nosuch' });
    c.send(req(9, 'echo', { text: 'last' }));
    await c.byId(9);
    expect(c.messages.map((m) => m.id)).toEqual(['hello', 9]);
    c.destroy();
  });

  it('handler IscsiErrors keep errno/code/retryable; other exceptions become a bare internal error', async () => {
    const fail = defineMethod({
      name: 'test.fail',
      params: z.object({ kind: z.enum(['login', 'plain']) }),
      result: z.null(),
      handler: (p) => {
        if (p.kind === 'login') throw new LoginError('LOGIN_AUTH_FAILED', 'authorization failure', { errno: ISCSI_ERR.LOGIN_AUTH_FAILED, details: { password: 'pw', target: 't' } });
        throw new TypeError('cannot read x of undefined at /secret/place');
      },
    });
    const { path } = await server({ methods: [fail] });
    const c = await RawClient.hello(path);
    c.send(req(1, 'test.fail', { kind: 'login' }));
    c.send(req(2, 'test.fail', { kind: 'plain' }));
    const r1 = await c.byId(1);
    expect(r1.error).toEqual({ code: -32000, message: 'authorization failure', data: { errno: 24, code: 'LOGIN_AUTH_FAILED', retryable: false, name: 'LoginError', details: { target: 't' } } });
    const r2 = await c.byId(2);
    expect(errCode(r2)).toEqual({ rpc: -32603, code: 'INTERNAL_ERROR', errno: 9 });
    expect(JSON.stringify(r2)).not.toContain('secret');
    c.destroy();
  });

  it('debug mode checks results against the schema', async () => {
    const liar = defineMethod({ name: 'test.liar', params: z.object({}), result: z.object({ n: z.number() }), handler: () => ({ n: 'x' }) as unknown as { n: number } });
    for (const debug of [false, true]) {
      const { path } = await server({ methods: [liar], debug });
      const c = await RawClient.hello(path);
      c.send(req(1, 'test.liar', {}));
      const r = await c.byId(1);
      if (debug) expect(errCode(r)).toEqual({ rpc: -32603, code: 'RESULT_INVALID', errno: 9 });
      else expect(r.result).toEqual({ n: 'x' });
      c.destroy();
    }
  });

  it('registering a built-in name or a duplicate throws', async () => {
    const { server: s } = await server();
    const dup = defineMethod({ name: 'hello', params: z.object({}), result: z.null(), handler: () => null });
    expect(() => s.register(dup)).toThrow(IscsiError);
    const echo2 = defineMethod({ name: 'echo', params: z.object({}), result: z.null(), handler: () => null });
    try {
      s.register(echo2);
      expect.unreachable();
    } catch (e) {
      expect((e as IscsiError).code).toBe('METHOD_DUPLICATE');
    }
  });
});

describe('per-connection limits', () => {
  it('rate limit: requests past the burst get RATE_LIMITED (errno 29, retryable) with their ids; tokens refill', async () => {
    const clock = new ManualNow();
    const { path } = await server({ clock, limits: { maxRequestsPerSecond: 10 } });
    const c = await RawClient.hello(path); // uses 1 token
    for (let i = 0; i < 15; i++) c.send(req(i, 'echo', { text: String(i) }));
    await c.until((m) => m.length >= 16);
    const res = c.messages.slice(1);
    expect(res.filter((m) => m.result !== undefined).map((m) => m.id)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    const limited = res.filter((m) => m.error !== undefined);
    expect(limited.map((m) => m.id)).toEqual([9, 10, 11, 12, 13, 14]);
    for (const m of limited) expect(m.error).toMatchObject({ code: -32003, data: { code: 'RATE_LIMITED', errno: 29, retryable: true } });
    clock.t += 500; // 5 tokens back
    for (let i = 100; i < 106; i++) c.send(req(i, 'echo', { text: 'r' }));
    await c.until((m) => m.length >= 22);
    // Responses may come out of order (JSON-RPC matches them by id): errors are immediate.
    const byId = c.messages.slice(16).sort((a, b) => (a.id as number) - (b.id as number));
    expect(byId.map((m) => m.result !== undefined)).toEqual([true, true, true, true, true, false]);
    expect(c.closed).toBe(false);
    c.destroy();
  });

  it('a peer that keeps hammering past the rate limit is disconnected', async () => {
    const clock = new ManualNow();
    const { path, server: s } = await server({ clock, limits: { maxRequestsPerSecond: 5, abuseRejectionsPerSecond: 50 } });
    const c = await RawClient.hello(path);
    const other = await RawClient.hello(path);
    for (let i = 0; i < 200; i++) c.send(req(i, 'echo', { text: 'x' }));
    await c.closedP;
    const limited = c.messages.filter((m) => m.error?.data?.code === 'RATE_LIMITED').length;
    expect(limited).toBeLessThanOrEqual(50);
    expect(limited).toBeGreaterThan(0);
    // Other connections are unaffected.
    other.send(req('o', 'echo', { text: 'still here' }));
    expect((await other.byId('o')).result).toEqual({ text: 'still here' });
    expect(s.stats().connections).toBe(1);
    other.destroy();
  });

  it('in-flight limit: the request past maxInFlight gets TOO_MANY_IN_FLIGHT (errno 28) at once', async () => {
    const gates: (() => void)[] = [];
    const slow = defineMethod({
      name: 'test.slow',
      params: z.object({ n: z.number() }),
      result: z.object({ n: z.number() }),
      handler: (p) => new Promise<{ n: number }>((res) => gates.push(() => res({ n: p.n }))),
    });
    const { path, server: s } = await server({ methods: [slow], limits: { maxInFlight: 2 } });
    const c = await RawClient.hello(path);
    for (let i = 1; i <= 3; i++) c.send(req(i, 'test.slow', { n: i }));
    const third = await c.byId(3);
    expect(third.error).toMatchObject({ code: -32004, data: { code: 'TOO_MANY_IN_FLIGHT', errno: 28, retryable: true } });
    expect(s.stats().inFlight).toBe(2);
    for (const g of gates) g();
    expect((await c.byId(1)).result).toEqual({ n: 1 });
    expect((await c.byId(2)).result).toEqual({ n: 2 });
    c.send(req(4, 'test.slow', { n: 4 }));
    await sleep(20);
    gates[2]!();
    expect((await c.byId(4)).result).toEqual({ n: 4 });
    c.destroy();
  });

  it('connections beyond maxConnections get TOO_MANY_CONNECTIONS and are closed', async () => {
    const { path } = await server({ limits: { maxConnections: 2 } });
    const a = await RawClient.hello(path);
    const b = await RawClient.hello(path);
    const c = await RawClient.connect(path);
    await c.closedP;
    expect(c.messages).toHaveLength(1);
    expect(c.messages[0]).toMatchObject({ id: null, error: { code: -32006, data: { code: 'TOO_MANY_CONNECTIONS', errno: 28 } } });
    a.destroy();
    await a.closedP;
    await sleep(20);
    const d = await RawClient.hello(path);
    expect(d.closed).toBe(false);
    b.destroy();
    d.destroy();
  });

  it('an oversize frame gets FRAME_TOO_LARGE and the connection carries on', async () => {
    const { path } = await server({ limits: { maxFrameBytes: 1000 } });
    const c = await RawClient.hello(path);
    c.send(`{"jsonrpc":"2.0","id":1,"method":"echo","params":{"text":"${'x'.repeat(5000)}"}}\n`);
    c.send(req(2, 'echo', { text: 'after' }));
    expect((await c.byId(2)).result).toEqual({ text: 'after' });
    expect(c.messages[1]).toMatchObject({ id: null, error: { code: -32005, data: { code: 'FRAME_TOO_LARGE', errno: 18 } } });
    c.destroy();
  });
});

describe('shutdown', () => {
  it('close() tells clients SHUTTING_DOWN, closes them and stops accepting', async () => {
    const { path, server: s } = await server();
    const c = await RawClient.hello(path);
    await s.close();
    await c.closedP;
    expect(c.messages.at(-1)).toMatchObject({ id: null, error: { code: -32009, data: { code: 'SHUTTING_DOWN', retryable: true } } });
    await expect(RawClient.connect(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
