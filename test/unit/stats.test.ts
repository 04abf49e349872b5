import { describe, expect, it } from 'vitest';
import type { PduKind } from '../../src/iscsi/pdu/types.js';
import { countError, countPdu, emptyStats, STATS_FIELDS } from '../../src/iscsi/stats.js';
import { IscsiError } from '../../src/shared/errors.js';
import { thrown } from './scsi/helpers.js';

/** open-iscsi reference §3.6 / §6.5: the 21 lines of `iscsiadm -m session -s`, in order. */
const OPEN_ISCSI_ORDER = [
  'txdata_octets', 'rxdata_octets', 'noptx_pdus', 'scsicmd_pdus', 'tmfcmd_pdus', 'login_pdus', 'text_pdus',
  'dataout_pdus', 'logout_pdus', 'snack_pdus', 'noprx_pdus', 'scsirsp_pdus', 'tmfrsp_pdus', 'textrsp_pdus',
  'datain_pdus', 'logoutrsp_pdus', 'r2t_pdus', 'async_pdus', 'rjt_pdus', 'digest_err', 'timeout_err',
];

describe('SessionStats', () => {
  it('STATS_FIELDS lists the 21 open-iscsi counters in print order', () => {
    expect([...STATS_FIELDS]).toEqual(OPEN_ISCSI_ORDER);
  });

  it('emptyStats has every counter at zero, in the same key order; octets are bigint', () => {
    const s = emptyStats();
    expect(Object.keys(s)).toEqual(OPEN_ISCSI_ORDER);
    expect(s.txdata_octets).toBe(0n);
    expect(s.rxdata_octets).toBe(0n);
    for (const k of OPEN_ISCSI_ORDER.slice(2)) expect(s[k as keyof typeof s]).toBe(0);
  });

  const table: Array<['tx' | 'rx', PduKind, string | null]> = [
    ['tx', 'nop-out', 'noptx_pdus'],
    ['tx', 'scsi-command', 'scsicmd_pdus'],
    ['tx', 'task-mgmt-request', 'tmfcmd_pdus'],
    ['tx', 'login-request', 'login_pdus'],
    ['tx', 'text-request', 'text_pdus'],
    ['tx', 'data-out', 'dataout_pdus'],
    ['tx', 'logout-request', 'logout_pdus'],
    ['tx', 'snack', 'snack_pdus'],
    ['rx', 'nop-in', 'noprx_pdus'],
    ['rx', 'scsi-response', 'scsirsp_pdus'],
    ['rx', 'task-mgmt-response', 'tmfrsp_pdus'],
    ['rx', 'text-response', 'textrsp_pdus'],
    ['rx', 'data-in', 'datain_pdus'],
    ['rx', 'logout-response', 'logoutrsp_pdus'],
    ['rx', 'r2t', 'r2t_pdus'],
    ['rx', 'async-message', 'async_pdus'],
    ['rx', 'reject', 'rjt_pdus'],
    ['rx', 'login-response', null],
  ];
  for (const [dir, kind, counter] of table) {
    it(`countPdu ${dir} ${kind} → ${counter ?? 'no counter'}`, () => {
      const s = emptyStats();
      expect(countPdu(s, dir, kind, 0)).toBe(counter);
      countPdu(s, dir, kind, 0);
      const changed = Object.entries(s).filter(([, v]) => v !== 0 && v !== 0n);
      expect(changed).toEqual(counter === null ? [] : [[counter, 2]]);
    });
  }

  it('octets: immediate data and Data-Out count as tx, Data-In as rx; other data segments do not count', () => {
    const s = emptyStats();
    countPdu(s, 'tx', 'scsi-command', 512);
    countPdu(s, 'tx', 'data-out', 8192);
    countPdu(s, 'rx', 'data-in', 4096);
    countPdu(s, 'tx', 'text-request', 100);
    countPdu(s, 'tx', 'nop-out', 10);
    countPdu(s, 'rx', 'scsi-response', 20);
    countPdu(s, 'rx', 'text-response', 300);
    countPdu(s, 'rx', 'nop-in', 10);
    expect(s.txdata_octets).toBe(8704n);
    expect(s.rxdata_octets).toBe(4096n);
  });

  it('octet counters go past 2^53 exactly', () => {
    const s = emptyStats();
    s.rxdata_octets = 2n ** 53n;
    countPdu(s, 'rx', 'data-in', 1);
    expect(s.rxdata_octets).toBe(2n ** 53n + 1n);
  });

  it('PDU counters wrap at 2^32 like the kernel u32 fields', () => {
    const s = emptyStats();
    s.noptx_pdus = 0xffffffff;
    countPdu(s, 'tx', 'nop-out', 0);
    expect(s.noptx_pdus).toBe(0);
  });

  it('a PDU kind counted in the wrong direction is a caller bug', () => {
    const err = thrown(() => countPdu(emptyStats(), 'tx', 'nop-in', 0));
    expect(err).toBeInstanceOf(IscsiError);
    expect((err as IscsiError).code).toBe('STATS_DIRECTION_MISMATCH');
    expect(() => countPdu(emptyStats(), 'rx', 'data-out', 0)).toThrow(IscsiError);
  });

  it('countError counts digest errors and timeouts', () => {
    const s = emptyStats();
    countError(s, 'digest_err');
    countError(s, 'timeout_err');
    countError(s, 'timeout_err');
    expect(s.digest_err).toBe(1);
    expect(s.timeout_err).toBe(2);
  });
});
