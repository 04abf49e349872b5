/**
 * Golden comparison with the real iscsiadm 2.1.8 (Debian 12): every recorded bad command
 * line must give the same stdout, stderr and exit status, byte for byte
 * (test/fixtures/iscsiadm/argv/README.md says how they were recorded).
 */
import { lstatSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isCliError, parseCommandLine, resolveSidPath, type SidPathProbe } from '../../../src/cli/argv/index.js';

interface GoldenCase {
  group: string;
  argv: string[];
  exitCode: number;
  stdout: string[];
  stderr: string[];
}

const golden = JSON.parse(
  readFileSync(new URL('../../fixtures/iscsiadm/argv/golden.json', import.meta.url), 'utf8'),
) as { producedBy: string; cases: GoldenCase[] };

/** The recording machine had no iSCSI sysfs devices; paths resolve through lstat only. */
const probe: SidPathProbe = {
  kind(path) {
    try {
      const st = lstatSync(path);
      return st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'link' : 'other';
    } catch {
      return 'missing';
    }
  },
  devicePath: () => null,
};

describe(`argv golden: ${golden.producedBy}`, () => {
  it('has at least 30 recorded invalid invocations', () => {
    expect(golden.cases.length).toBeGreaterThanOrEqual(30);
  });

  for (const c of golden.cases) {
    it(`[${c.group}] iscsiadm ${c.argv.map((a) => JSON.stringify(a)).join(' ')} → exit ${c.exitCode}`, () => {
      const r = parseCommandLine(c.argv, { resolveSidPath: (p) => resolveSidPath(p, probe) });
      expect(isCliError(r)).toBe(true);
      if (!isCliError(r)) return;
      expect({ exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr })
        .toEqual({ exitCode: c.exitCode, stdout: c.stdout, stderr: c.stderr });
    });
  }
});
