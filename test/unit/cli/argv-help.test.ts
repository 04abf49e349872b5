/** Help texts: ours, same structure as iscsiadm's usage (one synopsis per mode, then options). */
import { describe, expect, it } from 'vitest';
import { globalUsage, modeHelp, renderHelp } from '../../../src/cli/help.js';
import { LONG_OPTIONS } from '../../../src/cli/argv/option-table.js';
import type { ModeName } from '../../../src/cli/argv/index.js';

const MODES: ModeName[] = ['discovery', 'discoverydb', 'node', 'session', 'iface', 'host', 'fw'];

describe('help', () => {
  it('global usage has a synopsis for every mode and -k, and names every long option', () => {
    const text = globalUsage('tsiscsiadm');
    for (const mode of MODES) expect(text).toContain(`tsiscsiadm -m ${mode} `);
    expect(text).toContain('tsiscsiadm -k 0');
    for (const o of LONG_OPTIONS) expect(text).toContain(`--${o.name}`);
    for (const ext of ['--json', '--install-iscsiadm-alias', '--uninstall-iscsiadm-alias', '--import-open-iscsi']) expect(text).toContain(ext);
    expect(text.endsWith('\n')).toBe(true);
  });

  it('is not open-iscsi text', () => {
    const text = globalUsage('iscsiadm');
    expect(text).not.toContain('[-hV] [-d debug_level]');
    expect(text).not.toContain('[ -o  operation  ]');
  });

  it('each mode has its own short page naming only that mode', () => {
    for (const mode of MODES) {
      const page = modeHelp(mode, 'tsiscsiadm');
      expect(page).toContain(`tsiscsiadm -m ${mode} `);
      for (const other of MODES) if (other !== mode && !(mode === 'discoverydb' && other === 'discovery')) expect(page).not.toContain(`-m ${other} `);
      expect(page.split('\n').length).toBeLessThan(15);
      expect(renderHelp(mode, 'tsiscsiadm')).toBe(page);
    }
    expect(renderHelp('global')).toBe(globalUsage());
  });
});
