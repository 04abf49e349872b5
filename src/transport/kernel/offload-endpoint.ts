/**
 * Offload endpoints (reference §3.2, §3.7): the connection to the portal is made
 * by the HBA/RDMA driver, not by a userspace socket.
 *
 *   EP_CONNECT (or EP_CONNECT_THROUGH_HOST when the iface binds to a host) with a
 *   sockaddr payload -> r.ep_connect_ret.handle (0 = failure);
 *   EP_POLL(handle, timeout_ms 1) every `pollIntervalMs` (iscsid: 1 s) until
 *   r.retcode > 0 (connected), 0 = not yet, < 0 = error (KernelRequestError);
 *   EP_DISCONNECT(handle) on failure and at teardown.
 */
import { systemClock, type Clock } from '../../shared/clock.js';
import { IscsiError } from '../../shared/errors.js';
import { nullLogger, type Logger } from '../../shared/logger.js';
import type { KernelTcpDriver } from './driver.js';
import type { SockAddr } from './inet.js';
import { endpointError } from './offload-errors.js';

/** iscsid polls the endpoint once a second with a 1 ms kernel wait. */
export const EP_POLL_INTERVAL_MS = 1000;
export const EP_POLL_TIMEOUT_MS = 1;

export interface EndpointOptions {
  address: SockAddr;
  /** EP_CONNECT_THROUGH_HOST on this SCSI host (iface bound by hwaddress/netdev). */
  hostNo?: number;
  /** Whole connect budget (node.conn[0].timeo.login_timeout). */
  timeoutMs: number;
  pollIntervalMs?: number;
  clock?: Clock;
  logger?: Logger;
}

const where = (a: SockAddr): string => (a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`);

function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => {
    clock.setTimeout(resolve, ms);
  });
}

/** Connects an offload endpoint; resolves with its handle once EP_POLL says connected. */
export async function connectEndpoint(driver: KernelTcpDriver, opts: EndpointOptions): Promise<bigint> {
  const clock = opts.clock ?? systemClock;
  const log = opts.logger ?? nullLogger;
  const req = opts.hostNo === undefined
    ? { kind: 'epConnect' as const, address: opts.address, nonBlocking: true }
    : { kind: 'epConnectThroughHost' as const, hostNo: opts.hostNo, address: opts.address, nonBlocking: true };
  const reply = await driver.request(req);
  const handle = reply.request === 'epConnect' || reply.request === 'epConnectThroughHost' ? reply.handle : 0n;
  if (handle === 0n) throw endpointError('no-handle', where(opts.address));
  const deadline = clock.now() + opts.timeoutMs;
  try {
    for (;;) {
      const r = await driver.request({ kind: 'epPoll', epHandle: handle, timeoutMs: EP_POLL_TIMEOUT_MS });
      if ('retcode' in r && r.retcode > 0) {
        log.debug({ ep: handle.toString(), portal: where(opts.address) }, 'offload endpoint connected');
        return handle;
      }
      if (clock.now() >= deadline) throw endpointError('timeout', where(opts.address), opts.timeoutMs);
      await sleep(clock, Math.min(opts.pollIntervalMs ?? EP_POLL_INTERVAL_MS, Math.max(1, deadline - clock.now())));
    }
  } catch (err) {
    await disconnectEndpoint(driver, handle, log);
    throw err;
  }
}

/** EP_DISCONNECT; a refusal is logged, never thrown (teardown goes on). */
export async function disconnectEndpoint(driver: KernelTcpDriver, handle: bigint, logger: Logger = nullLogger): Promise<void> {
  try {
    await driver.request({ kind: 'epDisconnect', epHandle: handle });
  } catch (err) {
    if (!(err instanceof IscsiError)) throw err;
    logger.warn({ ep: handle.toString(), err: err.code }, 'EP_DISCONNECT refused; continuing teardown');
  }
}
