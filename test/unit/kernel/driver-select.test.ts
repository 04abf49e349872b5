/** Data-path choice (DESIGN.md §2, reference §1.7): kernel tcp, offload, usertcp, or a missing transport. */
import { describe, expect, it } from 'vitest';
import { selectDataPath } from '../../../src/transport/kernel/driver-select.js';

const NO = { available: false as const, code: 'NO_KERNEL_ISCSI' as const, reason: '/sys/class/iscsi_transport/tcp is absent' };
const NO_ADDON = { available: false as const, code: 'NETLINK_ADDON_MISSING' as const, reason: 'not built' };
const YES = { available: true as const };
const only = (...names: string[]) => (n: string): boolean => names.includes(n);

describe('selectDataPath', () => {
  it.each([
    ['tcp', YES, only(), 'kernel'],
    [undefined, YES, only(), 'kernel'],
    ['tcp', NO, only(), 'usertcp'],
    ['usertcp', YES, only(), 'usertcp'],
    ['iser', YES, only('iser'), 'offload'],
    ['bnx2i', NO, only('bnx2i'), 'offload'], // no iscsi_tcp, but the offload transport is registered
    ['qla4xxx', YES, only(), 'missing'],
    ['bnx2i', NO_ADDON, only('bnx2i'), 'missing'],
    ['foo', YES, only('foo'), 'missing'],
  ])('transport %s with %o (present: %s) uses %s', (name, avail, present, path) => {
    expect(selectDataPath(name, avail, present).path).toBe(path);
  });

  it('says why tcp resolved to usertcp (the log line names the unavailability code)', () => {
    const c = selectDataPath('tcp', NO);
    expect(c.path === 'usertcp' && c.reason).toContain('NO_KERNEL_ISCSI');
  });

  it('an absent offload transport names the module to load and never falls back to usertcp', () => {
    const c = selectDataPath('cxgb4i', YES, only());
    expect(c).toMatchObject({ path: 'missing', transport: 'cxgb4i' });
    expect(c.path === 'missing' && c.reason).toBe('Could not find transport cxgb4i: /sys/class/iscsi_transport/cxgb4i is missing; load the driver with: modprobe cxgb4i');
  });
});
