/**
 * bnx2i / qedi and iscsiuio (reference §1.7, §3.1, §7.4). These transports have no
 * kernel network stack of their own for iSCSI: iscsiuio (a userspace daemon)
 * configures the offload NIC, and the kernel asks for the L2 path of each new
 * connection with ISCSI_KEVENT_PATH_REQ {host_no} + `struct iscsi_path` (handle,
 * dst, ip_addr_len) on netlink group 2 (ISCSI_NL_GRP_UIP). The answer is
 * ISCSI_UEVENT_PATH_UPDATE {host_no @16} + the completed `iscsi_path`: source
 * address, next-hop MAC, VLAN id, path MTU.
 *
 * What this module does (and docs/kernel-offload.md explains what cannot be tested
 * here): decide the next hop from the iface's ip/netmask/gateway, find its MAC in
 * the kernel neighbour table (/proc/net/arp text), and build the PATH_UPDATE; any
 * missing piece is a typed error. It also tells whether iscsiuio is needed (the
 * transport table's `usesIscsiuio`) and running (its abstract socket
 * `@ISCSID_UIP_ABSTRACT_NAMESPACE` in /proc/net/unix), with iscsid's wording
 * "uIP daemon is not up".
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, IscsiError, ISCSI_ERR, TransportError } from '../../shared/errors.js';
import { nullLogger, type Logger } from '../../shared/logger.js';
import type { KernelTcpDriver } from './driver.js';
import { ipv4Bytes } from './inet.js';
import type { IscsiPath } from './payloads.js';
import type { TransportBehaviour } from './transports.js';

/** The abstract unix socket iscsiuio listens on (ISCSID_UIP_ABSTRACT_NAMESPACE). */
export const ISCSIUIO_SOCKET = 'ISCSID_UIP_ABSTRACT_NAMESPACE';
/** Ethernet MTU when the iface sets none. */
const DEFAULT_MTU = 1500;

/** The iface fields a path answer needs (iface record / sysfs iscsi_iface). */
export interface UioIface {
  name: string;
  ipaddress?: string;
  subnetMask?: string;
  gateway?: string;
  vlanId?: number;
  mtu?: number;
}

/** One IPv4 neighbour (ARP) entry. */
export interface Neighbour { ip: string; mac: string; device: string }

/** Complete entries (flags 0x2 ATF_COM) of `/proc/net/arp`. */
export function parseProcNetArp(text: string): Neighbour[] {
  return text.split('\n').slice(1).flatMap((line): Neighbour[] => {
    const [ip, , flags, mac, , device] = line.trim().split(/\s+/);
    if (ip === undefined || mac === undefined || device === undefined || flags === undefined) return [];
    return (Number(flags) & 0x2) !== 0 && mac !== '00:00:00:00:00:00' ? [{ ip, mac: mac.toLowerCase(), device }] : [];
  });
}

function ipv4Number(ip: string): number {
  return ipv4Bytes(ip).readUInt32BE(0);
}

function pathError(code: string, message: string, details: Record<string, unknown>): TransportError {
  return new TransportError(code, message, { errno: ISCSI_ERR.TRANS, retryable: true, details });
}

/**
 * The PATH_UPDATE answer for a PATH_REQ: next hop = dst when it is on the iface's
 * subnet, else the gateway; its MAC from the neighbour table. IPv6 paths need
 * neighbour discovery, which only iscsiuio does: a typed error here.
 */
export function planPathUpdate(req: IscsiPath, iface: UioIface, neighbours: readonly Neighbour[]): IscsiPath {
  const where = { iface: iface.name, dst: req.dst };
  if (req.family !== 'ipv4') {
    throw pathError('UIO_PATH_IPV6_UNSUPPORTED', `PATH_REQ for IPv6 ${req.dst}: IPv6 neighbour discovery for offload paths needs iscsiuio; start iscsiuio`, where);
  }
  if (iface.ipaddress === undefined || iface.ipaddress === '' || iface.subnetMask === undefined || iface.subnetMask === '') {
    throw new ConfigError('UIO_PATH_NO_ADDRESS', `PATH_REQ for ${req.dst}: iface ${iface.name} has no iface.ipaddress/iface.subnet_mask; set them (tsiscsiadm -m iface -I ${iface.name} -o update ...)`, { details: where });
  }
  const mask = ipv4Number(iface.subnetMask);
  const onLink = ((ipv4Number(iface.ipaddress) ^ ipv4Number(req.dst)) & mask) === 0;
  const gw = iface.gateway === undefined || iface.gateway === '' || iface.gateway === '0.0.0.0' ? undefined : iface.gateway;
  const hop = onLink ? req.dst : gw;
  if (hop === undefined) {
    throw pathError('UIO_PATH_NO_ROUTE', `PATH_REQ for ${req.dst}: not on ${iface.ipaddress}/${iface.subnetMask} and iface ${iface.name} has no iface.gateway`, where);
  }
  const n = neighbours.find((x) => x.ip === hop);
  if (n === undefined) {
    throw pathError('UIO_PATH_NO_NEIGHBOUR', `PATH_REQ for ${req.dst}: no ARP entry for next hop ${hop}; ping it once or start iscsiuio`, { ...where, hop });
  }
  return {
    ...req,
    macAddr: Buffer.from(n.mac.split(':').map((x) => Number.parseInt(x, 16))),
    src: iface.ipaddress,
    vlanId: iface.vlanId ?? 0,
    pmtu: iface.mtu ?? DEFAULT_MTU,
  };
}

