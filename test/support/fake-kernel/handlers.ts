/**
 * Session and connection requests of the fake kernel, following
 * scsi_transport_iscsi.c: what each request checks, what it answers in `r`, and
 * which errno it refuses with. A handler returns 0 (success: the uevent is echoed),
 * a negative errno (IF_ERROR), or 'multicast' when it already answered with data.
 */
import { rd32, rdStr, u32, u64, uevent } from './dsl.js';
import { retcode, setR, uf32, uf64, type Handler } from './fields.js';
import { HOST_HANDLERS } from './handlers-host.js';
import type { FakeKernel, Req } from './kernel.js';
import { E, T, type FakeConn, type FakeSession } from './types.js';

export type { Handler } from './fields.js';

function conn(k: FakeKernel, sid: number, cid: number): { s: FakeSession; c: FakeConn } | undefined {
  const s = k.sessions.get(sid);
  const c = s?.conns.get(cid);
  return s === undefined || c === undefined ? undefined : { s, c };
}

/** Shared by CREATE_SESSION and CREATE_BOUND_SESSION: r.c_session_ret {sid @40, host_no @44}. */
function createSession(k: FakeKernel, q: Req, hostNo: number, epHandle?: bigint): number {
  const sid = k.allocSid();
  const s: FakeSession = { sid, hostNo, transport: q.transport.name, creator: q.ch.pid, recoveryTmo: 120, state: 'FREE', conns: new Map(), epHandle };
  k.sessions.set(sid, s);
  if (!k.hosts.has(hostNo)) k.addHost(hostNo, q.transport.name);
  // iscsi_add_session multicasts KEVENT_CREATE_SESSION before the unicast reply goes out.
  k.createSessionEvent(sid, hostNo, q.transport.name);
  setR(q, 40, sid);
  setR(q, 44, hostNo);
  return 0;
}

function destroySession(k: FakeKernel, q: Req): number {
  const sid = uf32(q, 16);
  const s = k.sessions.get(sid);
  if (s === undefined) return -E.EINVAL;
  if (s.conns.size > 0) return -E.EBUSY;
  k.sessions.delete(sid);
  k.after(() => k.destroySessionEvent(sid, s.hostNo, s.transport));
  return 0;
}

/** Offload sessions live on the HBA's host; software ones get a host each. */
function hostForNewSession(k: FakeKernel, q: Req, epHandle?: bigint): number {
  const ep = epHandle === undefined ? undefined : k.endpoints.get(epHandle);
  if (ep?.hostNo !== undefined) return ep.hostNo;
  const hba = [...k.hosts.values()].find((h) => h.transport === q.transport.name && q.transport.ops.includes('setHostParam'));
  return hba?.hostNo ?? k.allocHostNo();
}

function bindConn(k: FakeKernel, q: Req): number {
  const found = conn(k, uf32(q, 16), uf32(q, 20));
  if (found === undefined) return -E.EINVAL;
  const { c } = found;
  if (c.cleanup) return retcode(q, -E.ENOTCONN);
  // After STOP_CONN(RECOVER) the connection is FAILED and iscsid binds the new socket to it
  // (iscsi_if_transport_conn BIND_CONN checks only the CLEANUP bit).
  if (c.state !== 'down' && c.state !== 'failed') k.violations.push(`BIND_CONN on connection ${found.s.sid}:${c.cid} in state ${c.state}`);
  const eph = uf64(q, 24);
  const isLeading = uf32(q, 32);
  if (isLeading > 1) k.violations.push(`BIND_CONN is_leading ${isLeading}`);
  if (q.transport.ops.includes('epConnect') && !k.endpoints.has(eph)) return retcode(q, -E.EINVAL);
  if (!q.transport.ops.includes('epConnect') && eph > 0x7fffffffn) return retcode(q, -E.EINVAL);
  c.transportEph = eph;
  c.isLeading = isLeading === 1;
  c.state = 'bound';
  return 0;
}

function setParam(k: FakeKernel, q: Req): number {
  const len = uf32(q, 28);
  if (len > q.rlen || len > 4096) return -E.EINVAL;
  const found = conn(k, uf32(q, 16), uf32(q, 20));
  if (found === undefined) return -E.EINVAL;
  const value = rdStr(q.payload, 0, len);
  if (len === 0 || q.payload[len - 1] !== 0 || value.length !== len - 1) {
    k.violations.push(`SET_PARAM ${uf32(q, 24)}: len ${len} is not strlen + 1 of a NUL-terminated value`);
  }
  const param = uf32(q, 24);
  if (param === 19) {
    found.s.recoveryTmo = Number.parseInt(value, 10);
    return 0;
  }
  if (found.c.state !== 'bound' && found.c.state !== 'up') return -E.ENOTCONN;
  found.c.params.set(param, value);
  return 0;
}

