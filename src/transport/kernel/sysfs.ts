/**
 * Reader of the iSCSI sysfs tree (reference §4) under a configurable root, so
 * tests point it at a temporary directory. Every record field is optional: a
 * missing or unreadable attribute is `undefined`, never an exception.
 *
 *   /sys/class/iscsi_transport/<name>/{handle,caps}
 *   /sys/class/iscsi_session/session<N>/{targetname,tpgt,state,creator,recovery_tmo,...}
 *   /sys/class/iscsi_connection/connection<N>:<C>/{persistent_address,address,port,state,...}
 *   /sys/class/iscsi_host/host<H>/{hwaddress,ipaddress,netdev,initiatorname,port_state,port_speed}
 *   /sys/class/scsi_host/host<H>/{proc_name,state}
 *   /sys/class/iscsi_iface/<ipv4|ipv6>-iface-<H>-<n>/...
 *   /sys/class/iscsi_session/session<N>/device/target<H>:<B>:<T>/<H>:<B>:<T>:<L>/{state,block/sdX}
 */
import { join } from 'node:path';
import { readIfaces, readSessionDevices, type SysfsIface, type SysfsScsiDevice } from './sysfs-devices.js';
import { listDir, listFiles, numberedEntries, readAttr, resolvePath, toBool, toInt, toU64 } from './sysfs-files.js';

export type { SysfsIface, SysfsScsiDevice } from './sysfs-devices.js';

export interface SysfsTransport {
  name: string;
  /** transport_handle for every uevent. */
  handle?: bigint;
  caps?: number;
}

/** Kernel session states: LOGGED_IN, FAILED (recovery timer running), FREE. */
export type KernelSessionState = 'LOGGED_IN' | 'FAILED' | 'FREE';

export interface SysfsSession {
  sid: number;
  /** SCSI host of the session (from the device path). */
  hostNo?: number;
  targetName?: string;
  tpgt?: number;
  state?: KernelSessionState | string;
  targetState?: string;
  /** -1: created by the kernel/firmware ("flash"); else the creating pid. */
  creator?: number;
  /** Seconds; `off` (wait forever) reads as -1. */
  recoveryTmo?: number;
  abortTmo?: number;
  luResetTmo?: number;
  tgtResetTmo?: number;
  initiatorName?: string;
  ifaceName?: string;
  username?: string;
  usernameIn?: string;
  password?: string;
  passwordIn?: string;
  bootRoot?: string;
  bootNic?: string;
  bootTarget?: string;
  targetAlias?: string;
  isid?: string;
  tsid?: number;
  targetId?: number;
  initialR2T?: boolean;
  immediateData?: boolean;
  firstBurstLen?: number;
  maxBurstLen?: number;
  maxOutstandingR2T?: number;
  dataPduInOrder?: boolean;
  dataSeqInOrder?: boolean;
  erl?: number;
  fastAbort?: boolean;
  discoverySession?: boolean;
}

/** Kernel connection states. */
export type KernelConnState = 'up' | 'down' | 'failed' | 'bound' | 'unknown';

export interface SysfsConnection {
  sid: number;
  cid: number;
  persistentAddress?: string;
  persistentPort?: number;
  address?: string;
  port?: number;
  state?: KernelConnState | string;
  headerDigest?: 'None' | 'CRC32C';
  dataDigest?: 'None' | 'CRC32C';
  maxRecvDlength?: number;
  maxXmitDlength?: number;
  expStatSN?: number;
  statSN?: number;
  pingTmo?: number;
  recvTmo?: number;
  localPort?: number;
  localIpaddr?: string;
  /** `ping_tmo` exists: the kernel sends NOP-Outs itself. */
  kernelNops: boolean;
}

export interface SysfsHost {
  hostNo: number;
  hwaddress?: string;
  ipaddress?: string;
  netdev?: string;
  initiatorName?: string;
  portState?: string;
  portSpeed?: string;
  /** scsi_host proc_name, e.g. iscsi_tcp. */
  procName?: string;
  /** proc_name without the `iscsi_` prefix (tcp, iser, bnx2i, ...). */
  transportName?: string;
  /** scsi_host state, e.g. running, recovery. */
  scsiState?: string;
}

const digest = (v: string | undefined): 'None' | 'CRC32C' | undefined => {
  const t = v?.trim();
  if (t === '1' || t === 'CRC32C') return 'CRC32C';
  if (t === '0' || t === 'None') return 'None';
  return undefined;
};

