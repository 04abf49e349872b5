/** Data-path choice (DESIGN.md §2): kernel tcp only when asked for and available. */
import { describe, expect, it } from 'vitest';
import { selectDataPath } from '../../../src/transport/kernel/driver-select.js';

const NO = { available: false as const, code: 'NO_KERNEL_ISCSI' as const, reason: '/sys/class/iscsi_transport/tcp is absent' };

describe('selectDataPath', () => {
  it.each([
    ['tcp', { available: true as const }, 'kernel'],
    [undefined, { available: true as const }, 'kernel'],
    ['tcp', NO, 'usertcp'],
    ['usertcp', { available: true as const }, 'usertcp'],
    ['iser', { available: true as const }, 'usertcp'],
  ])('transport %s with %o uses %s', (name, avail, path) => {
    expect(selectDataPath(name, avail).path).toBe(path);
  });

  it('says why tcp resolved to usertcp (the log line names the unavailability code)', () => {
    const c = selectDataPath('tcp', NO);
    expect(c.path === 'usertcp' && c.reason).toContain('NO_KERNEL_ISCSI');
  });
});
