/**
 * `--install-iscsiadm-alias[=PATH]` / `--uninstall-iscsiadm-alias[=PATH]` (opt-in, our
 * extension): an `iscsiadm` name for tools that hard-code it. Installing makes PATH
 * (default /usr/sbin/iscsiadm) a symbolic link to bin/tsiscsiadm; it never replaces a
 * real file or someone else's link, only (atomically) a link to a tsiscsiadm.
 * Uninstalling removes PATH only when it is such a link.
 */
import { lstatSync, readlinkSync, realpathSync, renameSync, symlinkSync, unlinkSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { actionJson } from '../render/json.js';
import { errText } from '../render/messages.js';
import type { Io } from './context.js';
import { failWith } from './report.js';

/** Where the alias goes by default. */
export const DEFAULT_ALIAS_PATH = '/usr/sbin/iscsiadm';

/** Absolute path of the running bin/tsiscsiadm (symbolic links resolved: through an alias too). */
export function tsiscsiadmBin(argv1: string = process.argv[1] ?? 'tsiscsiadm'): string {
  return real(resolve(argv1));
}

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** What is at `path`: nothing, a link to a tsiscsiadm (ours), or anything else. */
function inspect(path: string, target: string): 'none' | 'ours' | 'foreign' {
  let st;
  try {
    st = lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'none';
    throw err;
  }
  if (!st.isSymbolicLink()) return 'foreign';
  const to = resolve(dirname(path), readlinkSync(path));
  return real(to) === real(target) || basename(to) === 'tsiscsiadm' ? 'ours' : 'foreign';
}

function report(io: Io, action: string, path: string, target: string, errno: number, line?: string): number {
  if (line !== undefined) io.text({ stdout: [line], stderr: [] });
  io.doc(() => actionJson(action, [{ object: { path, target }, ok: errno === 0, errno, error: errno === 0 ? '' : errText(errno) }], errno));
  return errno;
}

function fsFailure(io: Io, what: string, err: unknown): number {
  const e = err as NodeJS.ErrnoException;
  return failWith({ io }, e.code === 'EACCES' || e.code === 'EPERM' ? 13 : 6, `${what}: ${e.code ?? e.message}`);
}

/** Install the alias; returns the exit status. */
export function installAlias(io: Io, path = DEFAULT_ALIAS_PATH, target = tsiscsiadmBin()): number {
  const action = 'install-iscsiadm-alias';
  try {
    const found = inspect(path, target);
    if (found === 'foreign') {
      return failWith({ io }, 7, `${path} exists and is not a tsiscsiadm link; not replacing it (remove it yourself if you mean to)`);
    }
    if (found === 'none') symlinkSync(target, path);
    else {
      // Refresh our own link atomically (rename over it).
      const tmp = `${path}.tsiscsiadm-${process.pid}`;
      symlinkSync(target, tmp);
      renameSync(tmp, path);
    }
    return report(io, action, path, target, 0, `${path} -> ${target}`);
  } catch (err) {
    return fsFailure(io, `cannot install ${path}`, err);
  }
}

/** Remove the alias; returns the exit status. */
export function uninstallAlias(io: Io, path = DEFAULT_ALIAS_PATH, target = tsiscsiadmBin()): number {
  const action = 'uninstall-iscsiadm-alias';
  try {
    const found = inspect(path, target);
    if (found === 'none') return failWith({ io }, 21, `no iscsiadm alias at ${path}`);
    if (found === 'foreign') return failWith({ io }, 7, `${path} is not a tsiscsiadm link; leaving it alone`);
    unlinkSync(path);
    return report(io, action, path, target, 0, `removed ${path}`);
  } catch (err) {
    return fsFailure(io, `cannot remove ${path}`, err);
  }
}
