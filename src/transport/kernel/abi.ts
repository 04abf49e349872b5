/**
 * NETLINK_ISCSI ABI constants (`include/uapi/scsi/iscsi_if.h`, reference §3).
 *
 * Every number here is a fact of the kernel ABI on x86_64 (little-endian, LP64):
 * message types, structure sizes, capability bits, stop flags and the kernel's
 * connection-error codes. Parameter enums live in abi-params.ts.
 */

/** Netlink protocol number of the iSCSI control channel (§3.1). */
export const NETLINK_ISCSI = 8;
/** Multicast group iscsid binds to: replies to GET_STATS/GET_CHAP/GET_HOST_STATS and all events. */
export const ISCSI_NL_GRP_ISCSID = 1;
/** Multicast group of iscsiuio: PATH_REQ and IF_DOWN (sent through `iscsi_offload_mesg`). */
export const ISCSI_NL_GRP_UIP = 2;

/** `struct nlmsghdr`: len u32 @0, type u16 @4, flags u16 @6, seq u32 @8, pid u32 @12. */
export const NLMSG_HDRLEN = 16;
/** `struct iscsi_uevent`: 56 bytes, 8-byte aligned (§3.3). */
export const UEVENT_SIZE = 56;
/** Request union `u` starts here (24 bytes). */
export const UEVENT_U_OFFSET = 16;
/** Reply union `r` starts here (16 bytes). */
export const UEVENT_R_OFFSET = 40;

/** `struct iscsi_stats` fixed part; `custom[]` entries follow at this offset (§3.6). */
export const ISCSI_STATS_SIZE = 96;
/** `struct iscsi_stats_custom`: desc char[64] @0, value u64 @64. */
export const ISCSI_STATS_CUSTOM_SIZE = 72;
export const ISCSI_STATS_CUSTOM_DESC_MAX = 64;
export const ISCSI_STATS_CUSTOM_MAX = 32;
/** `struct iscsi_offload_host_stats`: 82 u64 counters, custom_length u32 @656, custom[] @664. */
export const ISCSI_HOST_STATS_SIZE = 664;
export const ISCSI_HOST_STATS_CUSTOM_LENGTH_OFFSET = 656;
export const ISCSI_HOST_STATS_CUSTOM_MAX = 32;
/** `struct iscsi_chap_rec`: idx u16 @0, type u32 @4, username[256] @8, password[256] @264, password_length u8 @520. */
export const ISCSI_CHAP_REC_SIZE = 524;
export const ISCSI_CHAP_AUTH_NAME_MAX_LEN = 256;
export const ISCSI_CHAP_AUTH_SECRET_MAX_LEN = 256;
/** `struct iscsi_path` (iscsiuio): 64 bytes, 8-byte aligned. */
export const ISCSI_PATH_SIZE = 64;
/** `struct iscsi_hdr`: the BHS the kernel copies in front of RECV_PDU data. */
export const ISCSI_HDR_SIZE = 48;
/** `struct iscsi_param_info` / `iscsi_flashnode_param_info` header: len u32 @0, param u16 @4, value @6 (packed). */
export const ISCSI_PARAM_INFO_SIZE = 6;
/** `struct iscsi_iface_param_info` header: iface_num u32 @0, len u32 @4, param u16 @8, iface_type u8 @10, param_type u8 @11. */
export const ISCSI_IFACE_PARAM_INFO_SIZE = 12;
/** `struct nlattr`: nla_len u16 @0, nla_type u16 @2. */
export const NLA_HDRLEN = 4;
/** The kernel refuses SET_PARAM/SET_HOST_PARAM values longer than a page. */
export const SET_PARAM_MAX_LEN = 4096;

export const UEVENT_BASE = 10;
export const KEVENT_BASE = 100;
export const ISCSI_ERR_BASE = 1000;

