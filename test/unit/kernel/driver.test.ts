/**
 * KernelTcpDriver and the kernel iscsi_tcp bring-up against the fake kernel, checked
 * with the bytes the fake parsed on its own (reference §3.2/§3.5): request order,
 * u-fields, SET_PARAM values, typed refusals and CONN_ERROR as a typed error.
 */
import { mkdtemp, mkdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NegotiatedParams } from '../../../src/iscsi/text/params.js';
import { KernelConnError, KernelTcpDriver, type DriverEvent } from '../../../src/transport/kernel/driver.js';
import { KernelRequestError } from '../../../src/transport/kernel/errors.js';
import { KernelTcpSession, type HandedSocket } from '../../../src/transport/kernel/kernel-session.js';
import type { SessionParamInput } from '../../../src/transport/kernel/set-params.js';
import { FakeKernel } from '../../support/fake-kernel/index.js';
import { T } from '../../support/fake-kernel/types.js';

const NEG: NegotiatedParams = {
  headerDigest: 'None', dataDigest: 'None', maxRecvDataSegmentLength: 262144, maxXmitDataSegmentLength: 65536,
  maxBurstLength: 262144, firstBurstLength: 65536, initialR2T: true, immediateData: true, maxOutstandingR2T: 1,
  maxConnections: 1, defaultTime2Wait: 2, defaultTime2Retain: 0, errorRecoveryLevel: 0, dataPDUInOrder: true,
  dataSequenceInOrder: true, iSCSIProtocolLevel: 1, targetAddresses: [],
};
const SESSION: SessionParamInput = {
  targetName: 'iqn.2026-11.test:disk', persistentAddress: '10.0.2.2', persistentPort: 3260, replacementTimeout: 120,
  fastAbort: true, abortTimeout: 15, luResetTimeout: 30, tgtResetTimeout: 30, noopOutTimeout: 5, noopOutInterval: 5,
  ifaceName: 'default', initiatorName: 'iqn.1993-08.org.debian:01:tsi', discovery: false,
};
const LOGIN = { tsih: 7, cmdSN: 0x1234, expStatSN: 0x4242, expCmdSN: 0x1234, maxCmdSN: 0x1240, versionActive: 0, params: NEG };

function setup(opts: { capSysAdmin?: boolean; timeoutMs?: number } = {}) {
  const k = new FakeKernel();
  const ch = k.open({ pid: 777, capSysAdmin: opts.capSysAdmin });
  const driver = new KernelTcpDriver({ channel: ch, pid: ch.pid, transportHandle: k.transport('tcp').handle, timeoutMs: opts.timeoutMs });
  const events: DriverEvent[] = [];
  driver.onEvent((e) => events.push(e));
  return { k, ch, driver, events };
}

function fakeSocket(fd = 17): HandedSocket & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls, _handle: { fd },
    pause: () => calls.push('pause'),
    removeAllListeners: (ev: string) => calls.push(`removeAllListeners:${ev}`),
    resetAndDestroy: () => calls.push('resetAndDestroy'),
    destroy: () => calls.push('destroy'),
  } as HandedSocket & { calls: string[] };
}

/** A sysfs tree with scsi_host/host0..host7 (the fake numbers hosts from 2). */
async function sysfs(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'tsi-sysfs-'));
  for (let h = 0; h < 8; h++) await mkdir(join(root, 'class', 'scsi_host', `host${h}`), { recursive: true });
  return root;
}

