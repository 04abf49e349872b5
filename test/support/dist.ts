/**
 * Tests that run our code in a separate plain `node` process (socket activation,
 * the daemon binary) use the compiled tree in dist/. `scripts/test.sh` builds first,
 * and vitest's global setup (test/support/global-setup.ts) rebuilds once, before any
 * test file runs, when dist/ is missing or older than src/ — so no test ever sees a
 * half-written dist/.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Build dist/ when it is missing or older than src/ (called once by the global setup). */
export function buildIfStale(): void {
  const marker = join(ROOT, 'dist', 'daemon', 'main.js');
  if (!existsSync(marker) || statSync(marker).mtimeMs < newest(join(ROOT, 'src'))) {
    execFileSync('npx', ['--no-install', 'tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  }
  // The one-file CLI bundle (bin/tsiscsiadm runs it when it is newer than dist/cli/main.js).
  const bundle = join(ROOT, 'dist', 'cli', 'tsiscsiadm.cjs');
  if (!existsSync(bundle) || statSync(bundle).mtimeMs < statSync(join(ROOT, 'dist', 'cli', 'main.js')).mtimeMs) {
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'bundle-cli.mjs')], { cwd: ROOT, stdio: 'inherit' });
  }
}

/** Absolute path of a compiled module, e.g. distPath('control/server.js'). */
export function distPath(rel: string): string {
  const file = join(ROOT, 'dist', rel);
  if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build`);
  return file;
}
