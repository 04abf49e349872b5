/**
 * The kernel transports in one behaviour table (reference §1.7, §3.7) and the
 * capability-driven masking iscsid applies to a login.
 *
 * Capability bits are NOT in the table: they are read at run time from
 * `/sys/class/iscsi_transport/<name>/caps` and drive the masking below. The
 * table only says how each transport is driven. `registeredCaps` documents what
 * recent mainline drivers register (used by the fake kernel and in tests).
 */
import type { OperationalOffer } from '../../iscsi/text/params.js';
import { CAP } from './abi.js';
import { ISCSI_PARAM } from './abi-params.js';

export const KERNEL_TRANSPORT_NAMES = ['tcp', 'iser', 'bnx2i', 'cxgb3i', 'cxgb4i', 'qla4xxx', 'be2iscsi', 'qedi', 'ocs'] as const;
export type KernelTransportName = (typeof KERNEL_TRANSPORT_NAMES)[number];

/** How the daemon drives one kernel transport. */
export interface TransportBehaviour {
  name: KernelTransportName;
  /** Kernel module to load. */
  kmod: string;
  /** 'socket-fd': userspace TCP socket, fd passed as BIND_CONN transport_eph; 'netlink-ep': EP_CONNECT/EP_POLL/EP_DISCONNECT. */
  connect: 'socket-fd' | 'netlink-ep';
  /** Whether the iface IP must be pushed with SET_HOST_PARAM IPADDRESS (open-iscsi SET_HOST_IP_*). */
  setHostIp: 'not-supported' | 'optional' | 'required';
  /** The iface must bind to a host (EP_CONNECT_THROUGH_HOST when the iface names a MAC/netdev). */
  bindEpRequired: boolean;
  /** RDMA login keys (Initiator/TargetRecvDataSegmentLength, RDMAExtensions=Yes), no digests. */
  rdma: boolean;
  /** Network configuration and pings go through iscsiuio. */
  usesIscsiuio: boolean;
  /** The firmware logs in (login result as CONN_LOGIN_STATE); decided at run time by CAP_LOGIN_OFFLOAD. */
  loginOffload: boolean;
  /** Reads offload boot data under /sys/firmware/iscsi_bootN. */
  readsBootInfo: boolean;
  /** The driver has no netdev of its own. */
  noNetdev: boolean;
  /** VLAN settings kept in sync across the host's IPv4/IPv6 ifaces. */
  vlanSync: boolean;
  /** Bits userspace ORs into the sysfs caps (qla4xxx compat hack). */
  capsCompatOr: number;
  /** Caps the mainline driver registers (documentation and test defaults). */
  registeredCaps: number;
}

const base = {
  connect: 'netlink-ep', setHostIp: 'not-supported', bindEpRequired: true, rdma: false, usesIscsiuio: false,
  loginOffload: false, readsBootInfo: false, noNetdev: false, vlanSync: false, capsCompatOr: 0,
} as const;

