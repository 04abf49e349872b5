/**
 * The result of parsing a tsiscsiadm command line: a `Command` (one variant per open-iscsi
 * mode plus a few whole-program actions) or a `CliError` (what open-iscsi 2.1.8's iscsiadm
 * prints and returns for the same bad input; nothing else may happen).
 *
 * Numbers follow open-iscsi's C semantics on purpose (atoi/strtoul truncation, -1 meaning
 * "not given"), because byte-compatible behaviour depends on them (reference §6).
 */

/** The seven iscsiadm modes (`-m`). */
export type ModeName = 'discovery' | 'discoverydb' | 'node' | 'session' | 'iface' | 'host' | 'fw';

/** `-o` operations iscsiadm 2.1.8 recognises; several may be given and they OR together. */
export type OpName =
  | 'new' | 'delete' | 'update' | 'show' | 'nonpersistent' | 'apply' | 'applyall' | 'login' | 'logout';

/** `-t` discovery types (`st` is an alias of `sendtargets`); unknown words count as "no type". */
export type DiscoveryType = 'sendtargets' | 'slp' | 'isns' | 'fw';

/** `-C` submodes; unknown words count as "no submode". */
export type Submode = 'ping' | 'chap' | 'flashnode' | 'stats';

/** `-L` / `-U` filters (`onboot` is accepted by `-L` only). */
export type StartupFilter = 'all' | 'manual' | 'automatic' | 'onboot';

/** One `-n name -v value` pair, in command-line pairing order. */
export interface Param {
  readonly name: string;
  readonly value: string;
}

/**
 * A `-p` portal after open-iscsi's `addr[:port][,tpgt]` parsing and the mode's default port.
 * `address` has IPv6 brackets removed and may be '' (an empty `-p ''`, which matches anything).
 */
export interface Portal {
  readonly address: string;
  /** Effective port: the mode default (3260, iSNS 3205) when none was given; C int otherwise. */
  readonly port: number;
  /** Port exactly as parsed, -1 when none was given (open-iscsi's sentinel). */
  readonly portGiven: number;
  /** Target portal group tag, -1 when none was given. */
  readonly tpgt: number;
}

/** `-r`: a session id, or a sysfs path still to be resolved by the caller (no I/O here). */
export type SidRef = { readonly kind: 'id'; readonly sid: number } | { readonly kind: 'path'; readonly path: string };

/** `-H`: a host number, or a MAC address still to be matched to a host by the caller. */
export type HostRef = { readonly kind: 'number'; readonly hostNo: number } | { readonly kind: 'mac'; readonly mac: string };

/**
 * A state check the real iscsiadm performs before it reaches an argument error. When a
 * command carries `deferredError`, the executor runs this check first: if it fails it reports
 * its own (state) error; if it passes it prints `deferredError.error` and exits with its code.
 */
export type StateCheck =
  | 'iface-record-readable' // node mode with -I: the first iface record must be readable
  | 'session-found' // session mode with -r: the session must exist
  | 'sessions-found' // session mode listing: at least one session must exist
  | 'discovery-record-found'; // discovery/discoverydb with a portal: the record must exist

/** An argument error that open-iscsi only reports after a state check passed. */
export interface DeferredError {
  readonly after: StateCheck;
  readonly error: CliError;
}

/** Fields every mode command carries. */
export interface CommonFields {
  /** `--json` (our extension) was given. */
  readonly json: boolean;
  /** `-d N` (atoi), 0 when not given. */
  readonly debugLevel: number;
  /** stderr lines to print before acting (warnings iscsiadm prints before it runs). */
  readonly notices: readonly string[];
  /** `-P N` (atoi), -1 when not given. */
  readonly printLevel: number;
  /** `-o` operations, unique, in open-iscsi bit order (see `OP_BITS`). */
  readonly ops: readonly OpName[];
  /** `-n`/`-v` pairs. */
  readonly params: readonly Param[];
  readonly deferredError?: DeferredError;
}

/** `-m discovery` (exec_disc_op). */
export interface DiscoveryCommand extends CommonFields {
  readonly mode: 'discovery';
  /**
   * sendtargets/isns/fw: run that discovery; list: print all discovery records;
   * record-*: act on the stored sendtargets record for `portal` (must exist, else the executor
   * reports "Discovery record [%s,%d] not found!" exit 7); error: see deferredError.
   */
  readonly action: 'sendtargets' | 'isns' | 'fw' | 'list' | 'record-discover' | 'record-show' | 'record-delete' | 'error';
  readonly type?: DiscoveryType;
  readonly portal?: Portal;
  readonly ifaces: readonly string[];
  readonly login: boolean;
  readonly discover: boolean;
  readonly show: boolean;
}

/** `-m discoverydb` (exec_disc2_op). */
export interface DiscoveryDbCommand extends CommonFields {
  readonly mode: 'discoverydb';
  /**
   * new-record: add the record ("New discovery record for [%s,%d] added.");
   * discover: read (or create unless nonpersistent) the record, then discover;
   * show/delete/update: act on the existing record; fw: firmware discovery;
   * list: print all records; error: see deferredError (after 'discovery-record-found').
   */
  readonly action: 'new-record' | 'discover' | 'show' | 'delete' | 'update' | 'fw' | 'list' | 'error';
  readonly type?: DiscoveryType;
  readonly portal?: Portal;
  readonly ifaces: readonly string[];
  readonly login: boolean;
  readonly discover: boolean;
  readonly show: boolean;
}

