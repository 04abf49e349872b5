/**
 * tsiscsiadm entry point: open-iscsi 2.1.8 iscsiadm syntax in, the same output and exit
 * statuses out (plus `--json`), by asking tsiscsid over its control socket.
 *
 * Flow: parse (src/cli/argv: a Command, or the exact CliError iscsiadm gives, which is
 * printed and nothing else happens) → notices → the mode's executor (src/cli/exec,
 * loaded on demand) → renderers (src/cli/render). Messages keep iscsiadm's
 * `iscsiadm: ` prefix whatever the program is called, so scripts that parse them work.
 * The control socket is found under TSISCSI_ROOT (default `/`).
 */
import { lstatSync, realpathSync } from 'node:fs';
import { basename } from 'node:path';
import { VERSION } from '../shared/version.js';
import { isCliError, parseCommandLine, resolveSidPath, type Command, type SidPathProbe } from './argv/index.js';
import { streamIo, type Io, type Sink } from './exec/context.js';
import { fdSink } from './exec/fd-sink.js';
import type { TtyStream } from './exec/progress.js';

/** The process facing parts of a run (real streams, or test doubles). */
export interface MainEnv {
  readonly stdout: Sink;
  readonly stderr: Sink & TtyStream;
  readonly env: NodeJS.ProcessEnv;
  /** argv[1]: the name the program was started as (`iscsiadm` through the alias). */
  readonly programPath: string;
  readonly sysfs?: string;
}

/** The release of iscsiadm whose behaviour is reproduced. */
const ISCSIADM_COMPAT = '2.1.8';

/** `-r <path>`: iscsiadm resolves sysfs paths through lstat and the sysfs device tree. */
const sysfsProbe: SidPathProbe = {
  kind(path) {
    try {
      const st = lstatSync(path);
      return st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'link' : 'other';
    } catch {
      return 'missing';
    }
  },
  devicePath(devpath) {
    try {
      const real = realpathSync(`/sys${devpath}`);
      return real.startsWith('/sys/devices/') ? real.slice('/sys'.length) : null;
    } catch {
      return null;
    }
  },
};

/** Commands answered without the daemon. */
async function local(cmd: Command, io: Io, program: string): Promise<number | undefined> {
  switch (cmd.mode) {
    case 'version': {
      const line = program === 'iscsiadm' ? `iscsiadm version ${ISCSIADM_COMPAT}` : `${program} version ${VERSION}`;
      io.text({ stdout: [line], stderr: [] });
      if (cmd.json) {
        const { jsonDocument } = await import('./render/json.js');
        io.doc(() => jsonDocument('version', { program, version: VERSION, iscsiadm: ISCSIADM_COMPAT }));
      }
      return 0;
    }
    case 'help': {
      const text = (await import('./help.js')).renderHelp(cmd.topic, program);
      io.text({ stdout: text.replace(/\n$/, '').split('\n'), stderr: [] });
      if (cmd.json) {
        const { jsonDocument } = await import('./render/json.js');
        io.doc(() => jsonDocument('help', { topic: cmd.topic, text }));
      }
      return 0;
    }
    case 'install-iscsiadm-alias': return (await import('./exec/alias.js')).installAlias(io, cmd.value);
    case 'uninstall-iscsiadm-alias': return (await import('./exec/alias.js')).uninstallAlias(io, cmd.value);
    default: return undefined;
  }
}

/** Run tsiscsiadm with `argv` (the arguments after the program name); returns the exit status. */
export async function run(argv: readonly string[], env: MainEnv): Promise<number> {
  const parsed = parseCommandLine(argv, { resolveSidPath: (p) => resolveSidPath(p, sysfsProbe) });
  const program = basename(env.programPath) === 'iscsiadm' ? 'iscsiadm' : 'tsiscsiadm';
  const io = streamIo(parsed.json, env.stdout, env.stderr);
  if (isCliError(parsed)) return (await import('./exec/report.js')).cliFailure({ io }, parsed);
  if (parsed.notices.length > 0) io.text({ stdout: [], stderr: parsed.notices });
  const done = await local(parsed, io, program);
  if (done !== undefined) return done;
  const cmd = parsed as Exclude<Command, { mode: 'version' | 'help' | 'install-iscsiadm-alias' | 'uninstall-iscsiadm-alias' }>;
  const { runDaemonCommand } = await import('./exec/run.js');
  return runDaemonCommand(cmd, io, { env: env.env, stderr: env.stderr, ...(env.sysfs === undefined ? {} : { sysfs: env.sysfs }) });
}

/**
 * The `bin/tsiscsiadm` entry: run writing straight to fds 1 and 2 (synchronous write(2),
 * see fd-sink.ts), then exit at once with the status: everything printed is already
 * written, and the control connection is simply dropped instead of waiting for the
 * daemon to acknowledge its close.
 */
export async function main(argv: string[]): Promise<void> {
  const err = fdSink(2);
  const code = await run(argv, {
    stdout: fdSink(1),
    // process.stderr is created only when a progress line asks whether stderr is a terminal.
    stderr: { write: (s: string) => err.write(s), get isTTY() { return process.stderr.isTTY; } },
    env: process.env,
    programPath: process.argv[1] ?? 'tsiscsiadm',
  });
  process.exit(code);
}
