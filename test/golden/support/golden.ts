/**
 * Golden-test driver: each scenario step names an iscsiadm command line, the exit
 * status iscsiadm returns, and what tsiscsi's renderers print for the same state.
 * The expected bytes are never ours: they come from the real iscsiadm, either the
 * stored capture (always checked) or a live run (when Debian's open-iscsi is installed
 * and we are root; required under CI). A live run is also compared with the stored
 * capture, so a changed iscsiadm is noticed; `TSISCSI_UPDATE_GOLDEN=1` re-records.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toText } from '../../../src/cli/render/text.js';
import type { Rendered } from '../../../src/cli/render/types.js';
import { capture, realIscsiadm, withoutIscsidNoise, type Capture, type CaptureOptions, type StepSpec } from './capture.js';
import { loadFixture, normalizedStep, saveFixture, UPDATING } from './fixtures.js';
import { SnapshotDb } from './snapshot-db.js';

/** One step of a golden scenario. */
export interface GoldenStep extends StepSpec {
  /** Exit status iscsiadm must return (ISCSI_ERR_*). */
  readonly status: number;
  /** What tsiscsi prints for the state captured at the end of the scenario; absent for pure setup steps. */
  readonly render?: (db: SnapshotDb, c: Capture) => Rendered;
}

/** A scenario: steps plus how to run the real iscsiadm. */
export interface GoldenScenario extends Omit<CaptureOptions, 'steps' | 'vars'> {
  readonly steps: readonly GoldenStep[];
  /** Live-only setup (e.g. start a tgtd); returns vars for `{NAME}` placeholders and inputs to store. */
  readonly setup?: () => Promise<{ vars: Record<string, string>; inputs?: Record<string, unknown> }>;
  readonly teardown?: () => Promise<void>;
}

function checkStep(c: Capture, i: number, step: GoldenStep): void {
  const got = c.steps[i]!;
  expect(got.status, `exit status of ${got.command}`).toBe(step.status);
  if (!step.render) return;
  const r = step.render(new SnapshotDb(c.db), c);
  expect(toText(r.stdout), `stdout of ${got.command}`).toBe(got.stdout);
  expect(toText(r.stderr), `stderr of ${got.command} (iscsid noise removed)`).toBe(withoutIscsidNoise(got.stderr));
}

function stepTitle(step: GoldenStep): string {
  return `iscsiadm ${step.argv.join(' ')}${step.render ? '' : ' (setup: exit status only)'}`;
}

/** Define the stored-capture and live describe blocks of a scenario. */
export function defineGolden(s: GoldenScenario): void {
  const stored = loadFixture(s.scenario);

  describe(`${s.scenario}: tsiscsi renderers vs the stored capture of iscsiadm`, () => {
    it('has a stored capture whose steps match the scenario', () => {
      expect(stored, `missing test/fixtures/iscsiadm/golden/${s.scenario}.json: run with TSISCSI_UPDATE_GOLDEN=1 as root`).toBeDefined();
      expect(stored!.steps.map((x) => x.argv)).toEqual(s.steps.map((x) => x.argv));
      expect(stored!.producedBy.version).toMatch(/^iscsiadm version /);
    });
    s.steps.forEach((step, i) => {
      it.skipIf(!stored)(stepTitle(step), () => checkStep(stored!, i, step));
    });
  });

  const real = realIscsiadm();
  describe.skipIf(!real.ok && !process.env.CI)(`${s.scenario}: tsiscsi renderers vs live iscsiadm`, () => {
    let live: Capture;
    beforeAll(async () => {
      if (!real.ok) throw new Error(`CI requires the real iscsiadm: ${real.reason}`);
      const prepared = (await s.setup?.()) ?? { vars: {} };
      live = await capture({ ...s, vars: prepared.vars });
      if (prepared.inputs) live = { ...live, inputs: prepared.inputs };
      if (UPDATING) saveFixture(live);
    }, 120_000);
    afterAll(async () => {
      await s.teardown?.();
    });
    s.steps.forEach((step, i) => {
      it(stepTitle(step), () => checkStep(live, i, step));
    });
    it.skipIf(!stored || UPDATING)('prints what the stored capture recorded (same iscsiadm behaviour)', () => {
      expect(live.producedBy.version).toBe(stored!.producedBy.version);
      const norm = (c: Capture) => c.steps.map((x) => normalizedStep(x, c.vars));
      expect(norm(live)).toEqual(norm(stored!));
    });
  });
}
