/**
 * How the offload host methods reach the kernel: like iscsiadm (which opens its own
 * NETLINK_ISCSI socket for CHAP, flashnode and host stats, reference §1.4), each call
 * resolves the host's transport from sysfs (scsi_host proc_name → iscsi_transport
 * handle), opens a netlink channel, runs, and closes it. Tests inject a fake kernel.
 */
import { IscsiError, ISCSI_ERR } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { NetlinkChannel } from '../../transport/kernel/channel.js';
import { KernelTcpDriver } from '../../transport/kernel/driver.js';
import { openNetlinkChannel } from '../../transport/kernel/netlink-native.js';
import { SysfsReader } from '../../transport/kernel/sysfs.js';

/** A netlink channel and the port id to put in nlmsg_pid. */
export interface OpenedChannel { channel: NetlinkChannel; pid: number }

export interface HostKernelAccess {
  /** sysfs root as SysfsReader takes it ('/' in production). */
  readonly sysfsRoot: string;
  /** Opens a NETLINK_ISCSI channel (joined to the iscsid group). */
  openChannel(): OpenedChannel;
}

/** The real kernel. */
export function realHostKernel(): HostKernelAccess {
  return {
    sysfsRoot: '/',
    openChannel() {
      const channel = openNetlinkChannel();
      return { channel, pid: channel.portId };
    },
  };
}

/** iscsiadm's iscsi_sysfs_get_transport_by_hba failure (exit 12). */
export function noTransport(hostNo: number, fmt: '%d' | '%u' = '%d'): IscsiError {
  return new IscsiError('HOST_TRANSPORT_NOT_FOUND', `Could not match hostno ${hostNo} to transport.`, {
    errno: ISCSI_ERR.TRANS_NOT_FOUND, details: { hostNo, format: fmt },
  });
}

/** Runs `fn` with a driver for the transport of `hostNo`; the channel is closed afterwards. */
export async function withHostDriver<T>(
  access: HostKernelAccess, hostNo: number, log: Logger,
  fn: (driver: KernelTcpDriver, transport: string) => Promise<T>,
): Promise<T> {
  const sysfs = new SysfsReader(access.sysfsRoot);
  const name = (await sysfs.host(hostNo))?.transportName;
  const t = name === undefined || name === '' ? undefined : await sysfs.transport(name);
  if (name === undefined || t?.handle === undefined) throw noTransport(hostNo);
  let opened: OpenedChannel;
  try {
    opened = access.openChannel();
  } catch (err) {
    // iscsiadm: ctldev_open() failed -> "Netlink open failed." (ISCSI_ERR_INTERNAL).
    const reason = err instanceof Error ? err.message : String(err);
    log.warn({ hostNo, reason }, `cannot open NETLINK_ISCSI for host${hostNo}: ${reason}`);
    throw new IscsiError('NETLINK_OPEN_FAILED', 'Netlink open failed.', { errno: ISCSI_ERR.INTERNAL, cause: err, details: { hostNo, reason } });
  }
  const { channel, pid } = opened;
  const driver = new KernelTcpDriver({ channel, pid, transportHandle: t.handle, transportName: name, logger: log });
  try {
    return await fn(driver, name);
  } finally {
    driver.close();
  }
}
