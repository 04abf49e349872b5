/**
 * What tsiscsiadm loads: the one-file bundle (scripts/bundle-cli.mjs) and the compiled
 * module tree it is made from must reach no daemon code, no zod and no pino (DESIGN.md
 * §3: cli → control → shared; the method specs are imported as types only), and the
 * bundle must behave exactly like the module tree. The one exception is src/cli/local
 * (records edited by tsiscsiadm itself when the daemon is not running), which loads
 * src/db and zod, and only when it is used.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { distPath } from '../../support/dist.js';

const DIST = resolve(import.meta.dirname, '../../../dist');

/** Every module the compiled tree reaches from dist/cli/main.js (static and dynamic imports). */
function reachable(entry: string, skip: (file: string) => boolean = () => false): { files: Set<string>; bare: Set<string> } {
  const files = new Set<string>();
  const bare = new Set<string>();
  const todo = [entry];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (files.has(file) || skip(file)) continue;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)'([^']+)'/g)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) todo.push(resolve(dirname(file), spec));
      else bare.add(spec);
    }
  }
  return { files, bare };
}

describe('what the CLI loads', () => {
  it('the module tree reaches only cli/, control/ (client side) and shared/, and only node: built-ins (src/db only through cli/local)', () => {
    const local = join(DIST, 'cli/local/');
    const { files, bare } = reachable(distPath('cli/main.js'), (f) => f.startsWith(local));
    const layers = new Set([...files].map((f) => f.slice(DIST.length + 1).split('/')[0]));
    expect([...layers].sort()).toEqual(['cli', 'control', 'shared']);
    expect([...files].filter((f) => f.includes('/control/methods/') || f.endsWith('/control/server.js'))).toEqual([]);
    expect([...bare].filter((b) => !b.startsWith('node:'))).toEqual([]);
    const all = reachable(distPath('cli/main.js'));
    const allLayers = new Set([...all.files].map((f) => f.slice(DIST.length + 1).split('/')[0]));
    expect([...allLayers].sort()).toEqual(['cli', 'control', 'db', 'shared']);
    expect([...all.bare].filter((b) => !b.startsWith('node:'))).toEqual(['zod']);
  });

  it('the bundle holds the same kind of modules and nothing else', () => {
    const bundle = join(DIST, 'cli/tsiscsiadm.cjs');
    expect(existsSync(bundle)).toBe(true);
    const text = readFileSync(bundle, 'utf8');
    const names = [...text.matchAll(/^define\("([^"]+)", (\[[^\]]*\])/gm)].map((m) => ({ name: m[1]!, deps: JSON.parse(m[2]!) as string[] }));
    expect(names.length).toBeGreaterThan(20);
    for (const { name, deps } of names) {
      expect(name).toMatch(/^(cli\/|control\/(client|errors|framing|protocol|redact)$|shared\/|db\/)/);
      for (const d of deps) expect(d).toMatch(/^(require|exports|node:[a-z_/]+|cli\/.+|control\/.+|shared\/.+|db\/.+|zod)$/);
      // src/db (and zod) only for cli/local, which is loaded on demand.
      if (name.startsWith('cli/') && !name.startsWith('cli/local/')) for (const d of deps) expect(d).not.toMatch(/^(db\/|zod$)/);
      if (deps.includes('zod')) expect(name).toMatch(/^db\//);
    }
    expect(text).not.toMatch(/["']pino["']/);
  });

  it('the bundle is pure ASCII (one-byte source string: no second copy, no scavenge at start)', () => {
    const bytes = readFileSync(join(DIST, 'cli/tsiscsiadm.cjs'));
    const wide = bytes.findIndex((b) => b > 0x7f);
    expect(wide, `first non-ASCII byte at offset ${wide}`).toBe(-1);
  });

  it('bin/tsiscsiadm runs the bundle with its code cache, and V8 accepts the cache', () => {
    const bin = resolve(import.meta.dirname, '../../../bin/tsiscsiadm');
    const env = { ...process.env, TSISCSIADM_CODE_CACHE_REPORT: '1', TSISCSI_ROOT: '/nonexistent-tsiscsi-root' };
    const r = spawnSync(process.execPath, [bin, '-V'], { encoding: 'utf8', env });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('code cache: accepted\n');
    expect(r.stdout).toMatch(/^tsiscsiadm version \S+\n$/);
  });

  it('the bundle answers like the module tree (argument errors, version, help)', () => {
    const runWith = (how: 'bundle' | 'tree', argv: string[]): string => {
      const load = how === 'bundle'
        ? `Promise.resolve(require(${JSON.stringify(join(DIST, 'cli/tsiscsiadm.cjs'))}))`
        : `import(${JSON.stringify(join(DIST, 'cli/main.js'))})`;
      const script = `${load}.then(async (m) => {
        let out = ''; const sink = { write: (s) => (out += s) };
        const code = await m.run(${JSON.stringify(argv)}, { stdout: sink, stderr: sink, env: { TSISCSI_ROOT: '/nonexistent-tsiscsi-root' }, programPath: 'tsiscsiadm' });
        process.stdout.write(JSON.stringify({ code, out }));
      })`;
      return execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    };
    for (const argv of [['-m', 'node', '-P', '2'], ['-V'], ['-m', 'session', '--help'], ['-m', 'session'], ['--bogus']]) {
      expect(runWith('bundle', argv)).toBe(runWith('tree', argv));
    }
  });
});