/** `-m node` (exec_node_op). */
export interface NodeCommand extends CommonFields {
  readonly mode: 'node';
  /** The branch iscsiadm takes; 'error' only with deferredError (after 'iface-record-readable'). */
  readonly action:
    | 'loginall' | 'logoutall' | 'new' | 'rescan' | 'stats' | 'list' | 'login' | 'logout'
    | 'show' | 'update' | 'delete' | 'error';
  /** For loginall/logoutall. */
  readonly startupFilter?: StartupFilter;
  readonly targetName?: string;
  readonly portal?: Portal;
  /** Every -I in order; iscsiadm uses the first. */
  readonly ifaces: readonly string[];
  readonly login: boolean;
  readonly logout: boolean;
  readonly rescan: boolean;
  readonly stats: boolean;
  readonly show: boolean;
  readonly noWait: boolean;
}

/** `-m session`. */
export interface SessionCommand extends CommonFields {
  readonly mode: 'session';
  /**
   * Without -r: list | rescan | stats | logout (all sessions). With -r: info (tree for that
   * session, -P 1..3) | rescan | stats | logout | login-new (another session like it, `-o new`)
   * | show (its node record) | update | delete. 'error' only with deferredError.
   */
  readonly action: 'list' | 'info' | 'rescan' | 'stats' | 'logout' | 'login-new' | 'show' | 'update' | 'delete' | 'error';
  readonly sid?: SidRef;
  readonly logout: boolean;
  readonly rescan: boolean;
  readonly stats: boolean;
  readonly show: boolean;
}

/** `-m iface`. */
export interface IfaceCommand extends CommonFields {
  readonly mode: 'iface';
  /** list (flat, all) | show (one record) | tree (-P 1) | new | delete | update | apply | applyall | ping. */
  readonly action: 'list' | 'show' | 'tree' | 'new' | 'delete' | 'update' | 'apply' | 'applyall' | 'ping';
  /** Every -I in order; iscsiadm uses the first. */
  readonly ifaces: readonly string[];
  /** -H; undefined means open-iscsi 2.1.8's default, which acts on host 0. */
  readonly host?: HostRef;
  readonly submode?: Submode;
  /** -a (ping destination). */
  readonly pingAddress?: string;
  readonly packetSize: number;
  readonly count: number;
  readonly interval: number;
}

/** `-m host`. */
export interface HostCommand extends CommonFields {
  readonly mode: 'host';
  /** list (hosts, -P 0..4) | chap-show | chap-set (new/update) | chap-delete | flashnode | stats. */
  readonly action: 'list' | 'chap-show' | 'chap-set' | 'chap-delete' | 'flashnode' | 'stats';
  /** -H; undefined means open-iscsi 2.1.8's default, which acts on host 0. */
  readonly host?: HostRef;
  readonly submode?: Submode;
  /** -x (strtoull, exact); undefined when not given. */
  readonly index?: bigint;
  /** -A ipv4|ipv6 (other words: undefined). */
  readonly portalType?: 'ipv4' | 'ipv6';
}

/** `-m fw`. */
export interface FwCommand extends CommonFields {
  readonly mode: 'fw';
  readonly action: 'show' | 'login';
  readonly noWait: boolean;
}

/** Whole-program actions (no mode). */
export interface KillCommand {
  readonly mode: 'killiscsid';
  readonly json: boolean;
  /** Always 0 (other priorities are refused at parse time, like iscsiadm). */
  readonly priority: 0;
  readonly notices: readonly string[];
}

/** `-V` before any `-m`. */
export interface VersionCommand {
  readonly mode: 'version';
  readonly json: boolean;
  readonly notices: readonly string[];
}

/** `-h` (global usage), or `-m MODE --help` (our per-mode help). */
export interface HelpCommand {
  readonly mode: 'help';
  readonly json: boolean;
  readonly topic: ModeName | 'global';
  readonly notices: readonly string[];
}

/** Our opt-in extensions: install/remove an `iscsiadm` name, import an open-iscsi DB. */
export interface ExtensionCommand {
  readonly mode: 'install-iscsiadm-alias' | 'uninstall-iscsiadm-alias' | 'import-open-iscsi';
  readonly json: boolean;
  /** The optional `=VALUE` (alias path, or the open-iscsi root to import from). */
  readonly value?: string;
  readonly notices: readonly string[];
}

/** Everything a valid tsiscsiadm command line can ask for. */
export type Command =
  | DiscoveryCommand | DiscoveryDbCommand | NodeCommand | SessionCommand | IfaceCommand | HostCommand | FwCommand
  | KillCommand | VersionCommand | HelpCommand | ExtensionCommand;

/**
 * Bad input: print `stdout`/`stderr` lines (each without its newline) and exit with
 * `exitCode`. Nothing else happens. `exitCode` may be 0 where iscsiadm exits 0 after a
 * complaint (e.g. `-k 1`).
 */
export interface CliError {
  readonly kind: 'cli-error';
  readonly exitCode: number;
  readonly stderr: readonly string[];
  readonly stdout: readonly string[];
  /** `--json` appeared on the command line (the caller may render the error as JSON). */
  readonly json: boolean;
}

/** Options of `parseCommandLine`. */
export interface ParseOptions {
  /** Prefix of iscsiadm's own messages ("iscsiadm: ..."); default 'iscsiadm'. */
  readonly programName?: string;
  /** argv[0] as glibc getopt prints it in its messages; default 'iscsiadm'. */
  readonly argv0?: string;
  /** Resolve a non-numeric `-r` (sysfs path) in command-line order; default: defer as SidRef path. */
  readonly resolveSidPath?: (path: string) => number | CliError;
  /** Match a `-H` MAC to a host number in command-line order; default: defer as HostRef mac. */
  readonly resolveHostMac?: (mac: string) => number | CliError;
}

/** True when `parseCommandLine` returned an error. */
export function isCliError(x: Command | CliError): x is CliError {
  return (x as CliError).kind === 'cli-error';
}
