/**
 * The SET_PARAM / SET_HOST_PARAM sequences, ids and value strings as iscsid
 * sends them (reference §3.5): order, %d / %u formatting, empty strings not sent,
 * connection-only rows on non-leading connections, caps masking.
 */
import { describe, expect, it } from 'vitest';
import type { NegotiatedParams } from '../../../src/iscsi/text/params.js';
import { encodeRequest } from '../../../src/transport/kernel/codec.js';
import {
  hostNetParams, hostParamRequests, hostSetParams, negotiatedSetParams, sessionSetParams, setParamRequests, type SessionParamInput,
} from '../../../src/transport/kernel/set-params.js';
import { TRANSPORTS } from '../../../src/transport/kernel/transports.js';
import { nlmsg, u32, u64, uevent } from '../../support/fake-kernel/dsl.js';

const NEG: NegotiatedParams = {
  headerDigest: 'CRC32C', dataDigest: 'None', maxRecvDataSegmentLength: 262144, maxXmitDataSegmentLength: 8192,
  maxBurstLength: 262144, firstBurstLength: 65536, initialR2T: false, immediateData: true, maxOutstandingR2T: 1,
  maxConnections: 1, defaultTime2Wait: 2, defaultTime2Retain: 0, errorRecoveryLevel: 0, dataPDUInOrder: true,
  dataSequenceInOrder: true, iSCSIProtocolLevel: 1, targetAddresses: [],
};

const SESSION: SessionParamInput = {
  targetName: 'iqn.2003-01.org.linux-iscsi.t:disk1', persistentAddress: '192.168.77.1', persistentPort: 3260, replacementTimeout: 120,
  username: 'alice', password: 'secret123456', usernameIn: '', fastAbort: false, abortTimeout: 15, luResetTimeout: 30, tgtResetTimeout: 30,
  noopOutTimeout: 5, noopOutInterval: 5, ifaceName: 'default', initiatorName: 'iqn.1993-08.org.debian:01:abc', discovery: false,
};

const pairs = (steps: { param: number; value: string }[]): [number, string][] => steps.map((s) => [s.param, s.value]);

describe('negotiatedSetParams (Full Feature Phase, before START_CONN)', () => {
  it('tcp leading connection: ids 0-11, 14, 16 in order; markers masked without CAP_MARKERS; ERL always 0', () => {
    const steps = negotiatedSetParams({ negotiated: NEG, expStatSN: 0xffffffff, tpgt: 1 }, { cid: 0, caps: 0x39 });
    expect(pairs(steps)).toEqual([
      [0, '262144'], [1, '8192'], [2, '1'], [3, '0'], [4, '0'], [5, '1'], [6, '1'], [7, '65536'], [8, '262144'],
      [9, '1'], [10, '1'], [11, '0'], [14, '4294967295'], [16, '1'],
    ]);
    expect(steps[0]).toMatchObject({ name: 'ISCSI_PARAM_MAX_RECV_DLENGTH', secret: false, onEnosys: 'ignore' });
  });

  it('F-01 digests and MaxR2T are not sent to a transport without the caps (iser 0x89 keeps MAX_R2T, drops digests)', () => {
    const ids = negotiatedSetParams({ negotiated: NEG, expStatSN: 1, tpgt: 1 }, { cid: 0, caps: 0x89 }).map((s) => s.param);
    expect(ids).not.toContain(2);
    expect(ids).not.toContain(3);
    expect(ids).toContain(5);
    expect(negotiatedSetParams({ negotiated: NEG, expStatSN: 1, tpgt: 1 }, { cid: 0, caps: 0x1 }).map((s) => s.param)).not.toContain(5);
  });

  it('markers are sent as 0 when the transport has CAP_MARKERS', () => {
    expect(pairs(negotiatedSetParams({ negotiated: NEG, expStatSN: 1, tpgt: 1 }, { cid: 0, caps: 0x139 })).filter(([p]) => p === 12 || p === 13)).toEqual([[12, '0'], [13, '0']]);
  });

  it('a non-leading connection gets only the connection-scoped rows (DATADGST_EN, EXP_STATSN)', () => {
    expect(pairs(negotiatedSetParams({ negotiated: NEG, expStatSN: 7, tpgt: 1 }, { cid: 1, caps: 0x39 }))).toEqual([[3, '0'], [14, '7']]);
  });
});

