/**
 * Endpoint, host, CHAP, flashnode, path, iface and ping requests of the fake
 * kernel (scsi_transport_iscsi.c semantics: a driver without the operation
 * answers -ENOSYS, except EP_*, TGT_DSCVR and GET_CHAP which answer -EINVAL;
 * an unknown host is -ENODEV).
 */
import { rd16, rd32, rdStr, u16, u32, u64, u8, raw, struct, uevent } from './dsl.js';
import { retcode, setR, uf16, uf32, uf64, type Handler } from './fields.js';
import type { FakeKernel, Req } from './kernel.js';
import { E, T, type FakeHost, type FakeOp } from './types.js';

const has = (q: Req, op: FakeOp): boolean => q.transport.ops.includes(op);

/** A sockaddr_in (16) or sockaddr_in6 (28) must follow; the kernel only checks rlen >= 16. */
function checkSockaddr(k: FakeKernel, q: Req, what: string): number {
  if (q.rlen < 16) return -E.EINVAL;
  const family = rd16(q.payload, 0);
  const need = family === 2 ? 16 : family === 10 ? 28 : -1;
  if (need < 0 || q.rlen !== need) k.violations.push(`${what}: family ${family} with ${q.rlen} address bytes`);
  return 0;
}

/** Parses nlattrs: nla_len u16, nla_type u16, data, 4-byte aligned. */
export function parseAttrs(k: FakeKernel, buf: Buffer, what: string): { type: number; data: Buffer }[] {
  const out: { type: number; data: Buffer }[] = [];
  let at = 0;
  while (at + 4 <= buf.length) {
    const len = rd16(buf, at);
    if (len < 4 || at + len > buf.length) {
      k.violations.push(`${what}: bad nla_len ${len} at ${at}`);
      break;
    }
    out.push({ type: rd16(buf, at + 2), data: buf.subarray(at + 4, at + len) });
    at += (len + 3) & ~3;
  }
  return out;
}

function host(k: FakeKernel, hostNo: number): FakeHost | undefined {
  return k.hosts.get(hostNo);
}

/** -ENOSYS without the op, -ENODEV without the host, else the host. */
function opHost(k: FakeKernel, q: Req, op: FakeOp, at = 16): FakeHost | number {
  if (!has(q, op)) return -E.ENOSYS;
  return host(k, uf32(q, at)) ?? -E.ENODEV;
}

function epConnect(k: FakeKernel, q: Req, throughHost: boolean): number {
  if (!has(q, 'epConnect')) return -E.EINVAL;
  const bad = checkSockaddr(k, q, 'EP_CONNECT');
  if (bad !== 0) return bad;
  const hostNo = throughHost ? uf32(q, 16) : undefined;
  if (hostNo !== undefined && !k.hosts.has(hostNo)) return -E.ENODEV;
  const handle = k.allocEp();
  k.endpoints.set(handle, { handle, transport: q.transport.name, hostNo, address: Buffer.from(q.payload.subarray(0, q.rlen)), nonBlocking: uf32(q, throughHost ? 20 : 16) === 1 });
  q.ev.writeBigUInt64LE(handle, 40);
  return 0;
}

function setHostParam(k: FakeKernel, q: Req): number {
  if (!has(q, 'setHostParam')) return -E.ENOSYS;
  const len = uf32(q, 24);
  if (len > q.rlen || len > 4096) return -E.EINVAL;
  const h = host(k, uf32(q, 16));
  if (h === undefined) return -E.ENODEV;
  const value = rdStr(q.payload, 0, len);
  if (value.length > len) return -E.EINVAL;
  if (len === 0 || q.payload[len - 1] !== 0) k.violations.push(`SET_HOST_PARAM: len ${len} is not strlen + 1`);
  h.params.set(uf32(q, 20), value);
  return 0;
}

