/**
 * Adoption at daemon start (issue 6 §4): kernel iscsi_tcp sessions that exist already
 * (an earlier tsiscsid, the initramfs, iscsistart) are found in sysfs and ATTACHED — no
 * new login while the connection is up (reference §4.1 files, §4.2 states). Only a
 * connection that is not up is re-logged (KernelManagedSession.attach starts a recovery).
 * open-iscsi re-logs every session it adopts (boot-and-isns.md §1.8, §1.5 "every adopted
 * session is re-logged in", its PR #292); we do not.
 *
 * Skipped, as iscsid skips them: sessions whose host's transport is unknown (reported,
 * not fatal), sessions created by the kernel/firmware (`creator` -1, e.g. qla4xxx flash
 * sessions), discovery sessions, sessions already tracked. Sessions on an offload
 * transport (the session's host's proc_name) go to kernel-offload-adopt.ts.
 * The node record is the DB record matching target / tpgt / persistent portal / iface;
 * without one, a record is built from the new-record defaults and the sysfs values; CHAP
 * credentials shown in sysfs are taken over (kernel-adopt-record.ts).
 */
import type { NodeKey, NodeRecord } from '../db/index.js';
import type { NegotiatedParams } from '../iscsi/text/params.js';
import type { Logger } from '../shared/logger.js';
import { IscsiError } from '../shared/errors.js';
import type { SysfsConnection, SysfsSession } from '../transport/kernel/sysfs.js';
import { transportBehaviour } from '../transport/kernel/transports.js';
import type { KernelPath } from './kernel-path.js';
import { KernelManagedSession, type AdoptedState } from './kernel-managed-session.js';
import { withSysfsChap } from './kernel-adopt-record.js';
import { adoptOffload } from './kernel-offload-adopt.js';
import type { ManagedSession } from './managed-session.js';

export interface AdoptDeps {
  kernel: KernelPath;
  /** SessionManager.adopt. */
  register: (rec: Readonly<NodeRecord>, sid: number) => ManagedSession;
  /** The DB record for a key, or one built from the defaults. */
  recordFor: (key: NodeKey, s: SysfsSession) => Promise<Readonly<NodeRecord>>;
  log: Logger;
}

export interface AdoptOutcome {
  sid: number;
  result: 'attached' | 'relogin' | 'skipped';
  reason?: string;
}

/** Negotiated values as sysfs shows them (what iscsid also rebuilds a record from). */
export function paramsFromSysfs(s: SysfsSession, c: SysfsConnection | undefined): NegotiatedParams {
  return {
    headerDigest: c?.headerDigest ?? 'None', dataDigest: c?.dataDigest ?? 'None',
    maxRecvDataSegmentLength: c?.maxRecvDlength ?? 262144, maxXmitDataSegmentLength: c?.maxXmitDlength ?? 8192,
    maxBurstLength: s.maxBurstLen ?? 262144, firstBurstLength: s.firstBurstLen ?? 65536,
    initialR2T: s.initialR2T ?? true, immediateData: s.immediateData ?? true, maxOutstandingR2T: s.maxOutstandingR2T ?? 1,
    maxConnections: 1, defaultTime2Wait: 2, defaultTime2Retain: 0, errorRecoveryLevel: s.erl ?? 0,
    dataPDUInOrder: s.dataPduInOrder ?? true, dataSequenceInOrder: s.dataSeqInOrder ?? true, iSCSIProtocolLevel: 1,
    ...(s.targetAlias ? { targetAlias: s.targetAlias.trim() } : {}),
    ...(s.tpgt !== undefined ? { targetPortalGroupTag: s.tpgt } : {}),
    targetAddresses: [],
  };
}