/** Reads sysfs below `root` ("/" in production). */
export class SysfsReader {
  constructor(readonly root = '/') {}

  /** `/sys/class/<cls>/<name>` under the root. */
  classDir(cls: string, name = ''): string {
    return join(this.root, 'sys/class', cls, name);
  }

  /** Registered transports with their handle and caps. */
  async transports(): Promise<SysfsTransport[]> {
    const names = (await listDir(this.classDir('iscsi_transport'))).sort();
    return Promise.all(names.map((n) => this.readTransport(n)));
  }

  /** One transport, or undefined when its directory does not exist (module not loaded). */
  async transport(name: string): Promise<SysfsTransport | undefined> {
    if ((await resolvePath(this.classDir('iscsi_transport', name))) === undefined) return undefined;
    return this.readTransport(name);
  }

  private async readTransport(name: string): Promise<SysfsTransport> {
    const dir = this.classDir('iscsi_transport', name);
    const caps = await readAttr(join(dir, 'caps'));
    const parsed = caps === undefined ? undefined : Number(caps.trim());
    return { name, handle: toU64(await readAttr(join(dir, 'handle'))), caps: parsed !== undefined && Number.isInteger(parsed) ? parsed : undefined };
  }

  /** Session ids present in /sys/class/iscsi_session, ascending. */
  async sessionIds(): Promise<number[]> {
    return numberedEntries(await listDir(this.classDir('iscsi_session')), 'session');
  }

  /** All sessions. */
  async sessions(): Promise<SysfsSession[]> {
    const ids = await this.sessionIds();
    const out = await Promise.all(ids.map((sid) => this.session(sid)));
    return out.filter((s): s is SysfsSession => s !== undefined);
  }

  /** One session, or undefined when it does not exist. */
  async session(sid: number): Promise<SysfsSession | undefined> {
    const dir = this.classDir('iscsi_session', `session${sid}`);
    if ((await resolvePath(dir)) === undefined) return undefined;
    const a = (name: string): Promise<string | undefined> => readAttr(join(dir, name));
    const [targetName, tpgt, state, targetState, creator, recovery] = await Promise.all(['targetname', 'tpgt', 'state', 'target_state', 'creator', 'recovery_tmo'].map(a));
    const [abortTmo, luResetTmo, tgtResetTmo, initiatorName, ifaceName, username, usernameIn, password, passwordIn] = await Promise.all(
      ['abort_tmo', 'lu_reset_tmo', 'tgt_reset_tmo', 'initiatorname', 'ifacename', 'username', 'username_in', 'password', 'password_in'].map(a));
    const [bootRoot, bootNic, bootTarget, targetAlias, isid, tsid, targetId] = await Promise.all(
      ['boot_root', 'boot_nic', 'boot_target', 'targetalias', 'isid', 'tsid', 'target_id'].map(a));
    const [initialR2T, immediateData, firstBurst, maxBurst, maxR2T, pduInOrder, seqInOrder, erl, fastAbort, discovery] = await Promise.all(
      ['initial_r2t', 'immediate_data', 'first_burst_len', 'max_burst_len', 'max_outstanding_r2t', 'data_pdu_in_order', 'data_seq_in_order', 'erl', 'fast_abort', 'discovery_session'].map(a));
    return {
      sid, hostNo: await this.sessionHostNo(sid),
      targetName, tpgt: toInt(tpgt), state, targetState, creator: toInt(creator),
      recoveryTmo: recovery?.trim() === 'off' ? -1 : toInt(recovery),
      abortTmo: toInt(abortTmo), luResetTmo: toInt(luResetTmo), tgtResetTmo: toInt(tgtResetTmo),
      initiatorName, ifaceName, username, usernameIn, password, passwordIn, bootRoot, bootNic, bootTarget, targetAlias, isid,
      tsid: toInt(tsid), targetId: toInt(targetId),
      initialR2T: toBool(initialR2T), immediateData: toBool(immediateData), firstBurstLen: toInt(firstBurst), maxBurstLen: toInt(maxBurst),
      maxOutstandingR2T: toInt(maxR2T), dataPduInOrder: toBool(pduInOrder), dataSeqInOrder: toBool(seqInOrder), erl: toInt(erl),
      fastAbort: toBool(fastAbort), discoverySession: toBool(discovery),
    };
  }