describe('KernelTcpSession.bringUp (iscsi_tcp over the fake kernel)', () => {
  it('sends CREATE_SESSION, CREATE_CONN, BIND_CONN(fd), the SET_PARAMs and START_CONN, then scans the host', async () => {
    const { k, driver, events } = setup();
    const root = await sysfs();
    const sock = fakeSocket(17);
    const s = await KernelTcpSession.bringUp({ driver, socket: sock, login: LOGIN, session: SESSION, tpgt: 1, caps: 0x39, sysfsRoot: root });
    const types = k.received.map((r) => r.type);
    expect(types.slice(0, 3)).toEqual([T.CREATE_SESSION, T.CREATE_CONN, T.BIND_CONN]);
    expect(types.at(-1)).toBe(T.START_CONN);
    expect(types.slice(3, -1).every((t) => t === T.SET_PARAM)).toBe(true);
    const [create, , bind] = k.received;
    expect(create!.u.readUInt32LE(0)).toBe(0x1234); // initial_cmdsn = the login's CmdSN
    expect(create!.u.readUInt16LE(4)).toBe(128);
    expect(bind!.u.readBigUInt64LE(8)).toBe(17n); // transport_eph = fd
    expect(bind!.u.readUInt32LE(16)).toBe(1); // is_leading
    expect(new Set(k.received.map((r) => r.seq)).size).toBe(k.received.length);
    const conn = k.sessions.get(s.sid)!.conns.get(0)!;
    expect(conn.state).toBe('up');
    expect(conn.params.get(14)).toBe(String(0x4242)); // EXP_STATSN
    expect(conn.params.get(15)).toBe(SESSION.targetName);
    expect(conn.params.get(1)).toBe('65536'); // MAX_XMIT_DLENGTH
    expect(k.sessions.get(s.sid)!.recoveryTmo).toBe(120);
    expect(sock.calls).toEqual(['pause', 'removeAllListeners:data']);
    expect(await readFile(join(root, 'class', 'scsi_host', `host${s.hostNo}`, 'scan'), 'utf8')).toBe('- - -');
    expect(events).toContainEqual({ type: 'createSession', sid: s.sid, hostNo: s.hostNo });
    expect(k.violations).toEqual([]);
  });

  it('a kernel that answers -ENOSYS to START_CONN gives KERNEL_NOT_SUPPORTED and the partial session is removed', async () => {
    const { k, driver } = setup();
    k.failNext(T.START_CONN, 38);
    const sock = fakeSocket();
    const err = await KernelTcpSession.bringUp({ driver, socket: sock, login: LOGIN, session: SESSION, tpgt: 1, caps: 0x39, noScan: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KernelRequestError);
    expect(err).toMatchObject({ code: 'KERNEL_NOT_SUPPORTED', sysErrno: 38, request: 'ISCSI_UEVENT_START_CONN' });
    expect(k.received.slice(-3).map((r) => r.type)).toEqual([T.STOP_CONN, T.DESTROY_CONN, T.DESTROY_SESSION]);
    expect(k.sessions.size).toBe(0);
    expect(sock.calls).toContain('resetAndDestroy');
  });

  it('without CAP_SYS_ADMIN the first request fails with KERNEL_PERMISSION_DENIED (-EPERM)', async () => {
    const { driver } = setup({ capSysAdmin: false });
    const err = await driver.createSession(1, 128, 32).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'KERNEL_PERMISSION_DENIED', sysErrno: 1, request: 'ISCSI_UEVENT_CREATE_SESSION' });
  });

  it('SET_PARAM -ENOSYS is ignored as iscsid does; the connection still starts', async () => {
    const { k, driver } = setup();
    k.failNext(T.SET_PARAM, 38, 2);
    const s = await KernelTcpSession.bringUp({ driver, socket: fakeSocket(), login: LOGIN, session: SESSION, tpgt: 1, caps: 0x39, noScan: true });
    expect(k.sessions.get(s.sid)!.conns.get(0)!.state).toBe('up');
  });

  it('logout: UNBIND_SESSION, Logout Request via SEND_PDU, response via RECV_PDU, then STOP_CONN(TERM), DESTROY_CONN, DESTROY_SESSION', async () => {
    const { k, driver } = setup();
    const sock = fakeSocket();
    const s = await KernelTcpSession.bringUp({ driver, socket: sock, login: LOGIN, session: SESSION, tpgt: 1, caps: 0x39, noScan: true });
    k.onSendPdu = (pdu) => {
      const bhs = Buffer.alloc(48);
      bhs[0] = 0x26;
      bhs[1] = 0x80;
      k.recvPdu(pdu.sid, pdu.cid, bhs);
    };
    const n = k.received.length;
    const out = await s.logout(1000);
    expect(out).toEqual({ response: 0 });
    expect(k.received.slice(n).map((r) => r.type)).toEqual([T.UNBIND_SESSION, T.SEND_PDU, T.STOP_CONN, T.DESTROY_CONN, T.DESTROY_SESSION]);
    expect(k.received.find((r) => r.type === T.STOP_CONN)!.u.readUInt32LE(16)).toBe(1); // STOP_CONN_TERM
    const hdr = k.sentPdus[0]!.header;
    expect(hdr[0]).toBe(0x46); // immediate | Logout Request
    expect(hdr[1]).toBe(0x80); // F=1, reason 0 close session
    expect(k.sessions.size).toBe(0);
    expect(sock.calls.at(-1)).toBe('destroy');
  });
});

