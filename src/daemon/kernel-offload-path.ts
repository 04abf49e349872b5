/**
 * The offload transports in the daemon (docs/kernel-offload.md §5, reference §1.7, §3.7):
 *
 * - one NETLINK_ISCSI channel + KernelTcpDriver per offload transport in use, opened on
 *   first use with that transport's handle and caps from /sys/class/iscsi_transport/<t>;
 *   joined to group 2 (ISCSI_NL_GRP_UIP) only for iscsiuio transports (bnx2i, qedi);
 * - when such a transport is opened and iscsiuio is NOT running, PATH_REQ events are
 *   answered by respondToPathRequests from the iface bound to the host (iscsiuio.ts);
 * - the SCSI host of an iface, as iscsid's iscsi_sysfs_get_host_no_from_hwinfo finds it:
 *   the host of that transport whose hwaddress (case-insensitive), else netdev, else
 *   ipaddress equals the iface's (the RHEL 5 "iface binding": `<transport>.<hwaddress>`
 *   ifaces name an HBA port by its MAC). A transport that requires a bound endpoint
 *   (bind_ep_required) without a matching host fails with ISCSI_ERR_HOST_NOT_FOUND (23).
 */
import { IscsiError, ISCSI_ERR } from '../shared/errors.js';
import type { NodeRecord } from '../db/index.js';
import { KernelTcpDriver } from '../transport/kernel/driver.js';
import { readIscsiuioStatus, readNeighbours, respondToPathRequests, type UioIface } from '../transport/kernel/iscsiuio.js';
import { effectiveCaps, type TransportBehaviour } from '../transport/kernel/transports.js';
import type { KernelPath } from './kernel-path.js';

/** An open offload transport. */
export interface OffloadHandle {
  driver: KernelTcpDriver;
  caps: number;
  behaviour: TransportBehaviour;
}

/** The iface fields that bind a login to an HBA port. */
export interface IfaceBinding {
  name: string;
  hwaddress: string;
  netdev: string;
  ipaddress: string;
}

const isSet = (v: string | undefined): v is string => v !== undefined && v.trim() !== '' && v.trim() !== 'default' && v.trim() !== '<empty>';

/** The binding fields of a node record's iface block. */
export function bindingOf(rec: Readonly<NodeRecord>): IfaceBinding {
  return {
    name: rec['iface.iscsi_ifacename'], hwaddress: rec['iface.hwaddress'] ?? '', netdev: rec['iface.net_ifacename'] ?? '', ipaddress: rec['iface.ipaddress'] ?? '',
  };
}

/** The iscsiuio view of a record's iface (PATH_UPDATE source address, mask, gateway, VLAN, MTU). */
export function uioIfaceOf(rec: Readonly<NodeRecord>): UioIface {
  const vlan = Number(rec['iface.vlan_id'] ?? 0);
  const mtu = Number(rec['iface.mtu'] ?? 0);
  return {
    name: rec['iface.iscsi_ifacename'],
    ...(isSet(rec['iface.ipaddress']) ? { ipaddress: rec['iface.ipaddress'] } : {}),
    ...(isSet(rec['iface.subnet_mask']) ? { subnetMask: rec['iface.subnet_mask'] } : {}),
    ...(isSet(rec['iface.gateway']) ? { gateway: rec['iface.gateway'] } : {}),
    ...(vlan > 0 ? { vlanId: vlan } : {}),
    ...(mtu > 0 ? { mtu } : {}),
  };
}

export class OffloadPaths {
  private readonly open = new Map<string, Promise<OffloadHandle>>();
  /** hostNo -> the iface of the last login bound to it (PATH_REQ answers). */
  private readonly hostIfaces = new Map<number, UioIface>();

  constructor(private readonly kernel: KernelPath) {
    kernel.onClose.push(() => this.close());
  }

  /** The driver of `behaviour`'s transport, opened on first use. */
  driverFor(behaviour: TransportBehaviour): Promise<OffloadHandle> {
    let p = this.open.get(behaviour.name);
    if (p === undefined) {
      p = this.doOpen(behaviour);
      p.catch(() => this.open.delete(behaviour.name));
      this.open.set(behaviour.name, p);
    }
    return p;
  }

  /** Remembers which iface a host serves (for PATH_REQ). */
  bindHost(hostNo: number, iface: UioIface): void {
    this.hostIfaces.set(hostNo, iface);
  }