  /**
   * SCSI host number of a session: the `host<H>` component of its device path
   * (…/host<H>/session<N>/iscsi_session/session<N>), else from a `target<H>:…` child.
   */
  async sessionHostNo(sid: number): Promise<number | undefined> {
    const real = await resolvePath(this.classDir('iscsi_session', `session${sid}`));
    const base = (await resolvePath(this.root)) ?? this.root;
    const below = real !== undefined && real.startsWith(base) ? real.slice(base.length) : '';
    const hosts = below.split('/').flatMap((part) => numberedEntries([part], 'host'));
    if (hosts.length > 0) return hosts[hosts.length - 1];
    const targets = await listDir(join(this.classDir('iscsi_session', `session${sid}`), 'device'));
    const m = targets.map((t) => /^target(\d+):\d+:\d+$/.exec(t)).find((x) => x !== null);
    return m?.[1] === undefined ? undefined : Number(m[1]);
  }

  /** Connection ids (cid) of a session, ascending. */
  async connectionIds(sid: number): Promise<number[]> {
    return numberedEntries(await listDir(this.classDir('iscsi_connection')), `connection${sid}:`);
  }

  /** One connection (`connection<sid>:<cid>`), or undefined. */
  async connection(sid: number, cid = 0): Promise<SysfsConnection | undefined> {
    const dir = this.classDir('iscsi_connection', `connection${sid}:${cid}`);
    if ((await resolvePath(dir)) === undefined) return undefined;
    const a = (name: string): Promise<string | undefined> => readAttr(join(dir, name));
    const [pAddr, pPort, addr, port, state, hd, dd, mrdl, mxdl] = await Promise.all(
      ['persistent_address', 'persistent_port', 'address', 'port', 'state', 'header_digest', 'data_digest', 'max_recv_dlength', 'max_xmit_dlength'].map(a));
    const [expStatSN, statSN, pingTmo, recvTmo, localPort, localIpaddr] = await Promise.all(
      ['exp_statsn', 'statsn', 'ping_tmo', 'recv_tmo', 'local_port', 'local_ipaddr'].map(a));
    const files = await listFiles(dir);
    return {
      sid, cid, persistentAddress: pAddr, persistentPort: toInt(pPort), address: addr, port: toInt(port), state,
      headerDigest: digest(hd), dataDigest: digest(dd), maxRecvDlength: toInt(mrdl), maxXmitDlength: toInt(mxdl),
      expStatSN: toInt(expStatSN), statSN: toInt(statSN), pingTmo: toInt(pingTmo), recvTmo: toInt(recvTmo),
      localPort: toInt(localPort), localIpaddr, kernelNops: files.includes('ping_tmo') || pingTmo !== undefined,
    };
  }

  /** iSCSI host numbers present in /sys/class/iscsi_host, ascending. */
  async hostNumbers(): Promise<number[]> {
    return numberedEntries(await listDir(this.classDir('iscsi_host')), 'host');
  }

  /** One host from iscsi_host and scsi_host, or undefined when neither exists. */
  async host(hostNo: number): Promise<SysfsHost | undefined> {
    const ih = this.classDir('iscsi_host', `host${hostNo}`);
    const sh = this.classDir('scsi_host', `host${hostNo}`);
    if ((await resolvePath(ih)) === undefined && (await resolvePath(sh)) === undefined) return undefined;
    const [hwaddress, ipaddress, netdev, initiatorName, portState, portSpeed] = await Promise.all(
      ['hwaddress', 'ipaddress', 'netdev', 'initiatorname', 'port_state', 'port_speed'].map((n) => readAttr(join(ih, n))));
    const [procName, scsiState] = await Promise.all(['proc_name', 'state'].map((n) => readAttr(join(sh, n))));
    return {
      hostNo, hwaddress, ipaddress, netdev, initiatorName, portState, portSpeed, procName,
      transportName: procName?.replace(/^iscsi_/, ''), scsiState,
    };
  }

  /** Offload ifaces (`iscsi_iface`), optionally of one host. */
  ifaces(hostNo?: number): Promise<SysfsIface[]> {
    return readIfaces(this, hostNo);
  }

  /** SCSI devices attached to session `sid`. */
  devices(sid: number): Promise<SysfsScsiDevice[]> {
    return readSessionDevices(this, sid);
  }

  /** `/sys/module/scsi_transport_iscsi/version` ("iSCSI Transport Class version"). */
  async transportClassVersion(): Promise<string | undefined> {
    return readAttr(join(this.root, 'sys/module/scsi_transport_iscsi/version'));
  }
}
