/**
 * iSNSP (RFC 4171) numbers an iSCSI initiator needs: function ids (§6.1), header
 * flags (§5.1.3), attribute tags (§6.1 table, §6.4–6.6), node types, SCN bitmap bits
 * (§6.4.4) and response status codes (§6.4 / §5.4) with open-isns' status texts
 * (libisns `isns_strerror`, which iscsiadm prints: reference boot-and-isns.md §3.4).
 */

/** iSNSP version (§5.1.1): the only one defined. */
export const ISNSP_VERSION = 1;
/** IANA port of the iSNS server (TCP and UDP). */
export const ISNS_DEFAULT_PORT = 3205;
/** Fixed header size (§5.1). */
export const ISNS_HEADER_LEN = 12;
/** Largest payload a 16-bit PDU Length can carry (open-isns ISNS_MAX_PDU_SIZE). */
export const ISNS_MAX_PAYLOAD = 65532;
/** Response function id = request id | this bit (§5.1.2). */
export const ISNS_RESPONSE_BIT = 0x8000;

/** Function ids of requests (§6.1). Responses are `id | 0x8000`. */
export const ISNS_FUNC = {
  DevAttrReg: 0x0001,
  DevAttrQry: 0x0002,
  DevGetNext: 0x0003,
  DevDereg: 0x0004,
  SCNReg: 0x0005,
  SCNDereg: 0x0006,
  SCNEvent: 0x0007,
  SCN: 0x0008,
  DDReg: 0x0009,
  DDDereg: 0x000a,
  DDSReg: 0x000b,
  DDSDereg: 0x000c,
  ESI: 0x000d,
  Heartbeat: 0x000e,
} as const;
export type IsnsFunctionName = keyof typeof ISNS_FUNC;

/** Header flags (§5.1.3). open-isns sends 0x8c00 (client|first|last) and answers 0x4c00. */
export const ISNS_FLAG = {
  CLIENT: 0x8000,
  SERVER: 0x4000,
  AUTH: 0x2000,
  REPLACE: 0x1000,
  LAST_PDU: 0x0800,
  FIRST_PDU: 0x0400,
} as const;

/** Attribute tags an initiator sends or reads (§6.1; reference §3.3). */
export const ISNS_TAG = {
  DELIMITER: 0,
  ENTITY_IDENTIFIER: 1,
  ENTITY_PROTOCOL: 2,
  MGMT_IP_ADDRESS: 3,
  TIMESTAMP: 4,
  REGISTRATION_PERIOD: 6,
  ENTITY_INDEX: 7,
  PORTAL_IP_ADDRESS: 16,
  PORTAL_PORT: 17,
  PORTAL_SYMBOLIC_NAME: 18,
  ESI_INTERVAL: 19,
  ESI_PORT: 20,
  PORTAL_INDEX: 22,
  SCN_PORT: 23,
  PORTAL_SECURITY_BITMAP: 27,
  ISCSI_NAME: 32,
  ISCSI_NODE_TYPE: 33,
  ISCSI_ALIAS: 34,
  ISCSI_SCN_BITMAP: 35,
  ISCSI_NODE_INDEX: 36,
  ISCSI_AUTHMETHOD: 42,
  PG_ISCSI_NAME: 48,
  PG_PORTAL_IP_ADDR: 49,
  PG_PORTAL_PORT: 50,
  PG_TAG: 51,
  PG_INDEX: 52,
} as const;

/** How a tag's value is typed on the wire (§6.2). Unlisted tags stay opaque bytes. */
export type IsnsValueKind = 'string' | 'u32' | 'u64' | 'ip' | 'port';

/** Value kind per known tag (§6.1 table). */
export const ISNS_TAG_KIND: Readonly<Record<number, IsnsValueKind>> = {
  [ISNS_TAG.ENTITY_IDENTIFIER]: 'string',
  [ISNS_TAG.ENTITY_PROTOCOL]: 'u32',
  [ISNS_TAG.MGMT_IP_ADDRESS]: 'ip',
  [ISNS_TAG.TIMESTAMP]: 'u64',
  [ISNS_TAG.REGISTRATION_PERIOD]: 'u32',
  [ISNS_TAG.ENTITY_INDEX]: 'u32',
  [ISNS_TAG.PORTAL_IP_ADDRESS]: 'ip',
  [ISNS_TAG.PORTAL_PORT]: 'port',
  [ISNS_TAG.PORTAL_SYMBOLIC_NAME]: 'string',
  [ISNS_TAG.ESI_INTERVAL]: 'u32',
  [ISNS_TAG.ESI_PORT]: 'port',
  [ISNS_TAG.PORTAL_INDEX]: 'u32',
  [ISNS_TAG.SCN_PORT]: 'port',
  [ISNS_TAG.PORTAL_SECURITY_BITMAP]: 'u32',
  [ISNS_TAG.ISCSI_NAME]: 'string',
  [ISNS_TAG.ISCSI_NODE_TYPE]: 'u32',
  [ISNS_TAG.ISCSI_ALIAS]: 'string',
  [ISNS_TAG.ISCSI_SCN_BITMAP]: 'u32',
  [ISNS_TAG.ISCSI_NODE_INDEX]: 'u32',
  [ISNS_TAG.ISCSI_AUTHMETHOD]: 'string',
  [ISNS_TAG.PG_ISCSI_NAME]: 'string',
  [ISNS_TAG.PG_PORTAL_IP_ADDR]: 'ip',
  [ISNS_TAG.PG_PORTAL_PORT]: 'port',
  [ISNS_TAG.PG_TAG]: 'u32',
  [ISNS_TAG.PG_INDEX]: 'u32',
};