describe('sessionSetParams (after BIND_CONN, before the login)', () => {
  it('order 15, 17, 18, 19, 22..25, 26, 27, 28, 35, 30, 31, 32, 34, 39..41, 43; empty strings skipped', () => {
    const steps = sessionSetParams(SESSION, { cid: 0, caps: 0x39, kernelNops: true });
    expect(pairs(steps)).toEqual([
      [15, 'iqn.2003-01.org.linux-iscsi.t:disk1'], [17, '192.168.77.1'], [18, '3260'], [19, '120'], [22, 'alice'], [24, 'secret123456'],
      [26, '0'], [27, '15'], [28, '30'], [35, '30'], [30, '5'], [31, '5'], [32, 'default'], [34, 'iqn.1993-08.org.debian:01:abc'], [43, '0'],
    ]);
    expect(steps.filter((s) => s.secret).map((s) => s.param)).toEqual([22, 24]);
    expect(steps.find((s) => s.param === 30)?.onEnosys).toBe('userspace-nop');
  });

  it('without kernel NOP support (no ping_tmo in sysfs) PING_TMO and RECV_TMO are not sent', () => {
    const ids = sessionSetParams(SESSION, { cid: 0, caps: 0x39, kernelNops: false }).map((s) => s.param);
    expect(ids).not.toContain(30);
    expect(ids).not.toContain(31);
  });

  it('replacement_timeout < 0 is sent as "-1"; boot names and the discovery flag when set', () => {
    const steps = sessionSetParams({ ...SESSION, replacementTimeout: -1, bootRoot: 'ibft0', discovery: true }, { cid: 0, caps: 0x39, kernelNops: true });
    expect(pairs(steps)).toContainEqual([19, '-1']);
    expect(pairs(steps)).toContainEqual([39, 'ibft0']);
    expect(pairs(steps)).toContainEqual([43, '1']);
  });

  it('a non-leading connection gets only 17, 18, 30, 31', () => {
    expect(sessionSetParams(SESSION, { cid: 1, caps: 0x39, kernelNops: true }).map((s) => s.param)).toEqual([17, 18, 30, 31]);
  });

  it('a non-integer value is a typed error', () => {
    expect(() => sessionSetParams({ ...SESSION, abortTimeout: 1.5 }, { cid: 0, caps: 0x39, kernelNops: true })).toThrow(expect.objectContaining({ code: 'KERNEL_PARAM_INVALID' }));
  });

  it('steps become SET_PARAM requests whose bytes carry value + NUL with len = strlen + 1', () => {
    const [req] = setParamRequests(sessionSetParams(SESSION, { cid: 0, caps: 0x39, kernelNops: true }).slice(3, 4), 4, 0);
    const bytes = encodeRequest(req!, { transportHandle: 9n, pid: 1 });
    const expected = nlmsg({ type: 16, pid: 1 }, Buffer.concat([uevent(u32(0, 16), u64(8, 9), u32(16, 4), u32(20, 0), u32(24, 19), u32(28, 4)), Buffer.from('120\0')]));
    expect(bytes.toString('hex')).toBe(expected.toString('hex'));
  });
});

describe('host params', () => {
  it('NETDEV_NAME then HWADDRESS, unset values not sent', () => {
    expect(hostSetParams({ netdev: 'eth0', hwaddress: '00:0e:1e:00:00:01' }).map((s) => [s.param, s.value])).toEqual([[2, 'eth0'], [0, '00:0e:1e:00:00:01']]);
    expect(hostSetParams({ netdev: '', hwaddress: undefined })).toEqual([]);
    expect(hostParamRequests(hostSetParams({ netdev: 'eth0' }), 6)).toEqual([{ kind: 'setHostParam', hostNo: 6, param: 2, value: 'eth0' }]);
  });

  it('set_host_ip transports: IPADDRESS first; required without an address is a ConfigError; optional and unsupported send nothing', () => {
    expect(hostNetParams({ name: 'bnx2i.00:10:18:01:02:03', ipaddress: '10.0.0.2', hwaddress: '00:10:18:01:02:03' }, TRANSPORTS.bnx2i).map((s) => s.param)).toEqual([3, 0]);
    expect(() => hostNetParams({ name: 'qedi.x' }, TRANSPORTS.qedi)).toThrow(expect.objectContaining({ code: 'KERNEL_IFACE_IPADDRESS_REQUIRED' }));
    expect(hostNetParams({ name: 'cxgb3i.x' }, TRANSPORTS.cxgb3i)).toEqual([]);
    expect(hostNetParams({ name: 'default', ipaddress: '10.0.0.2' }, TRANSPORTS.tcp)).toEqual([]);
  });
});
