/**
 * Robustness: 10 000 malformed or oversized requests over a few connections, with
 * valid hello/echo requests in between that must keep being answered correctly.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RawClient, startServer, type Msg } from './helpers.js';

type Kind = 'garbage' | 'badJson' | 'wrongVersion' | 'unknownMethod' | 'badParams' | 'huge' | 'badUtf8' | 'batch' | 'notification' | 'nullByte';

/** What each kind of bad frame must earn (undefined: no reply at all). */
const EXPECT: Record<Kind, { code: string; hasId: boolean } | undefined> = {
  garbage: { code: 'PARSE_ERROR', hasId: false },
  badJson: { code: 'PARSE_ERROR', hasId: false },
  wrongVersion: { code: 'INVALID_REQUEST', hasId: true },
  unknownMethod: { code: 'METHOD_NOT_FOUND', hasId: true },
  badParams: { code: 'INVALID_PARAMS', hasId: true },
  huge: { code: 'FRAME_TOO_LARGE', hasId: false },
  badUtf8: { code: 'PARSE_ERROR', hasId: false },
  batch: { code: 'BATCH_NOT_SUPPORTED', hasId: false },
  notification: undefined,
  nullByte: { code: 'PARSE_ERROR', hasId: false },
};

const KINDS = Object.keys(EXPECT).filter((k) => k !== 'huge') as Kind[];
const HUGE = `{"jsonrpc":"2.0","id":"huge","method":"echo","params":{"text":"${'A'.repeat(2 * 1024 * 1024)}"}}\n`;

function frame(kind: Kind, id: string): string | Buffer {
  switch (kind) {
    case 'garbage': return `garbage ${id} %%%\n`;
    case 'badJson': return `{"jsonrpc":"2.0","id":"${id}","method":"echo",\n`;
    case 'wrongVersion': return `${JSON.stringify({ jsonrpc: '1.0', id, method: 'echo', params: { text: 'x' } })}\n`;
    case 'unknownMethod': return `${JSON.stringify({ jsonrpc: '2.0', id, method: 'no.such.method' })}\n`;
    case 'badParams': return `${JSON.stringify({ jsonrpc: '2.0', id, method: 'echo', params: { text: 42 } })}\n`;
    case 'huge': return HUGE;
    case 'badUtf8': return Buffer.concat([Buffer.from(`{"id":"${id}","x":"`), Buffer.from([0xff, 0xfe, 0xc0]), Buffer.from('"}\n')]);
    case 'batch': return `[${JSON.stringify({ jsonrpc: '2.0', id, method: 'echo', params: { text: 'x' } })}]\n`;
    case 'notification': return `${JSON.stringify({ jsonrpc: '2.0', method: 'no.such.method' })}\n`;
    case 'nullByte': return `\u0000{"id":"${id}"}\n`;
  }
}

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

describe('control server under a flood of bad requests', () => {
  it('10 000 malformed/oversized frames on 4 connections; every valid echo is still answered correctly', async () => {
    const s = await startServer({ limits: { maxRequestsPerSecond: 1e9, abuseRejectionsPerSecond: 1e9 } });
    stop = s.stop;
    const CONNS = 4;
    const BAD_PER_CONN = 2500;
    const clients = await Promise.all(Array.from({ length: CONNS }, () => RawClient.hello(s.path)));
    const expected = clients.map(() => ({ byCode: new Map<string, number>(), idCodes: new Map<string, string>(), echoes: [] as string[] }));

    for (let c = 0; c < CONNS; c++) {
      const client = clients[c]!;
      const exp = expected[c]!;
      const chunks: (string | Buffer)[] = [];
      for (let i = 0; i < BAD_PER_CONN; i++) {
        // Two 2 MiB lines per connection, the rest cycles through the other kinds.
        const kind: Kind = i === 100 || i === 1700 ? 'huge' : KINDS[i % KINDS.length]!;
        const id = `c${c}-${i}`;
        chunks.push(frame(kind, id));
        const e = EXPECT[kind];
        if (e !== undefined) {
          exp.byCode.set(e.code, (exp.byCode.get(e.code) ?? 0) + 1);
          if (e.hasId) exp.idCodes.set(id, e.code);
        }
        if (i % 50 === 49) {
          const text = `ok ${c} ${i} é€𝄞`;
          exp.echoes.push(text);
          chunks.push(`${JSON.stringify({ jsonrpc: '2.0', id: `echo-${c}-${i}`, method: 'echo', params: { text } })}\n`);
        }
        if (i === 1234) chunks.push(`${JSON.stringify({ jsonrpc: '2.0', id: `rehello-${c}`, method: 'hello', params: { client: 'flood', version: '0', protocol: 1 } })}\n`);
      }
      // Write in odd-sized slices so frames straddle chunk boundaries.
      const all = Buffer.concat(chunks.map((x) => (typeof x === 'string' ? Buffer.from(x) : x)));
      for (let off = 0; off < all.length; off += 7919) client.socket.write(all.subarray(off, off + 7919));
    }

    await Promise.all(clients.map((client, c) => {
      const exp = expected[c]!;
      const total = 1 + [...exp.byCode.values()].reduce((a, b) => a + b, 0) + exp.echoes.length + 1;
      return client.until((m) => m.length >= total, 60_000);
    }));

    for (let c = 0; c < CONNS; c++) {
      const client = clients[c]!;
      const exp = expected[c]!;
      const msgs = client.messages.slice(1); // after the hello answer
      const echoes = msgs.filter((m) => typeof m.id === 'string' && m.id.startsWith('echo-'));
      expect(echoes.filter((m) => m.error).slice(0, 3)).toEqual([]);
      expect(echoes.map((m) => (m.result as { text: string }).text)).toEqual(exp.echoes);
      const rehello = msgs.find((m) => m.id === `rehello-${c}`);
      expect(rehello?.result).toMatchObject({ server: 'tsiscsid', protocol: 1 });
      const errors = msgs.filter((m): m is Msg & { error: NonNullable<Msg['error']> } => m.error !== undefined);
      const byCode = new Map<string, number>();
      for (const m of errors) byCode.set(String(m.error.data?.code), (byCode.get(String(m.error.data?.code)) ?? 0) + 1);
      expect(byCode).toEqual(exp.byCode);
      for (const m of errors) {
        if (typeof m.id === 'string') expect(m.error.data?.code).toBe(exp.idCodes.get(m.id));
      }
      expect(msgs).toHaveLength(errors.length + echoes.length + 1);
      expect(client.closed).toBe(false);
    }
    expect(s.server.stats()).toMatchObject({ connections: CONNS, inFlight: 0 });
    for (const c of clients) c.destroy();
  });
});
