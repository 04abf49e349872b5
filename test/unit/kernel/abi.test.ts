/**
 * ABI constants against the reference tables (open-iscsi.md §3.2-§3.6), written
 * out here as literal numbers so a shifted enum fails loudly.
 */
import { describe, expect, it } from 'vitest';
import {
  CAP, capNames, CONN_STATE, describeConnError, ISCSI_CHAP_REC_SIZE, ISCSI_HOST_STATS_SIZE, ISCSI_PATH_SIZE, ISCSI_STATS_CUSTOM_SIZE,
  ISCSI_STATS_SIZE, KERNEL_CONN_ERRORS, KEV, messageTypeName, STOP_CONN, UEV, UEVENT_SIZE,
} from '../../../src/transport/kernel/abi.js';
import {
  ISCSI_CHAP_PARAM, ISCSI_FLASHNODE_PARAM, ISCSI_HOST_PARAM, ISCSI_IFACE_PARAM, ISCSI_NET_PARAM, ISCSI_PARAM, ISCSI_PARAM_MAX, ISCSI_PARAM_TYPE, paramName,
} from '../../../src/transport/kernel/abi-params.js';

describe('message types (§3.2)', () => {
  it('down types 11..43 in header order', () => {
    expect(Object.entries(UEV).filter(([n]) => n !== 'UNKNOWN').map(([, v]) => v)).toEqual(Array.from({ length: 33 }, (_, i) => 11 + i));
    expect([UEV.CREATE_BOUND_SESSION, UEV.SET_CHAP, UEV.GET_HOST_STATS, UEV.DESTROY_SESSION_ASYNC, UEV.TRANSPORT_EP_CONNECT_THROUGH_HOST]).toEqual([28, 41, 42, 43, 29]);
  });

  it('up types 101..111', () => {
    expect(KEV).toEqual({
      RECV_PDU: 101, CONN_ERROR: 102, IF_ERROR: 103, DESTROY_SESSION: 104, UNBIND_SESSION: 105, CREATE_SESSION: 106,
      PATH_REQ: 107, IF_DOWN: 108, CONN_LOGIN_STATE: 109, HOST_EVENT: 110, PING_COMP: 111,
    });
    expect(messageTypeName(103)).toBe('ISCSI_KEVENT_IF_ERROR');
    expect(messageTypeName(16)).toBe('ISCSI_UEVENT_SET_PARAM');
    expect(messageTypeName(999)).toBe('type 999');
  });

  it('structure sizes: uevent 56, iscsi_stats 96 + 72/custom, host stats 664, chap rec 524, iscsi_path 64', () => {
    expect([UEVENT_SIZE, ISCSI_STATS_SIZE, ISCSI_STATS_CUSTOM_SIZE, ISCSI_HOST_STATS_SIZE, ISCSI_CHAP_REC_SIZE, ISCSI_PATH_SIZE]).toEqual([56, 96, 72, 664, 524, 64]);
  });

  it('stop flags TERM 1, SUSPEND 2, RECOVER 3; conn states FREE..CLEANUP_WAIT 0..6', () => {
    expect(STOP_CONN).toEqual({ TERM: 1, SUSPEND: 2, RECOVER: 3 });
    expect(Object.values(CONN_STATE)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(CONN_STATE.LOGGED_IN).toBe(3);
  });
});

describe('capability bits (§3.5)', () => {
  it('CAP_* values', () => {
    expect(CAP).toEqual({
      RECOVERY_L0: 0x1, RECOVERY_L1: 0x2, RECOVERY_L2: 0x4, MULTI_R2T: 0x8, HDRDGST: 0x10, DATADGST: 0x20, MULTI_CONN: 0x40,
      TEXT_NEGO: 0x80, MARKERS: 0x100, FW_DB: 0x200, SENDTARGETS_OFFLOAD: 0x400, DATA_PATH_OFFLOAD: 0x800, DIGEST_OFFLOAD: 0x1000,
      PADDING_OFFLOAD: 0x2000, LOGIN_OFFLOAD: 0x4000,
    });
    expect(capNames(0x39)).toEqual(['RECOVERY_L0', 'MULTI_R2T', 'HDRDGST', 'DATADGST']);
  });
});

describe('connection error codes (§3.4)', () => {
  it('1001..1022 with iscsid\'s texts', () => {
    expect(Object.keys(KERNEL_CONN_ERRORS).map(Number)).toEqual([0, ...Array.from({ length: 22 }, (_, i) => 1001 + i)]);
    expect(describeConnError(1020)).toBe('ISCSI_ERR_TCP_CONN_CLOSE: TCP connection closed');
    expect(describeConnError(1022)).toBe('ISCSI_ERR_NOP_TIMEDOUT: A NOP has timed out');
    expect(describeConnError(1018)).toBe('ISCSI_ERR_INVALID_HOST: iSCSI host is in an invalid state');
    expect(describeConnError(4242)).toBe('Invalid or unknown error code');
  });
});

describe('parameter enums (§3.5)', () => {
  it('iscsi_param ids as listed in the reference', () => {
    const expected: Record<string, number> = {
      MAX_RECV_DLENGTH: 0, MAX_XMIT_DLENGTH: 1, HDRDGST_EN: 2, DATADGST_EN: 3, INITIAL_R2T_EN: 4, MAX_R2T: 5, IMM_DATA_EN: 6,
      FIRST_BURST: 7, MAX_BURST: 8, PDU_INORDER_EN: 9, DATASEQ_INORDER_EN: 10, ERL: 11, IFMARKER_EN: 12, OFMARKER_EN: 13,
      EXP_STATSN: 14, TARGET_NAME: 15, TPGT: 16, PERSISTENT_ADDRESS: 17, PERSISTENT_PORT: 18, SESS_RECOVERY_TMO: 19,
      CONN_PORT: 20, CONN_ADDRESS: 21, USERNAME: 22, USERNAME_IN: 23, PASSWORD: 24, PASSWORD_IN: 25, FAST_ABORT: 26,
      ABORT_TMO: 27, LU_RESET_TMO: 28, HOST_RESET_TMO: 29, PING_TMO: 30, RECV_TMO: 31, IFACE_NAME: 32, ISID: 33,
      INITIATOR_NAME: 34, TGT_RESET_TMO: 35, TARGET_ALIAS: 36, CHAP_IN_IDX: 37, CHAP_OUT_IDX: 38, BOOT_ROOT: 39, BOOT_NIC: 40,
      BOOT_TARGET: 41, AUTO_SND_TGT_DISABLE: 42, DISCOVERY_SESS: 43, PORTAL_TYPE: 44, CHAP_AUTH_EN: 45, DISCOVERY_LOGOUT_EN: 46,
      BIDI_CHAP_EN: 47, DISCOVERY_AUTH_OPTIONAL: 48, DEF_TIME2WAIT: 49, DEF_TIME2RETAIN: 50, MAX_SEGMENT_SIZE: 51, STATSN: 52,
      KEEPALIVE_TMO: 53, LOCAL_PORT: 54, TSID: 55, DEF_TASKMGMT_TMO: 56, TCP_TIMESTAMP_STAT: 57, TCP_WSF_DISABLE: 58,
      TCP_NAGLE_DISABLE: 59, TCP_TIMER_SCALE: 60, TCP_TIMESTAMP_EN: 61, TCP_XMIT_WSF: 62, TCP_RECV_WSF: 63,
      IP_FRAGMENT_DISABLE: 64, IPV4_TOS: 65, IPV6_TC: 66, IPV6_FLOW_LABEL: 67, IS_FW_ASSIGNED_IPV6: 68,
      DISCOVERY_PARENT_IDX: 69, DISCOVERY_PARENT_TYPE: 70, LOCAL_IPADDR: 71,
    };
    expect(ISCSI_PARAM).toEqual(expected);
    expect(ISCSI_PARAM_MAX).toBe(72);
    expect(paramName(19)).toBe('ISCSI_PARAM_SESS_RECOVERY_TMO');
  });

  it('host, param-type, chap, iface, net and flashnode enums', () => {
    expect(ISCSI_HOST_PARAM).toEqual({ HWADDRESS: 0, INITIATOR_NAME: 1, NETDEV_NAME: 2, IPADDRESS: 3, PORT_STATE: 4, PORT_SPEED: 5 });
    expect(ISCSI_PARAM_TYPE).toEqual({ ISCSI_PARAM: 0, HOST_PARAM: 1, NET_PARAM: 2, FLASHNODE_PARAM: 3, CHAP_PARAM: 4, IFACE_PARAM: 5 });
    expect(ISCSI_CHAP_PARAM).toEqual({ INDEX: 0, CHAP_TYPE: 1, USERNAME: 2, PASSWORD: 3, PASSWORD_LEN: 4 });
    expect([ISCSI_IFACE_PARAM.DEF_TASKMGMT_TMO, ISCSI_IFACE_PARAM.MAX_RECV_DLENGTH, ISCSI_IFACE_PARAM.INITIATOR_NAME]).toEqual([0, 8, 17]);
    expect([ISCSI_NET_PARAM.IPV4_ADDR, ISCSI_NET_PARAM.MAC, ISCSI_NET_PARAM.VLAN_ID, ISCSI_NET_PARAM.PORT, ISCSI_NET_PARAM.CACHE_ID,
      ISCSI_NET_PARAM.IPV4_TTL, ISCSI_NET_PARAM.REDIRECT_EN]).toEqual([1, 5, 13, 20, 30, 44, 55]);
    expect(Object.keys(ISCSI_FLASHNODE_PARAM)).toHaveLength(59);
    expect([ISCSI_FLASHNODE_PARAM.IS_FW_ASSIGNED_IPV6, ISCSI_FLASHNODE_PARAM.ERL, ISCSI_FLASHNODE_PARAM.ISID, ISCSI_FLASHNODE_PARAM.PORT,
      ISCSI_FLASHNODE_PARAM.NAME, ISCSI_FLASHNODE_PARAM.TPGT, ISCSI_FLASHNODE_PARAM.IS_BOOT_TGT]).toEqual([0, 16, 30, 32, 43, 44, 58]);
  });
});
