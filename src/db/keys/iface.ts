/**
 * iface keys (reference §5.3 iface block, §5.4). The same keys appear in node records
 * (the node's binding) and in `ifaces/<name>` files.
 *
 * File order (what iscsiadm writes, §5.3/§6.3): hwaddress, ipaddress, iscsi_ifacename,
 * net_ifacename, gateway, subnet_mask, prefix_len, transport_name, initiatorname, state,
 * vlan_*, iface_num, mtu, port, then the IPv4 or the IPv6 block, then the offload
 * settings. Print order (`-m iface -I x`, node `-o show`, §5.4) starts with
 * iscsi_ifacename and moves gateway/subnet_mask into the IPv4 block.
 */
import type { KeyDef, KeyTable, ShowItem } from './types.js';

/** iface keys in file order. */
export const IFACE_KEYS = [
  { key: 'iface.hwaddress', type: 'string', def: '' },
  { key: 'iface.ipaddress', type: 'string', def: '' },
  { key: 'iface.iscsi_ifacename', type: 'string', def: 'default' },
  { key: 'iface.net_ifacename', type: 'string', def: '' },
  { key: 'iface.gateway', type: 'string', def: '' },
  { key: 'iface.subnet_mask', type: 'string', def: '' },
  { key: 'iface.prefix_len', type: 'u8', def: 0 },
  { key: 'iface.transport_name', type: 'string', def: 'tcp' },
  { key: 'iface.initiatorname', type: 'string', def: '' },
  { key: 'iface.state', type: 'string', def: '' },
  { key: 'iface.vlan_id', type: 'u16', def: 0 },
  { key: 'iface.vlan_priority', type: 'u8', def: 0 },
  { key: 'iface.vlan_state', type: 'string', def: '' },
  { key: 'iface.iface_num', type: 'int', def: 0 },
  { key: 'iface.mtu', type: 'u16', def: 0 },
  { key: 'iface.port', type: 'u16', def: 0 },
  // IPv4-only block
  { key: 'iface.bootproto', type: 'string', def: '', block: 'ipv4' },
  { key: 'iface.dhcp_alt_client_id_state', type: 'string', def: '', block: 'ipv4' },
  { key: 'iface.dhcp_alt_client_id', type: 'string', def: '', block: 'ipv4' },
  { key: 'iface.dhcp_dns', type: 'string', def: '', block: 'ipv4' },
  { key: 'iface.dhcp_learn_iqn', type: 'string', def: '', block: 'ipv4' },
  { key: 'iface.dhcp_req_vendor_id_state', type: 'string', def: '', block: 'ipv4' },
  { key: 'iface.dhcp_vendor_id_state', type: 'string', def: '', block: 'ipv4' },
  { key: 'iface.dhcp_vendor_id', type: 'string', def: '', block: 'ipv4' },
  { key: 'iface.dhcp_slp_da', type: 'string', def: '', block: 'ipv4' },
  { key: 'iface.fragmentation', type: 'string', def: '', block: 'ipv4' },
  { key: 'iface.gratuitous_arp', type: 'string', def: '', block: 'ipv4' },
  { key: 'iface.incoming_forwarding', type: 'string', def: '', block: 'ipv4' },
  { key: 'iface.tos_state', type: 'string', def: '', block: 'ipv4' },
  { key: 'iface.tos', type: 'u8', def: 0, block: 'ipv4' },
  { key: 'iface.ttl', type: 'u8', def: 0, block: 'ipv4' },
  // IPv6-only block
  { key: 'iface.ipv6_autocfg', type: 'string', def: '', block: 'ipv6' },
  { key: 'iface.linklocal_autocfg', type: 'string', def: '', block: 'ipv6' },
  { key: 'iface.router_autocfg', type: 'string', def: '', block: 'ipv6' },
  { key: 'iface.ipv6_linklocal', type: 'string', def: '', block: 'ipv6' },
  { key: 'iface.ipv6_router', type: 'string', def: '', block: 'ipv6' },
  { key: 'iface.dup_addr_detect_cnt', type: 'u8', def: 0, block: 'ipv6' },
  { key: 'iface.flow_label', type: 'u32', def: 0, block: 'ipv6' },
  { key: 'iface.gratuitous_neighbor_adv', type: 'string', def: '', block: 'ipv6' },
  { key: 'iface.hop_limit', type: 'u8', def: 0, block: 'ipv6' },
  { key: 'iface.mld', type: 'string', def: '', block: 'ipv6' },
  { key: 'iface.nd_reachable_tmo', type: 'u32', def: 0, block: 'ipv6' },
  { key: 'iface.nd_rexmit_time', type: 'u32', def: 0, block: 'ipv6' },
  { key: 'iface.nd_stale_tmo', type: 'u32', def: 0, block: 'ipv6' },
  { key: 'iface.router_adv_link_mtu', type: 'u32', def: 0, block: 'ipv6' },
  { key: 'iface.traffic_class', type: 'u8', def: 0, block: 'ipv6' },
  // offload settings (strings are enable/disable style)
  { key: 'iface.delayed_ack', type: 'string', def: '' },
  { key: 'iface.tcp_nagle', type: 'string', def: '' },
  { key: 'iface.tcp_wsf_state', type: 'string', def: '' },
  { key: 'iface.tcp_wsf', type: 'u8', def: 0 },
  { key: 'iface.tcp_timer_scale', type: 'u8', def: 0 },
  { key: 'iface.tcp_timestamp', type: 'string', def: '' },
  { key: 'iface.redirect', type: 'string', def: '' },
  { key: 'iface.def_task_mgmt_timeout', type: 'u16', def: 0 },
  { key: 'iface.header_digest', type: 'string', def: '' },
  { key: 'iface.data_digest', type: 'string', def: '' },
  { key: 'iface.immediate_data', type: 'string', def: '' },
  { key: 'iface.initial_r2t', type: 'string', def: '' },
  { key: 'iface.data_seq_inorder', type: 'string', def: '' },
  { key: 'iface.data_pdu_inorder', type: 'string', def: '' },
  { key: 'iface.erl', type: 'u8', def: 0 },
  { key: 'iface.max_receive_data_len', type: 'u32', def: 0 },
  { key: 'iface.first_burst_len', type: 'u32', def: 0 },
  { key: 'iface.max_outstanding_r2t', type: 'u16', def: 0 },
  { key: 'iface.max_burst_len', type: 'u32', def: 0 },
  { key: 'iface.chap_auth', type: 'string', def: '' },
  { key: 'iface.bidi_chap', type: 'string', def: '' },
  { key: 'iface.strict_login_compliance', type: 'string', def: '' },
  { key: 'iface.discovery_auth', type: 'string', def: '' },
  { key: 'iface.discovery_logout', type: 'string', def: '' },
] as const satisfies readonly KeyDef[];

