/**
 * Parameter enums of the NETLINK_ISCSI ABI (`include/uapi/scsi/iscsi_if.h`,
 * reference §3.5). The C enums are dense, so each table is written as the list
 * of names in declaration order and the ids are the indexes (plus a base).
 */

/** Builds `{ NAME: id }` from names in C declaration order starting at `base`. */
function enumOf<const T extends readonly string[]>(names: T, base = 0): { readonly [K in T[number]]: number } {
  const out: Record<string, number> = {};
  names.forEach((name, i) => {
    out[name] = base + i;
  });
  return out as { readonly [K in T[number]]: number };
}

/** `enum iscsi_param` names, ids 0..71 (ISCSI_PARAM_MAX = 72). */
export const ISCSI_PARAM_NAMES = [
  'MAX_RECV_DLENGTH', 'MAX_XMIT_DLENGTH', 'HDRDGST_EN', 'DATADGST_EN', 'INITIAL_R2T_EN', 'MAX_R2T',
  'IMM_DATA_EN', 'FIRST_BURST', 'MAX_BURST', 'PDU_INORDER_EN', 'DATASEQ_INORDER_EN', 'ERL',
  'IFMARKER_EN', 'OFMARKER_EN', 'EXP_STATSN', 'TARGET_NAME', 'TPGT', 'PERSISTENT_ADDRESS',
  'PERSISTENT_PORT', 'SESS_RECOVERY_TMO', 'CONN_PORT', 'CONN_ADDRESS', 'USERNAME', 'USERNAME_IN',
  'PASSWORD', 'PASSWORD_IN', 'FAST_ABORT', 'ABORT_TMO', 'LU_RESET_TMO', 'HOST_RESET_TMO',
  'PING_TMO', 'RECV_TMO', 'IFACE_NAME', 'ISID', 'INITIATOR_NAME', 'TGT_RESET_TMO',
  'TARGET_ALIAS', 'CHAP_IN_IDX', 'CHAP_OUT_IDX', 'BOOT_ROOT', 'BOOT_NIC', 'BOOT_TARGET',
  'AUTO_SND_TGT_DISABLE', 'DISCOVERY_SESS', 'PORTAL_TYPE', 'CHAP_AUTH_EN', 'DISCOVERY_LOGOUT_EN', 'BIDI_CHAP_EN',
  'DISCOVERY_AUTH_OPTIONAL', 'DEF_TIME2WAIT', 'DEF_TIME2RETAIN', 'MAX_SEGMENT_SIZE', 'STATSN', 'KEEPALIVE_TMO',
  'LOCAL_PORT', 'TSID', 'DEF_TASKMGMT_TMO', 'TCP_TIMESTAMP_STAT', 'TCP_WSF_DISABLE', 'TCP_NAGLE_DISABLE',
  'TCP_TIMER_SCALE', 'TCP_TIMESTAMP_EN', 'TCP_XMIT_WSF', 'TCP_RECV_WSF', 'IP_FRAGMENT_DISABLE', 'IPV4_TOS',
  'IPV6_TC', 'IPV6_FLOW_LABEL', 'IS_FW_ASSIGNED_IPV6', 'DISCOVERY_PARENT_IDX', 'DISCOVERY_PARENT_TYPE', 'LOCAL_IPADDR',
] as const;
/** `enum iscsi_param`: SET_PARAM ids (names without the `ISCSI_PARAM_` prefix). */
export const ISCSI_PARAM = enumOf(ISCSI_PARAM_NAMES);
export type IscsiParamName = (typeof ISCSI_PARAM_NAMES)[number];
export const ISCSI_PARAM_MAX = ISCSI_PARAM_NAMES.length;

/** `enum iscsi_host_param` (SET_HOST_PARAM ids). */
export const ISCSI_HOST_PARAM = enumOf([
  'HWADDRESS', 'INITIATOR_NAME', 'NETDEV_NAME', 'IPADDRESS', 'PORT_STATE', 'PORT_SPEED',
] as const);

