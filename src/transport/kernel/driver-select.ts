/**
 * Which data path a login uses (DESIGN.md §2, reference §1.7):
 *
 * - `tcp` (or no transport): the kernel iscsi_tcp path when NETLINK_ISCSI works on this
 *   host; usertcp otherwise, with the reason the daemon logs ("default iface resolves to
 *   usertcp");
 * - `usertcp`: always usertcp;
 * - an offload transport (iser, bnx2i, cxgb3i, cxgb4i, qla4xxx, be2iscsi, qedi, ocs): the
 *   offload path (EP_CONNECT, CREATE_BOUND_SESSION, ...) when NETLINK_ISCSI works and
 *   `/sys/class/iscsi_transport/<name>` exists; otherwise NO fallback to usertcp (an
 *   offload iface is bound to an HBA that usertcp cannot use): `missing`, which the
 *   daemon turns into iscsid's ISCSI_ERR_TRANS_NOT_FOUND (12);
 * - any other name: `missing` as well (open-iscsi: no template for it).
 */
import type { KernelAvailability } from './netlink-native.js';
import { transportBehaviour, type TransportBehaviour } from './transports.js';

export type DataPathChoice =
  | { path: 'kernel'; transport: 'tcp' }
  | { path: 'offload'; transport: TransportBehaviour['name']; behaviour: TransportBehaviour }
  | { path: 'usertcp'; reason: string }
  | { path: 'missing'; transport: string; reason: string };

/**
 * Chooses the data path for an iface record's `iface.transport_name`. `present` tells
 * whether `/sys/class/iscsi_transport/<name>` exists (only asked for offload names).
 */
export function selectDataPath(transportName: string | undefined, availability: KernelAvailability, present: (name: string) => boolean = () => false): DataPathChoice {
  const name = transportName === undefined || transportName === '' ? 'tcp' : transportName;
  if (name === 'usertcp') return { path: 'usertcp', reason: 'iface.transport_name is usertcp' };
  if (name === 'tcp') {
    if (!availability.available) {
      return { path: 'usertcp', reason: `iface transport tcp resolves to usertcp: ${availability.code}: ${availability.reason}` };
    }
    return { path: 'kernel', transport: 'tcp' };
  }
  const behaviour = transportBehaviour(name);
  if (behaviour === undefined) {
    return { path: 'missing', transport: name, reason: `Could not find transport ${name}: tsiscsi has no template for it (known: tcp, usertcp, iser, bnx2i, cxgb3i, cxgb4i, qla4xxx, be2iscsi, qedi, ocs)` };
  }
  if (!availability.available && availability.code !== 'NO_KERNEL_ISCSI') {
    return { path: 'missing', transport: name, reason: `Could not find transport ${name}: NETLINK_ISCSI is unusable here (${availability.code}: ${availability.reason})` };
  }
  if (!present(name)) {
    return { path: 'missing', transport: name, reason: `Could not find transport ${name}: /sys/class/iscsi_transport/${name} is missing; load the driver with: modprobe ${behaviour.kmod}` };
  }
  return { path: 'offload', transport: behaviour.name, behaviour };
}