/** Down (user → kernel) message types, `enum iscsi_uevent_e` (§3.2). */
export const UEV = {
  UNKNOWN: 0,
  CREATE_SESSION: 11,
  DESTROY_SESSION: 12,
  CREATE_CONN: 13,
  DESTROY_CONN: 14,
  BIND_CONN: 15,
  SET_PARAM: 16,
  START_CONN: 17,
  STOP_CONN: 18,
  SEND_PDU: 19,
  GET_STATS: 20,
  GET_PARAM: 21,
  TRANSPORT_EP_CONNECT: 22,
  TRANSPORT_EP_POLL: 23,
  TRANSPORT_EP_DISCONNECT: 24,
  TGT_DSCVR: 25,
  SET_HOST_PARAM: 26,
  UNBIND_SESSION: 27,
  CREATE_BOUND_SESSION: 28,
  TRANSPORT_EP_CONNECT_THROUGH_HOST: 29,
  PATH_UPDATE: 30,
  SET_IFACE_PARAMS: 31,
  PING: 32,
  GET_CHAP: 33,
  DELETE_CHAP: 34,
  SET_FLASHNODE_PARAMS: 35,
  NEW_FLASHNODE: 36,
  DEL_FLASHNODE: 37,
  LOGIN_FLASHNODE: 38,
  LOGOUT_FLASHNODE: 39,
  LOGOUT_FLASHNODE_SID: 40,
  SET_CHAP: 41,
  GET_HOST_STATS: 42,
  DESTROY_SESSION_ASYNC: 43,
} as const;

/** Up (kernel → user) message types (§3.2). */
export const KEV = {
  RECV_PDU: 101,
  CONN_ERROR: 102,
  IF_ERROR: 103,
  DESTROY_SESSION: 104,
  UNBIND_SESSION: 105,
  CREATE_SESSION: 106,
  PATH_REQ: 107,
  IF_DOWN: 108,
  CONN_LOGIN_STATE: 109,
  HOST_EVENT: 110,
  PING_COMP: 111,
} as const;

/** Highest down type we know; open-iscsi's ISCSI_UEVENT_MAX (the kernel header has no MAX entry). */
export const UEVENT_MAX = UEV.DESTROY_SESSION_ASYNC;
/** Highest up type we know; open-iscsi's ISCSI_KEVENT_MAX. */
export const KEVENT_MAX = KEV.PING_COMP;

/** `ISCSI_UEVENT_*` / `ISCSI_KEVENT_*` name of a type number, for logs and error messages. */
export function messageTypeName(type: number): string {
  for (const [name, value] of Object.entries(UEV)) if (value === type) return `ISCSI_UEVENT_${name}`;
  for (const [name, value] of Object.entries(KEV)) if (value === type) return `ISCSI_KEVENT_${name}`;
  return `type ${type}`;
}

/** Transport capability bits (`CAP_*`), read from `/sys/class/iscsi_transport/<t>/caps`. */
export const CAP = {
  RECOVERY_L0: 0x1,
  RECOVERY_L1: 0x2,
  RECOVERY_L2: 0x4,
  MULTI_R2T: 0x8,
  HDRDGST: 0x10,
  DATADGST: 0x20,
  MULTI_CONN: 0x40,
  TEXT_NEGO: 0x80,
  MARKERS: 0x100,
  FW_DB: 0x200,
  SENDTARGETS_OFFLOAD: 0x400,
  DATA_PATH_OFFLOAD: 0x800,
  DIGEST_OFFLOAD: 0x1000,
  PADDING_OFFLOAD: 0x2000,
  LOGIN_OFFLOAD: 0x4000,
} as const;

/** Names of the bits set in `caps`, lowest bit first (for logs). */
export function capNames(caps: number): string[] {
  return Object.entries(CAP).filter(([, bit]) => (caps & bit) !== 0).map(([name]) => name);
}

/** `stop_conn.flag` (§3.3): TERM marks the conn "down", RECOVER "failed" (session kept for relogin). */
export const STOP_CONN = { TERM: 1, SUSPEND: 2, RECOVER: 3 } as const;
export type StopConnFlag = 'term' | 'suspend' | 'recover';
export const STOP_CONN_BY_NAME: Readonly<Record<StopConnFlag, number>> = {
  term: STOP_CONN.TERM,
  suspend: STOP_CONN.SUSPEND,
  recover: STOP_CONN.RECOVER,
};

/** `enum iscsi_tgt_dscvr` (TGT_DSCVR type). */
export const TGT_DSCVR = { SEND_TARGETS: 1, ISNS: 2, SLP: 3 } as const;

/** `enum iscsi_host_event_code` (HOST_EVENT code). */
export const HOST_EVENT = { LINKUP: 1, LINKDOWN: 2 } as const;

