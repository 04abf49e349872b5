/**
 * The SET_PARAM / SET_HOST_PARAM sequences iscsid sends around a login, as data
 * (reference §3.5, open-iscsi initiator_common.c):
 *
 * 1. after BIND_CONN, before the login: `sessionSetParams` (target name, portal,
 *    recovery_tmo = replacement_timeout, CHAP, TMF timeouts, NOP timers, names,
 *    boot names, discovery flag), then `hostSetParams` (netdev, hwaddress);
 * 2. once the login reached Full Feature Phase: `negotiatedSetParams`, then START_CONN.
 *
 * Values are the strings iscsid writes: `%d` for ints (booleans and digests as
 * 0/1), `%u` for EXP_STATSN, raw text for strings; empty strings are not sent.
 * On a non-leading connection (cid != 0) only the connection-scoped rows are sent.
 * Rows masked by the transport caps are skipped (transports.ts maskedParams).
 */
import { ConfigError } from '../../shared/errors.js';
import type { NegotiatedParams } from '../../iscsi/text/params.js';
import { ISCSI_HOST_PARAM, ISCSI_PARAM, paramName } from './abi-params.js';
import { maskedParams, type TransportBehaviour } from './transports.js';
import type { UeventRequest } from './requests.js';

/** One SET_PARAM to send. */
export interface SetParamStep {
  param: number;
  /** ISCSI_PARAM_* name, for logs. */
  name: string;
  value: string;
  /** A CHAP secret or user name: redact in logs. */
  secret: boolean;
  /**
   * What -ENOSYS means: iscsid ignores it for every SET_PARAM; for PING_TMO it
   * also means the kernel does no NOPs, so the daemon must send them itself.
   */
  onEnosys: 'ignore' | 'userspace-nop';
}

/** One SET_HOST_PARAM to send; -ENOSYS (and -EINVAL on old kernels) is not fatal. */
export interface HostParamStep {
  param: number;
  name: string;
  value: string;
}

/** Everything the pre-login SET_PARAMs need (node record + iface + initiator name). */
export interface SessionParamInput {
  targetName: string;
  persistentAddress: string;
  persistentPort: number;
  /** node.session.timeo.replacement_timeout -> SESS_RECOVERY_TMO (negative: wait forever). */
  replacementTimeout: number;
  username?: string;
  usernameIn?: string;
  password?: string;
  passwordIn?: string;
  fastAbort: boolean;
  abortTimeout: number;
  luResetTimeout: number;
  tgtResetTimeout: number;
  /** -> PING_TMO. */
  noopOutTimeout: number;
  /** -> RECV_TMO. */
  noopOutInterval: number;
  ifaceName: string;
  initiatorName: string;
  bootRoot?: string;
  bootNic?: string;
  bootTarget?: string;
  discovery: boolean;
}

export interface ParamContext {
  cid: number;
  caps: number;
}

type Value = string | number | boolean | undefined;
interface Row<I> {
  param: number;
  /** 'uint' prints %u (EXP_STATSN); 'int' prints %d; 'string' is sent raw when non-empty. */
  type: 'string' | 'int' | 'uint';
  connOnly: boolean;
  secret?: boolean;
  value: (input: I) => Value;
}

