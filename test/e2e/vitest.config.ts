/**
 * Real-kernel end-to-end suite (issue 6 §5): `npm run test:e2e` / scripts/e2e.sh.
 * Separate from the main suite (whose include is test/**\/*.test.ts): these files are
 * `*.e2e.ts`, boot a qemu VM each, and run one at a time.
 */
import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: resolve(import.meta.dirname, '../..'),
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    // dist/ is what the guest runs (node over 9p has no TS loader)
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 600_000,
    // beforeAll: prepare (cold: kernel download) + VM boot + guest program
    hookTimeout: 1_800_000,
    fileParallelism: false,
    pool: 'forks',
  },
});