/** `enum iscsi_param_type` (iface param_type byte). */
export const ISCSI_PARAM_TYPE = enumOf(['ISCSI_PARAM', 'HOST_PARAM', 'NET_PARAM', 'FLASHNODE_PARAM', 'CHAP_PARAM', 'IFACE_PARAM'] as const);

/** `enum iscsi_net_param`, ids from 1. */
export const ISCSI_NET_PARAM = enumOf([
  'IPV4_ADDR', 'IPV4_SUBNET', 'IPV4_GW', 'IPV4_BOOTPROTO', 'MAC', 'IPV6_LINKLOCAL', 'IPV6_ADDR', 'IPV6_ROUTER',
  'IPV6_ADDR_AUTOCFG', 'IPV6_LINKLOCAL_AUTOCFG', 'IPV6_ROUTER_AUTOCFG', 'IFACE_ENABLE', 'VLAN_ID', 'VLAN_PRIORITY',
  'VLAN_ENABLED', 'VLAN_TAG', 'IFACE_TYPE', 'IFACE_NAME', 'MTU', 'PORT', 'IPADDR_STATE', 'IPV6_LINKLOCAL_STATE',
  'IPV6_ROUTER_STATE', 'DELAYED_ACK_EN', 'TCP_NAGLE_DISABLE', 'TCP_WSF_DISABLE', 'TCP_WSF', 'TCP_TIMER_SCALE',
  'TCP_TIMESTAMP_EN', 'CACHE_ID', 'IPV4_DHCP_DNS_ADDR_EN', 'IPV4_DHCP_SLP_DA_EN', 'IPV4_TOS_EN', 'IPV4_TOS',
  'IPV4_GRAT_ARP_EN', 'IPV4_DHCP_ALT_CLIENT_ID_EN', 'IPV4_DHCP_ALT_CLIENT_ID', 'IPV4_DHCP_REQ_VENDOR_ID_EN',
  'IPV4_DHCP_USE_VENDOR_ID_EN', 'IPV4_DHCP_VENDOR_ID', 'IPV4_DHCP_LEARN_IQN_EN', 'IPV4_FRAGMENT_DISABLE',
  'IPV4_IN_FORWARD_EN', 'IPV4_TTL', 'IPV6_GRAT_NEIGHBOR_ADV_EN', 'IPV6_MLD_EN', 'IPV6_FLOW_LABEL',
  'IPV6_TRAFFIC_CLASS', 'IPV6_HOP_LIMIT', 'IPV6_ND_REACHABLE_TMO', 'IPV6_ND_REXMIT_TIME', 'IPV6_ND_STALE_TMO',
  'IPV6_DUP_ADDR_DETECT_CNT', 'IPV6_RTR_ADV_LINK_MTU', 'REDIRECT_EN',
] as const, 1);

/** `enum iscsi_iface_param` (param_type IFACE_PARAM). */
export const ISCSI_IFACE_PARAM = enumOf([
  'DEF_TASKMGMT_TMO', 'HDRDGST_EN', 'DATADGST_EN', 'IMM_DATA_EN', 'INITIAL_R2T_EN', 'DATASEQ_INORDER_EN',
  'PDU_INORDER_EN', 'ERL', 'MAX_RECV_DLENGTH', 'FIRST_BURST', 'MAX_R2T', 'MAX_BURST', 'CHAP_AUTH_EN',
  'BIDI_CHAP_EN', 'DISCOVERY_AUTH_OPTIONAL', 'DISCOVERY_LOGOUT_EN', 'STRICT_LOGIN_COMP_EN', 'INITIATOR_NAME',
] as const);

