/**
 * tsiscsid: composition root and process life cycle.
 *
 * Start (iscsid's order, reference §1.2, adapted): options → paths → logger, signal
 * handlers → iscsid.conf (the shipped one is created if the default path has none) →
 * initiator name (generated once, kept) → record DB → umask 0077 → Daemon → control
 * socket (systemd's fd 3 when socket-activated, else our own path) → pid file →
 * setgid/setuid → daemon.start() (existing sessions known) → READY=1.
 *
 * Then: SIGHUP re-reads iscsid.conf and initiatorname.iscsi (RELOADING=1 … READY=1);
 * a broken line is logged with file and line and the rest applies. SIGTERM/SIGINT or
 * the API's daemon stop → STOPPING=1, daemon.shutdown() (usertcp sessions log out
 * except node.startup=onboot; kernel sessions keep running), close the socket, remove
 * the pid file, exit 0.
 *
 * Node cannot fork, so tsiscsid never daemonizes: `-f` selects terminal-friendly
 * logging (and no pid file); systemd runs it as a Type=notify service.
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { isSecretKey } from '../control/redact.js';
import { ControlServer } from '../control/server.js';
import { atomicCreateFile } from '../db/atomic.js';
import {
  ensureInitiatorName, readInitiatorName, readIscsidConf, RecordStore, SHIPPED_ISCSID_CONF, type DbWarning, type IscsidConf,
} from '../db/index.js';
import { generateInitiatorName, normalizeName, validateName } from '../iscsi/names.js';
import { IscsiError, ISCSI_ERR } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { daemonPaths, resolveRoot, type DaemonPaths } from '../shared/paths.js';
import { VERSION } from '../shared/version.js';
import { Daemon } from './daemon.js';
import { createDaemonLogger, type DaemonLogger } from './logging.js';
import { parseDaemonArgs, USAGE, type DaemonCommand, type DaemonOptions } from './options.js';
import { writePidFile, type PidFile } from './pidfile.js';
import { dropPrivileges } from './privileges.js';
import { installSignalHandlers, type StopSignal } from './signals.js';
import { socketActivation, SystemdNotifier } from './systemd.js';

/** Mode of the iscsid.conf we create (it may later hold CHAP secrets). */
const CONF_MODE = 0o600;
const READY_STATUS = 'Ready to process requests';

/** Text of the iscsid.conf written on first start (and shipped as etc/iscsid.conf). */
export function shippedIscsidConfText(): string {
  const head = [
    '# tsiscsid configuration: open-iscsi iscsid.conf keys and format (`key = value`, # comments).',
    '#',
    '# node.* and discovery.* lines are defaults for NEW records only; existing records keep',
    '# their values (update them with `tsiscsiadm -m node -o update` or re-run discovery).',
    '# iscsid.* lines are daemon settings. `systemctl reload tsiscsid` (SIGHUP) re-reads this file.',
    '#',
    '# Command tsiscsiadm runs when tsiscsid is not listening:',
    '# iscsid.startup = /bin/systemctl start tsiscsid.socket',
    '# Refuse to log out sessions whose disks are mounted or in use:',
    '# iscsid.safe_logout = Yes',
    '# Logins and logouts run at once (tsiscsi extension; read at start, default 16 and 64):',
    '# iscsid.login_concurrency = 16',
    '# iscsid.logout_concurrency = 64',
    '#',
    '# Log in to new nodes at boot (tsiscsi.service):',
    '# node.startup = automatic',
    '#',
    '# CHAP for new nodes and for SendTargets discovery (keep this file mode 0600):',
    '# node.session.auth.authmethod = CHAP',
    '# node.session.auth.chap_algs = SHA3-256,SHA256,SHA1,MD5',
    '# node.session.auth.username = username',
    '# node.session.auth.password = password',
    '# node.session.auth.username_in = username_in',
    '# node.session.auth.password_in = password_in',
    '# discovery.sendtargets.auth.authmethod = CHAP',
    '# discovery.sendtargets.auth.username = username',
    '# discovery.sendtargets.auth.password = password',
    '',
    '# The settings open-iscsi ships active:',
  ];
  return `${[...head, ...SHIPPED_ISCSID_CONF.map(([k, v]) => `${k} = ${v}`)].join('\n')}\n`;
}

