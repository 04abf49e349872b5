/**
 * -u/-g: give up root after the control socket is bound (reference §1.2 step 6), in
 * iscsid's order: setgid, drop supplementary groups (only possible while euid is 0),
 * setuid. Numeric ids only, like iscsid (which parses them with strtoul).
 *
 * The socket directory and socket stay owned by the user that created them; the
 * listening socket keeps working, but removing the socket file on exit then needs that
 * user's rights (systemd's tsiscsid.socket owns the file anyway).
 */
import { IscsiError, ISCSI_ERR } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';

/** The process calls used (injectable for tests). */
export interface IdentityCalls {
  geteuid(): number;
  getuid(): number;
  getgid(): number;
  setgid(id: number): void;
  setuid(id: number): void;
  setgroups(groups: number[]): void;
}

/** Who to become. */
export interface PrivilegeTarget {
  readonly uid?: number;
  readonly gid?: number;
}

function nodeIdentity(): IdentityCalls {
  const p = process;
  if (!p.geteuid || !p.getuid || !p.getgid || !p.setgid || !p.setuid || !p.setgroups) {
    throw new IscsiError('PRIVILEGES_UNSUPPORTED', 'this platform has no POSIX user/group ids', { errno: ISCSI_ERR.ERR });
  }
  return {
    geteuid: p.geteuid.bind(p), getuid: p.getuid.bind(p), getgid: p.getgid.bind(p),
    setgid: p.setgid.bind(p), setuid: p.setuid.bind(p), setgroups: p.setgroups.bind(p),
  };
}

function step(what: string, fn: () => void, details: Record<string, unknown>): void {
  try {
    fn();
  } catch (err) {
    const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : String(err);
    throw new IscsiError('PRIVILEGE_DROP_FAILED', `${what} failed: ${code}`, { errno: ISCSI_ERR.ERR, details: { step: what, ...details }, cause: err });
  }
}

/**
 * Apply -g/-u. With euid 0, supplementary groups are dropped even without -u/-g (as
 * iscsid does). Returns what was done.
 * @throws IscsiError `PRIVILEGE_DROP_FAILED` (errno 1) naming the failing step.
 */
export function dropPrivileges(target: PrivilegeTarget, log: Logger, ids: IdentityCalls = nodeIdentity()): { groupsDropped: boolean } {
  if (target.gid !== undefined) step('setgid', () => ids.setgid(target.gid!), { gid: target.gid });
  let groupsDropped = false;
  if (ids.geteuid() === 0) {
    step('setgroups', () => ids.setgroups([]), {});
    groupsDropped = true;
  }
  if (target.uid !== undefined) step('setuid', () => ids.setuid(target.uid!), { uid: target.uid });
  if (target.uid !== undefined && (ids.getuid() !== target.uid || ids.geteuid() !== target.uid)) {
    throw new IscsiError('PRIVILEGE_DROP_FAILED', `setuid(${target.uid}) did not take effect`, { errno: ISCSI_ERR.ERR, details: { step: 'verify', uid: target.uid } });
  }
  if (target.uid !== undefined || target.gid !== undefined) {
    log.info({ uid: ids.getuid(), gid: ids.getgid(), groupsDropped }, 'dropped privileges');
  }
  return { groupsDropped };
}
