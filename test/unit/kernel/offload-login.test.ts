/**
 * Offload login path (issue 6 §2, reference §3.7) against the fake kernel: the
 * request sequence and its bytes as the fake parsed them (offsets from §3.3), the
 * login PDUs carried by SEND_PDU / RECV_PDU and driven by the pure login machine,
 * LOGIN_OFFLOAD (CONN_LOGIN_STATE), caps masking, teardown and typed refusals.
 */
import { describe, expect, it } from 'vitest';
import { defaultOffer } from '../../../src/iscsi/text/negotiate.js';
import { KernelConnError, KernelTcpDriver } from '../../../src/transport/kernel/driver.js';
import { KernelRequestError } from '../../../src/transport/kernel/errors.js';
import { OffloadLoginError } from '../../../src/transport/kernel/offload-errors.js';
import { OffloadSession, type OffloadBringUpInput } from '../../../src/transport/kernel/offload-session.js';
import type { SessionParamInput } from '../../../src/transport/kernel/set-params.js';
import { TRANSPORTS, type KernelTransportName } from '../../../src/transport/kernel/transports.js';
import { IscsiError } from '../../../src/shared/errors.js';
import { FakeKernel } from '../../support/fake-kernel/index.js';
import { rd16, rd32, rd64, sockaddrIn } from '../../support/fake-kernel/dsl.js';
import { T } from '../../support/fake-kernel/types.js';
import { loginResponse, logoutResponse } from '../../support/pdu-builder-target.js';
import { NORMAL_ANSWERS } from '../text/helpers.js';

const ISID = Buffer.from([0x00, 0x02, 0x3d, 0x00, 0x00, 0x01]);
const SESSION: SessionParamInput = {
  targetName: 'iqn.2026-11.test:disk', persistentAddress: '10.0.0.5', persistentPort: 3260, replacementTimeout: 120,
  fastAbort: true, abortTimeout: 15, luResetTimeout: 30, tgtResetTimeout: 30, noopOutTimeout: 5, noopOutInterval: 5,
  ifaceName: 'bnx2i.00:10:18:aa:bb:cc', initiatorName: 'iqn.1993-08.org.debian:01:tsi', discovery: false,
};
const text = (pairs: readonly (readonly [string, string])[]): Buffer => Buffer.from(pairs.map(([k, v]) => `${k}=${v}\0`).join(''), 'latin1');

function setup(name: KernelTransportName, opts: { capSysAdmin?: boolean; hosts?: { hostNo: number; transport: string }[] } = {}) {
  const k = new FakeKernel({ hosts: opts.hosts ?? [] });
  const ch = k.open({ pid: 901, capSysAdmin: opts.capSysAdmin });
  const driver = new KernelTcpDriver({ channel: ch, pid: ch.pid, transportHandle: k.transport(name).handle, transportName: name, timeoutMs: 2000 });
  const input = (over: Partial<OffloadBringUpInput> = {}): OffloadBringUpInput => ({
    driver, behaviour: TRANSPORTS[name], caps: k.transport(name).caps,
    address: { host: '10.0.0.5', port: 3260 },
    login: { initiatorName: SESSION.initiatorName, targetName: SESSION.targetName, sessionType: 'Normal', isid: ISID, tsih: 0, cid: 0, itt: 0x10, cmdSN: 1, expStatSN: 0 },
    offer: defaultOffer('Normal'), random: (n) => Buffer.alloc(n, 7), session: SESSION,
    iface: { name: SESSION.ifaceName, ipaddress: '10.0.0.9' }, tpgt: 1, loginTimeoutMs: 2000, pollIntervalMs: 1,
    ...over,
  });
  return { k, driver, input };
}

/**
 * The fake kernel plays a target that accepts the operational stage in one round. The
 * kernel replaces our ITT with its own task tag (libiscsi build_itt) and the target
 * answers with that one, as on a real connection.
 */
