/**
 * Which data path a login uses (DESIGN.md §2): the kernel iscsi_tcp path when the
 * iface asks for transport `tcp` AND NETLINK_ISCSI works on this host; usertcp
 * otherwise, with the reason the daemon logs ("default iface resolves to usertcp").
 */
import type { KernelAvailability } from './netlink-native.js';

export type DataPathChoice =
  | { path: 'kernel'; transport: 'tcp' }
  | { path: 'usertcp'; reason: string };

/** Chooses the data path for an iface record's `iface.transport_name`. */
export function selectDataPath(transportName: string | undefined, availability: KernelAvailability): DataPathChoice {
  const name = transportName === undefined || transportName === '' ? 'tcp' : transportName;
  if (name === 'usertcp') return { path: 'usertcp', reason: 'iface.transport_name is usertcp' };
  if (name !== 'tcp') return { path: 'usertcp', reason: `kernel transport ${name} is not driven yet; using usertcp` };
  if (!availability.available) {
    return { path: 'usertcp', reason: `iface transport tcp resolves to usertcp: ${availability.code}: ${availability.reason}` };
  }
  return { path: 'kernel', transport: 'tcp' };
}