describe('KernelTcpDriver events and correlation', () => {
  it('CONN_ERROR is delivered as a typed KernelConnError with the kernel iscsi_err code', async () => {
    const { k, driver, events } = setup();
    const { sid } = await driver.createSession(1, 128, 32);
    await driver.createConn(sid, 0);
    await driver.bindConn(sid, 0, 5, true);
    k.connError(sid, 0, 1020);
    await new Promise((r) => setTimeout(r, 0));
    const ev = events.find((e) => e.type === 'connError');
    expect(ev).toBeDefined();
    const err = (ev as Extract<DriverEvent, { type: 'connError' }>).error;
    expect(err).toBeInstanceOf(KernelConnError);
    expect(err).toMatchObject({ code: 'KERNEL_CONN_ERROR', kernelCode: 1020, kernelName: 'ISCSI_ERR_TCP_CONN_CLOSE', sid, cid: 0 });
  });

  it('events interleaved with a pending request do not complete it; unknown and malformed messages are counted', async () => {
    const { k, driver, events } = setup();
    const { sid } = await driver.createSession(1, 128, 32);
    k.emitRaw(Buffer.from([1, 2, 3]));
    const junk = Buffer.alloc(72);
    junk.writeUInt32LE(72, 0);
    junk.writeUInt32LE(99, 16);
    k.emitRaw(junk);
    k.unbindSession(sid);
    const conn = await driver.createConn(sid, 0);
    expect(conn).toEqual({ sid, cid: 0 });
    expect(driver.counters).toMatchObject({ malformed: 1, unknown: 1 });
    expect(events.map((e) => e.type)).toContain('unbindSession');
  });

  it('GET_STATS (multicast answer) resolves with the kernel counters', async () => {
    const { k, driver } = setup();
    const { sid } = await driver.createSession(1, 128, 32);
    await driver.createConn(sid, 0);
    const raw = Buffer.alloc(96);
    raw.writeBigUInt64LE(4096n, 0); // txdata_octets
    k.setStats(sid, 0, raw);
    const st = await driver.getStats(sid, 0);
    expect(st.stats).toBeDefined();
    expect(JSON.stringify(st.stats, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))).toContain('4096');
  });

  it('a request the kernel never answers fails with KERNEL_REQUEST_TIMEOUT and the next one still goes out', async () => {
    const sent: Buffer[] = [];
    const driver = new KernelTcpDriver({ channel: { send: (b) => void sent.push(b), onMessage: () => {} }, pid: 1, transportHandle: 1n, timeoutMs: 10 });
    await expect(driver.destroySession(3)).rejects.toMatchObject({ code: 'KERNEL_REQUEST_TIMEOUT' });
    const p = driver.destroySession(4).catch((e: unknown) => e);
    expect(sent).toHaveLength(2);
    driver.close();
    expect(await p).toMatchObject({ code: 'KERNEL_DRIVER_CLOSED' });
  });
});
