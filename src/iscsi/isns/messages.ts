/**
 * iSNSP messages an initiator sends and reads (RFC 4171 §5.6, §5.7):
 *
 *   request:  source attribute · message key attributes · delimiter · operating attributes
 *   response: status u32 · message key attributes · delimiter · operating attributes
 *   SCN/ESI (server → client): attributes only, no source, no delimiter
 *
 * Builders produce exactly what open-iscsi 2.1.8 (libisns) sends (reference
 * boot-and-isns.md §3.6, §3.8): flags CLIENT|FIRST|LAST, one PDU.
 */
import { encodeAttrs, decodeAttrs, ipAttr, nilAttr, portAttr, stringAttr, u32Attr, type IsnsAttr, type IsnsPort } from './attrs.js';
import { ISNS_ENTITY_PROTOCOL, ISNS_FLAG, ISNS_FUNC, ISNS_RESPONSE_BIT, ISNS_STATUS, ISNS_TAG } from './constants.js';
import { isnsProtocolError } from './errors.js';
import type { IsnsMessage } from './pdu.js';

/** The parts of a client request. */
export interface IsnsRequest {
  readonly func: number;
  readonly xid: number;
  /** Source attribute (normally the requester's iSCSI Name, tag 32). */
  readonly source: IsnsAttr;
  readonly keys: readonly IsnsAttr[];
  readonly operating: readonly IsnsAttr[];
  /** DevAttrReg Replace flag (§5.6.5.1). */
  readonly replace?: boolean;
}

/** Encode a client request as a message (not yet split into PDUs). */
export function buildRequest(r: IsnsRequest): IsnsMessage {
  const payload = encodeAttrs([r.source, ...r.keys, nilAttr(ISNS_TAG.DELIMITER), ...r.operating]);
  const flags = ISNS_FLAG.CLIENT | ISNS_FLAG.FIRST_PDU | ISNS_FLAG.LAST_PDU | (r.replace ? ISNS_FLAG.REPLACE : 0);
  return { func: r.func, flags, xid: r.xid, payload };
}

/** What open-iscsi asks of every target in a DevAttrQry: name, type, portal, PG (§3.6 step 3). */
export const DISCOVERY_QUERY_TAGS: readonly number[] = [
  ISNS_TAG.ISCSI_NAME, ISNS_TAG.ISCSI_NODE_TYPE, ISNS_TAG.PORTAL_IP_ADDRESS, ISNS_TAG.PORTAL_PORT,
  ISNS_TAG.PG_ISCSI_NAME, ISNS_TAG.PG_PORTAL_IP_ADDR, ISNS_TAG.PG_PORTAL_PORT, ISNS_TAG.PG_TAG,
];

/**
 * DevAttrQry as iscsiadm sends it: key = Node Type target (or iSCSI Name `target` when
 * given), operating = NIL attributes to return (§5.6.5.2).
 */
export function devAttrQry(xid: number, sourceName: string, opts: { target?: string; tags?: readonly number[] } = {}): IsnsMessage {
  const key = opts.target === undefined ? u32Attr(ISNS_TAG.ISCSI_NODE_TYPE, 1) : stringAttr(ISNS_TAG.ISCSI_NAME, opts.target);
  return buildRequest({
    func: ISNS_FUNC.DevAttrQry, xid, source: stringAttr(ISNS_TAG.ISCSI_NAME, sourceName),
    keys: [key], operating: (opts.tags ?? DISCOVERY_QUERY_TAGS).map(nilAttr),
  });
}

/**
 * DevAttrReg of an initiator node, no key (open-iscsi discovery_isns_reg_node): the
 * server creates an entity for it. Operating: iSCSI Name + Node Type initiator.
 */
export function devAttrRegInitiator(xid: number, name: string): IsnsMessage {
  return buildRequest({
    func: ISNS_FUNC.DevAttrReg, xid, source: stringAttr(ISNS_TAG.ISCSI_NAME, name), keys: [],
    operating: [stringAttr(ISNS_TAG.ISCSI_NAME, name), u32Attr(ISNS_TAG.ISCSI_NODE_TYPE, 2)],
  });
}

