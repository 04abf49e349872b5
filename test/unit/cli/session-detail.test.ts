/**
 * `-m session` asks the daemon for a field subset (`session.list {detail}`): `flat` for
 * `-P 0`, `brief` for `-P 1`, everything for `-P 2/3` and `--json`. What is printed must
 * not depend on it: the subset renders byte for byte like the full form.
 */
import { describe, expect, it } from 'vitest';
import { execSession, listDetail } from '../../../src/cli/exec/session.js';
import type { SessionInfo } from '../../../src/cli/exec/views.js';
import { command, context, fakeApi, session, T1, T2 } from './exec-helpers.js';

const versions = { transportClass: null, daemon: '0.1.0' };

function flat(s: SessionInfo) {
  return { sid: s.sid, target: s.target, tpgt: s.tpgt, transport: s.transport, flash: s.flash, persistentPortal: s.persistentPortal, node: s.node };
}
function brief(s: SessionInfo) {
  return { ...flat(s), currentPortal: s.currentPortal, iface: s.iface, states: s.states };
}

const full = [
  session(2, T1),
  session(10, T2, { currentPortal: { address: '10.0.0.7', port: 3261 } }),
  session(3, T2, { iface: { name: 'eth1', transport: 'tcp', initiatorName: 'iqn.x:y', ipAddress: 'fd00::9', hwAddress: '', netdev: 'eth1' } }),
];

/** Output of argv when the daemon answers with the form asked for (or always full). */
async function output(argv: string[], honourDetail: boolean): Promise<{ code: number; stdout: string; asked: unknown[] }> {
  const asked: unknown[] = [];
  const api = fakeApi({
    'session.list': (p) => {
      asked.push(p.detail);
      const d = honourDetail ? p.detail : undefined;
      return { sessions: full.map((s) => (d === 'flat' ? flat(s) : d === 'brief' ? brief(s) : s)), versions };
    },
  });
  const { ctx, io } = context(api);
  const code = await execSession(command('session', argv), ctx);
  return { code, stdout: io.stdout, asked };
}

describe('session.list detail', () => {
  it('-P 0 asks for flat, -P 1 for brief, -P 2/3 and --json for everything', () => {
    expect(listDetail({ json: false, printLevel: -1, deferredError: undefined })).toBe('flat');
    expect(listDetail({ json: false, printLevel: 0, deferredError: undefined })).toBe('flat');
    expect(listDetail({ json: false, printLevel: 1, deferredError: undefined })).toBe('brief');
    expect(listDetail({ json: false, printLevel: 2, deferredError: undefined })).toBe('full');
    expect(listDetail({ json: true, printLevel: 0, deferredError: undefined })).toBe('full');
  });

  for (const argv of [['-m', 'session'], ['-m', 'session', '-P', '0'], ['-m', 'session', '-P', '1']]) {
    it(`iscsiadm ${argv.join(' ')}: the subset prints exactly what the full form prints`, async () => {
      const subset = await output(argv, true);
      const whole = await output(argv, false);
      expect(subset.asked[0]).toBe(argv.includes('1') ? 'brief' : 'flat');
      expect(subset.code).toBe(0);
      expect(subset.stdout).toBe(whole.stdout);
      expect(subset.stdout.length).toBeGreaterThan(0);
    });
  }
});
