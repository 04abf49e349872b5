/**
 * Crash-safe file operations (DESIGN §5.10). A record is never rewritten in place:
 *
 *   1. create a temp file in the same directory (`.tsiscsi.<pid>.<n>.<hex>.tmp`, O_EXCL)
 *      with the final mode (fchmod, so the umask cannot widen or narrow it),
 *   2. write all bytes, fsync the file, close it,
 *   3. rename(2) it over the record (atomic replace within one filesystem),
 *   4. fsync the directory so the rename itself is durable.
 *
 * A reader therefore sees the old record or the new one, never a torn or empty file,
 * even if the writer is killed at any instruction. A killed writer can only leave a
 * temp file behind; readers skip dot-files and `sweepTemps` removes those whose
 * writer process is gone.
 */
import { randomBytes } from 'node:crypto';
import { link, lstat, mkdir, open, readdir, readFile, rename, rmdir, symlink, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Mode of record files holding a secret (a CHAP password). */
export const SECRET_FILE_MODE = 0o600;
/** Mode of other record files. */
export const PUBLIC_FILE_MODE = 0o644;
/** Mode of database directories (as open-iscsi creates them). */
export const DIR_MODE = 0o770;

const TEMP_RE = /^\.tsiscsi\.(\d+)\.\d+\.[0-9a-f]+\.tmp$/;
let tempCounter = 0;

/** A fresh temp path in `dir`, named after this process so stale ones can be swept. */
export function tempPath(dir: string): string {
  tempCounter += 1;
  return join(dir, `.tsiscsi.${process.pid}.${tempCounter}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Whether a directory entry name is one of our temp files. */
export function isTempName(name: string): boolean {
  return TEMP_RE.test(name);
}

/** fsync a directory (makes renames, creations and unlinks in it durable). */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Atomically replace `file` with `data` (temp, fsync, rename, fsync dir), with exactly `mode`. */
export async function atomicWriteFile(file: string, data: string, mode: number): Promise<void> {
  const dir = dirname(file);
  const tmp = tempPath(dir);
  const fh = await open(tmp, 'wx', mode);
  try {
    try {
      await fh.chmod(mode);
      await fh.writeFile(data, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fsyncDir(dir);
}

/**
 * Create `file` with `data` only if it does not exist yet, atomically: the content is
 * complete before the name appears (link(2) of a finished temp file fails with EEXIST
 * instead of replacing). Returns false when the file already existed.
 */
export async function atomicCreateFile(file: string, data: string, mode: number): Promise<boolean> {
  const dir = dirname(file);
  const tmp = tempPath(dir);
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.chmod(mode);
    await fh.writeFile(data, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await link(tmp, file);
    await fsyncDir(dir);
    return true;
  } catch (err) {
    if (errCode(err) === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

/** Atomically point symlink `linkPath` at `target` (a relative path), replacing any old link. */
export async function atomicSymlink(target: string, linkPath: string): Promise<void> {
  const dir = dirname(linkPath);
  const tmp = tempPath(dir);
  await symlink(target, tmp);
  try {
    await rename(tmp, linkPath);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fsyncDir(dir);
}

/** Remove a file or symlink if present (then fsync its directory). Returns whether it existed. */
export async function removeFile(file: string): Promise<boolean> {
  try {
    await unlink(file);
  } catch (err) {
    if (errCode(err) === 'ENOENT') return false;
    throw err;
  }
  await fsyncDir(dirname(file));
  return true;
}

/** Create a directory (and parents) with DIR_MODE if missing. */
export async function ensureDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: DIR_MODE });
}

/** Remove `dir` and then its parents while they are empty, never going above `stopAt`. */
export async function pruneEmptyDirs(dir: string, stopAt: string): Promise<void> {
  let current = dir;
  while (current.startsWith(`${stopAt}/`) && current !== stopAt) {
    try {
      await rmdir(current);
    } catch (err) {
      const code = errCode(err);
      if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOENT') return;
      throw err;
    }
    current = dirname(current);
  }
}

/** Whether process `pid` exists (EPERM means it exists but belongs to someone else). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errCode(err) === 'EPERM';
  }
}

/** Start time of a process in clock ticks since boot (/proc/<pid>/stat field 22), if known. */
export async function processStartTime(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ..." — comm may contain spaces and ')', so split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

/** Delete temp files left under `root` by writers that no longer run. Returns how many. */
export async function sweepTemps(root: string): Promise<number> {
  let removed = 0;
  const walk = async (dir: string): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      const m = TEMP_RE.exec(name);
      if (m) {
        if (!isProcessAlive(Number(m[1])) && (await removeFile(path))) removed += 1;
        continue;
      }
      const st = await lstat(path).catch(() => undefined);
      if (st?.isDirectory()) await walk(path);
    }
  };
  await walk(root);
  return removed;
}

/** The `code` of a Node system error, if any. */
export function errCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}
