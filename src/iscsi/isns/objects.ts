/**
 * Objects in a query response (RFC 4171 §5.7.5.2): the operating attributes are a flat
 * list where each object starts at its key tag (1 entity, 16 portal, 32 iSCSI node,
 * 48 portal group); the rest of its attributes follow. open-iscsi uses only the Portal
 * Group objects to build node records (reference boot-and-isns.md §3.6 step 5).
 */
import { readIp, readPort, readString, readU32, readU64, type IsnsAttr } from './attrs.js';
import { ISNS_TAG } from './constants.js';

/** The object kinds an initiator meets. */
export type IsnsObjectKind = 'entity' | 'portal' | 'node' | 'portal-group';

/** One object of a response: its kind and attributes (key first). */
export interface IsnsObject {
  readonly kind: IsnsObjectKind;
  readonly attrs: readonly IsnsAttr[];
}

const START_TAGS: ReadonlyMap<number, IsnsObjectKind> = new Map([
  [ISNS_TAG.ENTITY_IDENTIFIER, 'entity'],
  [ISNS_TAG.PORTAL_IP_ADDRESS, 'portal'],
  [ISNS_TAG.ISCSI_NAME, 'node'],
  [ISNS_TAG.PG_ISCSI_NAME, 'portal-group'],
]);

/** Split operating attributes into objects; attributes before the first key are dropped. */
export function splitObjects(attrs: readonly IsnsAttr[]): IsnsObject[] {
  const out: { kind: IsnsObjectKind; attrs: IsnsAttr[] }[] = [];
  for (const a of attrs) {
    const kind = START_TAGS.get(a.tag);
    // The portal's port (17) follows its IP (16); a PG's 49/50 follow 48: same object.
    if (kind !== undefined) out.push({ kind, attrs: [a] });
    else out.at(-1)?.attrs.push(a);
  }
  return out;
}

/** A portal group: the iSCSI target name, portal and PGT used for login. */
export interface IsnsPortalGroup {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly tag: number;
}

/** A storage node. */
export interface IsnsNode {
  readonly name: string;
  readonly type: number;
  readonly alias?: string;
}

const first = (o: IsnsObject, tag: number): IsnsAttr | undefined => o.attrs.find((a) => a.tag === tag && a.value.length > 0);

/**
 * The usable portal groups of a response: name, address, port and a non-NIL PGT all
 * present (a NIL PGT means "no login through this portal", RFC 4171 §6.6.5).
 */
export function portalGroupsOf(objects: readonly IsnsObject[]): IsnsPortalGroup[] {
  const out: IsnsPortalGroup[] = [];
  for (const o of objects) {
    if (o.kind !== 'portal-group') continue;
    const name = first(o, ISNS_TAG.PG_ISCSI_NAME);
    const ip = first(o, ISNS_TAG.PG_PORTAL_IP_ADDR);
    const port = first(o, ISNS_TAG.PG_PORTAL_PORT);
    const tag = first(o, ISNS_TAG.PG_TAG);
    if (!name || !ip || !port || !tag) continue;
    out.push({ name: readString(name), address: readIp(ip), port: readPort(port).port, tag: readU32(tag) });
  }
  return out;
}

/** The storage nodes of a response. */
export function nodesOf(objects: readonly IsnsObject[]): IsnsNode[] {
  return objects.flatMap((o): IsnsNode[] => {
    if (o.kind !== 'node') return [];
    const type = first(o, ISNS_TAG.ISCSI_NODE_TYPE);
    const alias = first(o, ISNS_TAG.ISCSI_ALIAS);
    return [{ name: readString(o.attrs[0]!), type: type ? readU32(type) : 0, ...(alias ? { alias: readString(alias) } : {}) }];
  });
}

/** A decoded SCN (§5.6.5.8): destination, timestamp, then bitmap + changed object per event. */
export interface IsnsScn {
  readonly destination: string;
  readonly timestamp?: bigint;
  readonly events: readonly { readonly bitmap: number; readonly attrs: readonly IsnsAttr[] }[];
}

/** Decode the attributes of an SCN message. */
export function parseScn(attrs: readonly IsnsAttr[]): IsnsScn {
  const dest = attrs[0] && attrs[0].tag === ISNS_TAG.ISCSI_NAME ? readString(attrs[0]) : '';
  let timestamp: bigint | undefined;
  const events: { bitmap: number; attrs: IsnsAttr[] }[] = [];
  for (const a of attrs.slice(dest ? 1 : 0)) {
    if (a.tag === ISNS_TAG.TIMESTAMP && events.length === 0) timestamp = readU64(a);
    else if (a.tag === ISNS_TAG.ISCSI_SCN_BITMAP) events.push({ bitmap: readU32(a), attrs: [] });
    else events.at(-1)?.attrs.push(a);
  }
  return { destination: dest, ...(timestamp === undefined ? {} : { timestamp }), events };
}
