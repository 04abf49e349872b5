/**
 * `-r <sysfs path>`: how iscsiadm 2.1.8 turns a path into a session id, with the file
 * system questions asked through a probe so this stays pure.
 *
 * Order and results (observed): a missing path → "%s is an invalid session ID or path"
 * (exit 1); not a directory or symlink → "%s is not a directory" (exit 1); not a sysfs device
 * → "Could not get dev for %s. Possible sysfs incompatibility." then "invalid sid '%s'"
 * (exit 7); otherwise the nearest path component (leaf first) named session<N> gives N, and
 * none → "Unable to find sid in path %s" then "invalid sid '%s'" (exit 7).
 */
import { atoi } from './c-number.js';
import { cliError, MSG, prefixed } from './messages.js';
import type { CliError } from './types.js';

/** File-system facts the resolution needs. */
export interface SidPathProbe {
  /** What lstat() says about the path. */
  kind(path: string): 'missing' | 'dir' | 'link' | 'other';
  /**
   * The sysfs device path (e.g. `/devices/platform/host3/session5/iscsi_session/session5`)
   * for a path below /sys (given without its leading "/sys"), or null if it is not a device.
   */
  devicePath(devpath: string): string | null;
}

/** Resolve a `-r` path to a session id, or the error iscsiadm prints. */
export function resolveSidPath(path: string, probe: SidPathProbe, prog = 'iscsiadm', json = false): number | CliError {
  const kind = probe.kind(path);
  if (kind === 'missing') return cliError(1, [prefixed(prog, MSG.badSid(path))], json);
  if (kind === 'other') return cliError(1, [prefixed(prog, MSG.sidNotDir(path))], json);
  const devpath = path.startsWith('/sys') ? path.slice(4) : path;
  const device = probe.devicePath(devpath);
  if (device === null) {
    return cliError(7, [prefixed(prog, MSG.sidNoDev(devpath)), prefixed(prog, MSG.sidInvalid(path))], json);
  }
  const parts = device.split('/').filter((p) => p !== '').reverse();
  const session = parts.find((p) => p.startsWith('session'));
  if (session === undefined) {
    return cliError(7, [prefixed(prog, MSG.sidNotInPath(path)), prefixed(prog, MSG.sidInvalid(path))], json);
  }
  return atoi(session.slice('session'.length));
}
