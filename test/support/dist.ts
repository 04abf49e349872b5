/**
 * Tests that run our code in a separate plain `node` process (socket activation,
 * the daemon binary) use the compiled tree in dist/. `scripts/test.sh` builds first;
 * this makes a bare `npx vitest run` work too by building when dist/ is missing or
 * older than src/.
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

/** Absolute path of a compiled module, e.g. distPath('control/server.js'); builds if stale. */
export function distPath(rel: string): string {
  const file = join(ROOT, 'dist', rel);
  if (!existsSync(file) || statSync(file).mtimeMs < newest(join(ROOT, 'src'))) {
    execFileSync('npx', ['--no-install', 'tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  }
  return file;
}
