/**
 * The abortable login transport (Session.close() during login, open-iscsi #228/#513):
 * either signal ends a pending connect, an abort destroys an established login socket,
 * and release() unhooks everything once the login is over (no listener kept per
 * session: bench/hold-10k heap snapshot).
 */
import { EventEmitter, getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { abortable } from '../../../src/session/abortable-transport.js';
import type { PduStream } from '../../../src/transport/pdu-stream.js';
import type { ConnectOptions, Portal, Transport } from '../../../src/transport/types.js';

interface FakeStream {
  socket: EventEmitter;
  isClosed: boolean;
  destroy(): void;
}

function fakeStream(): FakeStream {
  const s: FakeStream = {
    socket: new EventEmitter(),
    isClosed: false,
    destroy() {
      if (s.isClosed) return;
      s.isClosed = true;
      s.socket.emit('close');
    },
  };
  return s;
}

/** A transport whose connect settles when the test says so; records the signal it got. */
function manualTransport(): { transport: Transport; seen: AbortSignal[]; finish: (s: FakeStream) => void; calls: () => number } {
  const seen: AbortSignal[] = [];
  let finish: (s: FakeStream) => void = () => {};
  return {
    seen,
    finish: (s) => finish(s),
    calls: () => seen.length,
    transport: {
      name: 'manual',
      connect(_portal: Portal, opts: ConnectOptions): Promise<PduStream> {
        seen.push(opts.signal!);
        return new Promise((resolve) => {
          finish = (s) => resolve(s as unknown as PduStream);
        });
      },
    },
  };
}

const PORTAL = { host: '127.0.0.1', port: 3260 };
const abortListeners = (s: AbortSignal): number => getEventListeners(s, 'abort').length;

describe('abortable login transport', () => {
  it('the session signal or the attempt signal ends a pending connect', async () => {
    for (const which of ['session', 'attempt'] as const) {
      const m = manualTransport();
      const session = new AbortController();
      const attempt = new AbortController();
      const t = abortable(m.transport, session.signal);
      const pending = t.connect(PORTAL, { timeoutMs: 1000, signal: attempt.signal });
      const inner = m.seen[0]!;
      expect(inner.aborted).toBe(false);
      (which === 'session' ? session : attempt).abort();
      expect(inner.aborted).toBe(true);
      m.finish(fakeStream());
      if (which === 'session') await expect(pending).rejects.toMatchObject({ code: 'SESSION_CLOSED' });
      else await pending;
    }
  });

  it('an abort after connect destroys the login socket; after release() it does not', async () => {
    const m = manualTransport();
    const session = new AbortController();
    const t = abortable(m.transport, session.signal);
    const first = fakeStream();
    const p1 = t.connect(PORTAL, { timeoutMs: 1000, signal: new AbortController().signal });
    m.finish(first);
    await p1;
    const second = fakeStream();
    const p2 = t.connect(PORTAL, { timeoutMs: 1000 });
    m.finish(second);
    await p2;
    t.release();
    expect(first.socket.listenerCount('close')).toBe(0);
    session.abort();
    expect(first.isClosed).toBe(false);
    expect(second.isClosed).toBe(false);

    const m2 = manualTransport();
    const s2 = new AbortController();
    const t2 = abortable(m2.transport, s2.signal);
    const third = fakeStream();
    const p3 = t2.connect(PORTAL, { timeoutMs: 1000 });
    m2.finish(third);
    await p3;
    s2.abort();
    expect(third.isClosed).toBe(true);
  });

  it('a connect settled leaves no listener on the attempt signal; an aborted session connects nothing', async () => {
    const m = manualTransport();
    const session = new AbortController();
    const attempt = new AbortController();
    const t = abortable(m.transport, session.signal);
    const p = t.connect(PORTAL, { timeoutMs: 1000, signal: attempt.signal });
    m.finish(fakeStream());
    await p;
    attempt.abort();
    expect(m.seen[0]!.aborted).toBe(false); // unlinked once the connect settled
    expect(abortListeners(attempt.signal)).toBe(0);
    expect(abortListeners(session.signal)).toBe(1); // the login socket's, until release()
    t.release();
    expect(abortListeners(session.signal)).toBe(0);

    const closed = new AbortController();
    closed.abort();
    const m2 = manualTransport();
    await expect(abortable(m2.transport, closed.signal).connect(PORTAL, { timeoutMs: 1000 })).rejects.toMatchObject({ code: 'SESSION_CLOSED' });
    expect(m2.calls()).toBe(0);
  });
});