/** A portal to register (§6.3): where SCNs and ESIs reach us. */
export interface IsnsPortalReg {
  readonly address: string;
  readonly port: number;
  readonly udp?: boolean;
  readonly esiInterval?: number;
  readonly esiPort?: IsnsPort;
  readonly scnPort?: IsnsPort;
}

/**
 * DevAttrReg of a whole entity (open-iscsi discoveryd, reference §3.6): key EID,
 * operating EID + protocol iSCSI + registration period, each portal (IPv4-mapped) with
 * its ESI/SCN ports, each node with its type. `replace` sets the Replace flag.
 */
export function devAttrRegEntity(xid: number, r: {
  source: string; eid: string; periodSec?: number; portals: readonly IsnsPortalReg[]; nodes: readonly { name: string; type: number }[]; replace?: boolean;
}): IsnsMessage {
  const portalAttrs = r.portals.flatMap((p) => [
    ipAttr(ISNS_TAG.PORTAL_IP_ADDRESS, p.address), portAttr(ISNS_TAG.PORTAL_PORT, p.port, p.udp ?? false),
    ...(p.esiInterval === undefined ? [] : [u32Attr(ISNS_TAG.ESI_INTERVAL, p.esiInterval)]),
    ...(p.esiPort === undefined ? [] : [portAttr(ISNS_TAG.ESI_PORT, p.esiPort.port, p.esiPort.udp)]),
    ...(p.scnPort === undefined ? [] : [portAttr(ISNS_TAG.SCN_PORT, p.scnPort.port, p.scnPort.udp)]),
  ]);
  return buildRequest({
    func: ISNS_FUNC.DevAttrReg, xid, source: stringAttr(ISNS_TAG.ISCSI_NAME, r.source), replace: r.replace ?? false,
    keys: [stringAttr(ISNS_TAG.ENTITY_IDENTIFIER, r.eid)],
    operating: [
      stringAttr(ISNS_TAG.ENTITY_IDENTIFIER, r.eid), u32Attr(ISNS_TAG.ENTITY_PROTOCOL, ISNS_ENTITY_PROTOCOL.ISCSI),
      ...(r.periodSec === undefined ? [] : [u32Attr(ISNS_TAG.REGISTRATION_PERIOD, r.periodSec)]),
      ...portalAttrs,
      ...r.nodes.flatMap((n) => [stringAttr(ISNS_TAG.ISCSI_NAME, n.name), u32Attr(ISNS_TAG.ISCSI_NODE_TYPE, n.type)]),
    ],
  });
}

/** DevDereg of a whole entity by EID (§5.6.5.4). */
export function devDeregEntity(xid: number, source: string, eid: string): IsnsMessage {
  return buildRequest({
    func: ISNS_FUNC.DevDereg, xid, source: stringAttr(ISNS_TAG.ISCSI_NAME, source), keys: [],
    operating: [stringAttr(ISNS_TAG.ENTITY_IDENTIFIER, eid)],
  });
}

/** DevDereg of an iSCSI node by name (open-iscsi discovery_isns_reg_node(iname, 0)). */
export function devDeregNode(xid: number, name: string): IsnsMessage {
  return buildRequest({
    func: ISNS_FUNC.DevDereg, xid, source: stringAttr(ISNS_TAG.ISCSI_NAME, name), keys: [],
    operating: [stringAttr(ISNS_TAG.ISCSI_NAME, name)],
  });
}

/** SCNReg for a node (§5.6.5.5): key iSCSI Name, operating SCN Bitmap. */
export function scnReg(xid: number, name: string, bitmap: number): IsnsMessage {
  return buildRequest({
    func: ISNS_FUNC.SCNReg, xid, source: stringAttr(ISNS_TAG.ISCSI_NAME, name),
    keys: [stringAttr(ISNS_TAG.ISCSI_NAME, name)], operating: [u32Attr(ISNS_TAG.ISCSI_SCN_BITMAP, bitmap)],
  });
}

/**
 * DevGetNext (§5.6.5.3): iterate objects of the key's type. Key NIL = the first object,
 * else the object after the given key; the walk ends with status 9 (No Such Entry).
 */
export function devGetNext(xid: number, sourceName: string, key: IsnsAttr, operating: readonly IsnsAttr[] = []): IsnsMessage {
  return buildRequest({ func: ISNS_FUNC.DevGetNext, xid, source: stringAttr(ISNS_TAG.ISCSI_NAME, sourceName), keys: [key], operating });
}

