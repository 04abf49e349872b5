/**
 * The transport behaviour table (reference §1.7) and capability-driven masking
 * of the login offer and of the SET_PARAM ids.
 */
import { describe, expect, it } from 'vitest';
import { defaultOffer } from '../../../src/iscsi/text/params.js';
import {
  capabilityPlan, effectiveCaps, KERNEL_TRANSPORT_NAMES, maskedParams, maskOffer, NETDEV_OFFLOAD, transportBehaviour, TRANSPORTS,
} from '../../../src/transport/kernel/transports.js';

describe('behaviour table (§1.7)', () => {
  it.each([
    // name, kmod, connect, set_host_ip, bind_ep_required, rdma, iscsiuio, registered caps
    ['tcp', 'iscsi_tcp', 'socket-fd', 'not-supported', false, false, false, 0x39],
    ['iser', 'ib_iser', 'netlink-ep', 'not-supported', false, true, false, 0x89],
    ['cxgb3i', 'cxgb3i', 'netlink-ep', 'optional', true, false, false, 0x30b9],
    ['cxgb4i', 'cxgb4i', 'netlink-ep', 'not-supported', true, false, false, 0x30b9],
    ['bnx2i', 'bnx2i', 'netlink-ep', 'required', true, false, true, 0x8b9],
    ['qla4xxx', 'qla4xxx', 'netlink-ep', 'not-supported', true, false, false, 0x48b8],
    ['be2iscsi', 'be2iscsi', 'netlink-ep', 'not-supported', true, false, false, 0x8b9],
    ['ocs', 'ocs', 'netlink-ep', 'not-supported', true, false, false, 0],
    ['qedi', 'qedi', 'netlink-ep', 'required', true, false, true, 0x8b9],
  ] as const)('%s: kmod %s, %s, set_host_ip %s, bind_ep %s, rdma %s, iscsiuio %s, caps %i', (name, kmod, connect, setHostIp, bindEp, rdma, uio, caps) => {
    expect(TRANSPORTS[name]).toMatchObject({ name, kmod, connect, setHostIp, bindEpRequired: bindEp, rdma, usesIscsiuio: uio, registeredCaps: caps });
  });

  it('has exactly the nine kernel transports; an unknown name has no template', () => {
    expect([...KERNEL_TRANSPORT_NAMES].sort()).toEqual(Object.keys(TRANSPORTS).sort());
    expect(KERNEL_TRANSPORT_NAMES).toHaveLength(9);
    expect(transportBehaviour('usertcp')).toBeUndefined();
    expect(transportBehaviour('qedi')?.noNetdev).toBe(true);
    expect(transportBehaviour('be2iscsi')?.vlanSync).toBe(true);
  });

  it('qla4xxx: login offload, and userspace ORs CAP_DATA_PATH_OFFLOAD into the sysfs caps', () => {
    expect(TRANSPORTS.qla4xxx.loginOffload).toBe(true);
    expect(effectiveCaps('qla4xxx', 0x4000)).toBe(0x4800);
    expect(effectiveCaps('tcp', 0x39)).toBe(0x39);
  });

  it('maps offload netdev drivers to transports', () => {
    expect(NETDEV_OFFLOAD).toEqual({ cxgb3: 'cxgb3i', cxgb4: 'cxgb4i', bnx2: 'bnx2i', bnx2x: 'bnx2i' });
  });
});

describe('capability plan', () => {
  it('qla4xxx caps: login offload, text nego, data path offload, no ERL above 0', () => {
    expect(capabilityPlan(0x48b8)).toMatchObject({ loginOffload: true, textNego: true, dataPathOffload: true, maxErl: 0, headerDigest: true, multiR2T: true });
  });

  it('tcp caps: digests and multi R2T, no text nego; old qla4xxx caps 0xE00: FW_DB, SENDTARGETS_OFFLOAD', () => {
    expect(capabilityPlan(0x39)).toMatchObject({ headerDigest: true, dataDigest: true, multiR2T: true, textNego: false, maxErl: 1, loginOffload: false });
    expect(capabilityPlan(0xe00)).toMatchObject({ fwDb: true, sendTargetsOffload: true, dataPathOffload: true });
  });
});

describe('maskOffer (iscsid clamps instead of failing)', () => {
  const normal = defaultOffer('Normal');

  it('F-12 ERL is forced to 0 without CAP_RECOVERY_L0, and ERL 2 without CAP_RECOVERY_L1', () => {
    expect(maskOffer({ ...normal, errorRecoveryLevel: 1 }, 0x48b8).offer.errorRecoveryLevel).toBe(0);
    const r = maskOffer({ ...normal, errorRecoveryLevel: 2 }, 0x39);
    expect(r.offer.errorRecoveryLevel).toBe(0);
    expect(r.adjustments).toEqual([expect.objectContaining({ key: 'ErrorRecoveryLevel', from: '2', to: '0' })]);
    expect(maskOffer({ ...normal, errorRecoveryLevel: 1 }, 0x39).offer.errorRecoveryLevel).toBe(1);
  });

  it('F-15 MaxOutstandingR2T is forced to 1 without CAP_MULTI_R2T', () => {
    expect(maskOffer({ ...normal, maxOutstandingR2T: 8 }, 0x1).offer.maxOutstandingR2T).toBe(1);
    expect(maskOffer({ ...normal, maxOutstandingR2T: 8 }, 0x39).offer.maxOutstandingR2T).toBe(8);
  });

  it('F-01 digests are forced to None without CAP_HDRDGST / CAP_DATADGST (iser)', () => {
    const r = maskOffer({ ...normal, headerDigest: ['CRC32C', 'None'], dataDigest: ['CRC32C'] }, 0x89);
    expect(r.offer.headerDigest).toEqual(['None']);
    expect(r.offer.dataDigest).toEqual(['None']);
    expect(r.adjustments.map((a) => a.key)).toEqual(['HeaderDigest', 'DataDigest']);
  });

  it('discovery MaxRecvDataSegmentLength is capped at 8192 with CAP_TEXT_NEGO only', () => {
    expect(maskOffer(defaultOffer('Discovery'), 0x89).offer.maxRecvDataSegmentLength).toBe(8192);
    expect(maskOffer(defaultOffer('Discovery'), 0x39).offer.maxRecvDataSegmentLength).toBe(32768);
    expect(maskOffer(normal, 0x89).offer.maxRecvDataSegmentLength).toBe(262144);
  });

  it('changes nothing for tcp with the default offer and never mutates the input', () => {
    const input = { ...normal, headerDigest: ['CRC32C' as const] };
    const r = maskOffer(input, 0x39);
    expect(r.adjustments).toEqual([]);
    expect(maskOffer(input, 0).offer.headerDigest).toEqual(['None']);
    expect(input.headerDigest).toEqual(['CRC32C']);
  });
});

describe('maskedParams (iscsi_session_init_params)', () => {
  it('without MULTI_R2T / HDRDGST / DATADGST / MARKERS the matching SET_PARAM ids are skipped', () => {
    expect([...maskedParams(0)].sort((a, b) => a - b)).toEqual([2, 3, 5, 12, 13]);
    expect([...maskedParams(0x89)].sort((a, b) => a - b)).toEqual([2, 3, 12, 13]);
    expect([...maskedParams(0x39 | 0x100)]).toEqual([]);
  });
});
