/**
 * Every path the daemon and CLI use, under one root prefix (`--root DIR` or
 * `TSISCSI_ROOT`), so tests and the demo run unprivileged in a temp dir.
 */
import { join } from 'node:path';

export interface DaemonPaths {
  root: string;
  /** /etc/tsiscsi/iscsid.conf */
  config: string;
  /** /etc/tsiscsi/initiatorname.iscsi */
  initiatorName: string;
  /** /var/lib/tsiscsi: nodes/, send_targets/, isns/, static/, fw/, ifaces/ */
  db: string;
  /** /run/tsiscsi: the control socket's root-only directory */
  runDir: string;
  /** /run/tsiscsi/tsiscsid.sock */
  socket: string;
  /** /run/tsiscsi/tsiscsid.pid */
  pidFile: string;
}

/** Root from the option, else TSISCSI_ROOT, else "/". */
export function resolveRoot(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return option ?? env.TSISCSI_ROOT ?? '/';
}

export function daemonPaths(root = '/', overrides: Partial<Omit<DaemonPaths, 'root'>> = {}): DaemonPaths {
  const at = (p: string): string => join(root, p);
  const runDir = overrides.runDir ?? at('run/tsiscsi');
  return {
    root,
    config: overrides.config ?? at('etc/tsiscsi/iscsid.conf'),
    initiatorName: overrides.initiatorName ?? at('etc/tsiscsi/initiatorname.iscsi'),
    db: overrides.db ?? at('var/lib/tsiscsi'),
    runDir,
    socket: overrides.socket ?? join(runDir, 'tsiscsid.sock'),
    pidFile: overrides.pidFile ?? join(runDir, 'tsiscsid.pid'),
  };
}
