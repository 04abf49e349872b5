/**
 * qla4xxx flash target entries ("flashnodes"), reference §3.2/§4.1/§6.7:
 * `iscsiadm -m host -H N -C flashnode [-A ipv4|ipv6] [-x idx] [-o ...]`.
 *
 * Reading: sysfs `/sys/bus/iscsi_flashnode/devices/flashnode_sess-<H>:<idx>/<attr>`
 * and `flashnode_conn-<H>:<idx>:0/<attr>`. Writing: NEW_FLASHNODE (portal type
 * "ipv4"/"ipv6" + NUL; reply r.new_flashnode_ret.flashnode_idx), SET_FLASHNODE_PARAMS
 * (nlattrs of iscsi_flashnode_param_info), DEL/LOGIN/LOGOUT_FLASHNODE.
 *
 * FLASHNODE_KEYS is iscsiadm 2.1.8's record (idbm_recinfo_flashnode) in print order:
 * the key, the sysfs attribute it is read from, the `enum iscsi_flashnode_param` id it
 * is written with, and the value width the driver reads (qla4xxx_sysfs_ddb_set_param).
 * The order was reconstructed from the key strings of the 2.1.8 binary; see
 * docs/kernel-offload.md.
 */
import { join } from 'node:path';
import { ConfigError } from '../../shared/errors.js';
import { ISCSI_FLASHNODE_PARAM as P } from './abi-params.js';
import type { KernelTcpDriver } from './driver.js';
import { ipv4Bytes, ipv6Bytes } from './inet.js';
import { cstringValue, intValue, type ParamInfoValue } from './payloads.js';
import { listDir, readAttr } from './sysfs-files.js';

type Kind = 'u8' | 'u16' | 'u32' | 'str' | 'ip' | 'isid';
interface Key { key: string; attr: string; param: number; kind: Kind; secret?: boolean; conn?: boolean }

const s = (name: string, attr: string, param: number, kind: Kind, secret = false): Key => ({ key: `flashnode.session.${name}`, attr, param, kind, secret });
const c = (name: string, attr: string, param: number, kind: Kind): Key => ({ key: `flashnode.conn[0].${name}`, attr, param, kind, conn: true });