const P = ISCSI_PARAM;
const SESSION_ROWS: readonly Row<SessionParamInput>[] = [
  { param: P.TARGET_NAME, type: 'string', connOnly: false, value: (i) => i.targetName },
  { param: P.PERSISTENT_ADDRESS, type: 'string', connOnly: true, value: (i) => i.persistentAddress },
  { param: P.PERSISTENT_PORT, type: 'int', connOnly: true, value: (i) => i.persistentPort },
  { param: P.SESS_RECOVERY_TMO, type: 'int', connOnly: false, value: (i) => i.replacementTimeout },
  { param: P.USERNAME, type: 'string', connOnly: false, secret: true, value: (i) => i.username },
  { param: P.USERNAME_IN, type: 'string', connOnly: false, secret: true, value: (i) => i.usernameIn },
  { param: P.PASSWORD, type: 'string', connOnly: false, secret: true, value: (i) => i.password },
  { param: P.PASSWORD_IN, type: 'string', connOnly: false, secret: true, value: (i) => i.passwordIn },
  { param: P.FAST_ABORT, type: 'int', connOnly: false, value: (i) => i.fastAbort },
  { param: P.ABORT_TMO, type: 'int', connOnly: false, value: (i) => i.abortTimeout },
  { param: P.LU_RESET_TMO, type: 'int', connOnly: false, value: (i) => i.luResetTimeout },
  { param: P.TGT_RESET_TMO, type: 'int', connOnly: false, value: (i) => i.tgtResetTimeout },
  { param: P.PING_TMO, type: 'int', connOnly: true, value: (i) => i.noopOutTimeout },
  { param: P.RECV_TMO, type: 'int', connOnly: true, value: (i) => i.noopOutInterval },
  { param: P.IFACE_NAME, type: 'string', connOnly: false, value: (i) => i.ifaceName },
  { param: P.INITIATOR_NAME, type: 'string', connOnly: false, value: (i) => i.initiatorName },
  { param: P.BOOT_ROOT, type: 'string', connOnly: false, value: (i) => i.bootRoot },
  { param: P.BOOT_NIC, type: 'string', connOnly: false, value: (i) => i.bootNic },
  { param: P.BOOT_TARGET, type: 'string', connOnly: false, value: (i) => i.bootTarget },
  { param: P.DISCOVERY_SESS, type: 'int', connOnly: false, value: (i) => i.discovery },
];

/** What the negotiated rows read: the login result plus the connection's ExpStatSN and the TPGT. */
export interface NegotiatedInput {
  negotiated: NegotiatedParams;
  /** ExpStatSN to resume from (last StatSN + 1 of the login). */
  expStatSN: number;
  tpgt: number;
}

const NEG_ROWS: readonly Row<NegotiatedInput>[] = [
  { param: P.MAX_RECV_DLENGTH, type: 'int', connOnly: false, value: (i) => i.negotiated.maxRecvDataSegmentLength },
  { param: P.MAX_XMIT_DLENGTH, type: 'int', connOnly: false, value: (i) => i.negotiated.maxXmitDataSegmentLength },
  { param: P.HDRDGST_EN, type: 'int', connOnly: false, value: (i) => i.negotiated.headerDigest === 'CRC32C' },
  { param: P.DATADGST_EN, type: 'int', connOnly: true, value: (i) => i.negotiated.dataDigest === 'CRC32C' },
  { param: P.INITIAL_R2T_EN, type: 'int', connOnly: false, value: (i) => i.negotiated.initialR2T },
  { param: P.MAX_R2T, type: 'int', connOnly: false, value: (i) => i.negotiated.maxOutstandingR2T },
  { param: P.IMM_DATA_EN, type: 'int', connOnly: false, value: (i) => i.negotiated.immediateData },
  { param: P.FIRST_BURST, type: 'int', connOnly: false, value: (i) => i.negotiated.firstBurstLength },
  { param: P.MAX_BURST, type: 'int', connOnly: false, value: (i) => i.negotiated.maxBurstLength },
  { param: P.PDU_INORDER_EN, type: 'int', connOnly: false, value: (i) => i.negotiated.dataPDUInOrder },
  { param: P.DATASEQ_INORDER_EN, type: 'int', connOnly: false, value: (i) => i.negotiated.dataSequenceInOrder },
  // iscsid always sends ERL 0 and markers off (ERL > 0 and markers are not implemented, F-12, F-21).
  { param: P.ERL, type: 'int', connOnly: false, value: () => 0 },
  { param: P.IFMARKER_EN, type: 'int', connOnly: false, value: () => 0 },
  { param: P.OFMARKER_EN, type: 'int', connOnly: false, value: () => 0 },
  { param: P.EXP_STATSN, type: 'uint', connOnly: true, value: (i) => i.expStatSN },
  { param: P.TPGT, type: 'int', connOnly: false, value: (i) => i.tpgt },
];

/** The text iscsid sends for a value, or undefined when it sends nothing (empty string). */
function format(type: Row<unknown>['type'], v: Value, name: string): string | undefined {
  if (v === undefined) return undefined;
  if (type === 'string') return v === '' ? undefined : String(v);
  const n = typeof v === 'boolean' ? (v ? 1 : 0) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new ConfigError('KERNEL_PARAM_INVALID', `${name}: ${String(v)} is not an integer`);
  if (type === 'uint') return String(n >>> 0);
  if (n < -0x80000000 || n > 0x7fffffff) throw new ConfigError('KERNEL_PARAM_INVALID', `${name}: ${n} does not fit an int`);
  return String(n);
}

