// Lint rules: TypeScript basics plus the import direction of DESIGN.md §3.
// Imports point downward only; src/iscsi is pure (no sockets, timers, fs, logging).
import tseslint from 'typescript-eslint';

/** Layers and the layers each must never import. */
const forbidden = {
  shared: ['iscsi', 'transport', 'session', 'discovery', 'recovery', 'db', 'control', 'daemon', 'cli', 'demo'],
  iscsi: ['transport', 'session', 'discovery', 'recovery', 'db', 'control', 'daemon', 'cli', 'demo'],
  transport: ['session', 'discovery', 'recovery', 'db', 'control', 'daemon', 'cli', 'demo'],
  session: ['discovery', 'recovery', 'db', 'control', 'daemon', 'cli', 'demo'],
  discovery: ['recovery', 'db', 'control', 'daemon', 'cli', 'demo'],
  recovery: ['discovery', 'db', 'control', 'daemon', 'cli', 'demo'],
  db: ['iscsi', 'transport', 'session', 'discovery', 'recovery', 'control', 'daemon', 'cli', 'demo'],
  control: ['iscsi', 'transport', 'session', 'discovery', 'recovery', 'db', 'daemon', 'cli', 'demo'],
  cli: ['iscsi', 'transport', 'session', 'discovery', 'recovery', 'db', 'daemon', 'demo'],
};

const impure = ['node:net', 'node:fs', 'node:fs/promises', 'node:timers', 'node:timers/promises', 'node:dgram', 'node:child_process', 'pino', 'net', 'fs', 'dgram', 'child_process'];

const layerBlocks = Object.entries(forbidden).map(([layer, banned]) => ({
  files: [`src/${layer}/**/*.ts`],
  rules: {
    'no-restricted-imports': ['error', {
      paths: layer === 'iscsi' ? impure.map((name) => ({ name, message: 'src/iscsi is pure: no I/O, timers or logging (DESIGN.md §5.1)' })) : [],
      patterns: [{
        group: banned.flatMap((b) => [`**/${b}/*`, `**/${b}`]),
        message: `src/${layer} must not import these layers (DESIGN.md §3 import direction)`,
      }],
    }],
  },
}));

export default tseslint.config(
  { ignores: ['dist/**', 'dist-all/**', 'node_modules/**', 'bench/out/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  ...layerBlocks,
  // tsiscsiadm edits the record DB itself when tsiscsid is not running, as iscsiadm does
  // (src/cli/local, loaded only then); the rest of the CLI still must not import src/db.
  {
    files: ['src/cli/local/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{
          group: forbidden.cli.filter((b) => b !== 'db').flatMap((b) => [`**/${b}/*`, `**/${b}`]),
          message: 'src/cli/local may import src/db only (DESIGN.md §3 import direction)',
        }],
      }],
    },
  },
  {
    files: ['src/iscsi/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error',
        { name: 'setTimeout', message: 'src/iscsi is pure: inject a clock' },
        { name: 'setInterval', message: 'src/iscsi is pure: inject a clock' },
        { name: 'console', message: 'src/iscsi is pure: no logging' }],
    },
  },
);
