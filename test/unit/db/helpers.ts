/**
 * Helpers for the record-database tests: temp roots, a walk over record files, and a
 * runnable copy of src/db for child processes (TypeScript's transpileModule into a temp
 * dir that mirrors the repository layout; node_modules is symlinked for zod).
 */
import { mkdtemp, mkdir, readdir, readFile, rm, symlink, writeFile, lstat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '../../..');

/** A fresh temp directory (removed by the returned cleanup). */
export async function tempDir(prefix = 'tsiscsi-db-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Every path under `root` (files, links and dirs), relative, sorted. */
export async function walk(root: string): Promise<string[]> {
  const out: string[] = [];
  const go = async (dir: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const p = join(dir, name);
      out.push(relative(root, p));
      const st = await lstat(p);
      if (st.isDirectory()) await go(p);
    }
  };
  await go(root);
  return out;
}

async function tsFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const ent of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, ent.name);
    if (ent.isDirectory()) out.push(...(await tsFiles(p)));
    else if (ent.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/**
 * Transpile src/db, src/shared and the given fixture files into `dir` (same relative
 * layout, `.ts` -> `.js`) so child processes can run them with plain `node`.
 * Returns the path of each fixture's `.js`.
 */
export async function buildChildBundle(dir: string, fixtures: string[]): Promise<string[]> {
  const sources = [...(await tsFiles(join(REPO, 'src/db'))), ...(await tsFiles(join(REPO, 'src/shared'))), ...fixtures];
  for (const file of sources) {
    const out = join(dir, relative(REPO, file)).replace(/\.ts$/, '.js');
    const js = ts.transpileModule(await readFile(file, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
      fileName: file,
    }).outputText;
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, js);
  }
  await writeFile(join(dir, 'package.json'), '{"type":"module"}\n');
  await symlink(join(REPO, 'node_modules'), join(dir, 'node_modules'));
  return fixtures.map((f) => join(dir, relative(REPO, f)).replace(/\.ts$/, '.js'));
}
