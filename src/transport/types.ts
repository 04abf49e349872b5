/**
 * Transport interface (DESIGN.md §2). A transport opens a byte connection to a portal
 * and carries PDUs over it. `usertcp` carries everything in userspace; the kernel
 * transports (issue 6) hand the socket to the kernel after login.
 */
import type { PduStream } from './pdu-stream.js';

export interface Portal {
  host: string;
  port: number;
}

export interface ConnectOptions {
  /** Connect timeout (the login timeout covers connect + login, open-iscsi §7.1). */
  timeoutMs: number;
  /** Source address to bind (iface.ipaddress). */
  localAddress?: string;
  signal?: AbortSignal;
}

export interface Transport {
  readonly name: string;
  connect(portal: Portal, opts: ConnectOptions): Promise<PduStream>;
}
