/**
 * Stored captures of the real iscsiadm (test/fixtures/iscsiadm/golden/<scenario>.json).
 * `TSISCSI_UPDATE_GOLDEN=1 npx vitest run test/golden` rewrites them from a live run
 * (needs root and Debian's open-iscsi; see that directory's README.md).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Capture, StepCapture } from './capture.js';

export const FIXTURE_DIR = join(import.meta.dirname, '..', '..', 'fixtures', 'iscsiadm', 'golden');

/** Whether fixtures are being re-captured. */
export const UPDATING = process.env.TSISCSI_UPDATE_GOLDEN === '1';

export function fixturePath(scenario: string): string {
  return join(FIXTURE_DIR, `${scenario}.json`);
}

/** The stored capture of a scenario, or undefined when none was recorded yet. */
export function loadFixture(scenario: string): Capture | undefined {
  const file = fixturePath(scenario);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Capture) : undefined;
}

export function saveFixture(c: Capture): void {
  writeFileSync(fixturePath(c.scenario), `${JSON.stringify(c, null, 2)}\n`);
}

/** Replace each variable's value by `{NAME}` so captures with different ports compare. */
export function normalize(text: string, vars: Readonly<Record<string, string>>): string {
  let out = text;
  for (const [name, value] of Object.entries(vars)) out = out.split(value).join(`{${name}}`);
  return out;
}

/** A step's outputs with variables normalized (for live-vs-stored comparison). */
export function normalizedStep(s: StepCapture, vars: Readonly<Record<string, string>>): { command: string; status: number; stdout: string; stderr: string } {
  return { command: normalize(s.command, vars), status: s.status, stdout: normalize(s.stdout, vars), stderr: normalize(s.stderr, vars) };
}