const v4 = 'ipv4' as const;
const v6 = 'ipv6' as const;

/** iface keys in print order (reference §5.4). */
export const IFACE_SHOW: readonly ShowItem[] = [
  { key: 'iface.iscsi_ifacename' },
  { key: 'iface.net_ifacename' },
  { key: 'iface.ipaddress' },
  { key: 'iface.prefix_len' },
  { key: 'iface.hwaddress' },
  { key: 'iface.transport_name' },
  { key: 'iface.initiatorname' },
  { key: 'iface.state' },
  { key: 'iface.vlan_id' },
  { key: 'iface.vlan_priority' },
  { key: 'iface.vlan_state' },
  { key: 'iface.iface_num' },
  { key: 'iface.mtu' },
  { key: 'iface.port' },
  ...[
    'bootproto', 'subnet_mask', 'gateway', 'dhcp_alt_client_id_state', 'dhcp_alt_client_id', 'dhcp_dns',
    'dhcp_learn_iqn', 'dhcp_req_vendor_id_state', 'dhcp_vendor_id_state', 'dhcp_vendor_id', 'dhcp_slp_da',
    'fragmentation', 'gratuitous_arp', 'incoming_forwarding', 'tos_state', 'tos', 'ttl',
  ].map((k) => ({ key: `iface.${k}`, block: v4 })),
  ...[
    'ipv6_autocfg', 'linklocal_autocfg', 'router_autocfg', 'ipv6_linklocal', 'ipv6_router', 'dup_addr_detect_cnt',
    'flow_label', 'gratuitous_neighbor_adv', 'hop_limit', 'mld', 'nd_reachable_tmo', 'nd_rexmit_time',
    'nd_stale_tmo', 'router_adv_link_mtu', 'traffic_class',
  ].map((k) => ({ key: `iface.${k}`, block: v6 })),
  ...[
    'delayed_ack', 'tcp_nagle', 'tcp_wsf_state', 'tcp_wsf', 'tcp_timer_scale', 'tcp_timestamp', 'redirect',
    'def_task_mgmt_timeout', 'header_digest', 'data_digest', 'immediate_data', 'initial_r2t', 'data_seq_inorder',
    'data_pdu_inorder', 'erl', 'max_receive_data_len', 'first_burst_len', 'max_outstanding_r2t', 'max_burst_len',
    'chap_auth', 'bidi_chap', 'strict_login_compliance', 'discovery_auth', 'discovery_logout',
  ].map((k) => ({ key: `iface.${k}` })),
];

/** Names of the built-in ifaces: never stored, cannot be created, updated or deleted. */
export const BUILTIN_IFACES: Readonly<Record<string, string>> = { default: 'tcp', iser: 'iser' };

/** Longest iface name (ISCSI_MAX_IFACE_LEN 65 including the NUL). */
export const IFACE_NAME_MAX = 64;

/** The `ifaces/<name>` record table; `iface.iscsi_ifacename` is read-only in iface mode. */
export const IFACE_TABLE: KeyTable = {
  kind: 'iface',
  keys: IFACE_KEYS.map((d): KeyDef => (d.key === 'iface.iscsi_ifacename' ? { ...d, ro: true } : d)),
  show: IFACE_SHOW,
  ipBlocks: true,
};
