/**
 * The daemon's access to the kernel data paths (issue 6 §2): which data path a login
 * takes (driver-select.ts selectDataPath), ONE NETLINK_ISCSI channel + driver for
 * iscsi_tcp, opened on first use (pid = the channel's port id, the transport handle and
 * caps from /sys/class/iscsi_transport/tcp, reference §1.7, §4.1), and one channel +
 * driver per offload transport in use (kernel-offload-path.ts; the driver keeps one
 * request in flight and matches replies by type, so transports do not share a channel).
 *
 * A host without the addon, the netlink family or iscsi_tcp keeps working over usertcp;
 * the reason is logged once per distinct reason. An offload iface whose transport is
 * absent fails its login with ISCSI_ERR_TRANS_NOT_FOUND (12) instead.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { IscsiError, ISCSI_ERR, TransportError } from '../shared/errors.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { NetlinkChannel } from '../transport/kernel/channel.js';
import { KernelTcpDriver } from '../transport/kernel/driver.js';
import { selectDataPath, type DataPathChoice } from '../transport/kernel/driver-select.js';
import { kernelAvailability, openNetlinkChannel, type KernelAvailability } from '../transport/kernel/netlink-native.js';
import { SysfsReader } from '../transport/kernel/sysfs.js';
import { effectiveCaps } from '../transport/kernel/transports.js';
import { OffloadPaths } from './kernel-offload-path.js';

/** How the daemon reaches the kernel (tests pass a fake kernel channel and a temp sysfs tree). */
export interface KernelPathOptions {
  /** Filesystem root above `sys/` (default '/'). */
  root?: string;
  /** Default: kernelAvailability() on the real host. */
  availability?: () => KernelAvailability;
  /**
   * Default: a NativeNetlinkChannel on NETLINK_ISCSI (pid = its port id) joined to
   * `groups` (1 = ISCSI_NL_GRP_ISCSID; 2 = ISCSI_NL_GRP_UIP for iscsiuio transports).
   */
  openChannel?: (opts: { groups: readonly number[] }) => { channel: NetlinkChannel; pid: number };
  /** Root above `proc/` for /proc/net/unix and /proc/net/arp (default: `root`). */
  procRoot?: string;
  /** EP_POLL interval of offload logins (default 1 s, as iscsid). */
  offloadPollMs?: number;
  /** Per-request kernel answer limit (driver default 10 s). */
  requestTimeoutMs?: number;
}

/** The open driver with what the bring-up needs. */
export interface KernelHandle {
  driver: KernelTcpDriver;
  /** Effective caps of iscsi_tcp (transports.ts effectiveCaps). */
  caps: number;
}

export class KernelPath {
  readonly sysfs: SysfsReader;
  /** sysfs mount point for writes (host scan). */
  readonly sysfsRoot: string;
  private availability: KernelAvailability | undefined;
  private opening: Promise<KernelHandle> | undefined;
  private handle: KernelHandle | undefined;
  private readonly told = new Set<string>();
  /** Closers of what was opened beside the tcp driver (offload drivers). */
  readonly onClose: Array<() => void> = [];
  private offloadPaths: OffloadPaths | undefined;

  constructor(private readonly opts: KernelPathOptions, private readonly log: Logger, private readonly clock: Clock) {
    const root = opts.root ?? '/';
    this.sysfs = new SysfsReader(root);
    this.sysfsRoot = join(root, 'sys');
  }

  /** Whether NETLINK_ISCSI + iscsi_tcp work here (checked once). */
  available(): KernelAvailability {
    this.availability ??= this.opts.availability?.() ?? kernelAvailability({ sysfsRoot: this.sysfsRoot });
    return this.availability;
  }

  /** The data path for an iface transport name; a usertcp fallback reason is logged once. */
  choose(transportName: string | undefined): DataPathChoice {
    const choice = selectDataPath(transportName, this.available(), (name) => existsSync(this.sysfs.classDir('iscsi_transport', name)));
    if (choice.path === 'usertcp' && transportName !== 'usertcp' && !this.told.has(choice.reason)) {
      this.told.add(choice.reason);
      this.log.info({ transport: transportName ?? 'tcp' }, choice.reason);
    }
    return choice;
  }

