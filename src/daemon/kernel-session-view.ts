/**
 * What the API reports about a kernel-path session, on top of session-view.ts: the
 * kernel's SCSI host and attached disks from sysfs (`-P 3` "Host Number: N State: running",
 * "Attached scsi disk sdX State: running", reference §4.1), the negotiated values of the
 * last login (or rebuilt from sysfs for an adopted session), and the kernel's own
 * counters for `-s` (ISCSI_UEVENT_GET_STATS, reference §3.6).
 */
import { deviceTypeName } from '../iscsi/scsi/names.js';
import { STATS_FIELDS } from '../iscsi/stats.js';
import type { SysfsScsiDevice } from '../transport/kernel/sysfs.js';
import { KernelManagedSession } from './kernel-managed-session.js';
import { OffloadManagedSession } from './kernel-offload-session.js';
import type { ManagedSession } from './managed-session.js';
import { type LunView, type SessionInfo, type StatsEntry } from './session-view.js';

/** A kernel SCSI device as a `-P 3` LUN. */
export function deviceLun(d: SysfsScsiDevice): LunView {
  const type = d.type ?? 0;
  return {
    lun: d.lun, channel: d.channel, targetId: d.target, deviceType: type, deviceTypeName: deviceTypeName(type),
    vendor: d.vendor ?? '', product: d.model ?? '', revision: d.rev ?? '',
    blockDevice: d.blockDevices[0] ?? null, state: d.state ?? 'Unknown',
  };
}

/** A session whose data path is in the kernel (iscsi_tcp or an offload transport). */
export type KernelBacked = KernelManagedSession | OffloadManagedSession;

export function isKernelBacked(ms: ManagedSession): ms is KernelBacked {
  return ms instanceof KernelManagedSession || ms instanceof OffloadManagedSession;
}

/** `info` with the kernel's view when `ms` is a kernel-path session (unchanged otherwise). */
export async function withKernelView(ms: ManagedSession, info: SessionInfo): Promise<SessionInfo> {
  if (!isKernelBacked(ms)) return info;
  const sysfs = ms.kernelPath.sysfs;
  const hostNo = ms.hostNo;
  const [devices, host] = hostNo === undefined ? [[], undefined] : await Promise.all([sysfs.devices(ms.sid), sysfs.host(hostNo)]);
  const p = ms.kernelParams;
  return {
    ...info,
    dataPath: ms instanceof OffloadManagedSession ? ms.dataPathName : 'kernel:iscsi_tcp',
    tsih: ms.kernelTsih,
    ...(p ? {
      tpgt: p.targetPortalGroupTag ?? info.tpgt,
      negotiated: {
        headerDigest: p.headerDigest, dataDigest: p.dataDigest,
        maxRecvDataSegmentLength: p.maxRecvDataSegmentLength, maxXmitDataSegmentLength: p.maxXmitDataSegmentLength,
        firstBurstLength: p.firstBurstLength, maxBurstLength: p.maxBurstLength, immediateData: p.immediateData, initialR2T: p.initialR2T,
        maxOutstandingR2T: p.maxOutstandingR2T, maxConnections: p.maxConnections, defaultTime2Wait: p.defaultTime2Wait,
        defaultTime2Retain: p.defaultTime2Retain, errorRecoveryLevel: p.errorRecoveryLevel, dataPDUInOrder: p.dataPDUInOrder,
        dataSequenceInOrder: p.dataSequenceInOrder, ...(p.targetAlias !== undefined ? { targetAlias: p.targetAlias } : {}),
      },
    } : {}),
    scsi: {
      hostNumber: hostNo ?? null,
      hostState: host?.scsiState?.trim() ?? info.scsi.hostState,
      luns: devices.map(deviceLun),
      scannedAt: null,
    },
  };
}

/** `-s` for a kernel-path session: the kernel's 21 counters (GET_STATS); undefined for usertcp. */
export async function kernelStatsOf(ms: ManagedSession, base: StatsEntry): Promise<StatsEntry> {
  if (!isKernelBacked(ms)) return base;
  const pending = ms.kernelStats();
  if (pending === undefined) return base;
  const { stats, custom } = await pending;
  return {
    ...base,
    counters: STATS_FIELDS.map((f) => [f, Number(stats[f])] as [string, number]),
    extended: [...base.extended, ...custom.map((c) => [c.desc, Number(c.value)] as [string, number])],
  };
}

/** "iSCSI Transport Class version" from sysfs when any session is a kernel one, else null. */
export async function transportClassOf(sessions: readonly ManagedSession[]): Promise<string | null> {
  const k = sessions.find(isKernelBacked);
  if (k === undefined) return null;
  return (await k.kernelPath.sysfs.transportClassVersion())?.trim() ?? null;
}

/** The `-P 0/1` forms with the TPGT the kernel-path login negotiated. */
export function withKernelTpgt<T extends { tpgt: number }>(ms: ManagedSession, view: T): T {
  if (!isKernelBacked(ms)) return view;
  const tpgt = ms.kernelParams?.targetPortalGroupTag;
  return tpgt === undefined ? view : { ...view, tpgt };
}