  /**
   * The SCSI host of the iface (iscsi_sysfs_get_host_no_from_hwinfo): undefined when the
   * iface is not bound and the transport does not require it (iser: plain EP_CONNECT).
   */
  async hostFor(behaviour: TransportBehaviour, iface: IfaceBinding): Promise<number | undefined> {
    const by: Array<['hwaddress' | 'netdev' | 'ipaddress', string]> = [];
    if (isSet(iface.hwaddress)) by.push(['hwaddress', iface.hwaddress]);
    else if (isSet(iface.netdev)) by.push(['netdev', iface.netdev]);
    else if (isSet(iface.ipaddress)) by.push(['ipaddress', iface.ipaddress]);
    const [field, want] = by[0] ?? [undefined, undefined];
    if (field === undefined) {
      if (!behaviour.bindEpRequired) return undefined;
      throw new IscsiError('OFFLOAD_IFACE_NOT_BOUND', `iface ${iface.name} (transport ${behaviour.name}) names no HBA port: set iface.hwaddress (or iface.net_ifacename / iface.ipaddress) to the port's value`, {
        errno: ISCSI_ERR.HOST_NOT_FOUND, retryable: false, details: { iface: iface.name, transport: behaviour.name },
      });
    }
    const sysfs = this.kernel.sysfs;
    for (const hostNo of await sysfs.hostNumbers()) {
      const h = await sysfs.host(hostNo);
      if (h?.transportName !== behaviour.name) continue;
      const have = h[field]?.trim() ?? '';
      if (field === 'hwaddress' ? have.toLowerCase() === want.trim().toLowerCase() : have === want.trim()) return hostNo;
    }
    throw new IscsiError('OFFLOAD_HOST_NOT_FOUND', `no ${behaviour.name} SCSI host has ${field} ${want} (iface ${iface.name}); check the iface record against /sys/class/iscsi_host/host*/${field}`, {
      errno: ISCSI_ERR.HOST_NOT_FOUND, retryable: false, details: { iface: iface.name, transport: behaviour.name, [field]: want },
    });
  }

  close(): void {
    const all = [...this.open.values()];
    this.open.clear();
    for (const p of all) p.then((h) => h.driver.close(), () => undefined);
  }

  private async doOpen(behaviour: TransportBehaviour): Promise<OffloadHandle> {
    const k = this.kernel;
    const t = await k.sysfs.transport(behaviour.name);
    if (t?.handle === undefined) {
      throw new IscsiError('TRANSPORT_NOT_FOUND', `Could not find transport ${behaviour.name}: ${k.sysfs.classDir('iscsi_transport', behaviour.name)}/handle is missing; load the driver with: modprobe ${behaviour.kmod}`, {
        errno: ISCSI_ERR.TRANS_NOT_FOUND, retryable: false, details: { transport: behaviour.name },
      });
    }
    const groups = behaviour.usesIscsiuio ? [1, 2] : [1];
    const { channel, pid } = k.openChannel(groups);
    const log = k.logger.child({ component: 'netlink', transport: behaviour.name });
    const driver = new KernelTcpDriver({
      channel, pid, transportHandle: t.handle, transportName: behaviour.name, clock: k.clockSource, logger: log,
      ...(k.requestTimeoutMs === undefined ? {} : { timeoutMs: k.requestTimeoutMs }),
    });
    const caps = effectiveCaps(behaviour.name, t.caps ?? behaviour.registeredCaps);
    k.logger.info({ pid, transport: behaviour.name, handle: `0x${t.handle.toString(16)}`, caps: `0x${caps.toString(16)}`, groups },
      `NETLINK_ISCSI channel open for offload transport ${behaviour.name}`);
    if (behaviour.usesIscsiuio) {
      const uio = await readIscsiuioStatus(behaviour, k.procRoot);
      if (uio.running) {
        k.logger.info({ transport: behaviour.name }, 'iscsiuio is running: it answers PATH_REQ itself');
      } else {
        k.logger.info({ transport: behaviour.name }, 'iscsiuio is not running: tsiscsid answers PATH_REQ from the iface record and the ARP table');
        respondToPathRequests(driver, (h) => this.hostIfaces.get(h), () => readNeighbours(k.procRoot), log);
      }
    }
    return { driver, caps, behaviour };
  }
}
