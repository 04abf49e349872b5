/** Key tables of every record kind, and the typed records derived from them. */
import { ISNS_KEYS, SENDTARGETS_KEYS } from './discovery.js';
import { IFACE_KEYS } from './iface.js';
import { ISCSID_KEYS } from './iscsid.js';
import { NODE_KEYS } from './node.js';
import type { RecordOf } from './types.js';

export * from './types.js';
export { BUILTIN_IFACES, IFACE_KEYS, IFACE_NAME_MAX, IFACE_SHOW, IFACE_TABLE } from './iface.js';
export { CHAP_ALGS, NODE_DISCOVERY_TYPES, NODE_KEYS, NODE_SHOW, NODE_TABLE } from './node.js';
export { DISCOVERY_TYPES, ISCSI_PORT, ISNS_KEYS, ISNS_PORT, ISNS_TABLE, SENDTARGETS_KEYS, SENDTARGETS_TABLE } from './discovery.js';
export { ISCSID_KEYS, ISCSID_TABLE, SHIPPED_ISCSID_CONF } from './iscsid.js';

/** A node record: every node key (including the iface binding block), typed. */
export type NodeRecord = RecordOf<typeof NODE_KEYS>;
/** An `ifaces/<name>` record. */
export type IfaceRecord = RecordOf<typeof IFACE_KEYS>;
/** A SendTargets discovery record (`st_config`). */
export type SendTargetsRecord = RecordOf<typeof SENDTARGETS_KEYS>;
/** An iSNS discovery record (`isns_config`). */
export type IsnsRecord = RecordOf<typeof ISNS_KEYS>;
/** The iscsid.* settings of iscsid.conf. */
export type IscsidKeys = RecordOf<typeof ISCSID_KEYS>;
/** Node record discovery type word. */
export type NodeDiscoveryType = NodeRecord['node.discovery_type'];
