/**
 * A per-session wrapper around the real transport that remembers where the last
 * connection went (the "Current Portal" after redirects, and the local address for
 * "Iface IPaddress"), and lets the daemon abandon a login in progress: `cancel()` aborts
 * a pending connect and destroys an open stream, so the login fails at once instead of
 * running into its timeout (daemon stopping).
 */
import { TransportError } from '../shared/errors.js';
import type { PduStream } from '../transport/pdu-stream.js';
import type { ConnectOptions, Portal, Transport } from '../transport/types.js';

/** Where the connection of a session is. */
export interface ConnectedTo {
  portal: Portal;
  localAddress: string;
}

export class TrackingTransport implements Transport {
  readonly name: string;
  private readonly abort = new AbortController();
  private stream: PduStream | undefined;
  private last: ConnectedTo | undefined;

  constructor(private readonly inner: Transport) {
    this.name = inner.name;
  }

  /** The portal and local address of the last successful connect. */
  get connectedTo(): ConnectedTo | undefined {
    return this.last;
  }

  get cancelled(): boolean {
    return this.abort.signal.aborted;
  }

  /** Aborted by `cancel()`. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  async connect(portal: Portal, opts: ConnectOptions): Promise<PduStream> {
    const signal = opts.signal ? AbortSignal.any([opts.signal, this.abort.signal]) : this.abort.signal;
    if (this.cancelled) throw cancelledError(portal);
    const stream = await this.inner.connect(portal, { ...opts, signal });
    if (this.cancelled) {
      stream.destroy();
      throw cancelledError(portal);
    }
    const socket = stream.socket as { localAddress?: string };
    this.stream = stream;
    this.last = { portal: { ...portal }, localAddress: socket.localAddress ?? '' };
    return stream;
  }

  /** Abandon whatever is in progress and refuse further connects. */
  cancel(): void {
    this.abort.abort();
    if (this.stream && !this.stream.isClosed) this.stream.destroy();
  }
}

function cancelledError(portal: Portal): TransportError {
  const where = `${portal.host}:${portal.port}`;
  return new TransportError('CONNECT_ABORTED', `connect to ${where} abandoned: the login was cancelled`, { retryable: false, details: { portal: where } });
}