/** Logs a PATH_REQ and answers it with PATH_UPDATE; a path that cannot be built is logged and returned. */
export async function answerPathReq(
  driver: KernelTcpDriver, ev: { hostNo: number; path: IscsiPath | undefined },
  iface: UioIface | undefined, neighbours: readonly Neighbour[], logger: Logger = nullLogger,
): Promise<IscsiError | undefined> {
  logger.info({ hostNo: ev.hostNo, dst: ev.path?.dst, handle: ev.path?.handle.toString() }, `host${ev.hostNo}: kernel requests the path to ${ev.path?.dst ?? '(none)'}`);
  try {
    if (ev.path === undefined) throw pathError('UIO_PATH_EMPTY', `PATH_REQ on host${ev.hostNo} carried no iscsi_path`, { hostNo: ev.hostNo });
    if (iface === undefined) throw new ConfigError('UIO_PATH_NO_IFACE', `PATH_REQ on host${ev.hostNo}: no iface record is bound to this host`, { details: { hostNo: ev.hostNo } });
    const path = planPathUpdate(ev.path, iface, neighbours);
    await driver.request({ kind: 'pathUpdate', hostNo: ev.hostNo, path });
    return undefined;
  } catch (err) {
    if (!(err instanceof IscsiError)) throw err;
    logger.warn({ hostNo: ev.hostNo, err: err.code }, err.message);
    return err;
  }
}

/** Whether iscsiuio is needed for a transport and whether it runs, with a message an admin can act on. */
export interface UioStatus {
  needed: boolean;
  running: boolean;
  message: string;
}

/** True when `/proc/net/unix` text lists iscsiuio's abstract socket. */
export function iscsiuioListening(procNetUnix: string): boolean {
  return procNetUnix.split('\n').some((l) => l.trim().endsWith(`@${ISCSIUIO_SOCKET}`));
}

export function iscsiuioStatus(behaviour: TransportBehaviour, procNetUnix: string): UioStatus {
  const running = iscsiuioListening(procNetUnix);
  if (!behaviour.usesIscsiuio) return { needed: false, running, message: `transport ${behaviour.name} does not use iscsiuio` };
  return running
    ? { needed: true, running, message: `transport ${behaviour.name} uses iscsiuio; iscsiuio is running` }
    : { needed: true, running, message: `uIP daemon is not up: transport ${behaviour.name} needs iscsiuio for its network configuration; start it (systemctl start iscsiuio) and retry` };
}

/** iscsiuio status read from `<procRoot>/proc/net/unix` (an unreadable file counts as not running). */
export async function readIscsiuioStatus(behaviour: TransportBehaviour, procRoot = '/'): Promise<UioStatus> {
  let text = '';
  try {
    text = await readFile(join(procRoot, 'proc/net/unix'), 'utf8');
  } catch {
    text = '';
  }
  return iscsiuioStatus(behaviour, text);
}

/** The error a login gets when its transport needs iscsiuio and it is not running (iscsid retries: errno 29). */
export function iscsiuioNotRunning(status: UioStatus, transport: string): TransportError {
  return new TransportError('ISCSIUIO_NOT_RUNNING', status.message, { errno: ISCSI_ERR.AGAIN, retryable: true, details: { transport } });
}

/**
 * Answers every PATH_REQ the driver delivers (its channel must have joined netlink
 * group 2, ISCSI_NL_GRP_UIP). Run it only when iscsiuio is NOT running: iscsiuio
 * answers them itself and two answers would race. Returns the unsubscribe function.
 */
export function respondToPathRequests(
  driver: KernelTcpDriver,
  ifaceOfHost: (hostNo: number) => UioIface | undefined,
  neighbours: () => Promise<Neighbour[]>,
  logger: Logger = nullLogger,
): () => void {
  return driver.onEvent((ev) => {
    if (ev.type !== 'other' || ev.event.event !== 'pathReq') return;
    const req = ev.event;
    void neighbours()
      .then((n) => answerPathReq(driver, req, ifaceOfHost(req.hostNo), n, logger))
      .catch((err: unknown) => logger.error({ err: String(err) }, 'PATH_REQ handling failed'));
  });
}

/** Neighbour table of the running kernel (`/proc/net/arp`), [] when unreadable. */
export async function readNeighbours(procRoot = '/'): Promise<Neighbour[]> {
  try {
    return parseProcNetArp(await readFile(join(procRoot, 'proc/net/arp'), 'utf8'));
  } catch {
    return [];
  }
}