/** `enum iscsi_conn_state` (CONN_LOGIN_STATE state; FREE = the firmware login failed). */
export const CONN_STATE = {
  FREE: 0,
  XPT_WAIT: 1,
  IN_LOGIN: 2,
  LOGGED_IN: 3,
  IN_LOGOUT: 4,
  LOGOUT_REQUESTED: 5,
  CLEANUP_WAIT: 6,
} as const;

/** `enum chap_type_e` of `struct iscsi_chap_rec`. */
export const CHAP_TYPE = { OUT: 0, IN: 1 } as const;

/** Address families as the kernel reads them from a `struct sockaddr` (Linux values). */
export const AF_INET = 2;
export const AF_INET6 = 10;
export const SOCKADDR_IN_SIZE = 16;
export const SOCKADDR_IN6_SIZE = 28;

/**
 * Kernel connection-error codes (`enum iscsi_err`) delivered in CONN_ERROR, with
 * the text iscsid prints after "<NAME>: " (§3.4).
 */
export const KERNEL_CONN_ERRORS: Readonly<Record<number, { name: string; text: string }>> = {
  0: { name: 'ISCSI_OK', text: 'operation successful' },
  1001: { name: 'ISCSI_ERR_DATASN', text: 'Received invalid data sequence number from target' },
  1002: { name: 'ISCSI_ERR_DATA_OFFSET', text: 'Seeking offset beyond the size of the iSCSI segment' },
  1003: { name: 'ISCSI_ERR_MAX_CMDSN', text: 'Received invalid command sequence number from target' },
  1004: { name: 'ISCSI_ERR_EXP_CMDSN', text: 'Received invalid expected command sequence number from target' },
  1005: { name: 'ISCSI_ERR_BAD_OPCODE', text: 'Received an invalid iSCSI opcode' },
  1006: { name: 'ISCSI_ERR_DATALEN', text: 'Invalid data length value' },
  1007: { name: 'ISCSI_ERR_AHSLEN', text: 'Received an invalid AHS length' },
  1008: { name: 'ISCSI_ERR_PROTO', text: 'iSCSI protocol violation' },
  1009: { name: 'ISCSI_ERR_LUN', text: 'LUN mismatch' },
  1010: { name: 'ISCSI_ERR_BAD_ITT', text: 'Received invalid initiator task tag from target' },
  1011: { name: 'ISCSI_ERR_CONN_FAILED', text: 'iSCSI connection failed' },
  1012: { name: 'ISCSI_ERR_R2TSN', text: 'Received invalid R2T (Ready to Transfer) data sequence number from target' },
  1013: { name: 'ISCSI_ERR_SESSION_FAILED', text: 'iSCSI session failed' },
  1014: { name: 'ISCSI_ERR_HDR_DGST', text: 'Header digest mismatch' },
  1015: { name: 'ISCSI_ERR_DATA_DGST', text: 'Data digest mismatch' },
  1016: { name: 'ISCSI_ERR_PARAM_NOT_FOUND', text: 'Parameter not found' },
  1017: { name: 'ISCSI_ERR_NO_SCSI_CMD', text: 'Could not look up SCSI command' },
  1018: { name: 'ISCSI_ERR_INVALID_HOST', text: 'iSCSI host is in an invalid state' },
  1019: { name: 'ISCSI_ERR_XMIT_FAILED', text: 'Transmission of iSCSI packet failed' },
  1020: { name: 'ISCSI_ERR_TCP_CONN_CLOSE', text: 'TCP connection closed' },
  1021: { name: 'ISCSI_ERR_SCSI_EH_SESSION_RST', text: 'Session was dropped as a result of SCSI error recovery' },
  1022: { name: 'ISCSI_ERR_NOP_TIMEDOUT', text: 'A NOP has timed out' },
};

/** Named kernel connection-error codes used by recovery policy. */
export const KERNEL_ERR = {
  CONN_FAILED: 1011,
  INVALID_HOST: 1018,
  XMIT_FAILED: 1019,
  TCP_CONN_CLOSE: 1020,
  SCSI_EH_SESSION_RST: 1021,
  NOP_TIMEDOUT: 1022,
} as const;

/** iscsid's text for a CONN_ERROR code: "NAME: text", or its fallback for unknown codes. */
export function describeConnError(code: number): string {
  const e = KERNEL_CONN_ERRORS[code];
  return e === undefined ? 'Invalid or unknown error code' : `${e.name}: ${e.text}`;
}
