/**
 * Event subscriptions: delivery, filters, unsubscribe, ordering against the
 * subscribe response, and the bounded per-connection queue for slow readers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EventOutbox } from '../../../src/control/events.js';
import { defineMethod } from '../../../src/control/method.js';
import type { ControlServer } from '../../../src/control/server.js';
import { IscsiError } from '../../../src/shared/errors.js';
import { RawClient, sleep, startServer, type Msg } from './helpers.js';

const req = (id: unknown, method: string, params: unknown = {}): object => ({ jsonrpc: '2.0', id, method, params });

/** A sink whose writability the test controls. */
function fakeSink(): { lines: unknown[]; open: boolean; sink: { writable: () => boolean; write: (l: string) => void } } {
  const state = {
    lines: [] as unknown[],
    open: true,
    sink: {
      writable: () => state.open,
      write: (l: string) => {
        expect(l.endsWith('\n')).toBe(true);
        state.lines.push((JSON.parse(l) as { params: { event: unknown } }).params.event);
      },
    },
  };
  return state;
}

describe('EventOutbox (bounded queue)', () => {
  it('writes straight through while the sink is writable', () => {
    const s = fakeSink();
    const o = new EventOutbox(s.sink, 3);
    o.activate(o.newId(), undefined);
    o.offer('a', '{"type":"a","n":1}');
    expect(s.lines).toEqual([{ type: 'a', n: 1 }]);
    expect(o.queued).toBe(0);
  });

  it('queues at most maxQueued lines, drops the oldest, and reports the count before the next event', () => {
    const s = fakeSink();
    const o = new EventOutbox(s.sink, 3);
    o.activate(o.newId(), undefined);
    s.open = false;
    for (let n = 1; n <= 10; n++) o.offer('a', JSON.stringify({ type: 'a', n }));
    expect(o.queued).toBe(3);
    expect(o.dropped).toBe(7);
    s.open = true;
    o.flush();
    expect(s.lines).toEqual([{ type: 'dropped', count: 7 }, { type: 'a', n: 8 }, { type: 'a', n: 9 }, { type: 'a', n: 10 }]);
    expect(o.queued).toBe(0);
  });

  it('keeps dropped counts per subscription and reports them when the queue empties', () => {
    const s = fakeSink();
    const o = new EventOutbox(s.sink, 2);
    const a = o.newId();
    const b = o.newId();
    o.activate(a, ['x']);
    o.activate(b, ['y']);
    s.open = false;
    o.offer('x', '{"type":"x","n":1}');
    o.offer('y', '{"type":"y","n":2}');
    o.offer('y', '{"type":"y","n":3}'); // drops x1
    o.offer('y', '{"type":"y","n":4}'); // drops y2
    s.open = true;
    o.flush();
    expect(s.lines).toEqual([{ type: 'dropped', count: 1 }, { type: 'y', n: 3 }, { type: 'y', n: 4 }, { type: 'dropped', count: 1 }]);
  });

  it('remove() forgets the subscription and its queued lines; filters apply', () => {
    const s = fakeSink();
    const o = new EventOutbox(s.sink, 10);
    const a = o.newId();
    o.activate(a, ['x']);
    o.offer('other', '{"type":"other"}');
    expect(s.lines).toEqual([]);
    s.open = false;
    o.offer('x', '{"type":"x"}');
    expect(o.remove(a)).toBe(true);
    expect(o.remove(a)).toBe(false);
    s.open = true;
    o.flush();
    expect(s.lines).toEqual([]);
    expect(o.subscriptionCount).toBe(0);
  });
});

