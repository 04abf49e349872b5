/**
 * The pid file (`/run/tsiscsi/tsiscsid.pid`): `"<pid>\n"`, mode 0644, like iscsid's.
 *
 * iscsid holds a lockf() lock on it; Node has no lockf, and the control socket already
 * guarantees a single daemon (a second one finds the socket live and refuses to start),
 * so here the file is only information for tools. It is written atomically (temp +
 * rename), a file naming a live process other than us is refused, a stale one is
 * replaced, and on exit it is removed only if it still names us.
 */
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { IscsiError, ISCSI_ERR } from '../shared/errors.js';

/** Mode of the pid file. */
export const PID_FILE_MODE = 0o644;

function errCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

/** Whether a process with this pid exists (EPERM: it exists but is not ours). */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errCode(err) === 'EPERM';
  }
}

/** The pid in a pid file, undefined when missing or not a pid. */
export async function readPidFile(path: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (errCode(err) === 'ENOENT') return undefined;
    throw err;
  }
  const m = /^\s*(\d{1,10})\s*$/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** A written pid file; `remove()` deletes it if it still holds our pid. */
export interface PidFile {
  readonly path: string;
  remove(): Promise<void>;
}

/**
 * Write `pid` to `path` (0644, atomic).
 * @throws IscsiError `DAEMON_ALREADY_RUNNING` (errno 1) when the file names another live
 *   process, `PID_FILE_WRITE_FAILED` (errno 1) when it cannot be written.
 */
export async function writePidFile(path: string, pid: number = process.pid): Promise<PidFile> {
  const existing = await readPidFile(path);
  if (existing !== undefined && existing !== pid && processExists(existing)) {
    throw new IscsiError('DAEMON_ALREADY_RUNNING', `pid file ${path} names running process ${existing}; is tsiscsid already running?`, {
      errno: ISCSI_ERR.ERR, details: { path, pid: existing },
    });
  }
  const tmp = `${path}.${pid}.tmp`;
  try {
    const fh = await open(tmp, 'w', PID_FILE_MODE);
    try {
      await fh.chmod(PID_FILE_MODE); // the daemon runs with umask 0077
      await fh.writeFile(`${pid}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw new IscsiError('PID_FILE_WRITE_FAILED', `cannot write pid file ${path}: ${errCode(err) ?? String(err)}`, {
      errno: ISCSI_ERR.ERR, details: { path }, cause: err,
    });
  }
  return {
    path,
    async remove(): Promise<void> {
      if ((await readPidFile(path).catch(() => undefined)) !== pid) return;
      await unlink(path).catch((err: unknown) => {
        if (errCode(err) !== 'ENOENT') throw err;
      });
    },
  };
}