/** `enum iscsi_flashnode_param`, ids 0..58 (ISCSI_FLASHNODE_MAX = 59). */
export const ISCSI_FLASHNODE_PARAM = enumOf([
  'IS_FW_ASSIGNED_IPV6', 'PORTAL_TYPE', 'AUTO_SND_TGT_DISABLE', 'DISCOVERY_SESS', 'ENTRY_EN', 'HDR_DGST_EN',
  'DATA_DGST_EN', 'IMM_DATA_EN', 'INITIAL_R2T_EN', 'DATASEQ_INORDER', 'PDU_INORDER', 'CHAP_AUTH_EN',
  'SNACK_REQ_EN', 'DISCOVERY_LOGOUT_EN', 'BIDI_CHAP_EN', 'DISCOVERY_AUTH_OPTIONAL', 'ERL', 'TCP_TIMESTAMP_STAT',
  'TCP_NAGLE_DISABLE', 'TCP_WSF_DISABLE', 'TCP_TIMER_SCALE', 'TCP_TIMESTAMP_EN', 'IP_FRAG_DISABLE',
  'MAX_RECV_DLENGTH', 'MAX_XMIT_DLENGTH', 'FIRST_BURST', 'DEF_TIME2WAIT', 'DEF_TIME2RETAIN', 'MAX_R2T',
  'KEEPALIVE_TMO', 'ISID', 'TSID', 'PORT', 'MAX_BURST', 'DEF_TASKMGMT_TMO', 'IPADDR', 'ALIAS', 'REDIRECT_IPADDR',
  'MAX_SEGMENT_SIZE', 'LOCAL_PORT', 'IPV4_TOS', 'IPV6_TC', 'IPV6_FLOW_LABEL', 'NAME', 'TPGT', 'LINK_LOCAL_IPV6',
  'DISCOVERY_PARENT_IDX', 'DISCOVERY_PARENT_TYPE', 'TCP_XMIT_WSF', 'TCP_RECV_WSF', 'CHAP_IN_IDX', 'CHAP_OUT_IDX',
  'USERNAME', 'USERNAME_IN', 'PASSWORD', 'PASSWORD_IN', 'STATSN', 'EXP_STATSN', 'IS_BOOT_TGT',
] as const);

/** `enum iscsi_chap_param` (SET_CHAP attribute ids). */
export const ISCSI_CHAP_PARAM = enumOf(['INDEX', 'CHAP_TYPE', 'USERNAME', 'PASSWORD', 'PASSWORD_LEN'] as const);

/** `ISCSI_IFACE_TYPE_*` (iface_type byte, PING iface_type). */
export const ISCSI_IFACE_TYPE = { IPV4: 1, IPV6: 2 } as const;

/** `enum iscsi_ping_status_code` (PING_COMP status). */
export const PING_STATUS_NAMES: Readonly<Record<number, string>> = {
  0: 'success',
  1: 'firmware disabled',
  2: 'invalid IP address',
  3: 'invalid link-local IPv6 address',
  4: 'timeout',
  5: 'invalid destination address',
  6: 'oversize packet',
  7: 'ICMP error',
  8: 'maximum requests exceeded',
  9: 'no ARP received',
};

/** `enum iscsi_port_speed` bits and the strings sysfs prints for them. */
export const PORT_SPEED: Readonly<Record<number, string>> = {
  0x1: 'Unknown',
  0x2: '10 Mbps',
  0x4: '100 Mbps',
  0x8: '1 Gbps',
  0x10: '10 Gbps',
  0x20: '25 Gbps',
  0x40: '40 Gbps',
};

/** `enum iscsi_port_state` and the sysfs strings. */
export const PORT_STATE: Readonly<Record<number, string>> = { 0x1: 'LINK DOWN', 0x2: 'LINK UP' };

/** `ISCSI_PARAM_*` name of a SET_PARAM id, for logs. */
export function paramName(id: number): string {
  const name = ISCSI_PARAM_NAMES[id];
  return name === undefined ? `param ${id}` : `ISCSI_PARAM_${name}`;
}