function setIfaceParams(k: FakeKernel, q: Req): number {
  const h = opHost(k, q, 'setIfaceParam');
  if (typeof h === 'number') return h;
  const attrs = parseAttrs(k, q.payload.subarray(0, q.rlen), 'SET_IFACE_PARAMS');
  if (attrs.length !== uf32(q, 20)) k.violations.push(`SET_IFACE_PARAMS count ${uf32(q, 20)} but ${attrs.length} attributes`);
  for (const a of attrs) {
    const len = rd32(a.data, 4);
    if (a.data.length !== 12 + len) k.violations.push(`SET_IFACE_PARAMS: iscsi_iface_param_info len ${len} vs ${a.data.length - 12} value bytes`);
    h.ifaceParams.push({ ifaceNum: rd32(a.data, 0), param: rd16(a.data, 8), ifaceType: a.data[10] ?? 0, paramType: a.data[11] ?? 0, value: Buffer.from(a.data.subarray(12)) });
  }
  return 0;
}

/** iscsi_param_info attributes as {param, value}. */
function paramInfos(k: FakeKernel, q: Req, what: string): { param: number; value: Buffer }[] {
  return parseAttrs(k, q.payload.subarray(0, q.rlen), what).map((a) => {
    const len = rd32(a.data, 0);
    if (a.data.length !== 6 + len) k.violations.push(`${what}: iscsi_param_info len ${len} vs ${a.data.length - 6} value bytes`);
    return { param: rd16(a.data, 4), value: Buffer.from(a.data.subarray(6, 6 + len)) };
  });
}

function setChap(k: FakeKernel, q: Req): number {
  const h = opHost(k, q, 'chap');
  if (typeof h === 'number') return h;
  const p = new Map(paramInfos(k, q, 'SET_CHAP').map((x) => [x.param, x.value]));
  const idx = p.get(0);
  if (idx === undefined) return -E.EINVAL;
  const password = p.get(3) ?? Buffer.alloc(0);
  const plen = p.get(4)?.[0] ?? password.length;
  h.chap.set(rd16(idx, 0), { type: p.get(1)?.[0] ?? 0, username: rdStr(p.get(2) ?? Buffer.alloc(0), 0, 256), password: Buffer.from(password.subarray(0, plen)) });
  return 0;
}

/** GET_CHAP: multicast uevent (u.get_chap.num_entries = valid entries) + requested × 524 bytes. */
function getChap(k: FakeKernel, q: Req): number | 'multicast' {
  if (!has(q, 'chap')) return -E.EINVAL;
  const hostNo = uf32(q, 16);
  const h = host(k, hostNo);
  if (h === undefined) return -E.ENODEV;
  const requested = uf32(q, 20);
  const from = uf16(q, 24);
  const entries = [...h.chap.entries()].filter(([i]) => i >= from).sort(([a], [b]) => a - b).slice(0, requested);
  const recs = entries.map(([i, e]) => struct(524, u16(0, i), u32(4, e.type), raw(8, Buffer.from(e.username, 'latin1')), raw(264, e.password), u8(520, e.password.length)));
  const data = Buffer.concat([...recs, Buffer.alloc((requested - recs.length) * 524)]);
  k.multicast(uevent(u32(0, T.GET_CHAP), u64(8, q.transport.handle), u32(16, hostNo), u32(20, recs.length), u16(24, from)), data);
  return 'multicast';
}

function flashnode(k: FakeKernel, q: Req, fn: (h: FakeHost, idx: number) => number): number {
  const h = opHost(k, q, 'flashnode');
  if (typeof h === 'number') return h;
  const idx = uf32(q, 20);
  if (!h.flashnodes.has(idx)) return -E.ENODEV;
  return fn(h, idx);
}

