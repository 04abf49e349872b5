/**
 * Abortable login: a Transport wrapper whose connects end when a signal aborts, so
 * `Session.close()` can tear down a session stuck in login (open-iscsi #228, #513).
 */
import { IscsiError, ISCSI_ERR } from '../shared/errors.js';
import type { Transport } from '../transport/types.js';

/** The error of a login ended by close()/logout(). */
export function loginAborted(): IscsiError {
  return new IscsiError('SESSION_CLOSED', 'login aborted: session closed by the initiator', { errno: ISCSI_ERR.LOGOUT });
}

/**
 * `transport` whose connects end when `signal` aborts: a pending connect is cancelled
 * and an established login socket destroyed, so the login fails at once.
 */
export function abortable(transport: Transport, signal: AbortSignal): Transport {
  return {
    name: transport.name,
    async connect(portal, opts) {
      const stream = await transport.connect(portal, { ...opts, signal: opts.signal ? AbortSignal.any([opts.signal, signal]) : signal });
      if (signal.aborted) {
        stream.destroy();
        throw loginAborted();
      }
      const onAbort = (): void => {
        if (!stream.isClosed) stream.destroy();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      stream.socket.once('close', () => signal.removeEventListener('abort', onAbort));
      return stream;
    },
  };
}
