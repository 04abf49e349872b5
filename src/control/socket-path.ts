/**
 * The socket's place in the filesystem. Node has no SO_PEERCRED, so access control
 * is the file mode: the socket lives in a directory only its owner can enter
 * (0700) and is itself 0600. The server refuses to start when the directory is not
 * a real directory, is owned by another user, or grants group/other any access,
 * and removes a leftover socket only when nothing answers on it; it never removes
 * anything that is not a socket.
 */
import { createConnection } from 'node:net';
import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { IscsiError } from '../shared/errors.js';
import { controlError } from './errors.js';

/** Mode of the socket directory. */
export const SOCKET_DIR_MODE = 0o700;
/** Mode of the socket file. */
export const SOCKET_MODE = 0o600;
/** sun_path is 108 bytes including the terminating NUL (unix(7)). */
export const MAX_SOCKET_PATH_BYTES = 107;

function errnoOf(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

/** The effective uid, or undefined on platforms without one. */
export function effectiveUid(): number | undefined {
  return typeof process.geteuid === 'function' ? process.geteuid() : undefined;
}

/**
 * Create `dir` with mode 0700 if missing (parents 0755), then check it: a real
 * directory (not a symlink), owned by `uid`, no group/other permission bits.
 */
export async function prepareSocketDir(dir: string, uid = effectiveUid()): Promise<void> {
  await mkdir(dirname(dir), { recursive: true, mode: 0o755 });
  try {
    await mkdir(dir, { mode: SOCKET_DIR_MODE });
    await chmod(dir, SOCKET_DIR_MODE); // the umask may have cleared owner bits
  } catch (err) {
    if (errnoOf(err) !== 'EEXIST') throw err;
  }
  await checkSocketDir(dir, uid);
}

/** Check an existing socket directory (see prepareSocketDir); throws typed errors. */
export async function checkSocketDir(dir: string, uid = effectiveUid()): Promise<void> {
  const st = await lstat(dir);
  if (!st.isDirectory()) {
    throw controlError('SOCKET_DIR_NOT_DIRECTORY', `socket directory ${dir} is not a directory (symlinks are refused)`, { dir });
  }
  if (uid !== undefined && st.uid !== uid) {
    throw controlError('SOCKET_DIR_NOT_OWNED', `socket directory ${dir} is owned by uid ${st.uid}, not by us (uid ${uid})`, { dir, owner: st.uid, uid });
  }
  const mode = st.mode & 0o7777;
  if ((mode & 0o077) !== 0) {
    throw controlError('SOCKET_DIR_INSECURE', `socket directory ${dir} has mode ${mode.toString(8)}; it must grant nothing to group/other (0700)`, { dir, mode: mode.toString(8) });
  }
}

/** Refuse paths that do not fit in sockaddr_un.sun_path. */
export function checkSocketPathLength(path: string): void {
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw controlError('SOCKET_PATH_TOO_LONG', `socket path ${path} is ${bytes} bytes; at most ${MAX_SOCKET_PATH_BYTES} fit in sun_path`, { path, bytes });
  }
}

/** What answers on a socket path. */
export type ProbeResult = 'live' | 'refused' | 'absent' | { readonly error: string };

/** Try one connection to `path`: live, refused (stale), absent, or another error. */
export function probeSocket(path: string, timeoutMs = 1000): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const sock = createConnection({ path });
    const done = (r: ProbeResult): void => {
      sock.removeAllListeners();
      sock.on('error', () => {});
      sock.destroy();
      resolve(r);
    };
    sock.setTimeout(timeoutMs, () => done({ error: 'ETIMEDOUT' }));
    sock.once('connect', () => done('live'));
    sock.once('error', (err) => {
      const code = errnoOf(err);
      done(code === 'ECONNREFUSED' ? 'refused' : code === 'ENOENT' ? 'absent' : { error: code ?? 'unknown' });
    });
  });
}

/**
 * Make `path` free for a new socket: nothing there → done; a socket nobody listens
 * on (ECONNREFUSED) → unlinked; a live socket, a non-socket, or anything we cannot
 * be sure about → typed error, file untouched.
 */
export async function clearStaleSocket(path: string, probeTimeoutMs = 1000): Promise<'none' | 'removed'> {
  let isSocket: boolean;
  try {
    isSocket = (await lstat(path)).isSocket();
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return 'none';
    throw err;
  }
  if (!isSocket) {
    throw controlError('SOCKET_PATH_NOT_SOCKET', `${path} exists and is not a socket; refusing to remove it`, { path });
  }
  const probe = await probeSocket(path, probeTimeoutMs);
  if (probe === 'absent') return 'none';
  if (probe !== 'refused') throw inUse(path, probe);
  try {
    await unlink(path);
  } catch (err) {
    if (errnoOf(err) !== 'ENOENT') throw err;
  }
  return 'removed';
}

function inUse(path: string, probe: 'live' | { readonly error: string }): IscsiError {
  const how = probe === 'live' ? 'another server is listening on it' : `probing it failed with ${probe.error}`;
  return controlError('SOCKET_IN_USE', `control socket ${path} is in use: ${how}`, { path, probe: probe === 'live' ? 'live' : probe.error });
}

/** Check the socket file after bind: a socket, owned by `uid`, mode exactly 0600. */
export async function checkSocketFile(path: string, uid = effectiveUid()): Promise<void> {
  const st = await lstat(path);
  const mode = st.mode & 0o7777;
  if (!st.isSocket() || mode !== SOCKET_MODE || (uid !== undefined && st.uid !== uid)) {
    throw controlError('SOCKET_MODE_WRONG', `control socket ${path} has mode ${mode.toString(8)} uid ${st.uid}; expected a 0600 socket of uid ${uid}`, { path, mode: mode.toString(8), owner: st.uid });
  }
}