/** A server Heartbeat (§5.6.5.14): not TLVs. Initiators may ignore it. */
export interface IsnsHeartbeat {
  readonly address: Buffer;
  readonly tcpPort: number;
  readonly udpPort: number;
  readonly interval: number;
  readonly counter: number;
}

/** Decode a Heartbeat payload: address[16], TCP port u16, UDP port u16, interval u32, counter u32. */
export function parseHeartbeat(m: IsnsMessage): IsnsHeartbeat {
  if (m.payload.length < 28) throw isnsProtocolError('ISNS_TRUNCATED', `heartbeat payload is ${m.payload.length} bytes, needs 28`, 'heartbeat');
  const p = m.payload;
  return { address: Buffer.from(p.subarray(0, 16)), tcpPort: p.readUInt16BE(16), udpPort: p.readUInt16BE(18), interval: p.readUInt32BE(20), counter: p.readUInt32BE(24) };
}

/** A decoded response (§5.7). */
export interface IsnsResponse {
  /** The request function this answers (response id without 0x8000). */
  readonly func: number;
  readonly xid: number;
  readonly status: number;
  readonly keys: readonly IsnsAttr[];
  readonly operating: readonly IsnsAttr[];
}

/**
 * Decode a response message. A payload of only the status is valid (errors, and what
 * isnsd sends for a DevGetNext end of list).
 * @throws ProtocolError ISNS_NOT_RESPONSE / ISNS_TRUNCATED / ISNS_BAD_LENGTH
 */
export function parseResponse(m: IsnsMessage): IsnsResponse {
  const where = `response 0x${m.func.toString(16)}`;
  if ((m.func & ISNS_RESPONSE_BIT) === 0) throw isnsProtocolError('ISNS_NOT_RESPONSE', `function 0x${m.func.toString(16)} is not a response`, `${where} header.func`);
  if (m.payload.length < 4) throw isnsProtocolError('ISNS_TRUNCATED', 'response has no status word', `${where} status`);
  const status = m.payload.readUInt32BE(0);
  const attrs = decodeAttrs(m.payload.subarray(4), where);
  const d = attrs.findIndex((a) => a.tag === ISNS_TAG.DELIMITER);
  return {
    func: m.func & ~ISNS_RESPONSE_BIT, xid: m.xid, status,
    keys: d < 0 ? attrs : attrs.slice(0, d), operating: d < 0 ? [] : attrs.slice(d + 1),
  };
}

/** Attributes of a server-originated message (SCN, ESI: no source, no delimiter). */
export function parseServerMessage(m: IsnsMessage): IsnsAttr[] {
  return decodeAttrs(m.payload, `server message 0x${m.func.toString(16)}`);
}

/** A response to a server message: status + attributes, client flag (as open-isns). */
export function buildServerReply(m: IsnsMessage, status: number, attrs: readonly IsnsAttr[]): IsnsMessage {
  const st = Buffer.alloc(4);
  st.writeUInt32BE(status);
  return {
    func: m.func | ISNS_RESPONSE_BIT, xid: m.xid,
    flags: ISNS_FLAG.CLIENT | ISNS_FLAG.FIRST_PDU | ISNS_FLAG.LAST_PDU,
    payload: Buffer.concat([st, encodeAttrs(attrs)]),
  };
}

/** SCN reply (§5.7.5.8): status 0 + the destination iSCSI Name (the first attribute). */
export function scnReply(m: IsnsMessage): IsnsMessage {
  const attrs = parseServerMessage(m);
  const dest = attrs.find((a) => a.tag === ISNS_TAG.ISCSI_NAME);
  if (!dest) return buildServerReply(m, ISNS_STATUS.MSG_FORMAT_ERROR, []);
  return buildServerReply(m, ISNS_STATUS.SUCCESS, [dest]);
}

/** ESI reply (§5.7.5.13): status 0 + the attributes of the ESI, echoed. */
export function esiReply(m: IsnsMessage): IsnsMessage {
  return buildServerReply(m, ISNS_STATUS.SUCCESS, parseServerMessage(m));
}