function startConn(k: FakeKernel, q: Req): number {
  const sid = uf32(q, 16);
  const cid = uf32(q, 20);
  const found = conn(k, sid, cid);
  if (found === undefined) return -E.EINVAL;
  if (found.c.cleanup) return retcode(q, -E.ENOTCONN);
  if (found.c.state !== 'bound') {
    k.violations.push(`START_CONN on connection ${sid}:${cid} in state ${found.c.state} (needs BIND_CONN first)`);
    return retcode(q, -E.EINVAL);
  }
  found.c.state = 'up';
  found.s.state = 'LOGGED_IN';
  if (q.transport.ops.includes('loginOffload')) k.after(() => k.connLoginState(sid, cid, k.offloadLoginState));
  return 0;
}

function stopConn(k: FakeKernel, q: Req): number {
  const found = conn(k, uf32(q, 16), uf32(q, 20));
  if (found === undefined) return -E.EINVAL;
  const flag = uf32(q, 32);
  if (flag === 3) {
    found.c.state = 'failed';
    found.s.state = 'FAILED';
  } else if (flag === 1 || flag === 2) {
    found.c.state = 'down';
  } else {
    return -E.EINVAL;
  }
  found.c.cleanup = false;
  return 0;
}

function sendPdu(k: FakeKernel, q: Req): number {
  const hdr = uf32(q, 24);
  const data = uf32(q, 28);
  if (hdr > q.rlen || data > q.rlen - hdr) return -E.EINVAL;
  const sid = uf32(q, 16);
  const cid = uf32(q, 20);
  const found = conn(k, sid, cid);
  if (found === undefined) return -E.EINVAL;
  if (found.c.cleanup) return retcode(q, -E.ENOTCONN);
  if (found.c.state !== 'bound' && found.c.state !== 'up') k.violations.push(`SEND_PDU on connection ${sid}:${cid} in state ${found.c.state}`);
  if (hdr < 48) k.violations.push(`SEND_PDU hdr_size ${hdr} is below a 48-byte BHS`);
  const pdu = { sid, cid, header: Buffer.from(q.payload.subarray(0, hdr)), data: Buffer.from(q.payload.subarray(hdr, hdr + data)) };
  k.sentPdus.push(pdu);
  const wire = k.rewriteSendPduItt ? { ...pdu, header: Buffer.from(pdu.header) } : pdu;
  if (k.rewriteSendPduItt && rd32(pdu.header, 16) !== 0xffffffff) wire.header.writeUInt32BE(((k.nextTaskItt++) | (1 << 28)) >>> 0, 16);
  k.after(() => k.onSendPdu?.(wire));
  return 0;
}

/** GET_STATS: -EEXIST without the connection; else a multicast uevent + iscsi_stats (+ custom). */
function getStats(k: FakeKernel, q: Req): number | 'multicast' {
  const sid = uf32(q, 16);
  const cid = uf32(q, 20);
  const found = conn(k, sid, cid);
  if (found === undefined) return -E.EEXIST;
  const ev = uevent(u32(0, T.GET_STATS), u64(8, q.transport.handle), u32(16, sid), u32(20, cid));
  k.multicast(ev, found.c.stats ?? Buffer.alloc(96));
  return 'multicast';
}

export const HANDLERS: Readonly<Record<number, Handler>> = {
  [T.CREATE_SESSION]: (k, q) => createSession(k, q, hostForNewSession(k, q)),
  [T.CREATE_BOUND_SESSION]: (k, q) => {
    const ep = uf64(q, 16);
    if (!k.endpoints.has(ep)) return -E.EINVAL;
    return createSession(k, q, hostForNewSession(k, q, ep), ep);
  },
  [T.DESTROY_SESSION]: destroySession,
  [T.DESTROY_SESSION_ASYNC]: destroySession,
  [T.UNBIND_SESSION]: (k, q) => {
    const sid = uf32(q, 16);
    if (!k.sessions.has(sid)) return -E.EINVAL;
    k.after(() => k.unbindSession(sid));
    return 0;
  },
  [T.CREATE_CONN]: (k, q) => {
    const s = k.sessions.get(uf32(q, 16));
    if (s === undefined) return -E.EINVAL;
    const cid = uf32(q, 20);
    if (s.conns.has(cid)) return -E.ENOMEM;
    s.conns.set(cid, { cid, state: 'down', params: new Map(), cleanup: false });
    setR(q, 40, s.sid);
    setR(q, 44, cid);
    return 0;
  },
  [T.DESTROY_CONN]: (k, q) => {
    const found = conn(k, uf32(q, 16), uf32(q, 20));
    if (found === undefined) return -E.EINVAL;
    found.s.conns.delete(found.c.cid);
    return 0;
  },
  [T.BIND_CONN]: bindConn,
  [T.SET_PARAM]: setParam,
  [T.START_CONN]: startConn,
  [T.STOP_CONN]: stopConn,
  [T.SEND_PDU]: sendPdu,
  [T.GET_STATS]: getStats,
  ...HOST_HANDLERS,
};
