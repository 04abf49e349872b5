/**
 * The database layout (reference §5.1), under a root directory (`/var/lib/tsiscsi`):
 *
 *   nodes/<target>/<addr>,<port>,<tpgt>/<iface>         node record
 *   nodes/<target>/<addr>,<port>                        legacy node record (a plain file)
 *   send_targets/<addr>,<port>/st_config                SendTargets record
 *   send_targets/<addr>,<port>/<t>,<a>,<p>,<tpgt>,<if>  symlink -> the node's portal dir
 *   isns/<addr>,<port>/isns_config                      iSNS record (+ links, as above)
 *   static/<t>,<a>,<p>,<tpgt>,<if>                      symlink for manually added nodes
 *   fw/<t>,<a>,<p>,<tpgt>,<if>                          symlink for firmware nodes
 *   ifaces/<name>                                       iface record
 *
 * Unlike open-iscsi (absolute links), links are relative so a tree moved under another
 * root stays valid. Every name used as a path component is checked (no `/`, NUL, newline,
 * leading `.`, over 255 bytes).
 */
import { join } from 'node:path';
import { ConfigError } from '../shared/errors.js';
import type { NodeDiscoveryType } from './keys/index.js';

/** Identity of a node record. */
export interface NodeKey {
  readonly target: string;
  readonly address: string;
  readonly port: number;
  readonly tpgt: number;
  readonly iface: string;
}

/** Where node records came from: a discovery record, or the static/fw link directories. */
export type DiscoverySource =
  | { readonly type: 'sendtargets' | 'isns' | 'offload_send_targets'; readonly address: string; readonly port: number }
  | { readonly type: 'static' | 'fw' };

/** Top-level directories of the database. */
export const DB_DIRS = ['nodes', 'send_targets', 'isns', 'static', 'fw', 'ifaces'] as const;

/** File names of discovery records. */
export const ST_CONFIG = 'st_config';
export const ISNS_CONFIG = 'isns_config';

/**
 * Check that `value` can be one path component.
 * @throws ConfigError `INVALID_NAME` (errno 7) naming `what`.
 */
export function checkComponent(value: string, what: string): void {
  // A leading '.' is refused too: dot-files are the store's own (temp files, lock).
  const bad = value === '' || value.startsWith('.') || /[/\0\n]/.test(value) || Buffer.byteLength(value) > 255;
  if (bad) throw new ConfigError('INVALID_NAME', `${what} '${value}' cannot be used as a record name`, { details: { what, value } });
}

/** `<addr>,<port>,<tpgt>` */
export function portalDirName(address: string, port: number, tpgt: number): string {
  return `${address},${port},${tpgt}`;
}

/** `<addr>,<port>` (discovery record directories, legacy node files). */
export function portalName(address: string, port: number): string {
  return `${address},${port}`;
}

/** Parse `<addr>,<port>[,<tpgt>]` (address may not contain commas; numbers are decimal). */
export function parsePortalName(name: string): { address: string; port: number; tpgt?: number } | undefined {
  const m = /^([^,]+),(\d+)(?:,(-?\d+))?$/.exec(name);
  if (!m) return undefined;
  return { address: m[1]!, port: Number(m[2]), ...(m[3] === undefined ? {} : { tpgt: Number(m[3]) }) };
}

/** Link name `<target>,<addr>,<port>,<tpgt>,<iface>`. */
export function nodeLinkName(key: NodeKey): string {
  return `${key.target},${key.address},${key.port},${key.tpgt},${key.iface}`;
}

/** Parse a link name (the target may contain commas; address may not). */
export function parseNodeLinkName(name: string): NodeKey | undefined {
  const m = /^(.+),([^,]+),(\d+),(-?\d+),([^,]+)$/.exec(name);
  if (!m) return undefined;
  return { target: m[1]!, address: m[2]!, port: Number(m[3]), tpgt: Number(m[4]), iface: m[5]! };
}

/** Check every component of a node key. */
export function checkNodeKey(key: NodeKey): void {
  checkComponent(key.target, 'target name');
  checkComponent(key.address, 'portal address');
  if (key.address.includes(',')) throw new ConfigError('INVALID_NAME', `portal address '${key.address}' contains ','`, { details: { value: key.address } });
  checkComponent(key.iface, 'iface name');
  for (const [what, n] of [['port', key.port], ['tpgt', key.tpgt]] as const) {
    if (!Number.isInteger(n)) throw new ConfigError('INVALID_NAME', `${what} ${n} is not an integer`, { details: { what, value: n } });
  }
}

/** node.discovery_type word of a source. */
export function nodeDiscoveryType(source: DiscoverySource): NodeDiscoveryType {
  return source.type === 'sendtargets' ? 'send_targets' : source.type;
}

/** The discovery source recorded in a node record. */
export function sourceOfNode(rec: { 'node.discovery_type': NodeDiscoveryType; 'node.discovery_address': string; 'node.discovery_port': number }): DiscoverySource {
  const type = rec['node.discovery_type'];
  if (type === 'static' || type === 'fw') return { type };
  return { type: type === 'send_targets' ? 'sendtargets' : type, address: rec['node.discovery_address'], port: rec['node.discovery_port'] };
}

/** Whether two sources are the same (type, and address/port when they have one). */
export function sameSource(a: DiscoverySource, b: DiscoverySource): boolean {
  if (a.type !== b.type) return false;
  if ('address' in a && 'address' in b) return a.address === b.address && a.port === b.port;
  return true;
}

/** Absolute paths inside one database root. */
export class DbPaths {
  constructor(readonly root: string) {}

  dir(name: (typeof DB_DIRS)[number]): string {
    return join(this.root, name);
  }

  targetDir(target: string): string {
    return join(this.root, 'nodes', target);
  }

  portalDir(key: Omit<NodeKey, 'iface'>): string {
    return join(this.targetDir(key.target), portalDirName(key.address, key.port, key.tpgt));
  }

  nodeFile(key: NodeKey): string {
    return join(this.portalDir(key), key.iface);
  }

  ifaceFile(name: string): string {
    return join(this.root, 'ifaces', name);
  }

  /** Directory holding the links of a source (and its record, for sendtargets/isns). */
  sourceDir(source: DiscoverySource): string {
    switch (source.type) {
      case 'static':
      case 'fw':
        return join(this.root, source.type);
      case 'isns':
        return join(this.root, 'isns', portalName(source.address, source.port));
      default:
        return join(this.root, 'send_targets', portalName(source.address, source.port));
    }
  }

  /** The record file of a sendtargets/isns source. */
  discoveryFile(source: DiscoverySource & { address: string }): string {
    return join(this.sourceDir(source), source.type === 'isns' ? ISNS_CONFIG : ST_CONFIG);
  }

  linkFile(source: DiscoverySource, key: NodeKey): string {
    return join(this.sourceDir(source), nodeLinkName(key));
  }

  /** Relative link target from the source directory to the node's portal directory. */
  linkTarget(source: DiscoverySource, key: NodeKey): string {
    const up = source.type === 'static' || source.type === 'fw' ? '..' : '../..';
    return `${up}/nodes/${key.target}/${portalDirName(key.address, key.port, key.tpgt)}`;
  }
}
