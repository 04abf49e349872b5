/**
 * Adoption at daemon start of sessions on offload transports (iser, bnx2i, cxgb3i/cxgb4i,
 * qla4xxx, be2iscsi, qedi, ocs; issue 6 §4), the way iscsid's sync_session /
 * iscsi_sync_session handle them (boot-and-isns.md §1.8, open-iscsi.md §1.5, §4.1):
 *
 * - the transport is the session's SCSI host's (`scsi_host/host<H>/proc_name` without
 *   `iscsi_`); a host or transport we cannot map is skipped (reported, not fatal);
 * - CAP_FW_DB transports (firmware-owned session database) are only rescanned
 *   (`- - -` > scsi_host/host<H>/scan), never adopted;
 * - `creator` -1 (created by the kernel/firmware, e.g. qla4xxx flash DDB sessions, shown
 *   as `flash` by `-m session`) is skipped by the caller (kernel-adopt.ts), as for tcp;
 * - the node record: the DB record for target / tpgt / persistent portal / iface, or one
 *   built from the defaults; either way its iface block names the host's transport, the
 *   session's iface (sysfs `ifacename`, else `<transport>.<hwaddress>`) and, where unset,
 *   the host's hwaddress / netdev / ipaddress (iscsid's iscsi_sysfs_read_iface);
 * - ISID, initiator name, CHAP credentials, negotiated values and TSIH from sysfs; then
 *   OffloadManagedSession.adopt: no request while the connection is `up`, the offload
 *   reconnect otherwise. The endpoint handle is not in sysfs in a form tied to the
 *   connection (offload-session.ts `attach`), so a later recovery skips EP_DISCONNECT.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NodeKey } from '../db/index.js';
import type { NegotiatedParams } from '../iscsi/text/params.js';
import { IscsiError, ISCSI_ERR } from '../shared/errors.js';
import type { SysfsConnection, SysfsHost, SysfsSession } from '../transport/kernel/sysfs.js';
import { capabilityPlan, effectiveCaps, type TransportBehaviour } from '../transport/kernel/transports.js';
import type { AdoptDeps, AdoptOutcome } from './kernel-adopt.js';
import { ifaceNameOf, withHostIface, withSysfsChap } from './kernel-adopt-record.js';
import { OffloadManagedSession } from './kernel-offload-session.js';

/** What kernel-adopt.ts found for one session whose host is an offload transport's. */
export interface OffloadFound {
  s: SysfsSession;
  c: SysfsConnection | undefined;
  host: SysfsHost;
  behaviour: TransportBehaviour;
  /** Negotiated values rebuilt from sysfs (kernel-adopt.ts paramsFromSysfs). */
  params: NegotiatedParams;
}

/** Adopts one offload session. */
export async function adoptOffload(d: AdoptDeps, f: OffloadFound): Promise<AdoptOutcome> {
  const { s, c, host, behaviour } = f;
  const sid = s.sid;
  const t = await d.kernel.sysfs.transport(behaviour.name);
  if (t?.handle === undefined) {
    return skipped(d, sid, `transport ${behaviour.name} of host${host.hostNo} is not registered (${d.kernel.sysfs.classDir('iscsi_transport', behaviour.name)} missing)`);
  }
  const caps = effectiveCaps(behaviour.name, t.caps ?? behaviour.registeredCaps);
  if (capabilityPlan(caps).fwDb) {
    // iscsid sync_session: CAP_FW_DB → iscsi_sysfs_scan_host only; the firmware owns the session.
    const path = join(d.kernel.sysfsRoot, 'class', 'scsi_host', `host${host.hostNo}`, 'scan');
    await writeFile(path, '- - -').catch((err: unknown) => d.log.warn({ path, err: (err as NodeJS.ErrnoException).code }, `could not scan host${host.hostNo}`));
    return skipped(d, sid, `transport ${behaviour.name} keeps its sessions in firmware (CAP_FW_DB): host${host.hostNo} rescanned only`);
  }
  if (s.targetName === undefined) return skipped(d, sid, 'no target name in sysfs');
  const key: NodeKey = {
    target: s.targetName.trim(), address: (c?.persistentAddress ?? c?.address ?? '').trim(), port: c?.persistentPort ?? c?.port ?? 3260,
    tpgt: s.tpgt ?? -1, iface: ifaceNameOf(s, host, behaviour.name),
  };
  await d.kernel.offload.driverFor(behaviour); // opened before the session is registered: a failure leaves nothing behind
  const rec = withHostIface(withSysfsChap(await d.recordFor(key, s), s), host, behaviour.name, key.iface);
  const ms = d.register(rec, sid);
  if (!(ms instanceof OffloadManagedSession)) {
    throw new IscsiError('KERNEL_ADOPT_NOT_OFFLOAD', `session ${sid}: transport ${behaviour.name} of host${host.hostNo} does not select the offload data path`, {
      errno: ISCSI_ERR.TRANS_NOT_FOUND, details: { sid, transport: behaviour.name, hostNo: host.hostNo },
    });
  }
  if (s.isid !== undefined && /^[0-9a-f]{12}$/i.test(s.isid.trim())) ms.config.isid = Buffer.from(s.isid.trim(), 'hex');
  if (s.initiatorName?.trim()) ms.config.initiatorName = s.initiatorName.trim();
  const up = c?.state === 'up' && s.state === 'LOGGED_IN';
  await ms.adopt({
    sid, hostNo: host.hostNo, params: f.params, up,
    ...(s.tsid !== undefined ? { tsih: s.tsid } : {}),
    ...(c?.expStatSN !== undefined ? { expStatSN: c.expStatSN } : {}),
    ...(c?.address ? { connectedTo: { portal: { host: c.address.trim(), port: c.port ?? key.port }, localAddress: c.localIpaddr?.trim() ?? host.ipaddress?.trim() ?? '' } } : {}),
  });
  d.log.info({ sid, hostNo: host.hostNo, transport: behaviour.name, state: s.state, conn: c?.state },
    up ? `offload session ${sid} (${behaviour.name}, host${host.hostNo}) adopted without a new login (connection up)`
      : `offload session ${sid} (${behaviour.name}, host${host.hostNo}) adopted; its connection is ${c?.state ?? 'missing'}: reconnecting`);
  return { sid, result: up ? 'attached' : 'relogin' };
}

function skipped(d: AdoptDeps, sid: number, reason: string): AdoptOutcome {
  d.log.info({ sid }, `kernel session ${sid} left alone: ${reason}`);
  return { sid, result: 'skipped', reason };
}
