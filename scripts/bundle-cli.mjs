#!/usr/bin/env node
/**
 * Build dist/cli/tsiscsiadm.cjs: the whole CLI (src/cli plus the control client and
 * shared code it imports) in one CommonJS file, so `tsiscsiadm` starts by reading and
 * compiling a single file instead of resolving and linking ~50 ES modules (each costs
 * about a millisecond on Node 20; the CLI must start within 1.2 x `node -e 0`).
 *
 * How: TypeScript compiles src/cli/main.ts and what it imports into one AMD file
 * (tsconfig.cli.json: `define("cli/exec/session", ["require", "exports", ...], f)`
 * blocks, dynamic `import()` as `require([...], resolve, reject)`). This script keeps
 * the blocks reachable from `cli/main` (type-only imports, e.g. the zod method specs,
 * are emitted by tsc but never needed) and prepends a small AMD loader that runs each
 * factory on first use and hands Node built-ins to Node's own `require`.
 *
 * The file is pure ASCII: every other character is written as a \uXXXX escape (the
 * bundle has them only in string literals). A single non-ASCII character would make
 * V8 hold the whole 360 KB source as a two-byte string, twice (the file and the
 * wrapped copy bin/tsiscsiadm compiles): about 1 ms more to read and compile, and
 * enough allocation for a scavenge (0.3 to 3 ms) in every `tsiscsiadm -m session`.
 *
 * Then it writes a V8 code cache next to it (`tsiscsiadm.cjs.cache`), made by running
 * the bundle once on a few commands against a fake daemon (scripts/bundle-cli-warm.cjs),
 * so the functions a listing needs are already compiled. bin/tsiscsiadm passes it to vm.Script; V8
 * rejects a cache that does not match its version or the source, and then compiles as usual.
 *
 *   node scripts/bundle-cli.mjs            (after `tsc -p tsconfig.build.json`)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const amd = join(root, 'dist', '.cli-amd.js');
const out = join(root, 'dist', 'cli', 'tsiscsiadm.cjs');
const ENTRY = 'cli/main';

const LOADER = `'use strict';
// A minimal AMD loader: modules run on first use; cycles see the partial exports, as in CommonJS.
const __defs = new Map();
const __cache = new Map();
function define(name, deps, factory) { __defs.set(name, { deps, factory }); }
function __load(name) {
  const hit = __cache.get(name);
  if (hit) return hit.exports;
  const def = __defs.get(name);
  if (!def) return require(name); // node:* built-ins
  const mod = { exports: {} };
  __cache.set(name, mod);
  const args = def.deps.map((d) => (d === 'require' ? __require : d === 'exports' ? mod.exports : d === 'module' ? mod : __load(d)));
  const r = def.factory(...args);
  if (r !== undefined) mod.exports = r;
  return mod.exports;
}
function __require(deps, onLoad, onError) {
  if (typeof deps === 'string') return __load(deps);
  let mods;
  try { mods = deps.map(__load); } catch (err) { if (onError) onError(err); else throw err; return undefined; }
  if (onLoad) onLoad(...mods);
  return undefined;
}
`;

function compile() {
  const tsc = join(root, 'node_modules', '.bin', 'tsc');
  rmSync(amd, { force: true });
  const r = spawnSync(tsc, ['-p', join(root, 'tsconfig.cli.json')], { cwd: root, encoding: 'utf8' });
  if (r.status === 0) return;
  // Type errors elsewhere (the type checker also reads the zod method specs) do not stop
  // the emit; `npm run typecheck` reports them. No output at all is fatal.
  process.stderr.write(`bundle-cli: tsc reported errors:\n${r.stdout ?? ''}${r.stderr ?? ''}`);
  if (!existsSync(amd)) process.exit(1);
}

/** Split tsc's AMD output into the helper prologue and one block per module. */
function split(text) {
  const starts = [...text.matchAll(/^define\("([^"]+)", (\[[^\]]*\])/gm)];
  if (starts.length === 0) throw new Error('bundle-cli: no define() blocks in the AMD output');
  const prologue = text.slice(0, starts[0].index);
  const blocks = new Map();
  starts.forEach((m, i) => {
    const body = text.slice(m.index, i + 1 < starts.length ? starts[i + 1].index : text.length);
    const deps = JSON.parse(m[2]);
    const dynamic = [...body.matchAll(/require\(\[("[^"]+")\]/g)].map((d) => JSON.parse(d[1]));
    blocks.set(m[1], { body, deps: [...deps, ...dynamic] });
  });
  return { prologue, blocks };
}

/** Names reachable from the entry through static and dynamic dependencies. */
function reachable(blocks) {
  const seen = new Set();
  const todo = [ENTRY];
  while (todo.length > 0) {
    const name = todo.pop();
    if (seen.has(name) || !blocks.has(name)) continue;
    seen.add(name);
    todo.push(...blocks.get(name).deps);
  }
  return seen;
}

/**
 * Escape every non-ASCII UTF-16 unit as \uXXXX. Valid wherever tsc leaves such characters
 * (string, template and regular expression literals; comments are removed): the value
 * is unchanged, only the spelling (a `String.raw` template would see the escape).
 */
function asciiOnly(text) {
  return text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Run the bundle on a few commands (scripts/bundle-cli-warm.cjs) and save V8's code cache. */
function writeCodeCache() {
  const warm = join(root, 'scripts', 'bundle-cli-warm.cjs');
  const r = spawnSync(process.execPath, [warm, out, `${out}.cache.tmp`], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) {
    process.stderr.write(`bundle-cli: could not make the code cache (the bundle still works):\n${r.stderr}`);
    rmSync(`${out}.cache`, { force: true });
    rmSync(`${out}.cache.tmp`, { force: true });
    return;
  }
  renameSync(`${out}.cache.tmp`, `${out}.cache`);
}

compile();
const { prologue, blocks } = split(readFileSync(amd, 'utf8'));
const keep = reachable(blocks);
if (!keep.has(ENTRY)) throw new Error(`bundle-cli: ${ENTRY} missing from the AMD output`);
const kept = [...blocks].filter(([name]) => keep.has(name)).map(([, b]) => b.body);
const banner = `// tsiscsiadm, bundled by scripts/bundle-cli.mjs from ${keep.size} modules. Do not edit.\n`;
mkdirSync(dirname(out), { recursive: true });
writeFileSync(`${out}.tmp`, asciiOnly(`${banner}${LOADER}${prologue}${kept.join('')}\nmodule.exports = __load(${JSON.stringify(ENTRY)});\n`));
renameSync(`${out}.tmp`, out);
rmSync(amd, { force: true });
writeCodeCache();
process.stdout.write(`bundle-cli: ${out} (${keep.size} of ${blocks.size} modules)\n`);
