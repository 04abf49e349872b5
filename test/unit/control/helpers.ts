/**
 * Helpers for the control socket tests: temp roots with short paths (sun_path is
 * 108 bytes), a raw NDJSON client that does not use our framing code, and a tiny
 * `echo` method defined here (not in src).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';
import type { Clock } from '../../../src/shared/clock.js';
import { systemClock } from '../../../src/shared/clock.js';
import { defineMethod } from '../../../src/control/method.js';
import { ControlServer, type ControlServerOptions } from '../../../src/control/server.js';

/** A fresh directory under /tmp; remove with `rm`. */
export function tempRoot(): { dir: string; rm: () => void } {
  const dir = mkdtempSync('/tmp/tsc-');
  return { dir, rm: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Where a daemon under `root` puts its socket. */
export function socketPathIn(root: string): string {
  return join(root, 'run', 'tsiscsi', 'tsiscsid.sock');
}

/** Test-only method: echoes `text`, optionally reports the caller's connection. */
export const echoMethod = defineMethod({
  name: 'echo',
  params: z.strictObject({ text: z.string().max(1000), nested: z.object({ n: z.number().int() }).optional() }),
  result: z.object({ text: z.string() }),
  handler: (p) => ({ text: p.text }),
});

/** A clock whose `now()` the test sets; timers are real. */
export class ManualNow implements Clock {
  t = 0;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number) {
    return systemClock.setTimeout(fn, ms);
  }
}

export type Msg = Record<string, unknown> & { id?: unknown; result?: unknown; error?: { code: number; message: string; data?: Record<string, unknown> } };

/** An NDJSON client written independently of src/control/framing.ts. */
export class RawClient {
  readonly messages: Msg[] = [];
  private buf = '';
  private waiters: (() => void)[] = [];
  closed = false;
  readonly closedP: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.setEncoding('utf8'); // StringDecoder: multi-byte characters survive chunking
    socket.on('data', (s: string) => {
      this.buf += s;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) !== -1) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        this.messages.push(JSON.parse(line) as Msg);
      }
      this.wake();
    });
    socket.on('error', () => {});
    this.closedP = new Promise((res) => socket.on('close', () => {
      this.closed = true;
      this.wake();
      res();
    }));
  }

  static connect(path: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = createConnection({ path });
      s.once('connect', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  /** Connect and complete hello. */
  static async hello(path: string): Promise<RawClient> {
    const c = await RawClient.connect(path);
    c.send({ jsonrpc: '2.0', id: 'hello', method: 'hello', params: { client: 'test', version: '0', protocol: 1 } });
    const r = await c.byId('hello');
    if (r.error) throw new Error(`hello failed: ${JSON.stringify(r.error)}`);
    return c;
  }

  send(x: string | object): void {
    this.socket.write(typeof x === 'string' ? x : `${JSON.stringify(x)}\n`);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Wait until `pred` holds over the received messages (or the socket closes). */
  async until(pred: (msgs: Msg[]) => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred(this.messages)) {
      if (this.closed) throw new Error(`connection closed; got ${this.messages.length} messages`);
      if (Date.now() > deadline) throw new Error(`timeout; got ${this.messages.length} messages`);
      await new Promise<void>((res) => {
        const t = setTimeout(res, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          res();
        });
      });
    }
  }

  async byId(id: unknown): Promise<Msg> {
    await this.until((m) => m.some((x) => x.id === id));
    return this.messages.find((x) => x.id === id)!;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Start a server (with `echo` plus `opts.methods`) on a fresh root; `stop` closes it and removes the root. */
export async function startServer(opts: ControlServerOptions = {}): Promise<{ server: ControlServer; path: string; stop: () => Promise<void> }> {
  const root = tempRoot();
  const server = new ControlServer({ closeGraceMs: 100, ...opts, methods: [echoMethod, ...(opts.methods ?? [])] });
  const path = socketPathIn(root.dir);
  await server.listen(path);
  return {
    server,
    path,
    stop: async () => {
      await server.close();
      root.rm();
    },
  };
}

/** Sleep (real time). */
export function sleep(ms: number): Promise<void> {
  return new Promise((res) => setTimeout(res, ms));
}