  /**
   * The choice for a login; a missing transport is iscsid's ISCSI_ERR_TRANS_NOT_FOUND (12)
   * ("iSCSI driver not found. Please make sure it is loaded, and retry the operation").
   */
  chooseForLogin(transportName: string | undefined, iface: string): Exclude<DataPathChoice, { path: 'missing' }> {
    const c = this.choose(transportName);
    if (c.path !== 'missing') return c;
    throw new IscsiError('TRANSPORT_NOT_FOUND', `${c.reason} (iface ${iface})`, {
      errno: ISCSI_ERR.TRANS_NOT_FOUND, retryable: false, details: { iface, transport: c.transport, field: 'iface.transport_name' },
    });
  }

  /** The offload transports (drivers per transport, host binding, PATH_REQ), created on first use. */
  get offload(): OffloadPaths {
    this.offloadPaths ??= new OffloadPaths(this);
    return this.offloadPaths;
  }

  get offloadPollMs(): number | undefined {
    return this.opts.offloadPollMs;
  }

  /** Opens a channel as configured (tests: the fake kernel). */
  openChannel(groups: readonly number[]): { channel: NetlinkChannel; pid: number } {
    return this.opts.openChannel?.({ groups }) ?? openNative(groups);
  }

  /** Root above `proc/`. */
  get procRoot(): string {
    return this.opts.procRoot ?? this.opts.root ?? '/';
  }

  /** Per-request answer limit for drivers opened elsewhere (offload). */
  get requestTimeoutMs(): number | undefined {
    return this.opts.requestTimeoutMs;
  }

  get clockSource(): Clock {
    return this.clock;
  }

  get logger(): Logger {
    return this.log;
  }

  /** The daemon's driver, opened on first use (one channel per daemon). */
  open(): Promise<KernelHandle> {
    if (this.handle) return Promise.resolve(this.handle);
    this.opening ??= this.doOpen().then((h) => {
      this.handle = h;
      return h;
    }, (err: unknown) => {
      this.opening = undefined;
      throw err;
    });
    return this.opening;
  }

  /** The driver when it is open already (events, stats), else undefined. */
  get driver(): KernelTcpDriver | undefined {
    return this.handle?.driver;
  }

  close(): void {
    for (const fn of this.onClose.splice(0)) fn();
    this.offloadPaths = undefined;
    this.handle?.driver.close();
    this.handle = undefined;
    this.opening = undefined;
  }

  private async doOpen(): Promise<KernelHandle> {
    const t = await this.sysfs.transport('tcp');
    if (t?.handle === undefined) {
      throw new TransportError('NO_KERNEL_ISCSI', `kernel transport tcp is not registered (${this.sysfs.classDir('iscsi_transport', 'tcp')}/handle missing); load it with: modprobe iscsi_tcp`, { retryable: false });
    }
    const { channel, pid } = this.openChannel([1]);
    const driver = new KernelTcpDriver({
      channel, pid, transportHandle: t.handle, transportName: 'tcp', clock: this.clock, logger: this.log.child({ component: 'netlink' }),
      ...(this.opts.requestTimeoutMs === undefined ? {} : { timeoutMs: this.opts.requestTimeoutMs }),
    });
    const caps = effectiveCaps('tcp', t.caps ?? 0x39);
    this.log.info({ pid, handle: `0x${t.handle.toString(16)}`, caps: `0x${caps.toString(16)}` }, 'NETLINK_ISCSI channel open: iface transport tcp uses the kernel iscsi_tcp data path');
    return { driver, caps };
  }
}

function openNative(groups: readonly number[]): { channel: NetlinkChannel; pid: number } {
  const ch = openNetlinkChannel({ groups: groups.reduce((m, g) => m | (1 << (g - 1)), 0) });
  return { channel: ch, pid: ch.portId };
}
