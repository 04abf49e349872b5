/**
 * iSNSP codec (RFC 4171) against golden bytes captured from real peers (open-iscsi
 * 2.1.8 iscsiadm, open-isns 0.101 isnsd: reference boot-and-isns.md §3.8,
 * isns-golden.json, isns-loopback-tcp3205.pcap) and the independent builder in
 * test/support/isns-builder.ts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  devAttrQry, devAttrRegInitiator, devDeregNode, encodeMessageBytes, esiReply, IsnsFramer, ipAttr, isnsStatusText,
  nodesOf, parseResponse, parseScn, parseServerMessage, portalGroupsOf, readIp, readPort, scnReg, scnReply, splitObjects,
  stringAttr, encodeMessage, ISNS_FUNC, devAttrRegEntity, devDeregEntity, devGetNext, nilAttr, parseHeartbeat, type IsnsMessage,
} from '../../../src/iscsi/isns/index.js';
import { ip4, multiPdu, pdu, status, str, u32, tlv } from '../../support/isns-builder.js';
import { readPcapTcp } from '../../support/pcap.js';

const REF = '/work/shared/reference/boot-and-isns';
interface Exchange { name: string; request_hex: string; response_hex: string }
const golden = (JSON.parse(readFileSync(`${REF}/isns-golden.json`, 'utf8')) as { exchanges: Exchange[] }).exchanges;
const ex = (prefix: string): Exchange => {
  const e = golden.find((x) => x.name.startsWith(prefix));
  if (!e) throw new Error(`no golden exchange '${prefix}'`);
  return e;
};
const hex = (m: IsnsMessage): string => encodeMessageBytes(m).toString('hex');
const one = (bytes: Buffer): IsnsMessage => {
  const ms = new IsnsFramer().push(bytes);
  expect(ms).toHaveLength(1);
  return ms[0]!;
};

const OISCSI = 'iqn.2024-01.test.tsiscsi:oiscsi';
const SCNINIT = 'iqn.2024-01.test.tsiscsi:scninit';
const T1 = 'iqn.2024-01.test.tsiscsi:target1';
const T2 = 'iqn.2024-01.test.tsiscsi:target2';

describe('requests are byte-identical to open-iscsi 2.1.8 / libisns', () => {
  it('DevAttrQry as sent by the real iscsiadm -m discovery -t isns', () => {
    expect(hex(devAttrQry(1, OISCSI))).toBe(ex('DevAttrQry as sent by iscsiadm').request_hex);
  });
  it('DevAttrReg of the initiator node (no key), re-query and DevDereg (register-on-Source-Unknown path)', () => {
    expect(hex(devAttrRegInitiator(1, OISCSI))).toBe(ex('DevAttrReg as open-iscsi').request_hex);
    expect(hex(devAttrQry(2, OISCSI))).toBe(ex('DevAttrQry after registration').request_hex);
    expect(hex(devDeregNode(3, OISCSI))).toBe(ex('DevDereg as open-iscsi').request_hex);
  });
  it('DevAttrReg of entity + portal (ESI/SCN ports) + initiator node with Replace, as discoveryd registers', () => {
    const m = devAttrRegEntity(0x65, {
      source: SCNINIT, eid: 'tsiscsi.test.entity1', periodSec: 600, replace: true,
      portals: [{ address: '127.0.0.1', port: 0xbdcb, udp: true, esiInterval: 60, esiPort: { port: 0x83a7, udp: false }, scnPort: { port: 0xbdcb, udp: true } }],
      nodes: [{ name: SCNINIT, type: 2 }],
    });
    expect(hex(m)).toBe(ex('DevAttrReg(entity+portal+initiator, Replace)').request_hex);
    expect(hex(devDeregEntity(0x67, SCNINIT, 'tsiscsi.test.entity1'))).toBe(ex('DevDereg(EID)').request_hex);
  });
  it('SCNReg with bitmap 0x5C', () => {
    expect(hex(scnReg(0x66, SCNINIT, 0x5c))).toBe(ex('SCNReg').request_hex);
  });
  it('DevGetNext: NIL key starts the walk, the last name continues it (isnsadm --list nodes)', () => {
    expect(hex(devGetNext(1, 'iqn.2024-01.test.tsiscsi:pyinit', nilAttr(32)))).toBe(ex('DevGetNext (first').request_hex);
    expect(hex(devGetNext(2, T1, stringAttr(32, T1)))).toBe(ex('DevGetNext end of list').request_hex);
  });
  it('Heartbeat payload (not TLVs) decodes; a short one is a typed error', () => {
    const payload = [...new Array<number>(10).fill(0), 255, 255, 127, 0, 0, 1, 0x0c, 0x85, 0x0c, 0x85, 0, 0, 0, 60, 0, 0, 0, 7];
    const m = one(pdu({ func: 0x000e, flags: 0x4c00, xid: 0 }, payload));
    expect(parseHeartbeat(m)).toMatchObject({ tcpPort: 3205, udpPort: 3205, interval: 60, counter: 7 });
    expect(() => parseHeartbeat({ ...m, payload: m.payload.subarray(0, 24) })).toThrow(expect.objectContaining({ code: 'ISNS_TRUNCATED' }));
  });
  it('DevAttrQry keyed by one target name (builder)', () => {
    const want = pdu({ func: 2, flags: 0x8c00, xid: 7 }, [...str(32, OISCSI), ...str(32, T1), ...tlv(0), ...[32, 33, 16, 17, 48, 49, 50, 51].flatMap((t) => tlv(t))]);
    expect(encodeMessageBytes(devAttrQry(7, OISCSI, { target: T1 }))).toEqual(want);
  });
});

describe('responses from isnsd decode', () => {
  it('one target: portal group 127.0.0.1:3260 PGT 1 from IPv4-compatible addresses', () => {
    const r = parseResponse(one(Buffer.from(ex('DevAttrQry as sent by iscsiadm').response_hex, 'hex')));
    expect(r).toMatchObject({ func: ISNS_FUNC.DevAttrQry, xid: 1, status: 0 });
    const objects = splitObjects(r.operating);
    expect(objects.map((o) => o.kind)).toEqual(['node', 'portal', 'portal-group']);
    expect(portalGroupsOf(objects)).toEqual([{ name: T1, address: '127.0.0.1', port: 3260, tag: 1 }]);
    expect(nodesOf(objects)).toEqual([{ name: T1, type: 1 }]);
  });
  it('two targets after registration', () => {
    const r = parseResponse(one(Buffer.from(ex('DevAttrQry after registration').response_hex, 'hex')));
    expect(portalGroupsOf(splitObjects(r.operating))).toEqual([
      { name: T1, address: '127.0.0.1', port: 3260, tag: 1 },
      { name: T2, address: '127.0.0.1', port: 3261, tag: 1 },
    ]);
  });
  it('DevDereg / SCNReg responses are status + delimiter; DevGetNext end of list is status 9 alone', () => {
    expect(parseResponse(one(Buffer.from(ex('DevDereg as open-iscsi').response_hex, 'hex')))).toMatchObject({ status: 0, keys: [], operating: [] });
    expect(parseResponse(one(Buffer.from(ex('DevGetNext end of list').response_hex, 'hex')))).toMatchObject({ func: 3, status: 9, keys: [], operating: [] });
  });
  it('DevAttrReg response carries the registration period (7200) and the entity id', () => {
    const r = parseResponse(one(Buffer.from(ex('DevAttrReg as open-iscsi').response_hex, 'hex')));
    expect(r.status).toBe(0);
    const period = r.operating.find((a) => a.tag === 6)!;
    expect(period.value.readUInt32BE(0)).toBe(7200);
  });
  it('a version-2 header is refused with a typed error', () => {
    expect(() => new IsnsFramer().push(Buffer.from(ex('header with version=2').request_hex, 'hex'))).toThrow(expect.objectContaining({ code: 'ISNS_BAD_VERSION', errno: 25 }));
    expect(parseResponse(one(Buffer.from(ex('header with version=2').response_hex, 'hex'))).status).toBe(2);
  });
  it('PG with a NIL PGT or missing port is not a login portal (RFC 4171 §6.6.5)', () => {
    const payload = status(0, u32(33, 1), tlv(0), str(48, T1), ip4(49, '10.0.0.1', true), u32(50, 3260), tlv(51),
      str(48, T2), ip4(49, '10.0.0.2', true), u32(51, 5), str(48, T2), ip4(49, '10.0.0.3', false), u32(50, 0x10000 | 3262), u32(51, 7));
    const r = parseResponse(one(pdu({ func: 0x8002, flags: 0x4c00, xid: 1 }, payload)));
    expect(portalGroupsOf(splitObjects(r.operating))).toEqual([{ name: T2, address: '10.0.0.3', port: 3262, tag: 7 }]);
  });
});

describe('server messages (SCN, ESI) and our replies', () => {
  it('SCN reply = status 0 + destination name, as isnsd accepted', () => {
    const scn = one(Buffer.from(ex('SCN (server').request_hex, 'hex'));
    expect(hex(scnReply(scn))).toBe(ex('SCN (server').response_hex);
    const parsed = parseScn(parseServerMessage(scn));
    expect(parsed).toMatchObject({ destination: SCNINIT, timestamp: 1795248833n });
    expect(parsed.events).toHaveLength(1);
    expect(parsed.events[0]!.bitmap).toBe(0x0c);
  });
  it('ESI reply echoes the attributes with status 0', () => {
    const esi = one(Buffer.from(ex('ESI (server').request_hex, 'hex'));
    expect(hex(esiReply(esi))).toBe(ex('ESI (server').response_hex);
  });
});

describe('multi-PDU messages (RFC 4171 §5.3)', () => {
  const payload = status(0, u32(33, 1), tlv(0), str(32, T1), u32(33, 1), str(48, T1), ip4(49, '127.0.0.1', true), u32(50, 3260), u32(51, 1));
  it('reassembles a response split into 3 PDUs (FIRST on seq 0, LAST on the last)', () => {
    const m = one(multiPdu({ func: 0x8002, flags: 0x4000, xid: 9 }, payload, 3));
    expect(m.payload).toEqual(Buffer.from(payload));
    expect(portalGroupsOf(splitObjects(parseResponse(m).operating))).toHaveLength(1);
  });
  it('our encoder splits, and the framer puts back, a message larger than one PDU', () => {
    const m = devAttrQry(5, OISCSI);
    const pdus = encodeMessage(m, 16);
    expect(pdus.length).toBe(Math.ceil(m.payload.length / 16));
    expect(pdus[0]![0]!.readUInt16BE(6)).toBe(0x8400);
    expect(pdus.at(-1)![0]!.readUInt16BE(6)).toBe(0x8800);
    expect(new IsnsFramer().push(Buffer.concat(pdus.flat()))).toEqual([{ ...m, flags: 0x8000 }]);
  });
  it('out-of-order sequence ids are a typed error', () => {
    const bytes = multiPdu({ func: 0x8002, flags: 0x4000, xid: 9 }, payload, 3);
    const first = bytes.subarray(0, 12 + bytes.readUInt16BE(4));
    const f = new IsnsFramer();
    f.push(first);
    expect(() => f.push(first)).toThrow(expect.objectContaining({ code: 'ISNS_BAD_SEQUENCE' }));
  });
});

describe('attribute values', () => {
  it('IPv4 encodes as IPv4-mapped by default; both forms decode to the dotted quad', () => {
    expect(ipAttr(16, '127.0.0.1').value).toEqual(Buffer.from(ip4(16, '127.0.0.1', true).slice(8)));
    expect(ipAttr(16, '127.0.0.1', 'compatible').value).toEqual(Buffer.from(ip4(16, '127.0.0.1', false).slice(8)));
    expect(readIp({ tag: 16, value: Buffer.from(ip4(16, '10.1.2.3', false).slice(8)) })).toBe('10.1.2.3');
    expect(readIp(ipAttr(16, '::1'))).toBe('::1');
    expect(readIp(ipAttr(16, '2001:db8::10'))).toBe('2001:db8::10');
    expect(readIp(ipAttr(16, 'fe80::1:2:3:4'))).toBe('fe80::1:2:3:4');
  });
  it('strings are NUL-terminated and padded (32 chars → length 36)', () => {
    expect(stringAttr(32, T1).value.length).toBe(36);
    expect(stringAttr(32, OISCSI).value.length).toBe(32);
  });
  it('port attributes: bit 16 is UDP', () => {
    expect(readPort({ tag: 17, value: Buffer.from([0, 1, 0xbd, 0xcb]) })).toEqual({ port: 0xbdcb, udp: true });
  });
  it('status texts are libisns isns_strerror', () => {
    expect(isnsStatusText(0)).toBe('Success');
    expect(isnsStatusText(6)).toBe('Source unknown');
    expect(isnsStatusText(11)).toBe('Internal error');
    expect(isnsStatusText(4)).toBe('Unknown iSNS status code');
    expect(isnsStatusText(99)).toBe('Unknown iSNS status code');
  });
});

describe('the reference capture (tcpdump on lo:3205)', () => {
  it('every TCP stream of the pcap decodes into whole messages; every response parses', () => {
    const segs = readPcapTcp(`${REF}/isns-loopback-tcp3205.pcap`);
    const framers = new Map<string, IsnsFramer>();
    let messages = 0;
    let responses = 0;
    for (const s of segs) {
      const id = `${s.src}:${s.srcPort}>${s.dst}:${s.dstPort}`;
      const f = framers.get(id) ?? new IsnsFramer();
      framers.set(id, f);
      if (s.payload.readUInt16BE(0) === 2) {
        // The capture includes the deliberate version-2 probe (golden "header with version=2").
        expect(() => new IsnsFramer().push(s.payload)).toThrow(expect.objectContaining({ code: 'ISNS_BAD_VERSION' }));
        continue;
      }
      for (const m of f.push(s.payload)) {
        messages++;
        if (m.func & 0x8000) {
          responses++;
          parseResponse(m);
        }
      }
    }
    for (const f of framers.values()) expect(f.buffered).toBe(0);
    expect(messages).toBeGreaterThan(4);
    expect(responses).toBeGreaterThan(1);
  });
});