const C = CAP;
/** One row per transport (reference §1.7). */
export const TRANSPORTS: Readonly<Record<KernelTransportName, TransportBehaviour>> = {
  tcp: { ...base, name: 'tcp', kmod: 'iscsi_tcp', connect: 'socket-fd', bindEpRequired: false, registeredCaps: C.RECOVERY_L0 | C.MULTI_R2T | C.HDRDGST | C.DATADGST },
  iser: { ...base, name: 'iser', kmod: 'ib_iser', bindEpRequired: false, rdma: true, registeredCaps: C.RECOVERY_L0 | C.MULTI_R2T | C.TEXT_NEGO },
  bnx2i: {
    ...base, name: 'bnx2i', kmod: 'bnx2i', setHostIp: 'required', usesIscsiuio: true, readsBootInfo: true,
    registeredCaps: C.RECOVERY_L0 | C.HDRDGST | C.MULTI_R2T | C.DATADGST | C.DATA_PATH_OFFLOAD | C.TEXT_NEGO,
  },
  cxgb3i: {
    ...base, name: 'cxgb3i', kmod: 'cxgb3i', setHostIp: 'optional',
    registeredCaps: C.RECOVERY_L0 | C.MULTI_R2T | C.HDRDGST | C.DATADGST | C.DIGEST_OFFLOAD | C.PADDING_OFFLOAD | C.TEXT_NEGO,
  },
  cxgb4i: {
    ...base, name: 'cxgb4i', kmod: 'cxgb4i',
    registeredCaps: C.RECOVERY_L0 | C.MULTI_R2T | C.HDRDGST | C.DATADGST | C.DIGEST_OFFLOAD | C.PADDING_OFFLOAD | C.TEXT_NEGO,
  },
  qla4xxx: {
    ...base, name: 'qla4xxx', kmod: 'qla4xxx', loginOffload: true, capsCompatOr: C.DATA_PATH_OFFLOAD,
    registeredCaps: C.TEXT_NEGO | C.DATA_PATH_OFFLOAD | C.HDRDGST | C.DATADGST | C.LOGIN_OFFLOAD | C.MULTI_R2T,
  },
  be2iscsi: {
    ...base, name: 'be2iscsi', kmod: 'be2iscsi', vlanSync: true,
    registeredCaps: C.RECOVERY_L0 | C.HDRDGST | C.TEXT_NEGO | C.MULTI_R2T | C.DATADGST | C.DATA_PATH_OFFLOAD,
  },
  qedi: {
    ...base, name: 'qedi', kmod: 'qedi', setHostIp: 'required', usesIscsiuio: true, readsBootInfo: true, noNetdev: true,
    registeredCaps: C.RECOVERY_L0 | C.HDRDGST | C.MULTI_R2T | C.DATADGST | C.DATA_PATH_OFFLOAD | C.TEXT_NEGO,
  },
  ocs: { ...base, name: 'ocs', kmod: 'ocs', registeredCaps: 0 },
};

/** Netdev driver -> offload transport to auto-load for it. */
export const NETDEV_OFFLOAD: Readonly<Record<string, KernelTransportName>> = {
  cxgb3: 'cxgb3i',
  cxgb4: 'cxgb4i',
  bnx2: 'bnx2i',
  bnx2x: 'bnx2i',
};

/** Behaviour of a transport named in sysfs, or undefined (open-iscsi: "Could not find template for %s"). */
export function transportBehaviour(name: string): TransportBehaviour | undefined {
  return (KERNEL_TRANSPORT_NAMES as readonly string[]).includes(name) ? TRANSPORTS[name as KernelTransportName] : undefined;
}

/** Caps as the daemon uses them: sysfs caps plus the transport's compat bits. */
export function effectiveCaps(name: string, sysfsCaps: number): number {
  return sysfsCaps | (transportBehaviour(name)?.capsCompatOr ?? 0);
}

/** What the caps allow, in words. */
export interface CapabilityPlan {
  /** Highest ErrorRecoveryLevel iscsid's check lets through (0 without L0; 1 with L0 only; 2 with L0+L1). */
  maxErl: number;
  multiR2T: boolean;
  headerDigest: boolean;
  dataDigest: boolean;
  markers: boolean;
  /** Discovery/text negotiation runs through the kernel (SendTargets via a kernel session). */
  textNego: boolean;
  /** The firmware performs login/logout; completion arrives as CONN_LOGIN_STATE. */
  loginOffload: boolean;
  /** SendTargets is done by the firmware (TGT_DSCVR). */
  sendTargetsOffload: boolean;
  /** Firmware-owned session database: only rescan at resync and on KEVENT_CREATE_SESSION. */
  fwDb: boolean;
  /** The data path is offloaded: xmit_thread_priority does not apply. */
  dataPathOffload: boolean;
  multiConn: boolean;
}

export function capabilityPlan(caps: number): CapabilityPlan {
  const has = (bit: number): boolean => (caps & bit) !== 0;
  return {
    maxErl: !has(CAP.RECOVERY_L0) ? 0 : has(CAP.RECOVERY_L1) ? 2 : 1,
    multiR2T: has(CAP.MULTI_R2T),
    headerDigest: has(CAP.HDRDGST),
    dataDigest: has(CAP.DATADGST),
    markers: has(CAP.MARKERS),
    textNego: has(CAP.TEXT_NEGO),
    loginOffload: has(CAP.LOGIN_OFFLOAD),
    sendTargetsOffload: has(CAP.SENDTARGETS_OFFLOAD),
    fwDb: has(CAP.FW_DB),
    dataPathOffload: has(CAP.DATA_PATH_OFFLOAD),
    multiConn: has(CAP.MULTI_CONN),
  };
}