export const FLASHNODE_KEYS: readonly Key[] = [
  s('auto_snd_tgt_disable', 'auto_snd_tgt_disable', P.AUTO_SND_TGT_DISABLE, 'u8'),
  s('discovery_session', 'discovery_session', P.DISCOVERY_SESS, 'u8'),
  s('portal_type', 'portal_type', P.PORTAL_TYPE, 'str'),
  s('entry_enable', 'entry_enable', P.ENTRY_EN, 'u8'),
  s('immediate_data', 'immediate_data', P.IMM_DATA_EN, 'u8'),
  s('initial_r2t', 'initial_r2t', P.INITIAL_R2T_EN, 'u8'),
  s('data_seq_in_order', 'data_seq_in_order', P.DATASEQ_INORDER, 'u8'),
  s('data_pdu_in_order', 'data_pdu_in_order', P.PDU_INORDER, 'u8'),
  s('chap_auth_en', 'chap_auth', P.CHAP_AUTH_EN, 'u8'),
  s('discovery_logout_en', 'discovery_logout', P.DISCOVERY_LOGOUT_EN, 'u8'),
  s('bidi_chap_en', 'bidi_chap', P.BIDI_CHAP_EN, 'u8'),
  s('discovery_auth_optional', 'discovery_auth_optional', P.DISCOVERY_AUTH_OPTIONAL, 'u8'),
  s('erl', 'erl', P.ERL, 'u8'),
  s('first_burst_len', 'first_burst_len', P.FIRST_BURST, 'u32'),
  s('def_time2wait', 'def_time2wait', P.DEF_TIME2WAIT, 'u16'),
  s('def_time2retain', 'def_time2retain', P.DEF_TIME2RETAIN, 'u16'),
  s('max_outstanding_r2t', 'max_outstanding_r2t', P.MAX_R2T, 'u16'),
  s('isid', 'isid', P.ISID, 'isid'),
  s('tsid', 'tsid', P.TSID, 'u16'),
  s('max_burst_len', 'max_burst_len', P.MAX_BURST, 'u32'),
  s('def_taskmgmt_tmo', 'def_taskmgmt_tmo', P.DEF_TASKMGMT_TMO, 'u16'),
  s('targetalias', 'targetalias', P.ALIAS, 'str'),
  s('targetname', 'targetname', P.NAME, 'str'),
  s('tpgt', 'tpgt', P.TPGT, 'u16'),
  s('discovery_parent_idx', 'discovery_parent_idx', P.DISCOVERY_PARENT_IDX, 'u16'),
  s('discovery_parent_type', 'discovery_parent_type', P.DISCOVERY_PARENT_TYPE, 'str'),
  s('chap_out_idx', 'chap_out_idx', P.CHAP_OUT_IDX, 'u16'),
  s('chap_in_idx', 'chap_in_idx', P.CHAP_IN_IDX, 'u16'),
  s('username', 'username', P.USERNAME, 'str'),
  s('username_in', 'username_in', P.USERNAME_IN, 'str'),
  s('password', 'password', P.PASSWORD, 'str', true),
  s('password_in', 'password_in', P.PASSWORD_IN, 'str', true),
  s('is_boot_target', 'is_boot_target', P.IS_BOOT_TGT, 'u8'),
  c('is_fw_assigned_ipv6', 'is_fw_assigned_ipv6', P.IS_FW_ASSIGNED_IPV6, 'u8'),
  c('header_digest_en', 'header_digest', P.HDR_DGST_EN, 'u8'),
  c('data_digest_en', 'data_digest', P.DATA_DGST_EN, 'u8'),
  c('snack_req_en', 'snack_req', P.SNACK_REQ_EN, 'u8'),
  c('tcp_timestamp_stat', 'tcp_timestamp_stat', P.TCP_TIMESTAMP_STAT, 'u8'),
  c('tcp_nagle_disable', 'tcp_nagle_disable', P.TCP_NAGLE_DISABLE, 'u8'),
  c('tcp_wsf_disable', 'tcp_wsf_disable', P.TCP_WSF_DISABLE, 'u8'),
  c('tcp_timer_scale', 'tcp_timer_scale', P.TCP_TIMER_SCALE, 'u8'),
  c('tcp_timestamp_en', 'tcp_timestamp_enable', P.TCP_TIMESTAMP_EN, 'u8'),
  c('fragment_disable', 'fragment_disable', P.IP_FRAG_DISABLE, 'u8'),
  c('max_xmit_dlength', 'max_xmit_dlength', P.MAX_XMIT_DLENGTH, 'u32'),
  c('max_recv_dlength', 'max_recv_dlength', P.MAX_RECV_DLENGTH, 'u32'),
  c('keepalive_tmo', 'keepalive_tmo', P.KEEPALIVE_TMO, 'u16'),
  c('port', 'port', P.PORT, 'u16'),
  c('ipaddress', 'ipaddress', P.IPADDR, 'ip'),
  c('redirect_ipaddr', 'redirect_ipaddr', P.REDIRECT_IPADDR, 'ip'),
  c('max_segment_size', 'max_segment_size', P.MAX_SEGMENT_SIZE, 'u16'),
  c('local_port', 'local_port', P.LOCAL_PORT, 'u16'),
  c('ipv4_tos', 'ipv4_tos', P.IPV4_TOS, 'u8'),
  c('ipv6_traffic_class', 'ipv6_traffic_class', P.IPV6_TC, 'u8'),
  c('ipv6_flow_label', 'ipv6_flow_label', P.IPV6_FLOW_LABEL, 'u32'),
  c('link_local_ipv6', 'link_local_ipv6', P.LINK_LOCAL_IPV6, 'ip'),
  c('tcp_xmit_wsf', 'tcp_xmit_wsf', P.TCP_XMIT_WSF, 'u8'),
  c('tcp_recv_wsf', 'tcp_recv_wsf', P.TCP_RECV_WSF, 'u8'),
  c('statsn', 'statsn', P.STATSN, 'u32'),
  c('exp_statsn', 'exp_statsn', P.EXP_STATSN, 'u32'),
];

/** One flashnode as read from sysfs: values by record key, in FLASHNODE_KEYS order. */
export interface FlashnodeRecord {
  hostNo: number;
  index: number;
  entries: { key: string; value: string; secret: boolean }[];
}

const BUS = 'sys/bus/iscsi_flashnode/devices';

/** Flashnode indexes of `hostNo` (flashnode_sess-<H>:<idx>), ascending. */
export async function flashnodeIndexes(sysfsRoot: string, hostNo: number): Promise<number[]> {
  const prefix = `flashnode_sess-${hostNo}:`;
  return (await listDir(join(sysfsRoot, BUS)))
    .filter((n) => n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length)))
    .map((n) => Number(n.slice(prefix.length)))
    .sort((a, b) => a - b);
}