function acceptLogin(k: FakeKernel): void {
  k.rewriteSendPduItt = true;
  k.onSendPdu = ({ sid, cid, header }) => {
    const kernelItt = header.readUInt32BE(16);
    expect(kernelItt).not.toBe(0x10);
    const r = loginResponse({
      transit: true, cont: false, csg: 1, nsg: 3, versionMax: 0, versionActive: 0, isid: header.subarray(8, 14),
      tsih: 0x21, itt: kernelItt, statSN: 0x500, expCmdSN: 1, maxCmdSN: 32, statusClass: 0, statusDetail: 0, data: text(NORMAL_ANSWERS),
    });
    k.recvPdu(sid, cid, r.bhs, r.data);
  };
}

const types = (k: FakeKernel): number[] => k.received.map((r) => r.type);

describe('offload login through SEND_PDU/RECV_PDU (bnx2i)', () => {
  it('connects the endpoint, binds it and logs in with the existing login machine', async () => {
    const { k, input } = setup('bnx2i');
    k.pollResults.push(0, 0);
    acceptLogin(k);
    const s = await OffloadSession.bringUp(input());
    expect(k.violations).toEqual([]);
    const seq = types(k);
    expect(seq.slice(0, 7)).toEqual([T.EP_CONNECT, T.EP_POLL, T.EP_POLL, T.EP_POLL, T.CREATE_BOUND_SESSION, T.CREATE_CONN, T.BIND_CONN]);
    expect(seq.at(-1)).toBe(T.START_CONN);
    const ep = k.received[0]!;
    expect(ep.payload).toEqual(sockaddrIn([10, 0, 0, 5], 3260));
    expect(rd32(ep.u, 0)).toBe(1); // non_blocking
    const cbs = k.received.find((r) => r.type === T.CREATE_BOUND_SESSION)!;
    expect(rd64(cbs.u, 0)).toBe(s.epHandle); // ep_handle @16
    expect([rd32(cbs.u, 8), rd16(cbs.u, 12), rd16(cbs.u, 14)]).toEqual([1, 128, 32]); // initial_cmdsn @24, cmds_max @28, queue_depth @30
    const bind = k.received.find((r) => r.type === T.BIND_CONN)!;
    expect(rd64(bind.u, 8)).toBe(s.epHandle); // transport_eph @24 = endpoint handle, not an fd
    expect(rd32(bind.u, 16)).toBe(1);
    // bnx2i is a set_host_ip transport: SET_HOST_PARAM IPADDRESS (3) before the login PDU.
    const host = k.received.find((r) => r.type === T.SET_HOST_PARAM)!;
    expect([rd32(host.u, 4), host.payload.toString('latin1')]).toEqual([3, '10.0.0.9\0']);
    expect(seq.indexOf(T.SET_HOST_PARAM)).toBeLessThan(seq.indexOf(T.SEND_PDU));
    expect(k.sentPdus).toHaveLength(1);
    const pdu = k.sentPdus[0]!;
    expect(pdu.header).toHaveLength(48);
    expect(pdu.header[0]).toBe(0x43); // immediate Login Request
    expect(pdu.header.readUInt32BE(16)).toBe(0x10);
    expect(pdu.data.toString('latin1')).toContain('TargetName=iqn.2026-11.test:disk\0');
    const send = k.received.find((r) => r.type === T.SEND_PDU)!;
    expect([rd32(send.u, 8), rd32(send.u, 12)]).toEqual([48, pdu.data.length]); // hdr_size, data_size (unpadded)
    // Negotiated params after the login: EXP_STATSN (14) = StatSN + 1 of the final response.
    const conn = k.sessions.get(s.sid)!.conns.get(0)!;
    expect(conn.params.get(14)).toBe(String(0x501));
    expect(conn.state).toBe('up');
    expect(s.login?.tsih).toBe(0x21);
    // Logout: a Logout Request through SEND_PDU, then the teardown.
    k.onSendPdu = ({ sid, cid, header }) => {
      const r = logoutResponse({ response: 0, itt: header.readUInt32BE(16), statSN: 0x501, expCmdSN: 2, maxCmdSN: 32, time2Wait: 0, time2Retain: 0 });
      k.recvPdu(sid, cid, r.bhs, r.data);
    };
    await s.logout(1000);
    expect((k.sentPdus[1]!.header[0] ?? 0) & 0x3f).toBe(0x06);
    const tail = types(k).slice(-4);
    expect(tail).toEqual([T.STOP_CONN, T.EP_DISCONNECT, T.DESTROY_CONN, T.DESTROY_SESSION]);
    expect(k.endpoints.size).toBe(0);
    expect(k.sessions.size).toBe(0);
  });

  it('masks the offer and the SET_PARAMs by the transport caps (iser lacks HDRDGST/DATADGST)', async () => {
    const { k, input } = setup('iser');
    acceptLogin(k);
    const offer = { ...defaultOffer('Normal'), headerDigest: ['CRC32C', 'None'] as ('CRC32C' | 'None')[], dataDigest: ['CRC32C'] as ('CRC32C' | 'None')[] };
    const s = await OffloadSession.bringUp(input({ offer, iface: { name: 'iser' } }));
    const data = k.sentPdus[0]!.data.toString('latin1');
    expect(data).toContain('HeaderDigest=None\0');
    expect(data).toContain('DataDigest=None\0');
    const sent = k.received.filter((r) => r.type === T.SET_PARAM).map((r) => rd32(r.u, 8));
    expect(sent).not.toContain(2); // HDRDGST_EN
    expect(sent).not.toContain(3); // DATADGST_EN
    expect(k.received.some((r) => r.type === T.SET_HOST_PARAM)).toBe(false);
    await s.destroy();
  });

  it('a login failure (status 0x0201) is a typed LoginError and everything is undone', async () => {
    const { k, input } = setup('bnx2i');
    k.onSendPdu = ({ sid, cid, header }) => {
      const r = loginResponse({ transit: false, cont: false, csg: 1, nsg: 0, versionMax: 0, versionActive: 0, isid: header.subarray(8, 14), tsih: 0, itt: 0x10, statSN: 0, expCmdSN: 1, maxCmdSN: 1, statusClass: 2, statusDetail: 1 });
      k.recvPdu(sid, cid, r.bhs, r.data);
    };
    const err = await OffloadSession.bringUp(input()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IscsiError);
    expect((err as IscsiError).errno).toBe(24);
    expect(types(k).slice(-4)).toEqual([T.STOP_CONN, T.EP_DISCONNECT, T.DESTROY_CONN, T.DESTROY_SESSION]);
    expect(k.sessions.size + k.endpoints.size).toBe(0);
  });

  it('a CONN_ERROR during the login fails it with KernelConnError', async () => {
    const { k, input } = setup('bnx2i');
    k.onSendPdu = ({ sid, cid }) => k.connError(sid, cid, 1020);
    const err = await OffloadSession.bringUp(input()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KernelConnError);
    expect((err as KernelConnError).kernelCode).toBe(1020);
  });

  it('EP_POLL that never connects times out with OFFLOAD_EP_CONNECT_TIMEOUT and disconnects the endpoint', async () => {
    const { k, input } = setup('bnx2i');
    k.pollResults.push(...Array<number>(500).fill(0));
    const err = await OffloadSession.bringUp(input({ loginTimeoutMs: 20, pollIntervalMs: 2 })).catch((e: unknown) => e);
    expect((err as IscsiError).code).toBe('OFFLOAD_EP_CONNECT_TIMEOUT');
    expect((err as IscsiError).errno).toBe(8);
    expect(types(k).at(-1)).toBe(T.EP_DISCONNECT);
    expect(k.endpoints.size).toBe(0);
  });

  it('EP_POLL with a negative retcode (-ECONNREFUSED from the driver) is a typed refusal naming EP_POLL', async () => {
    const { k, input } = setup('bnx2i');
    k.pollResults.push(0, -111);
    const err = (await OffloadSession.bringUp(input()).catch((e: unknown) => e)) as KernelRequestError;
    expect([err.code, err.request, err.errnoName, err.retryable]).toEqual(['KERNEL_CONNECT_FAILED', 'ISCSI_UEVENT_TRANSPORT_EP_POLL', 'ECONNREFUSED', true]);
    expect(types(k).at(-1)).toBe(T.EP_DISCONNECT);
  });

  it('IF_ERROR -ENOSYS on CREATE_BOUND_SESSION names the request and errno with advice (errno 27)', async () => {
    const { k, input } = setup('bnx2i');
    k.failNext(T.CREATE_BOUND_SESSION, 38);
    const err = await OffloadSession.bringUp(input()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KernelRequestError);
    const e = err as KernelRequestError;
    expect([e.code, e.errno, e.request, e.errnoName]).toEqual(['KERNEL_NOT_SUPPORTED', 27, 'ISCSI_UEVENT_CREATE_BOUND_SESSION', 'ENOSYS']);
    expect(e.message).toMatch(/does not implement ISCSI_UEVENT_CREATE_BOUND_SESSION/);
    expect(types(k).at(-1)).toBe(T.EP_DISCONNECT);
  });

  it('-EPERM (no CAP_SYS_ADMIN) tells the admin to run as root', async () => {
    const { input } = setup('bnx2i', { capSysAdmin: false });
    const err = await OffloadSession.bringUp(input()).catch((e: unknown) => e);
    expect((err as KernelRequestError).code).toBe('KERNEL_PERMISSION_DENIED');
    expect((err as KernelRequestError).message).toMatch(/CAP_SYS_ADMIN/);
  });

  it('bnx2i without iscsiuio: "uIP daemon is not up" before any EP_CONNECT (retryable, errno 29)', async () => {
    const { k, input } = setup('bnx2i');
    const err = await OffloadSession.bringUp(input({ uio: async () => ({ needed: true, running: false, message: 'uIP daemon is not up: x' }) })).catch((e: unknown) => e);
    expect([(err as IscsiError).code, (err as IscsiError).errno, (err as IscsiError).retryable]).toEqual(['ISCSIUIO_NOT_RUNNING', 29, true]);
    expect((err as IscsiError).message).toMatch(/^uIP daemon is not up/);
    expect(k.received).toEqual([]);
  });

  it('refuses a transport that is not driven through endpoints (tcp)', async () => {
    const { input } = setup('tcp');
    const err = await OffloadSession.bringUp(input()).catch((e: unknown) => e);
    expect((err as IscsiError).code).toBe('OFFLOAD_WRONG_TRANSPORT');
  });
});