/** Finds and attaches every adoptable kernel session; never throws for one bad session. */
export async function adoptKernelSessions(d: AdoptDeps): Promise<AdoptOutcome[]> {
  const ids = await d.kernel.sysfs.sessionIds();
  if (ids.length === 0) return [];
  // iscsi_tcp's channel is opened only for a tcp session (an offload-only host may lack iscsi_tcp).
  const tcpCaps = async (): Promise<number> => (await d.kernel.open()).caps;
  const out: AdoptOutcome[] = [];
  for (const sid of ids) {
    try {
      out.push(await adoptOne(d, sid, tcpCaps));
    } catch (err) {
      const reason = err instanceof IscsiError ? `${err.code}: ${err.message}` : String(err);
      d.log.warn({ sid, reason }, `kernel session ${sid} not adopted: ${reason}`);
      out.push({ sid, result: 'skipped', reason });
    }
  }
  return out;
}

async function adoptOne(d: AdoptDeps, sid: number, tcpCaps: () => Promise<number>): Promise<AdoptOutcome> {
  const sysfs = d.kernel.sysfs;
  const s = await sysfs.session(sid);
  if (s === undefined) return { sid, result: 'skipped', reason: 'gone' };
  const host = s.hostNo === undefined ? undefined : await sysfs.host(s.hostNo);
  const name = host?.transportName?.trim();
  const behaviour = name === undefined ? undefined : transportBehaviour(name);
  const skip = host === undefined ? `its SCSI host${s.hostNo === undefined ? '' : ` host${s.hostNo}`} is not in sysfs (transport unknown)`
    : behaviour === undefined ? `host${host.hostNo} has transport ${name ?? '(no proc_name)'}, which tsiscsi has no template for`
      : s.creator === -1 ? 'created by the kernel/firmware (flash)'
        : s.discoverySession === true ? 'discovery session'
          : s.targetName === undefined ? 'no target name in sysfs' : undefined;
  if (skip !== undefined) {
    const unknown = host === undefined || behaviour === undefined;
    d.log[unknown ? 'warn' : 'info']({ sid }, `kernel session ${sid} left alone: ${skip}`);
    return { sid, result: 'skipped', reason: skip };
  }
  const c = await sysfs.connection(sid, 0);
  if (behaviour!.name !== 'tcp') return adoptOffload(d, { s, c, host: host!, behaviour: behaviour!, params: paramsFromSysfs(s, c) });
  const caps = await tcpCaps();
  const key: NodeKey = {
    target: s.targetName!.trim(), address: (c?.persistentAddress ?? c?.address ?? '').trim(), port: c?.persistentPort ?? c?.port ?? 3260,
    tpgt: s.tpgt ?? -1, iface: s.ifaceName?.trim() || 'default',
  };
  const rec = withSysfsChap(await d.recordFor(key, s), s);
  const ms = d.register(rec, sid);
  if (!(ms instanceof KernelManagedSession)) throw new IscsiError('KERNEL_ADOPT_NOT_KERNEL', `session ${sid}: its iface does not select the kernel data path`);
  const up = c?.state === 'up' && s.state === 'LOGGED_IN';
  if (s.isid !== undefined && /^[0-9a-f]{12}$/i.test(s.isid.trim())) ms.config.isid = Buffer.from(s.isid.trim(), 'hex');
  const state: AdoptedState = {
    sid, hostNo: s.hostNo!, params: paramsFromSysfs(s, c), ...(s.tsid !== undefined ? { tsih: s.tsid } : {}), up,
    ...(c?.address ? { connectedTo: { portal: { host: c.address.trim(), port: c.port ?? key.port }, localAddress: c.localIpaddr?.trim() ?? '' } } : {}),
  };
  ms.attach(state, caps);
  d.log.info({ sid, hostNo: s.hostNo, state: s.state, conn: c?.state },
    up ? `kernel session ${sid} adopted without a new login (connection up)` : `kernel session ${sid} adopted; its connection is ${c?.state ?? 'missing'}: re-logging in`);
  return { sid, result: up ? 'attached' : 'relogin' };
}
