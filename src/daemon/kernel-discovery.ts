/**
 * SendTargets discovery through an offload iface (reference §1.4, docs/kernel-offload.md
 * §5): iscsiadm does not open its own TCP socket for a transport with CAP_TEXT_NEGO; it
 * builds a temporary kernel discovery session on the iface's HBA host and exchanges the
 * Text PDUs through SEND_PDU / RECV_PDU (offload-discovery.ts kernelSendTargets).
 *
 * `offloadSendTargets` returns undefined when the iface discovers in userspace (tcp,
 * usertcp, or an offload transport without CAP_TEXT_NEGO: the caller's TCP discovery
 * applies); an absent transport is ISCSI_ERR_TRANS_NOT_FOUND (12); CAP_SENDTARGETS_OFFLOAD
 * (firmware discovery, TGT_DSCVR) is refused with a typed error (not driven).
 */
import { randomBytes } from 'node:crypto';
import type { NodeRecord } from '../db/index.js';
import type { ChapConfig } from '../iscsi/security.js';
import type { SendTargetsResult } from '../iscsi/sendtargets.js';
import type { Clock } from '../shared/clock.js';
import { IscsiError, ISCSI_ERR } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { readIscsiuioStatus } from '../transport/kernel/iscsiuio.js';
import { discoveryPathFor, kernelSendTargets } from '../transport/kernel/offload-discovery.js';
import { effectiveCaps } from '../transport/kernel/transports.js';
import { uioIfaceOf } from './kernel-offload-path.js';
import type { KernelPath } from './kernel-path.js';

/** The iface fields discovery needs (an iface record's keys are a subset of a node record's). */
export type DiscoveryIface = Pick<NodeRecord, 'iface.iscsi_ifacename' | 'iface.transport_name' | 'iface.hwaddress' | 'iface.net_ifacename' | 'iface.ipaddress'
  | 'iface.subnet_mask' | 'iface.gateway' | 'iface.vlan_id' | 'iface.mtu'>;

export interface OffloadDiscoveryInput {
  address: string;
  port: number;
  initiatorName: string;
  initiatorAlias?: string;
  isid: Buffer;
  chap?: ChapConfig;
  loginTimeoutMs: number;
  responseTimeoutMs: number;
  clock: Clock;
  log: Logger;
  random?: (n: number) => Buffer;
}

/** SendTargets through the kernel when the iface's transport needs it; undefined = discover in userspace. */
export async function offloadSendTargets(kernel: KernelPath | undefined, iface: Readonly<DiscoveryIface>, input: OffloadDiscoveryInput): Promise<SendTargetsResult | undefined> {
  const name = iface['iface.transport_name'];
  if (kernel === undefined || name === 'tcp' || name === 'usertcp' || name === '') return undefined;
  const c = kernel.chooseForLogin(name, iface['iface.iscsi_ifacename']);
  if (c.path !== 'offload') return undefined;
  const paths = kernel.offload;
  const behaviour = c.behaviour;
  const t = await kernel.sysfs.transport(behaviour.name);
  const where = discoveryPathFor(behaviour, effectiveCaps(behaviour.name, t?.caps ?? behaviour.registeredCaps));
  input.log.info({ transport: behaviour.name, path: where.path }, `SendTargets discovery: ${where.reason}`);
  if (where.path === 'userspace') return undefined;
  if (where.path === 'firmware') {
    throw new IscsiError('OFFLOAD_FIRMWARE_DISCOVERY', `${where.reason}; firmware SendTargets is not driven by tsiscsi`, {
      errno: ISCSI_ERR.OP_NOT_SUPP, retryable: false, details: { transport: behaviour.name, iface: iface['iface.iscsi_ifacename'] },
    });
  }
  const binding = { name: iface['iface.iscsi_ifacename'], hwaddress: iface['iface.hwaddress'], netdev: iface['iface.net_ifacename'], ipaddress: iface['iface.ipaddress'] };
  const { driver, caps } = await paths.driverFor(behaviour);
  const hostNo = await paths.hostFor(behaviour, binding);
  const uio = uioIfaceOf(iface as Readonly<NodeRecord>);
  if (hostNo !== undefined) paths.bindHost(hostNo, uio);
  return kernelSendTargets({
    driver, behaviour, caps, address: { host: input.address, port: input.port }, ...(hostNo === undefined ? {} : { hostNo }),
    login: {
      initiatorName: input.initiatorName, ...(input.initiatorAlias ? { initiatorAlias: input.initiatorAlias } : {}),
      sessionType: 'Discovery', isid: input.isid, tsih: 0, cid: 0, itt: 0, cmdSN: 1, expStatSN: 0,
    },
    ...(input.chap ? { chap: input.chap } : {}),
    random: input.random ?? randomBytes,
    session: {
      targetName: '', persistentAddress: input.address, persistentPort: input.port, replacementTimeout: 0,
      fastAbort: true, abortTimeout: 15, luResetTimeout: 30, tgtResetTimeout: 30, noopOutTimeout: 0, noopOutInterval: 0,
      ifaceName: binding.name, initiatorName: input.initiatorName, discovery: true,
    },
    iface: { name: binding.name, hwaddress: binding.hwaddress, netdev: binding.netdev, ipaddress: binding.ipaddress },
    loginTimeoutMs: input.loginTimeoutMs, responseTimeoutMs: input.responseTimeoutMs, clock: input.clock, logger: input.log,
    ...(kernel.offloadPollMs === undefined ? {} : { pollIntervalMs: kernel.offloadPollMs }),
    ...(behaviour.usesIscsiuio && uio.ipaddress === undefined ? { uio: () => readIscsiuioStatus(behaviour, kernel.procRoot) } : {}),
  });
}
