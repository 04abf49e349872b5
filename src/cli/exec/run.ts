/**
 * Commands that talk to the daemon: build the context (control socket under
 * TSISCSI_ROOT, output streams, TTY progress) and hand the command to its mode's
 * executor, each loaded only when used so a listing loads as little code as possible.
 */
import { daemonPaths, resolveRoot } from '../../shared/paths.js';
import type { Command } from '../argv/types.js';
import { daemonApi } from './api.js';
import type { ExecContext, Io } from './context.js';
import { ttyProgress, type TtyStream } from './progress.js';
import { connectFailure } from './report.js';

/** What a run needs from the process. */
export interface RunEnv {
  readonly env: NodeJS.ProcessEnv;
  readonly stderr: TtyStream;
  /** sysfs mount point (default /sys). */
  readonly sysfs?: string;
}

type DaemonCommand = Exclude<Command, { mode: 'version' | 'help' | 'install-iscsiadm-alias' | 'uninstall-iscsiadm-alias' }>;

async function dispatch(cmd: DaemonCommand, ctx: ExecContext): Promise<number> {
  switch (cmd.mode) {
    case 'session': return (await import('./session.js')).execSession(cmd, ctx);
    case 'node': return (await import('./node.js')).execNode(cmd, ctx);
    case 'discovery':
    case 'discoverydb': return (await import('./discovery.js')).execDiscovery(cmd, ctx);
    case 'iface': return (await import('./iface.js')).execIface(cmd, ctx);
    case 'host': return (await import('./host.js')).execHost(cmd, ctx);
    case 'fw': return (await import('./firmware.js')).execFirmware(cmd, ctx);
    case 'killiscsid': return (await import('./kill.js')).execKill(ctx);
    case 'import-open-iscsi': return (await import('./import.js')).importOpenIscsi(ctx, cmd.value);
    default: throw new Error(`${cmd.mode} does not use the daemon`);
  }
}

/** Run one daemon command; returns the exit status. */
export async function runDaemonCommand(cmd: DaemonCommand, io: Io, env: RunEnv): Promise<number> {
  const paths = daemonPaths(resolveRoot(undefined, env.env));
  const api = daemonApi(
    paths.socket,
    (err, autostart) => io.text(connectFailure(err, autostart)),
    async () => (await import('../local/api.js')).localApi(paths),
  );
  let progress: { value: ReturnType<typeof ttyProgress> } | undefined;
  const ctx: ExecContext = {
    api, io, json: cmd.json, dbRoot: paths.db, sysfs: env.sysfs ?? (env.env.TSISCSI_SYSFS || '/sys'),
    // Asked for only by long operations: finding out whether stderr is a TTY has a cost.
    get progress() {
      progress ??= { value: ttyProgress(env.stderr) };
      return progress.value;
    },
  };
  try {
    return await dispatch(cmd, ctx);
  } finally {
    api.close();
  }
}
