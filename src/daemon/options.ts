/**
 * tsiscsid's command line: iscsid's options (reference §1.2) plus `--root` and
 * `--generate-initiatorname`.
 *
 *   -c, --config FILE          iscsid.conf (default <root>/etc/tsiscsi/iscsid.conf)
 *   -i, --initiatorname FILE   initiatorname.iscsi (default <root>/etc/tsiscsi/initiatorname.iscsi)
 *   -f, --foreground           log for a terminal (human-readable lines when stdout is a TTY);
 *                              no pid file. systemd runs `tsiscsid -f` (Type=notify).
 *   -d, --debug N              debug level 0..8 (0 info, 1-2 debug, 3+ trace)
 *   -u, --uid UID              setuid to this numeric uid after binding the control socket
 *   -g, --gid GID              setgid to this numeric gid after binding the control socket
 *   -p, --pid FILE             pid file (default <root>/run/tsiscsi/tsiscsid.pid)
 *   -n, --no-pid-file          write no pid file
 *   -v, --version              print `tsiscsid version X` and exit
 *   -h, --help                 print usage and exit
 *       --root DIR             prefix of every default path (also TSISCSI_ROOT; empty = unset)
 *       --generate-initiatorname  create initiatorname.iscsi if missing, print the name, exit
 *
 * Like iscsid, `-p` together with `-n` or `-f` is refused. Explicit -c/-i/-p paths are
 * used as given (not prefixed by the root). Node cannot fork, so without `-f` the
 * daemon still runs in this process; `-f` only selects foreground logging and turns the
 * pid file off (iscsid writes its pid file only when it daemonizes).
 *
 * Every error is a ConfigError (errno 7 = ISCSI_ERR_INVAL, the exit status iscsid
 * uses for bad options) with a stable code.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '../shared/errors.js';

/** Options of a daemon run. */
export interface DaemonOptions {
  readonly root?: string;
  readonly config?: string;
  readonly initiatorName?: string;
  readonly foreground: boolean;
  /** 0..8 */
  readonly debug: number;
  readonly uid?: number;
  readonly gid?: number;
  /** Explicit pid file path (-p). */
  readonly pidFile?: string;
  /** -n, or implied by -f. */
  readonly noPidFile: boolean;
}

/** What the command line asks for. */
export type DaemonCommand =
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'generate-initiatorname'; readonly options: DaemonOptions }
  | { readonly kind: 'run'; readonly options: DaemonOptions };

/** Highest -d level (iscsid's log levels are 0..8). */
export const MAX_DEBUG = 8;

/** Usage text printed by -h. */
export const USAGE = `Usage: tsiscsid [OPTION]

  -c, --config=FILE         iscsid.conf to read (default <root>/etc/tsiscsi/iscsid.conf)
  -i, --initiatorname=FILE  initiatorname.iscsi (default <root>/etc/tsiscsi/initiatorname.iscsi)
  -f, --foreground          run for a terminal: human-readable logs on a TTY, no pid file
  -d, --debug=N             debug level 0..8 (0 info, 1-2 debug, 3-8 trace)
  -u, --uid=UID             run as this numeric user id after binding the control socket
  -g, --gid=GID             run as this numeric group id after binding the control socket
  -p, --pid=FILE            pid file (default <root>/run/tsiscsi/tsiscsid.pid)
  -n, --no-pid-file         do not write a pid file
  -v, --version             print the version and exit
  -h, --help                print this help and exit
      --root=DIR            prefix every default path with DIR (also TSISCSI_ROOT)
      --generate-initiatorname
                            create initiatorname.iscsi with a new name if it is missing,
                            print the name and exit (used by tsiscsi-init.service)

tsiscsid never forks: it always stays in the foreground process; systemd starts it
with -f as a Type=notify service.
`;