describe('subscriptions over the socket', () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
    stop = undefined;
  });

  async function setup(limits = {}) {
    const s = await startServer({ limits });
    stop = s.stop;
    return s;
  }

  const events = (msgs: Msg[], sub?: string): Msg['params'][] =>
    msgs.filter((m) => m.method === 'event' && (sub === undefined || (m.params as { subscription: string }).subscription === sub)).map((m) => m.params);

  it('delivers published events as {"jsonrpc":"2.0","method":"event","params":{subscription,event}}', async () => {
    const { path, server } = await setup();
    const c = await RawClient.hello(path);
    c.send(req(1, 'subscribe'));
    const sub = ((await c.byId(1)).result as { subscription: string }).subscription;
    expect(typeof sub).toBe('string');
    server.publish({ type: 'session.state', sid: 3, state: 'LOGGED_IN' });
    await c.until((m) => events(m).length === 1);
    const note = c.messages.find((m) => m.method === 'event')!;
    expect(note).toEqual({ jsonrpc: '2.0', method: 'event', params: { subscription: sub, event: { type: 'session.state', sid: 3, state: 'LOGGED_IN' } } });
    expect('id' in note).toBe(false);
    c.destroy();
  });

  it('filters by type, supports several subscriptions per connection, and unsubscribe stops delivery', async () => {
    const { path, server } = await setup();
    const c = await RawClient.hello(path);
    const other = await RawClient.hello(path); // not subscribed: gets nothing
    c.send(req(1, 'subscribe', { events: ['a'] }));
    c.send(req(2, 'subscribe', {}));
    const s1 = ((await c.byId(1)).result as { subscription: string }).subscription;
    const s2 = ((await c.byId(2)).result as { subscription: string }).subscription;
    expect(s1).not.toBe(s2);
    server.publish({ type: 'a', n: 1 });
    server.publish({ type: 'b', n: 2 });
    await c.until((m) => events(m).length === 3);
    expect(events(c.messages, s1).map((p) => (p as { event: unknown }).event)).toEqual([{ type: 'a', n: 1 }]);
    expect(events(c.messages, s2).map((p) => (p as { event: unknown }).event)).toEqual([{ type: 'a', n: 1 }, { type: 'b', n: 2 }]);
    c.send(req(3, 'unsubscribe', { subscription: s2 }));
    expect((await c.byId(3)).result).toEqual({ unsubscribed: true });
    c.send(req(4, 'unsubscribe', { subscription: s2 }));
    expect((await c.byId(4)).error).toMatchObject({ code: -32008, data: { code: 'SUBSCRIPTION_NOT_FOUND', errno: 7 } });
    server.publish({ type: 'a', n: 3 });
    await c.until((m) => events(m).length === 4);
    expect(events(c.messages, s2)).toHaveLength(2);
    await sleep(20);
    expect(other.messages).toHaveLength(1); // only its hello answer
    c.destroy();
    other.destroy();
  });

  it('no event reaches the client before the subscribe response that names its id', async () => {
    // A method that publishes synchronously, pipelined right behind subscribe: its
    // event is produced while the subscribe response is still being prepared.
    const ref: { server?: ControlServer } = {};
    const pub = defineMethod({
      name: 'test.publish',
      params: z.object({ n: z.number() }),
      result: z.null(),
      handler: (p) => {
        ref.server!.publish({ type: 'tick', n: p.n });
        return null;
      },
    });
    const s = await startServer({ methods: [pub] });
    stop = s.stop;
    ref.server = s.server;
    const c = await RawClient.hello(s.path);
    c.send([req(1, 'subscribe'), req(2, 'test.publish', { n: 1 }), req(3, 'test.publish', { n: 2 })].map((x) => `${JSON.stringify(x)}\n`).join(''));
    await c.byId(3);
    c.send(req(4, 'test.publish', { n: 3 }));
    await c.until((m) => m.some((x) => x.method === 'event' && (x.params as { event: { n: number } }).event.n === 3));
    const idx = c.messages.findIndex((m) => m.id === 1);
    const firstEvent = c.messages.findIndex((m) => m.method === 'event');
    expect(idx).toBeGreaterThan(0);
    expect(firstEvent).toBeGreaterThan(idx);
    c.destroy();
  });

  it('limits subscriptions per connection', async () => {
    const { path } = await setup({ maxSubscriptions: 2 });
    const c = await RawClient.hello(path);
    for (let i = 1; i <= 3; i++) c.send(req(i, 'subscribe'));
    expect((await c.byId(3)).error).toMatchObject({ code: -32007, data: { code: 'TOO_MANY_SUBSCRIPTIONS' } });
    expect((await c.byId(2)).result).toBeDefined();
    c.destroy();
  });

  it('published events are redacted; events without a type are refused', async () => {
    const { path, server } = await setup();
    const c = await RawClient.hello(path);
    c.send(req(1, 'subscribe'));
    await c.byId(1);
    server.publish({ type: 'node.updated', record: { 'node.session.auth.password': 'hunter2', 'node.name': 'iqn.x' } });
    await c.until((m) => events(m).length === 1);
    expect(JSON.stringify(c.messages)).not.toContain('hunter2');
    expect(() => server.publish({ type: '' })).toThrow(IscsiError);
    expect(() => server.publish(null as never)).toThrow(IscsiError);
    c.destroy();
  });

  it('a subscriber that stops reading costs bounded memory: oldest dropped, counted, newest delivered', async () => {
    const MAX = 100;
    const TOTAL = 50_000;
    const { path, server } = await setup({ maxQueuedEvents: MAX });
    const c = await RawClient.hello(path);
    c.send(req(1, 'subscribe', {}));
    await c.byId(1);
    c.socket.pause();
    const pad = 'p'.repeat(200);
    let maxQueued = 0;
    for (let seq = 0; seq < TOTAL; seq++) {
      server.publish({ type: 'tick', seq, pad });
      if (seq % 1000 === 0) {
        await new Promise((r) => setImmediate(r)); // let the socket flush what it can
        maxQueued = Math.max(maxQueued, server.stats().queuedEvents);
      }
    }
    const st = server.stats();
    expect(Math.max(maxQueued, st.queuedEvents)).toBeLessThanOrEqual(MAX);
    expect(st.droppedEvents).toBeGreaterThan(0);
    c.socket.resume();
    await c.until((m) => m.some((x) => (x.params as { event?: { seq?: number } } | undefined)?.event?.seq === TOTAL - 1), 30_000);
    const evs = events(c.messages).map((p) => (p as { event: { type: string; seq?: number; count?: number } }).event);
    const ticks = evs.filter((e) => e.type === 'tick').map((e) => e.seq!);
    const dropped = evs.filter((e) => e.type === 'dropped').reduce((a, e) => a + e.count!, 0);
    expect(dropped).toBeGreaterThan(0);
    expect(ticks.length + dropped).toBe(TOTAL);
    for (let i = 1; i < ticks.length; i++) expect(ticks[i]!).toBeGreaterThan(ticks[i - 1]!);
    expect(ticks.at(-1)).toBe(TOTAL - 1);
    expect(server.stats().droppedEvents).toBe(dropped);
    // The connection still answers requests.
    c.send(req(2, 'echo', { text: 'after' }));
    expect((await c.byId(2)).result).toEqual({ text: 'after' });
    c.destroy();
  });
});