function resolvePaths(o: DaemonOptions): DaemonPaths {
  return daemonPaths(resolveRoot(o.root, {}), {
    ...(o.config === undefined ? {} : { config: o.config }),
    ...(o.initiatorName === undefined ? {} : { initiatorName: o.initiatorName }),
    ...(o.pidFile === undefined ? {} : { pidFile: o.pidFile }),
  });
}

/** Log reader warnings with file:line; secret keys never show their value. */
function logWarnings(log: Logger, warnings: readonly DbWarning[]): void {
  for (const w of warnings) {
    const where = w.line === undefined ? w.file : `${w.file}:${w.line}`;
    const text = w.key !== undefined && isSecretKey(w.key) ? `${w.key}: bad value (not shown); ignored` : w.message;
    log.warn({ code: w.code, file: w.file, line: w.line, key: w.key }, `${where}: ${text}`);
  }
}

/** Create the shipped iscsid.conf at the default path if nothing is there; then read it. */
async function loadConfig(paths: DaemonPaths, createIfMissing: boolean, log: Logger): Promise<IscsidConf> {
  if (createIfMissing) {
    await mkdir(dirname(paths.config), { recursive: true, mode: 0o755 });
    if (await atomicCreateFile(paths.config, shippedIscsidConfText(), CONF_MODE)) log.info({ file: paths.config }, 'created default iscsid.conf');
  }
  const conf = await readIscsidConf(paths.config);
  logWarnings(log, conf.warnings);
  return conf;
}

/** An initiator name as it goes on the wire: mapped to lowercase (A-01), then validated (A-02..A-04). */
function checkedName(name: string, file: string, log: Logger): string {
  const normalized = normalizeName(name);
  validateName(normalized, `InitiatorName in ${file}`);
  if (normalized !== name) log.warn({ file, initiator: name, normalized }, `${file}: InitiatorName is not in normalized form; using ${normalized}`);
  return normalized;
}

interface Initiator {
  readonly name: string;
  readonly alias?: string;
}

/** Read initiatorname.iscsi, creating it with a generated name if missing. */
async function loadInitiator(file: string, log: Logger): Promise<Initiator> {
  const got = await ensureInitiatorName(file, () => generateInitiatorName(undefined, randomBytes));
  if (got.created) log.info({ file, initiator: got.name }, 'generated a new InitiatorName');
  logWarnings(log, got.warnings);
  return { name: checkedName(got.name, file, log), alias: got.alias ?? hostname() };
}

/** Re-read initiatorname.iscsi for a reload: never creates it; on any problem keeps `current`. */
async function reloadInitiator(file: string, current: Initiator, log: Logger): Promise<Initiator> {
  try {
    const got = await readInitiatorName(file);
    logWarnings(log, got.warnings);
    if (got.name === undefined) {
      log.warn({ file }, `${file}: ${got.exists ? 'no InitiatorName= line' : 'missing'}; keeping ${current.name}`);
      return current;
    }
    return { name: checkedName(got.name, file, log), alias: got.alias ?? hostname() };
  } catch (err) {
    log.warn({ err, file }, `${file}: cannot use it; keeping InitiatorName ${current.name}`);
    return current;
  }
}

/** Everything a running daemon holds, filled in as start-up proceeds. */
interface Runtime {
  readonly options: DaemonOptions;
  readonly paths: DaemonPaths;
  readonly log: DaemonLogger;
  readonly notifier: SystemdNotifier;
  conf?: IscsidConf;
  initiator?: Initiator;
  store?: RecordStore;
  daemon?: Daemon;
  server?: ControlServer;
  pidFile?: PidFile;
  /** daemon.start() was called (so shutdown() must run even if start failed). */
  started: boolean;
  ready: boolean;
  reloading?: Promise<void>;
}