/** One flashnode, or undefined when its sysfs directory is absent. Missing numbers read as 0, strings as ''. */
export async function readFlashnode(sysfsRoot: string, hostNo: number, index: number): Promise<FlashnodeRecord | undefined> {
  const sess = join(sysfsRoot, BUS, `flashnode_sess-${hostNo}:${index}`);
  const conn = join(sysfsRoot, BUS, `flashnode_conn-${hostNo}:${index}:0`);
  if ((await listDir(sess)).length === 0) return undefined;
  const entries = await Promise.all(FLASHNODE_KEYS.map(async (k) => {
    const raw = (await readAttr(join(k.conn === true ? conn : sess, k.attr)))?.trim() ?? '';
    const numeric = k.kind === 'u8' || k.kind === 'u16' || k.kind === 'u32';
    return { key: k.key, value: numeric && raw === '' ? '0' : raw, secret: k.secret === true };
  }));
  return { hostNo, index, entries };
}

/** The value of `key` in a record ('' when absent). */
export function flashnodeValue(rec: FlashnodeRecord, key: string): string {
  return rec.entries.find((e) => e.key === `flashnode.${key}`)?.value ?? '';
}

function encodeValue(k: Key, value: string, portalType: 'ipv4' | 'ipv6'): Buffer {
  const bad = (why: string): ConfigError => new ConfigError('FLASHNODE_VALUE_INVALID', `${k.key}: ${why}`, { details: { field: k.key } });
  switch (k.kind) {
    case 'str': return cstringValue(value);
    case 'ip': {
      try {
        return value.includes(':') || portalType === 'ipv6' ? ipv6Bytes(value) : ipv4Bytes(value);
      } catch {
        throw bad(`'${value}' is not an IP address`);
      }
    }
    case 'isid': {
      if (!/^[0-9a-fA-F]{12}$/.test(value)) throw bad(`'${value}' is not 6 bytes of hex`);
      return Buffer.from(value, 'hex');
    }
    default: {
      const width = k.kind === 'u8' ? 1 : k.kind === 'u16' ? 2 : 4;
      const n = Number(value);
      if (!/^\d+$/.test(value) || n >= 2 ** (8 * width)) throw bad(`'${value}' is not a ${width * 8}-bit unsigned number`);
      return intValue(n, width);
    }
  }
}

/** SET_FLASHNODE_PARAMS attributes for `-n key -v value` pairs; unknown keys are a ConfigError ("Unknown parameter"). */
export function flashnodeParams(pairs: readonly (readonly [string, string])[], portalType: 'ipv4' | 'ipv6'): ParamInfoValue[] {
  return pairs.map(([name, value]) => {
    const k = FLASHNODE_KEYS.find((x) => x.key === name);
    if (k === undefined) throw new ConfigError('FLASHNODE_UNKNOWN_PARAM', `Unknown parameter ${name}.`, { details: { field: name } });
    return { param: k.param, value: encodeValue(k, value, portalType) };
  });
}

/** NEW_FLASHNODE; resolves with the new index. */
export async function newFlashnode(driver: KernelTcpDriver, hostNo: number, portalType: 'ipv4' | 'ipv6'): Promise<number> {
  const r = await driver.request({ kind: 'newFlashnode', hostNo, portalType });
  if (r.request !== 'newFlashnode') throw new TypeError(`NEW_FLASHNODE answered with ${r.request}`);
  return r.flashnodeIdx;
}

/** SET_FLASHNODE_PARAMS / DEL / LOGIN / LOGOUT_FLASHNODE on one index. */
export async function flashnodeOp(
  driver: KernelTcpDriver, hostNo: number, flashnodeIdx: number,
  op: { kind: 'update'; params: ParamInfoValue[] } | { kind: 'delete' | 'login' | 'logout' },
): Promise<void> {
  if (op.kind === 'update') await driver.request({ kind: 'setFlashnodeParams', hostNo, flashnodeIdx, params: op.params });
  else if (op.kind === 'delete') await driver.request({ kind: 'delFlashnode', hostNo, flashnodeIdx });
  else if (op.kind === 'login') await driver.request({ kind: 'loginFlashnode', hostNo, flashnodeIdx });
  else await driver.request({ kind: 'logoutFlashnode', hostNo, flashnodeIdx });
}
