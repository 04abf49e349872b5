/**
 * SendTargets through the kernel for CAP_TEXT_NEGO offload transports (reference
 * §1.4): a temporary discovery session (initial_cmdsn 1, cmds_max 32, queue_depth 1,
 * DISCOVERY_SESS=1), MaxRecvDataSegmentLength capped at 8192, the Text exchange with
 * a C=1 continuation through SEND_PDU/RECV_PDU, then Logout and teardown (I-19).
 */
import { describe, expect, it } from 'vitest';
import { KernelTcpDriver } from '../../../src/transport/kernel/driver.js';
import { discoveryPathFor, kernelSendTargets } from '../../../src/transport/kernel/offload-discovery.js';
import type { SessionParamInput } from '../../../src/transport/kernel/set-params.js';
import { TRANSPORTS } from '../../../src/transport/kernel/transports.js';
import { FakeKernel } from '../../support/fake-kernel/index.js';
import { rd16, rd32 } from '../../support/fake-kernel/dsl.js';
import { T } from '../../support/fake-kernel/types.js';
import { loginResponse, logoutResponse, textResponse } from '../../support/pdu-builder-target.js';

const text = (s: string): Buffer => Buffer.from(s, 'latin1');
const SESSION: SessionParamInput = {
  targetName: '', persistentAddress: '10.0.0.5', persistentPort: 3260, replacementTimeout: 120, fastAbort: true, abortTimeout: 15,
  luResetTimeout: 30, tgtResetTimeout: 30, noopOutTimeout: 5, noopOutInterval: 5, ifaceName: 'be2iscsi.00:00:c9:00:00:01',
  initiatorName: 'iqn.1993-08.org.debian:01:tsi', discovery: true,
};

describe('discovery path by transport', () => {
  it('tcp in userspace, TEXT_NEGO offload through the kernel, SENDTARGETS_OFFLOAD by firmware', () => {
    expect(discoveryPathFor(TRANSPORTS.tcp, 0x39).path).toBe('userspace');
    expect(discoveryPathFor(TRANSPORTS.bnx2i, 0x8b9).path).toBe('kernel');
    expect(discoveryPathFor(TRANSPORTS.qla4xxx, 0xe00).path).toBe('firmware');
    expect(discoveryPathFor(TRANSPORTS.cxgb3i, 0x3039).path).toBe('userspace');
  });
});

describe('kernelSendTargets (I-19)', () => {
  it('discovers through a kernel discovery session and follows a C=1 Text Response', async () => {
    const k = new FakeKernel();
    const ch = k.open({ pid: 31 });
    const driver = new KernelTcpDriver({ channel: ch, pid: ch.pid, transportHandle: k.transport('bnx2i').handle, transportName: 'bnx2i' });
    const answer = 'TargetName=iqn.2026-11.test:a\0TargetAddress=10.0.0.5:3260,1\0TargetName=iqn.2026-11.test:b\0TargetAddress=10.0.0.6:3260,2\0';
    const cut = 30;
    const w = { statSN: 0, expCmdSN: 1, maxCmdSN: 1 };
    k.onSendPdu = ({ sid, cid, header }) => {
      const op = (header[0] ?? 0) & 0x3f;
      const itt = header.readUInt32BE(16);
      const reply = op === 0x03
        ? loginResponse({ ...w, transit: true, cont: false, csg: 1, nsg: 3, versionMax: 0, versionActive: 0, isid: header.subarray(8, 14), tsih: 9, itt, statusClass: 0, statusDetail: 0,
          data: text('HeaderDigest=None\0DataDigest=None\0DefaultTime2Wait=2\0DefaultTime2Retain=0\0ErrorRecoveryLevel=0\0MaxRecvDataSegmentLength=8192\0') })
        : op === 0x04 && header.readUInt32BE(20) === 0xffffffff
          ? textResponse({ ...w, statSN: 1, final: false, cont: true, lun: Buffer.alloc(8), itt, ttt: 0x99, data: text(answer.slice(0, cut)) })
          : op === 0x04
            ? textResponse({ ...w, statSN: 2, final: true, cont: false, lun: Buffer.alloc(8), itt, ttt: 0xffffffff, data: text(answer.slice(cut)) })
            : logoutResponse({ ...w, statSN: 3, response: 0, itt, time2Wait: 0, time2Retain: 0 });
      k.recvPdu(sid, cid, reply.bhs, reply.data);
    };
    const result = await kernelSendTargets({
      driver, behaviour: TRANSPORTS.bnx2i, caps: k.transport('bnx2i').caps, address: { host: '10.0.0.5', port: 3260 },
      login: { initiatorName: SESSION.initiatorName, sessionType: 'Discovery', isid: Buffer.from([0, 2, 0x3d, 0, 0, 9]), tsih: 0, cid: 0, itt: 1, cmdSN: 1, expStatSN: 0 },
      random: (n) => Buffer.alloc(n), session: SESSION, iface: { name: SESSION.ifaceName, ipaddress: '10.0.0.9' }, loginTimeoutMs: 1000, pollIntervalMs: 1,
    });
    expect(result.targets.map((t) => t.name)).toEqual(['iqn.2026-11.test:a', 'iqn.2026-11.test:b']);
    expect(k.violations).toEqual([]);
    const cbs = k.received.find((r) => r.type === T.CREATE_BOUND_SESSION)!;
    expect([rd32(cbs.u, 8), rd16(cbs.u, 12), rd16(cbs.u, 14)]).toEqual([1, 32, 1]);
    const disc = k.received.find((r) => r.type === T.SET_PARAM && rd32(r.u, 8) === 43)!;
    expect(disc.payload.toString('latin1')).toBe('1\0');
    expect(k.received.some((r) => r.type === T.SET_PARAM && rd32(r.u, 8) === 15)).toBe(false); // no TARGET_NAME
    const pdus = k.sentPdus.map((p) => (p.header[0] ?? 0) & 0x3f);
    expect(pdus).toEqual([0x03, 0x04, 0x04, 0x06]);
    expect(k.sentPdus[0]!.data.toString('latin1')).toContain('SessionType=Discovery\0');
    expect(k.sentPdus[0]!.data.toString('latin1')).toContain('MaxRecvDataSegmentLength=8192\0');
    expect(k.sentPdus[1]!.data.toString('latin1')).toBe('SendTargets=All\0');
    expect(k.sentPdus[2]!.header.readUInt32BE(20)).toBe(0x99); // continuation echoes the TTT
    expect(k.sentPdus[2]!.data).toHaveLength(0);
    expect(k.received.map((r) => r.type).slice(-4)).toEqual([T.STOP_CONN, T.EP_DISCONNECT, T.DESTROY_CONN, T.DESTROY_SESSION]);
  });
});
