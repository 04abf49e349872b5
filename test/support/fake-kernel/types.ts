/**
 * State and options of the fake kernel. Numbers are written from the reference
 * (open-iscsi.md §3) and deliberately not imported from src/.
 */

/** Message types (§3.2). */
export const T = {
  CREATE_SESSION: 11, DESTROY_SESSION: 12, CREATE_CONN: 13, DESTROY_CONN: 14, BIND_CONN: 15, SET_PARAM: 16,
  START_CONN: 17, STOP_CONN: 18, SEND_PDU: 19, GET_STATS: 20, GET_PARAM: 21, EP_CONNECT: 22, EP_POLL: 23,
  EP_DISCONNECT: 24, TGT_DSCVR: 25, SET_HOST_PARAM: 26, UNBIND_SESSION: 27, CREATE_BOUND_SESSION: 28,
  EP_CONNECT_THROUGH_HOST: 29, PATH_UPDATE: 30, SET_IFACE_PARAMS: 31, PING: 32, GET_CHAP: 33, DELETE_CHAP: 34,
  SET_FLASHNODE_PARAMS: 35, NEW_FLASHNODE: 36, DEL_FLASHNODE: 37, LOGIN_FLASHNODE: 38, LOGOUT_FLASHNODE: 39,
  LOGOUT_FLASHNODE_SID: 40, SET_CHAP: 41, GET_HOST_STATS: 42, DESTROY_SESSION_ASYNC: 43,
  K_RECV_PDU: 101, K_CONN_ERROR: 102, K_IF_ERROR: 103, K_DESTROY_SESSION: 104, K_UNBIND_SESSION: 105,
  K_CREATE_SESSION: 106, K_PATH_REQ: 107, K_IF_DOWN: 108, K_CONN_LOGIN_STATE: 109, K_HOST_EVENT: 110, K_PING_COMP: 111,
} as const;

/** Linux errno values the fake answers with. */
export const E = { EPERM: 1, EIO: 5, ENOMEM: 12, EBUSY: 16, EEXIST: 17, ENODEV: 19, EINVAL: 22, ENOSYS: 38, ENOTCONN: 107 } as const;

/** Optional driver operations; a missing one is answered as the kernel does (-ENOSYS or -EINVAL). */
export type FakeOp =
  | 'epConnect' | 'tgtDscvr' | 'setHostParam' | 'setPath' | 'setIfaceParam' | 'ping'
  | 'chap' | 'flashnode' | 'hostStats' | 'loginOffload';

export interface FakeTransportSpec {
  name: string;
  handle: bigint;
  caps: number;
  ops: readonly FakeOp[];
}

/** Default transports: caps from reference §1.7, ops from what the drivers register. */
export const DEFAULT_TRANSPORTS: readonly FakeTransportSpec[] = [
  { name: 'tcp', handle: 0xffffffffc0a01000n, caps: 0x39, ops: [] },
  { name: 'iser', handle: 0xffffffffc0b02000n, caps: 0x89, ops: ['epConnect'] },
  { name: 'bnx2i', handle: 0xffffffffc0c03000n, caps: 0x8b9, ops: ['epConnect', 'setHostParam', 'setPath', 'setIfaceParam'] },
  {
    name: 'qla4xxx', handle: 0xffffffffc0d04000n, caps: 0x48b8,
    ops: ['epConnect', 'setHostParam', 'setIfaceParam', 'ping', 'chap', 'flashnode', 'hostStats', 'loginOffload', 'tgtDscvr'],
  },
];

export type ConnState = 'down' | 'bound' | 'up' | 'failed';

export interface FakeConn {
  cid: number;
  state: ConnState;
  /** SET_PARAM values as received (param id -> string before the NUL). */
  params: Map<number, string>;
  transportEph?: bigint;
  isLeading?: boolean;
  /** Set by a connection error until STOP_CONN (kernel ISCSI_CLS_CONN_BIT_CLEANUP). */
  cleanup: boolean;
  /** Raw `struct iscsi_stats` (+ custom) returned by GET_STATS; zeros when unset. */
  stats?: Buffer;
}

export interface FakeSession {
  sid: number;
  hostNo: number;
  transport: string;
  creator: number;
  recoveryTmo: number;
  state: 'FREE' | 'LOGGED_IN' | 'FAILED';
  conns: Map<number, FakeConn>;
  epHandle?: bigint;
}

export interface FakeChapEntry { type: number; username: string; password: Buffer }

export interface FakeFlashnode { portalType: string; params: Map<number, Buffer>; loggedIn: boolean }

export interface FakeHost {
  hostNo: number;
  transport: string;
  params: Map<number, string>;
  chap: Map<number, FakeChapEntry>;
  flashnodes: Map<number, FakeFlashnode>;
  ifaceParams: { ifaceNum: number; ifaceType: number; param: number; paramType: number; value: Buffer }[];
  paths: Buffer[];
  /** Raw `iscsi_offload_host_stats` (664 + custom) for GET_HOST_STATS. */
  stats?: Buffer;
}

export interface FakeEndpoint {
  handle: bigint;
  transport: string;
  hostNo?: number;
  /** The sockaddr bytes received. */
  address: Buffer;
  nonBlocking: boolean;
}

/** One request as the fake parsed it (independently of src/). */
export interface ReceivedRequest {
  nlType: number;
  nlLen: number;
  pid: number;
  seq: number;
  type: number;
  handle: bigint;
  /** The 24-byte request union. */
  u: Buffer;
  /** Bytes after the uevent, per nlmsg_len. */
  payload: Buffer;
}

export interface FakeKernelOptions {
  transports?: readonly FakeTransportSpec[];
  firstSid?: number;
  firstHostNo?: number;
  /** Pre-existing offload hosts (an HBA port per entry). */
  hosts?: readonly { hostNo: number; transport: string }[];
}

export interface OpenOptions {
  /** Port id of the opener (nlmsg_pid it sends). */
  pid?: number;
  /** Multicast groups joined: [1] like iscsid, [1, 2] to also see iscsiuio's PATH_REQ / IF_DOWN. */
  groups?: readonly number[];
  /** Without CAP_SYS_ADMIN every request is refused with -EPERM. */
  capSysAdmin?: boolean;
}
