/**
 * Abortable login: a Transport wrapper whose connects end when a signal aborts, so
 * `Session.close()` can tear down a session stuck in login (open-iscsi #228, #513).
 */
import { IscsiError, ISCSI_ERR } from '../shared/errors.js';
import type { PduStream } from '../transport/pdu-stream.js';
import type { Transport } from '../transport/types.js';

/** The error of a login ended by close()/logout(). */
export function loginAborted(): IscsiError {
  return new IscsiError('SESSION_CLOSED', 'login aborted: session closed by the initiator', { errno: ISCSI_ERR.LOGOUT });
}

/** An abortable transport; `release()` drops its abort listeners once the login is over. */
export interface AbortableTransport extends Transport {
  release(): void;
}

/**
 * `transport` whose connects end when `signal` aborts: a pending connect is cancelled
 * and an established login socket destroyed, so the login fails at once. Call
 * `release()` when the login has ended: otherwise every socket it opened keeps the
 * signal and a listener alive for its whole life (bench/hold-10k heap snapshot).
 */
export function abortable(transport: Transport, signal: AbortSignal): AbortableTransport {
  const cleanups = new Set<() => void>();
  return {
    name: transport.name,
    async connect(portal, opts) {
      if (signal.aborted) throw loginAborted();
      const linked = opts.signal ? either(opts.signal, signal) : undefined;
      let stream: PduStream;
      try {
        stream = await transport.connect(portal, { ...opts, signal: linked?.signal ?? signal });
      } finally {
        linked?.dispose();
      }
      if (signal.aborted) {
        stream.destroy();
        throw loginAborted();
      }
      const onAbort = (): void => {
        if (!stream.isClosed) stream.destroy();
      };
      const cleanup = (): void => {
        cleanups.delete(cleanup);
        signal.removeEventListener('abort', onAbort);
        stream.socket.off('close', cleanup);
      };
      cleanups.add(cleanup);
      signal.addEventListener('abort', onAbort, { once: true });
      stream.socket.once('close', cleanup);
      return stream;
    },
    release() {
      for (const cleanup of [...cleanups]) cleanup();
    },
  };
}

/**
 * A signal that aborts when `a` or `b` does, for one connect; `dispose()` unlinks it.
 * Not AbortSignal.any: on Node 20 its dependent-signal bookkeeping on addEventListener
 * was about 5 % of a login+logout's CPU profile (bench/login-1000).
 */
function either(a: AbortSignal, b: AbortSignal): { signal: AbortSignal; dispose(): void } {
  const ctl = new AbortController();
  const onA = (): void => ctl.abort(a.reason);
  const onB = (): void => ctl.abort(b.reason);
  const dispose = (): void => {
    a.removeEventListener('abort', onA);
    b.removeEventListener('abort', onB);
  };
  if (a.aborted || b.aborted) ctl.abort(a.aborted ? a.reason : b.reason);
  else {
    a.addEventListener('abort', onA, { once: true });
    b.addEventListener('abort', onB, { once: true });
  }
  return { signal: ctl.signal, dispose };
}