const SPEC = {
  config: { type: 'string', short: 'c' },
  initiatorname: { type: 'string', short: 'i' },
  foreground: { type: 'boolean', short: 'f' },
  debug: { type: 'string', short: 'd' },
  uid: { type: 'string', short: 'u' },
  gid: { type: 'string', short: 'g' },
  pid: { type: 'string', short: 'p' },
  'no-pid-file': { type: 'boolean', short: 'n' },
  version: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
  root: { type: 'string' },
  'generate-initiatorname': { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof SPEC; strict: true; allowPositionals: false }>>['values'];

function optionError(code: string, message: string, details: Record<string, unknown> = {}): ConfigError {
  return new ConfigError(code, message, { details });
}

/** A non-negative decimal integer no larger than `max`, or a BAD_OPTION_VALUE error naming the option. */
function parseInteger(value: string, option: string, max: number): number {
  if (!/^\d{1,10}$/.test(value) || Number(value) > max) {
    throw optionError('BAD_OPTION_VALUE', `option ${option}: '${value}' is not an integer in 0..${max}`, { option, value });
  }
  return Number(value);
}

function nonEmpty(value: string | undefined, option: string): string | undefined {
  if (value === '') throw optionError('BAD_OPTION_VALUE', `option ${option} needs a non-empty value`, { option });
  return value;
}

function readArgs(argv: readonly string[]): Values {
  try {
    return parseArgs({ args: [...argv], options: SPEC, strict: true, allowPositionals: false }).values;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const code = e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' ? 'UNEXPECTED_ARGUMENT' : 'BAD_OPTION';
    throw new ConfigError(code, e.message, { cause: err });
  }
}

function toOptions(v: Values, env: NodeJS.ProcessEnv): DaemonOptions {
  if (v.pid !== undefined && v['no-pid-file']) {
    throw optionError('OPTION_CONFLICT', 'options -p/--pid and -n/--no-pid-file cannot be used together', { options: ['-p', '-n'] });
  }
  if (v.pid !== undefined && v.foreground) {
    throw optionError('OPTION_CONFLICT', 'option -p/--pid cannot be used with -f/--foreground (no pid file in the foreground)', { options: ['-p', '-f'] });
  }
  const root = nonEmpty(v.root, '--root') ?? (env.TSISCSI_ROOT === '' ? undefined : env.TSISCSI_ROOT);
  const config = nonEmpty(v.config, '-c/--config');
  const initiatorName = nonEmpty(v.initiatorname, '-i/--initiatorname');
  const pidFile = nonEmpty(v.pid, '-p/--pid');
  return {
    foreground: v.foreground ?? false,
    debug: v.debug === undefined ? 0 : parseInteger(v.debug, '-d/--debug', MAX_DEBUG),
    noPidFile: (v['no-pid-file'] ?? false) || (v.foreground ?? false),
    ...(root === undefined ? {} : { root }),
    ...(config === undefined ? {} : { config }),
    ...(initiatorName === undefined ? {} : { initiatorName }),
    ...(pidFile === undefined ? {} : { pidFile }),
    ...(v.uid === undefined ? {} : { uid: parseInteger(v.uid, '-u/--uid', 0xfffffffe) }),
    ...(v.gid === undefined ? {} : { gid: parseInteger(v.gid, '-g/--gid', 0xfffffffe) }),
  };
}

/**
 * Parse tsiscsid's arguments (without `node` and the script). `-h` wins over
 * everything, then `-v`; both are accepted alone or with valid options.
 * @throws ConfigError BAD_OPTION | UNEXPECTED_ARGUMENT | BAD_OPTION_VALUE | OPTION_CONFLICT (errno 7)
 */
export function parseDaemonArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): DaemonCommand {
  const v = readArgs(argv);
  if (v.help) return { kind: 'help' };
  if (v.version) return { kind: 'version' };
  const options = toOptions(v, env);
  return v['generate-initiatorname'] ? { kind: 'generate-initiatorname', options } : { kind: 'run', options };
}
