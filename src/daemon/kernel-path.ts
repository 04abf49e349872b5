/**
 * The daemon's access to the kernel iscsi_tcp data path (issue 6 §2): which data path a
 * login takes (driver-select.ts selectDataPath), and ONE NETLINK_ISCSI channel + driver
 * for the whole daemon, opened on first use (pid = the channel's port id, the transport
 * handle and caps from /sys/class/iscsi_transport/tcp, reference §1.7, §4.1).
 *
 * A host without the addon, the netlink family or iscsi_tcp keeps working over usertcp;
 * the reason is logged once per distinct reason.
 */
import { join } from 'node:path';
import { TransportError } from '../shared/errors.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { NetlinkChannel } from '../transport/kernel/channel.js';
import { KernelTcpDriver } from '../transport/kernel/driver.js';
import { selectDataPath, type DataPathChoice } from '../transport/kernel/driver-select.js';
import { kernelAvailability, openNetlinkChannel, type KernelAvailability } from '../transport/kernel/netlink-native.js';
import { SysfsReader } from '../transport/kernel/sysfs.js';
import { effectiveCaps } from '../transport/kernel/transports.js';

/** How the daemon reaches the kernel (tests pass a fake kernel channel and a temp sysfs tree). */
export interface KernelPathOptions {
  /** Filesystem root above `sys/` (default '/'). */
  root?: string;
  /** Default: kernelAvailability() on the real host. */
  availability?: () => KernelAvailability;
  /** Default: a NativeNetlinkChannel on NETLINK_ISCSI (pid = its port id). */
  openChannel?: () => { channel: NetlinkChannel; pid: number };
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
    const choice = selectDataPath(transportName, this.available());
    if (choice.path === 'usertcp' && transportName !== 'usertcp' && !this.told.has(choice.reason)) {
      this.told.add(choice.reason);
      this.log.info({ transport: transportName ?? 'tcp' }, choice.reason);
    }
    return choice;
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
    this.handle?.driver.close();
    this.handle = undefined;
    this.opening = undefined;
  }

  private async doOpen(): Promise<KernelHandle> {
    const t = await this.sysfs.transport('tcp');
    if (t?.handle === undefined) {
      throw new TransportError('NO_KERNEL_ISCSI', `kernel transport tcp is not registered (${this.sysfs.classDir('iscsi_transport', 'tcp')}/handle missing); load it with: modprobe iscsi_tcp`, { retryable: false });
    }
    const { channel, pid } = this.opts.openChannel?.() ?? openNative();
    const driver = new KernelTcpDriver({
      channel, pid, transportHandle: t.handle, transportName: 'tcp', clock: this.clock, logger: this.log.child({ component: 'netlink' }),
      ...(this.opts.requestTimeoutMs === undefined ? {} : { timeoutMs: this.opts.requestTimeoutMs }),
    });
    const caps = effectiveCaps('tcp', t.caps ?? 0x39);
    this.log.info({ pid, handle: `0x${t.handle.toString(16)}`, caps: `0x${caps.toString(16)}` }, 'NETLINK_ISCSI channel open: iface transport tcp uses the kernel iscsi_tcp data path');
    return { driver, caps };
  }
}

function openNative(): { channel: NetlinkChannel; pid: number } {
  const ch = openNetlinkChannel();
  return { channel: ch, pid: ch.portId };
}
