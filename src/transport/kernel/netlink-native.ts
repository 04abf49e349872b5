/**
 * NETLINK_ISCSI channel backed by the native addon `build/Release/netlink.node`
 * (source: native/netlink.c, built by node-gyp at `npm install`).
 *
 * Node has no AF_NETLINK, and BIND_CONN passes the number of a TCP socket fd that must
 * belong to the sending process (reference open-iscsi.md §3.7), so the socket lives in
 * this process. The addon is loaded lazily: without it (or without kernel iSCSI support)
 * kernel transports are unavailable with a reason, and usertcp keeps working.
 *
 * Socket (reference §3.1): AF_NETLINK / SOCK_RAW / NETLINK_ISCSI (8), bound with
 * nl_pid 0 (the kernel assigns the port id) and nl_groups = ISCSI_NL_GRP_ISCSID (1), where
 * the kernel multicasts its events and the GET_STATS / GET_CHAP / GET_HOST_STATS replies.
 * Requests go to nl_pid 0 (the kernel); other replies come back unicast.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TransportError } from '../../shared/errors.js';
import type { ChannelUnavailable, NetlinkChannel } from './channel.js';

/** `NETLINK_ISCSI` protocol number (include/uapi/linux/netlink.h). */
export const NETLINK_ISCSI = 8;
/** Multicast group of the iSCSI daemon (`ISCSI_NL_GRP_ISCSID`). */
export const ISCSI_NL_GRP_ISCSID = 1;
/** Multicast group of iscsiuio (`ISCSI_NL_GRP_UIP`, KEVENT_PATH_REQ). */
export const ISCSI_NL_GRP_UIP = 2;

/** An errno failure from the addon: `errno` positive, `code` like 'EPERM'. */
interface NativeErrno extends Error {
  errno: number;
  code: string;
  syscall: string;
}

/** The object the addon's `NetlinkSocket` constructor returns (see native/netlink.c). */
interface NativeSocket {
  readonly fd: number;
  readonly portId: number;
  send(buf: Uint8Array): number;
  recv(): Buffer | null;
  startPolling(cb: (err: NativeErrno | null) => void): void;
  stopPolling(): void;
  ref(): void;
  unref(): void;
  close(): void;
}

interface NativeBinding {
  NetlinkSocket: new (protocol: number, groups: number) => NativeSocket;
}

/** Result of {@link kernelAvailability}: `code` is stable, `reason` is for admins. */
export type KernelAvailability = { available: true } | ({ available: false } & ChannelUnavailable);

/** Repository root: this file is src/transport/kernel/*.ts or dist/transport/kernel/*.js. */
const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const DEFAULT_ADDON = join(ROOT, 'build', 'Release', 'netlink.node');
/** Written by native/build.mjs when the addon could not be built. */
const BUILD_REASON = join(ROOT, 'build', 'netlink-unavailable.txt');

let loaded: { binding: NativeBinding } | { error: string } | undefined;

/** Path of the addon; `TSISCSI_NETLINK_ADDON` overrides it (bundles, packaging). */
export function addonPath(): string {
  return process.env.TSISCSI_NETLINK_ADDON ?? DEFAULT_ADDON;
}

/** Load the addon once; never throws. */
function loadAddon(): { binding: NativeBinding } | { error: string } {
  if (loaded) return loaded;
  const file = addonPath();
  if (!existsSync(file)) {
    const why = existsSync(BUILD_REASON) ? readFileSync(BUILD_REASON, 'utf8').trim() : 'not built';
    loaded = { error: `netlink addon ${file} missing (${why}); build it with: npm run build:native` };
    return loaded;
  }
  try {
    loaded = { binding: createRequire(import.meta.url)(file) as NativeBinding };
  } catch (err) {
    loaded = { error: `netlink addon ${file} failed to load: ${(err as Error).message}` };
  }
  return loaded;
}

function isNativeErrno(err: unknown): err is NativeErrno {
  return err instanceof Error && typeof (err as NativeErrno).errno === 'number' && typeof (err as NativeErrno).syscall === 'string';
}

