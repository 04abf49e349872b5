/**
 * `-m host` (reference §6.7):
 *
 *   -P 0   tcp: [3] 192.168.1.20,[<empty>],eth0 <empty>
 *          (`<transport>: [<host>] <ip>,[<hwaddress>],<netdev> <initiatorname>`, IPv6 ip bracketed)
 *   -P 1   Host Number: 3 / \tState: running / \tTransport: ... / kernel iface blocks
 *   -P 2   + a "Sessions:" banner (three lines, TAB-indented) and each session tree with prefix TAB
 *          (Interface and state blocks)
 *   -P 3   + negotiated params
 *   -P 4   + version lines first and the LUN lines (no "Host Number" line in the
 *          devices block: the host is already the heading)
 * Hosts print in the given order (the producer lists them in sysfs order).
 */
import { sessionTreeLines, sortSessions, versionLines, type SessionTreeBlocks } from './session.js';
import { addressOrEmpty, EMPTY, orEmpty } from './text.js';
import type { HostIfaceView, HostView, Rendered, VersionsView } from './types.js';

/** `-m host`: one line per host. */
export function renderHostFlat(hosts: readonly HostView[]): Rendered {
  return {
    stdout: hosts.map(
      (h) => `${orEmpty(h.transport)}: [${h.hostNumber}] ${addressOrEmpty(h.ipAddress)},[${orEmpty(h.hwAddress)}],${orEmpty(h.netdev)} ${orEmpty(h.initiatorName)}`,
    ),
    stderr: [],
  };
}

const num = (v: number | null, unset: number | null): string => (v === null || v === unset ? EMPTY : String(v));

function bracketedOrEmpty(v: string | undefined): string {
  return v ? `[${v}]` : EMPTY;
}

/** One kernel iface block (`print_host_iface`). */
export function hostIfaceLines(i: HostIfaceView, p: string): string[] {
  const out = [`${p}**********`, `${p}Interface:`, `${p}**********`, `${p}Kernel Name: ${i.kernelName}`];
  if (i.ipAddress === '') out.push(`${p}IPaddress: ${EMPTY}`);
  else if (i.ipAddress.includes('.')) {
    out.push(
      `${p}IPaddress: ${i.ipAddress}`,
      `${p}Gateway: ${orEmpty(i.gateway ?? '')}`,
      `${p}Subnet: ${orEmpty(i.subnet ?? '')}`,
      `${p}BootProto: ${orEmpty(i.bootProto ?? '')}`,
    );
  } else {
    out.push(
      `${p}IPaddress: [${i.ipAddress}]`,
      `${p}IPaddress Autocfg: ${orEmpty(i.ipv6Autocfg ?? '')}`,
      `${p}Link Local Address: ${bracketedOrEmpty(i.linkLocalAddress)}`,
      `${p}Link Local Autocfg: ${orEmpty(i.linkLocalAutocfg ?? '')}`,
      `${p}Router Address: ${bracketedOrEmpty(i.routerAddress)}`,
    );
  }
  out.push(
    `${p}Port State: ${orEmpty(i.portState)}`,
    `${p}Port Speed: ${orEmpty(i.portSpeed)}`,
    `${p}Port: ${num(i.port, 0)}`,
    `${p}MTU: ${num(i.mtu, 0)}`,
    `${p}VLAN ID: ${num(i.vlanId, null)}`,
    `${p}VLAN priority: ${num(i.vlanPriority, null)}`,
  );
  return out;
}

function hostBlocks(level: 2 | 3 | 4): SessionTreeBlocks {
  return { iface: true, state: true, timeouts: false, chap: false, params: level >= 3, hostLine: false, devices: level >= 4 };
}

function hostLines(h: HostView, level: 1 | 2 | 3 | 4): string[] {
  const out = [
    `Host Number: ${h.hostNumber}`,
    `\tState: ${h.state || 'Unknown'}`,
    `\tTransport: ${orEmpty(h.transport)}`,
    `\tInitiatorname: ${orEmpty(h.initiatorName)}`,
    `\tIPaddress: ${addressOrEmpty(h.ipAddress)}`,
    `\tHWaddress: ${orEmpty(h.hwAddress)}`,
    `\tNetdev: ${orEmpty(h.netdev)}`,
    ...h.ifaces.flatMap((i) => hostIfaceLines(i, '\t')),
  ];
  if (level === 1 || h.sessions.length === 0) return out;
  return [
    ...out,
    '\t*********', '\tSessions:', '\t*********',
    ...sessionTreeLines(sortSessions(h.sessions), '\t', hostBlocks(level)),
  ];
}

/** `-m host -P 1..4`. */
export function renderHostTree(hosts: readonly HostView[], level: 1 | 2 | 3 | 4, versions?: VersionsView): Rendered {
  const head = level === 4 ? versionLines(versions) : [];
  return { stdout: [...head, ...hosts.flatMap((h) => hostLines(h, level))], stderr: [] };
}