export const HOST_HANDLERS: Readonly<Record<number, Handler>> = {
  [T.EP_CONNECT]: (k, q) => epConnect(k, q, false),
  [T.EP_CONNECT_THROUGH_HOST]: (k, q) => epConnect(k, q, true),
  [T.EP_POLL]: (k, q) => {
    if (!has(q, 'epConnect')) return -E.EINVAL;
    if (!k.endpoints.has(uf64(q, 16))) return -E.EINVAL;
    return retcode(q, k.pollResults.shift() ?? 1);
  },
  [T.EP_DISCONNECT]: (k, q) => {
    if (!has(q, 'epConnect')) return -E.EINVAL;
    return k.endpoints.delete(uf64(q, 16)) ? 0 : -E.EINVAL;
  },
  [T.TGT_DSCVR]: (k, q) => {
    if (q.rlen < 16 || !has(q, 'tgtDscvr')) return -E.EINVAL;
    if (!k.hosts.has(uf32(q, 20))) return -E.ENODEV;
    if (uf32(q, 16) < 1 || uf32(q, 16) > 3) k.violations.push(`TGT_DSCVR type ${uf32(q, 16)}`);
    return checkSockaddr(k, q, 'TGT_DSCVR');
  },
  [T.SET_HOST_PARAM]: setHostParam,
  [T.PATH_UPDATE]: (k, q) => {
    if (q.rlen < 64) return -E.EINVAL;
    const h = opHost(k, q, 'setPath');
    if (typeof h === 'number') return h;
    h.paths.push(Buffer.from(q.payload.subarray(0, 64)));
    return 0;
  },
  [T.SET_IFACE_PARAMS]: setIfaceParams,
  [T.PING]: (k, q) => {
    if (q.rlen < 16) return -E.EINVAL;
    const h = opHost(k, q, 'ping');
    if (typeof h === 'number') return h;
    checkSockaddr(k, q, 'PING');
    const pingId = uf32(q, 32);
    k.after(() => k.pingComp(h.hostNo, 0, pingId, Buffer.alloc(0), q.transport.name));
    return 0;
  },
  [T.GET_CHAP]: getChap,
  [T.DELETE_CHAP]: (k, q) => {
    const h = opHost(k, q, 'chap');
    if (typeof h === 'number') return h;
    return h.chap.delete(uf16(q, 20)) ? 0 : -E.EINVAL;
  },
  [T.SET_CHAP]: setChap,
  [T.NEW_FLASHNODE]: (k, q) => {
    const h = opHost(k, q, 'flashnode');
    if (typeof h === 'number') return h;
    const len = uf32(q, 20);
    const portalType = rdStr(q.payload, 0, Math.min(len, q.rlen));
    if (portalType !== 'ipv4' && portalType !== 'ipv6') return -E.EIO;
    const idx = Math.max(-1, ...h.flashnodes.keys()) + 1;
    h.flashnodes.set(idx, { portalType, params: new Map(), loggedIn: false });
    setR(q, 40, idx);
    return 0;
  },
  [T.SET_FLASHNODE_PARAMS]: (k, q) => flashnode(k, q, (h, idx) => {
    const infos = paramInfos(k, q, 'SET_FLASHNODE_PARAMS');
    if (infos.length !== uf32(q, 24)) k.violations.push(`SET_FLASHNODE_PARAMS count ${uf32(q, 24)} but ${infos.length} attributes`);
    for (const p of infos) h.flashnodes.get(idx)?.params.set(p.param, p.value);
    return 0;
  }),
  [T.DEL_FLASHNODE]: (k, q) => flashnode(k, q, (h, idx) => {
    h.flashnodes.delete(idx);
    return 0;
  }),
  [T.LOGIN_FLASHNODE]: (k, q) => flashnode(k, q, (h, idx) => {
    const f = h.flashnodes.get(idx);
    if (f !== undefined) f.loggedIn = true;
    return 0;
  }),
  [T.LOGOUT_FLASHNODE]: (k, q) => flashnode(k, q, (h, idx) => {
    const f = h.flashnodes.get(idx);
    if (f !== undefined) f.loggedIn = false;
    return 0;
  }),
  [T.LOGOUT_FLASHNODE_SID]: (k, q) => {
    const h = opHost(k, q, 'flashnode');
    if (typeof h === 'number') return h;
    return k.sessions.delete(uf32(q, 20)) ? 0 : -E.EINVAL;
  },
  [T.GET_HOST_STATS]: (k, q) => {
    const h = opHost(k, q, 'hostStats');
    if (typeof h === 'number') return h;
    k.multicast(uevent(u32(0, T.GET_HOST_STATS), u64(8, q.transport.handle), u32(16, h.hostNo)), h.stats ?? Buffer.alloc(664));
    return 'multicast';
  },
};