/** Map a failed socket()/bind() to a stable code and a reason an admin can act on. */
function classifyOpenError(err: NativeErrno): ChannelUnavailable {
  switch (err.code) {
    case 'EPROTONOSUPPORT':
    case 'EAFNOSUPPORT':
      return { code: 'NO_KERNEL_ISCSI', reason: `the kernel has no iSCSI netlink (${err.syscall}: ${err.code}); load it with: modprobe iscsi_tcp` };
    case 'EPERM':
    case 'EACCES':
      return { code: 'NOT_PERMITTED', reason: `NETLINK_ISCSI needs root (CAP_NET_ADMIN to join the event group, CAP_SYS_ADMIN to send) (${err.syscall}: ${err.code})` };
    default:
      return { code: 'NETLINK_SOCKET_FAILED', reason: `NETLINK_ISCSI ${err.syscall} failed: ${err.code}` };
  }
}

/** Options for {@link kernelAvailability}. */
export interface AvailabilityOptions {
  /** Kernel transport name under /sys/class/iscsi_transport (default 'tcp'). */
  transport?: string;
  /** sysfs mount point (default '/sys'). */
  sysfsRoot?: string;
}

/**
 * Can this process drive kernel iSCSI transports? Checks, in order: the addon loads,
 * a NETLINK_ISCSI socket opens and joins the iscsid group, and the transport is
 * registered in sysfs. Opens and closes a socket; never throws.
 */
export function kernelAvailability(opts: AvailabilityOptions = {}): KernelAvailability {
  const addon = loadAddon();
  if ('error' in addon) return { available: false, code: 'NETLINK_ADDON_MISSING', reason: addon.error };
  try {
    new addon.binding.NetlinkSocket(NETLINK_ISCSI, ISCSI_NL_GRP_ISCSID).close();
  } catch (err) {
    if (!isNativeErrno(err)) throw err;
    return { available: false, ...classifyOpenError(err) };
  }
  const transport = opts.transport ?? 'tcp';
  const dir = join(opts.sysfsRoot ?? '/sys', 'class', 'iscsi_transport', transport);
  if (!existsSync(dir)) {
    return {
      available: false,
      code: 'NO_KERNEL_ISCSI',
      reason: `kernel transport '${transport}' is not registered (${dir} missing); load it with: modprobe ${transport === 'tcp' ? 'iscsi_tcp' : transport}`,
    };
  }
  return { available: true };
}

/** Text for logs: "kernel transports unavailable: <reason>". */
export function describeUnavailable(a: Extract<KernelAvailability, { available: false }>): string {
  return `kernel transports unavailable: ${a.reason}`;
}

/** Wrap an addon errno failure in a TransportError naming the operation. */
export function netlinkError(err: unknown, what: string): TransportError {
  if (!isNativeErrno(err)) return new TransportError('NETLINK_IO', `netlink ${what} failed: ${String(err)}`, { cause: err });
  const code = err.code === 'ENOBUFS' && err.syscall === 'recvmsg' ? 'NETLINK_OVERRUN'
    : err.code === 'EPERM' || err.code === 'EACCES' ? 'NOT_PERMITTED'
      : err.code === 'EPROTONOSUPPORT' || err.code === 'EAFNOSUPPORT' ? 'NO_KERNEL_ISCSI'
        : 'NETLINK_IO';
  return new TransportError(code, `netlink ${what} failed: ${err.syscall}: ${err.code}`, {
    cause: err,
    details: { errno: err.errno, errnoCode: err.code, syscall: err.syscall },
  });
}

/** The loaded binding, or a TransportError NETLINK_ADDON_MISSING. */
function requireBinding(): NativeBinding {
  const addon = loadAddon();
  if ('error' in addon) {
    throw new TransportError('NETLINK_ADDON_MISSING', `kernel transports unavailable: ${addon.error}`, { retryable: false });
  }
  return addon.binding;
}

/** Options for {@link openNetlinkChannel}. */
export interface NetlinkChannelOptions {
  /** Multicast groups bitmask (default ISCSI_NL_GRP_ISCSID). */
  groups?: number;
  /** Netlink protocol (default NETLINK_ISCSI; tests use NETLINK_ROUTE = 0 on hosts without iSCSI). */
  protocol?: number;
  /** Most datagrams read per readiness callback before yielding to the event loop (default 64). */
  maxPerTick?: number;
}