/** Entity Protocol values (§6.2.2). */
export const ISNS_ENTITY_PROTOCOL = { NONE: 1, ISCSI: 2, IFCP: 3 } as const;

/** iSCSI Node Type bits (§6.4.2). */
export const ISNS_NODE_TYPE = { TARGET: 0x1, INITIATOR: 0x2, CONTROL: 0x4 } as const;

/** iSCSI SCN Bitmap bits (§6.4.4; RFC bit 31 is the LSB). */
export const ISNS_SCN = {
  DD_MEMBER_ADDED: 0x01,
  DD_MEMBER_REMOVED: 0x02,
  OBJECT_UPDATED: 0x04,
  OBJECT_ADDED: 0x08,
  OBJECT_REMOVED: 0x10,
  MANAGEMENT_REGISTRATION: 0x20,
  TARGET_AND_SELF_ONLY: 0x40,
  INITIATOR_AND_SELF_ONLY: 0x80,
} as const;
/** What open-iscsi's discoveryd registers: updated | added | removed | target-and-self (0x5C). */
export const OPEN_ISCSI_SCN_BITMAP = ISNS_SCN.OBJECT_UPDATED | ISNS_SCN.OBJECT_ADDED | ISNS_SCN.OBJECT_REMOVED | ISNS_SCN.TARGET_AND_SELF_ONLY;

/** Port attribute bit 16: set = UDP, clear = TCP (§6.3.1). */
export const ISNS_PORT_UDP = 0x00010000;

/** Response status codes (§6.4 table 'Status Code'). */
export const ISNS_STATUS = {
  SUCCESS: 0,
  UNKNOWN_ERROR: 1,
  MSG_FORMAT_ERROR: 2,
  INVALID_REGISTRATION: 3,
  INVALID_QUERY: 5,
  SOURCE_UNKNOWN: 6,
  SOURCE_ABSENT: 7,
  SOURCE_UNAUTHORIZED: 8,
  NO_SUCH_ENTRY: 9,
  VERSION_NOT_SUPPORTED: 10,
  INTERNAL_ERROR: 11,
  BUSY: 12,
  OPTION_NOT_UNDERSTOOD: 13,
  INVALID_UPDATE: 14,
  MESSAGE_NOT_SUPPORTED: 15,
  SCN_EVENT_REJECTED: 16,
  SCN_REGISTRATION_REJECTED: 17,
  ATTRIBUTE_NOT_IMPLEMENTED: 18,
  FC_DOMAIN_ID_NOT_AVAILABLE: 19,
  FC_DOMAIN_ID_NOT_ALLOCATED: 20,
  ESI_NOT_AVAILABLE: 21,
  INVALID_DEREGISTRATION: 22,
  REGISTRATION_FEATURE_NOT_SUPPORTED: 23,
} as const;

/** libisns `isns_strerror` texts, index = status (4 is reserved: libisns has no text). */
const STATUS_TEXT: readonly (string | undefined)[] = [
  'Success', 'Unknown error', 'Message format error', 'Invalid registration', undefined, 'Invalid query',
  'Source unknown', 'Source absent', 'Source unauthorized', 'No such entry', 'Version not supported',
  'Internal error', 'Busy', 'Option not understood', 'Invalid update', 'Message not supported',
  'SCN event rejected', 'SCN registration rejected', 'Attribute not implemented', 'FC domain id not available',
  'FC domain id not allocated', 'ESI not available', 'Invalid deregistration', 'Registration feature not supported',
];

/** The text iscsiadm prints for an iSNS status (libisns `isns_strerror`). */
export function isnsStatusText(status: number): string {
  return STATUS_TEXT[status] ?? 'Unknown iSNS status code';
}