/** One change the masking made, for the log ("Setting ERL to ERL0" etc.). */
export interface OfferAdjustment {
  key: 'ErrorRecoveryLevel' | 'MaxOutstandingR2T' | 'HeaderDigest' | 'DataDigest' | 'MaxRecvDataSegmentLength';
  from: string;
  to: string;
  reason: string;
}

/** Discovery sessions through a TEXT_NEGO transport declare at most 8192 (ISCSI_DEF_MAX_RECV_SEG_LEN). */
export const TEXT_NEGO_DISCOVERY_MRDSL = 8192;

type MaskRule = (o: OperationalOffer, caps: number) => { next: Partial<OperationalOffer>; adj: OfferAdjustment } | undefined;

/** The masking rules, in the order iscsid checks them (session_login_task). */
const MASK_RULES: readonly MaskRule[] = [
  (o, caps) => {
    const erl = o.errorRecoveryLevel;
    const bad = ((caps & CAP.RECOVERY_L0) === 0 && erl !== 0) || ((caps & CAP.RECOVERY_L1) === 0 && erl > 1);
    return bad ? { next: { errorRecoveryLevel: 0 }, adj: { key: 'ErrorRecoveryLevel', from: String(erl), to: '0', reason: `transport does not support ERL ${erl}` } } : undefined;
  },
  (o, caps) => ((caps & CAP.MULTI_R2T) === 0 && o.maxOutstandingR2T !== 1
    ? { next: { maxOutstandingR2T: 1 }, adj: { key: 'MaxOutstandingR2T', from: String(o.maxOutstandingR2T), to: '1', reason: 'transport lacks CAP_MULTI_R2T' } }
    : undefined),
  (o, caps) => ((caps & CAP.HDRDGST) === 0 && o.headerDigest.some((d) => d !== 'None')
    ? { next: { headerDigest: ['None'] }, adj: { key: 'HeaderDigest', from: o.headerDigest.join(','), to: 'None', reason: 'transport lacks CAP_HDRDGST' } }
    : undefined),
  (o, caps) => ((caps & CAP.DATADGST) === 0 && o.dataDigest.some((d) => d !== 'None')
    ? { next: { dataDigest: ['None'] }, adj: { key: 'DataDigest', from: o.dataDigest.join(','), to: 'None', reason: 'transport lacks CAP_DATADGST' } }
    : undefined),
  (o, caps) => ((caps & CAP.TEXT_NEGO) !== 0 && o.sessionType === 'Discovery' && o.maxRecvDataSegmentLength > TEXT_NEGO_DISCOVERY_MRDSL
    ? {
      next: { maxRecvDataSegmentLength: TEXT_NEGO_DISCOVERY_MRDSL },
      adj: { key: 'MaxRecvDataSegmentLength', from: String(o.maxRecvDataSegmentLength), to: String(TEXT_NEGO_DISCOVERY_MRDSL), reason: 'discovery through a CAP_TEXT_NEGO transport' },
    }
    : undefined),
];

/**
 * Our login offer clamped to what the transport can do (iscsid forces the values
 * and logs a warning rather than failing the login). Markers are never offered by
 * tsiscsi (F-21), so there is nothing to mask without CAP_MARKERS.
 */
export function maskOffer(offer: OperationalOffer, caps: number): { offer: OperationalOffer; adjustments: OfferAdjustment[] } {
  let current = { ...offer };
  const adjustments: OfferAdjustment[] = [];
  for (const rule of MASK_RULES) {
    const hit = rule(current, caps);
    if (hit === undefined) continue;
    current = { ...current, ...hit.next };
    adjustments.push(hit.adj);
  }
  return { offer: current, adjustments };
}

/** SET_PARAM ids iscsid never sends for these caps (iscsi_session_init_params). */
export function maskedParams(caps: number): ReadonlySet<number> {
  const out = new Set<number>();
  if ((caps & CAP.MULTI_R2T) === 0) out.add(ISCSI_PARAM.MAX_R2T);
  if ((caps & CAP.HDRDGST) === 0) out.add(ISCSI_PARAM.HDRDGST_EN);
  if ((caps & CAP.DATADGST) === 0) out.add(ISCSI_PARAM.DATADGST_EN);
  if ((caps & CAP.MARKERS) === 0) {
    out.add(ISCSI_PARAM.IFMARKER_EN);
    out.add(ISCSI_PARAM.OFMARKER_EN);
  }
  return out;
}
