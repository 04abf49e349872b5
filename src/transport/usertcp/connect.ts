/**
 * TCP connect for usertcp: IPv4, IPv6 (including link-local `fe80::1%eth0` zones, which
 * node:net passes to the kernel as the scope id) and host names (resolved by the system
 * resolver, all families). Sockets get TCP_NODELAY like open-iscsi (reference §3.7).
 */
import net from 'node:net';
import { ISCSI_ERR, TransportError } from '../../shared/errors.js';
import type { ConnectOptions, Portal } from '../types.js';

/** Strip `[...]` from a bracketed IPv6 literal; keep a `%zone` suffix. */
export function bareHost(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** `onread`: read into caller-provided buffers instead of emitting 'data' (see index.ts). */
export function connectTcp(portal: Portal, opts: ConnectOptions, onread?: net.OnReadOpts): Promise<net.Socket> {
  const host = bareHost(portal.host);
  const where = { portal: `${portal.host}:${portal.port}` };
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(new TransportError('CONNECT_ABORTED', `connect to ${where.portal} aborted`, { details: where }));
      return;
    }
    const socket = net.connect({
      host,
      port: portal.port,
      noDelay: true,
      ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
      // Try every resolved address (IPv6 and IPv4) for host names.
      autoSelectFamily: net.isIP(host) === 0,
      ...(onread ? { onread } : {}),
    });
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off('error', onError);
      opts.signal?.removeEventListener('abort', onAbort);
    };
    const fail = (err: TransportError): void => {
      cleanup();
      socket.destroy();
      reject(err);
    };
    const onConnect = (): void => {
      cleanup();
      resolve(socket);
    };
    const onError = (err: NodeJS.ErrnoException): void =>
      fail(new TransportError('CONNECT_FAILED', `cannot connect to ${where.portal}: ${err.code ?? err.message}`, { cause: err, details: { ...where, syscallCode: err.code } }));
    const onAbort = (): void => fail(new TransportError('CONNECT_ABORTED', `connect to ${where.portal} aborted`, { details: where }));
    const timer = setTimeout(
      () => fail(new TransportError('CONNECT_TIMEOUT', `connect to ${where.portal} timed out after ${opts.timeoutMs} ms`, { errno: ISCSI_ERR.TRANS_TIMEOUT, details: where })),
      opts.timeoutMs,
    );
    socket.once('connect', onConnect);
    socket.once('error', onError);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