function build<I>(rows: readonly Row<I>[], input: I, ctx: ParamContext, skip: ReadonlySet<number>): SetParamStep[] {
  const out: SetParamStep[] = [];
  for (const row of rows) {
    if (ctx.cid !== 0 && !row.connOnly) continue;
    if (skip.has(row.param)) continue;
    const name = paramName(row.param);
    const value = format(row.type, row.value(input), name);
    if (value === undefined) continue;
    out.push({ param: row.param, name, value, secret: row.secret === true, onEnosys: row.param === P.PING_TMO ? 'userspace-nop' : 'ignore' });
  }
  return out;
}

/**
 * Pre-login SET_PARAMs. `kernelNops`: /sys/class/iscsi_connection/connection<sid>:0/ping_tmo
 * exists (the kernel sends NOP-Outs itself); without it PING_TMO/RECV_TMO are not sent.
 */
export function sessionSetParams(input: SessionParamInput, ctx: ParamContext & { kernelNops: boolean }): SetParamStep[] {
  const skip = new Set(maskedParams(ctx.caps));
  if (!ctx.kernelNops) {
    skip.add(P.PING_TMO);
    skip.add(P.RECV_TMO);
  }
  return build(SESSION_ROWS, input, ctx, skip);
}

/** Post-login SET_PARAMs (Full Feature Phase reached), sent before START_CONN. */
export function negotiatedSetParams(input: NegotiatedInput, ctx: ParamContext): SetParamStep[] {
  return build(NEG_ROWS, input, ctx, maskedParams(ctx.caps));
}

/** The iface fields host params come from; undefined or '' means unbound (not sent). */
export interface HostParamInput {
  netdev?: string;
  hwaddress?: string;
  ipaddress?: string;
}

const hostStep = (param: number, name: string, value: string | undefined): HostParamStep[] =>
  value === undefined || value === '' ? [] : [{ param, name: `ISCSI_HOST_PARAM_${name}`, value }];

/** SET_HOST_PARAMs after the session params: NETDEV_NAME then HWADDRESS (iscsi_host_set_params). */
export function hostSetParams(iface: HostParamInput): HostParamStep[] {
  return [...hostStep(ISCSI_HOST_PARAM.NETDEV_NAME, 'NETDEV_NAME', iface.netdev), ...hostStep(ISCSI_HOST_PARAM.HWADDRESS, 'HWADDRESS', iface.hwaddress)];
}

/**
 * SET_HOST_PARAMs of set_host_ip transports (bnx2i, qedi required; cxgb3i optional):
 * IPADDRESS, then NETDEV_NAME and HWADDRESS when the iface is bound by them.
 * A required address that is missing is a ConfigError (iscsid: error 7).
 */
export function hostNetParams(iface: HostParamInput & { name: string }, behaviour: TransportBehaviour): HostParamStep[] {
  if (behaviour.setHostIp === 'not-supported') return [];
  if (iface.ipaddress === undefined || iface.ipaddress === '') {
    if (behaviour.setHostIp === 'optional') return [];
    throw new ConfigError('KERNEL_IFACE_IPADDRESS_REQUIRED', `transport ${behaviour.name} needs iface.ipaddress: set it for iface ${iface.name}, then retry the login`);
  }
  return [
    ...hostStep(ISCSI_HOST_PARAM.IPADDRESS, 'IPADDRESS', iface.ipaddress),
    ...hostStep(ISCSI_HOST_PARAM.NETDEV_NAME, 'NETDEV_NAME', iface.netdev),
    ...hostStep(ISCSI_HOST_PARAM.HWADDRESS, 'HWADDRESS', iface.hwaddress),
  ];
}

/** The SET_PARAM requests for `steps` on connection sid:cid. */
export function setParamRequests(steps: readonly SetParamStep[], sid: number, cid: number): UeventRequest[] {
  return steps.map((s) => ({ kind: 'setParam', sid, cid, param: s.param, value: s.value }));
}

/** The SET_HOST_PARAM requests for `steps` on host `hostNo`. */
export function hostParamRequests(steps: readonly HostParamStep[], hostNo: number): UeventRequest[] {
  return steps.map((s) => ({ kind: 'setHostParam', hostNo, param: s.param, value: s.value }));
}