/**
 * A bound netlink socket. Every datagram from the kernel is handed to the message
 * listeners as one Buffer (nlmsghdr + payload; the iSCSI kernel sends one message per
 * datagram). Datagrams not sent by the kernel are dropped by the addon. Reading starts
 * when the first listener is added; until then the kernel queues messages in the socket.
 */
export class NativeNetlinkChannel implements NetlinkChannel {
  private readonly sock: NativeSocket;
  private readonly messageListeners: Array<(msg: Buffer) => void> = [];
  private readonly errorListeners: Array<(err: TransportError) => void> = [];
  private readonly maxPerTick: number;
  private polling = false;
  private closed = false;

  /** @internal use {@link openNetlinkChannel}. */
  constructor(binding: NativeBinding, opts: NetlinkChannelOptions) {
    try {
      this.sock = new binding.NetlinkSocket(opts.protocol ?? NETLINK_ISCSI, opts.groups ?? ISCSI_NL_GRP_ISCSID);
    } catch (err) {
      throw netlinkError(err, 'open');
    }
    this.maxPerTick = opts.maxPerTick ?? 64;
  }

  /** Port id the kernel assigned (use as nlmsg_pid in requests). */
  get portId(): number {
    return this.sock.portId;
  }

  /** The socket's file descriptor (for diagnostics). */
  get fd(): number {
    return this.sock.fd;
  }

  /** Send one netlink message (nlmsghdr + payload) to the kernel. Throws TransportError. */
  send(msg: Buffer): void {
    if (this.closed) throw new TransportError('NETLINK_CLOSED', 'netlink send on a closed channel', { retryable: false });
    try {
      this.sock.send(msg);
    } catch (err) {
      throw netlinkError(err, `send (${msg.length} bytes)`);
    }
  }

  /** Add a listener for datagrams from the kernel; starts reading. */
  onMessage(cb: (msg: Buffer) => void): void {
    this.messageListeners.push(cb);
    this.startPolling();
  }

  /**
   * Add a listener for receive failures. NETLINK_OVERRUN (ENOBUFS) means the kernel
   * dropped messages because we read too slowly: state must be resynchronised (sysfs).
   * Reading continues after an error.
   */
  onError(cb: (err: TransportError) => void): void {
    this.errorListeners.push(cb);
  }

  /** Let the process exit while the channel is open (the poll handle no longer holds the loop). */
  unref(): void {
    this.sock.unref();
  }

  /** Keep the process alive while the channel is reading (the default). */
  ref(): void {
    this.sock.ref();
  }

  /** Stop reading and close the socket. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sock.close();
  }

  private startPolling(): void {
    if (this.polling || this.closed) return;
    this.polling = true;
    this.sock.startPolling((err) => (err ? this.fail(netlinkError(err, 'poll')) : this.drain()));
  }

  /** Read what is queued, up to maxPerTick (libuv polls level-triggered: the rest comes next tick). */
  private drain(): void {
    for (let i = 0; i < this.maxPerTick && !this.closed; i++) {
      let msg: Buffer | null;
      try {
        msg = this.sock.recv();
      } catch (err) {
        this.fail(netlinkError(err, 'receive'));
        continue;
      }
      if (msg === null) return;
      for (const cb of this.messageListeners) {
        if (this.closed) return; // "no callback runs afterwards" (channel.ts)
        cb(msg);
      }
    }
  }

  private fail(err: TransportError): void {
    if (this.errorListeners.length === 0) throw err;
    for (const cb of this.errorListeners) cb(err);
  }
}

/**
 * Open a NETLINK_ISCSI channel. Throws TransportError: NETLINK_ADDON_MISSING (addon not
 * built), NO_KERNEL_ISCSI (EPROTONOSUPPORT/EAFNOSUPPORT), NOT_PERMITTED (EPERM/EACCES),
 * NETLINK_IO (anything else; `details` carry errno and syscall).
 */
export function openNetlinkChannel(opts: NetlinkChannelOptions = {}): NativeNetlinkChannel {
  return new NativeNetlinkChannel(requireBinding(), opts);
}