describe('LOGIN_OFFLOAD (qla4xxx): CONN_LOGIN_STATE', () => {
  const hosts = [{ hostNo: 5, transport: 'qla4xxx' }];

  it('LOGGED_IN completes the firmware login without any login PDU; EP_CONNECT_THROUGH_HOST carries host_no', async () => {
    const { k, input } = setup('qla4xxx', { hosts });
    const s = await OffloadSession.bringUp(input({ hostNo: 5, iface: { name: 'qla4xxx.00:0e:1e:00:00:01' } }));
    expect(k.sentPdus).toEqual([]);
    const ep = k.received[0]!;
    expect(ep.type).toBe(T.EP_CONNECT_THROUGH_HOST);
    expect([rd32(ep.u, 0), rd32(ep.u, 4)]).toEqual([5, 1]);
    expect(s.hostNo).toBe(5);
    expect(s.login).toBeUndefined();
    expect(types(k).at(-1)).toBe(T.START_CONN);
    await s.destroy();
  });

  it('FREE means the firmware login failed: OffloadLoginError (errno 5) and teardown', async () => {
    const { k, input } = setup('qla4xxx', { hosts });
    k.offloadLoginState = 0;
    const err = await OffloadSession.bringUp(input({ hostNo: 5 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OffloadLoginError);
    expect([(err as OffloadLoginError).state, (err as OffloadLoginError).errno]).toEqual([0, 5]);
    expect((err as OffloadLoginError).message).toMatch(/CONN_LOGIN_STATE FREE \(0\)/);
    expect(types(k).slice(-4)).toEqual([T.STOP_CONN, T.EP_DISCONNECT, T.DESTROY_CONN, T.DESTROY_SESSION]);
  });
});