/** Bind the control socket: systemd's fd 3 when passed correctly, else our own path. */
async function listenControl(rt: Runtime, server: ControlServer): Promise<void> {
  const activation = socketActivation();
  if (activation.kind === 'fd') {
    try {
      await server.listenFd(activation.fd);
      rt.log.info({ fd: activation.fd }, 'control socket passed by systemd');
      return;
    } catch (err) {
      rt.log.error({ err, fd: activation.fd }, 'cannot use the socket systemd passed; binding our own');
    }
  } else if (activation.kind === 'invalid') {
    rt.log.error({ reason: activation.reason }, `socket activation: ${activation.reason}; binding our own socket`);
  }
  await server.listen(rt.paths.socket);
  rt.log.info({ socket: rt.paths.socket }, 'control socket listening');
}

async function startDaemon(rt: Runtime): Promise<Daemon> {
  const { options, paths, log } = rt;
  rt.conf = await loadConfig(paths, options.config === undefined, log);
  rt.initiator = await loadInitiator(paths.initiatorName, log);
  rt.store = await RecordStore.open({ root: paths.db, defaults: rt.conf.defaults });
  // As iscsid: the umask is set after the DB is initialised, before the socket and pid file.
  process.umask(0o077);
  const daemon = new Daemon({ paths, store: rt.store, iscsid: rt.conf, initiator: rt.initiator, logger: log });
  rt.daemon = daemon;
  const server = new ControlServer({ methods: daemon.methods, logger: log.child({ component: 'control' }), debug: options.debug > 0 });
  rt.server = server;
  daemon.onEvent((e) => {
    try {
      server.publish(e);
    } catch (err) {
      log.error({ err, type: e.type }, 'event not published');
    }
  });
  await listenControl(rt, server);
  if (!options.noPidFile) rt.pidFile = await writePidFile(paths.pidFile);
  dropPrivileges({ ...(options.uid === undefined ? {} : { uid: options.uid }), ...(options.gid === undefined ? {} : { gid: options.gid }) }, log);
  await rt.notifier.status('Starting: looking for existing sessions');
  rt.started = true;
  await daemon.start();
  rt.ready = true;
  await rt.notifier.ready(READY_STATUS);
  rt.notifier.startWatchdog();
  log.info({ version: VERSION, initiator: rt.initiator.name, socket: server.path ?? 'fd 3', db: rt.store.root }, 'tsiscsid ready');
  return daemon;
}

/** SIGHUP: re-read both files and hand them to the daemon; the daemon keeps running whatever happens. */
async function reload(rt: Runtime): Promise<void> {
  const { daemon, store, initiator, log } = rt;
  if (!rt.ready || !daemon || !store || !initiator) {
    log.warn({}, 'reload requested while starting; ignored');
    return;
  }
  await rt.notifier.reloading('Reloading configuration');
  try {
    const conf = await loadConfig(rt.paths, false, log);
    const next = await reloadInitiator(rt.paths.initiatorName, initiator, log);
    daemon.reload({ iscsid: conf, initiator: next });
    rt.conf = conf;
    rt.initiator = next;
    log.info({ file: conf.file, warnings: conf.warnings.length, initiator: next.name }, 'configuration reloaded');
  } catch (err) {
    log.error({ err }, 'reload failed; keeping the previous configuration');
  }
  await rt.notifier.ready(READY_STATUS);
}

/** Stop in order; each step runs even if an earlier one failed. Returns the exit status. */
async function teardown(rt: Runtime): Promise<number> {
  let status = 0;
  const step = async (what: string, fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      status = 1;
      rt.log.error({ err }, `${what} failed`);
    }
  };
  rt.notifier.stopWatchdog();
  await rt.notifier.stopping('Logging out sessions');
  await rt.reloading;
  if (rt.daemon && rt.started) await step('daemon shutdown', () => rt.daemon!.shutdown());
  if (rt.server) await step('control socket close', () => rt.server!.close());
  if (rt.pidFile) await step('pid file removal', () => rt.pidFile!.remove());
  await rt.notifier.flush();
  return status;
}

function exitStatusOf(err: unknown): number {
  return err instanceof IscsiError ? err.errno : ISCSI_ERR.ERR;
}

/** Run the daemon until it is told to stop; resolves with the exit status. */
export async function runDaemon(options: DaemonOptions): Promise<number> {
  const log = createDaemonLogger({ debug: options.debug, foreground: options.foreground });
  const rt: Runtime = { options, paths: resolvePaths(options), log, notifier: new SystemdNotifier({ log }), started: false, ready: false };
  let signalled: (s: StopSignal) => void = () => {};
  const stopSignal = new Promise<StopSignal>((res) => (signalled = res));
  const uninstall = installSignalHandlers({
    stop: signalled,
    reload: () => {
      rt.reloading = (rt.reloading ?? Promise.resolve()).then(() => reload(rt));
    },
  }, log);
  // A bug must not leave a half-working daemon: log it (secrets scrubbed) and exit 1 so
  // that systemd (Restart=on-failure) starts a fresh one, which adopts the sessions.
  const fatal = (err: unknown): void => {
    log.fatal({ err }, 'internal error; exiting');
    process.exit(ISCSI_ERR.ERR);
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  log.info({ version: VERSION, root: rt.paths.root, debug: options.debug }, 'tsiscsid starting');
  let daemon: Daemon;
  try {
    daemon = await startDaemon(rt);
  } catch (err) {
    log.error({ err }, `tsiscsid failed to start: ${err instanceof Error ? err.message : String(err)}`);
    await teardown(rt);
    uninstall();
    return exitStatusOf(err);
  }
  const why = await Promise.race([stopSignal, daemon.stopRequested.then(() => 'daemon stop request' as const)]);
  log.info({ reason: why }, 'tsiscsid stopping');
  const status = await teardown(rt);
  uninstall();
  log.info({ status }, 'tsiscsid stopped');
  return status;
}

/** --generate-initiatorname: create initiatorname.iscsi if missing, print the name. */
async function generateNameCommand(options: DaemonOptions): Promise<number> {
  const file = resolvePaths(options).initiatorName;
  const got = await ensureInitiatorName(file, () => generateInitiatorName(undefined, randomBytes));
  process.stdout.write(`InitiatorName=${got.name}\n`);
  return 0;
}

async function dispatch(cmd: DaemonCommand): Promise<number> {
  switch (cmd.kind) {
    case 'help':
      process.stdout.write(USAGE);
      return 0;
    case 'version':
      process.stdout.write(`tsiscsid version ${VERSION}\n`);
      return 0;
    case 'generate-initiatorname':
      return generateNameCommand(cmd.options);
    case 'run':
      return runDaemon(cmd.options);
  }
}

/** Entry point used by bin/tsiscsid. Exits the process with the status. */
export async function main(argv: string[]): Promise<void> {
  let cmd: DaemonCommand;
  try {
    cmd = parseDaemonArgs(argv);
  } catch (err) {
    process.stderr.write(`tsiscsid: ${err instanceof Error ? err.message : String(err)}\nTry 'tsiscsid --help' for more information.\n`);
    process.exit(err instanceof IscsiError ? err.errno : ISCSI_ERR.INVAL);
  }
  let status: number;
  try {
    status = await dispatch(cmd);
  } catch (err) {
    process.stderr.write(`tsiscsid: ${err instanceof Error ? err.message : String(err)}\n`);
    status = exitStatusOf(err);
  }
  // Exit explicitly: a stray timer or socket must not keep a stopped daemon alive.
  process.exit(status);
}
