/**
 * Private tgtd (Linux SCSI target framework, Debian `tgt`) instances for integration
 * tests and benchmarks. Recipes: checklist §3.2.
 *
 * Each instance gets its own temp dir holding the management socket, the backing
 * files and `tgtd.log` (tgtd's stderr). Isolation comes from `TGT_IPC_SOCKET`: tgtd
 * listens on `$TGT_IPC_SOCKET.<control-port>` (control port 0 → `<path>.0`, plus a
 * `.lock` file) and tgtadm connects to the same name, so any number of instances run
 * side by side without `--control-port`. Observed quirks (tgt 1.0.85) handled here:
 * - If the portal cannot be bound, tgtd logs "failed to create/bind to portal" and falls
 *   back to the default portal 0.0.0.0:3260 + [::]:3260; we detect it, kill it, retry.
 * - SIGTERM and SIGINT do not stop tgtd (SIGINT/SIGQUIT ignored, SIGTERM caught and
 *   ignored); `tgtadm --op delete --mode system` does, but only when no target exists
 *   ("invalid request" otherwise). SIGKILL by PID always works.
 * - The management socket files are left behind after exit; removing the dir cleans up.
 * Safety: only the exact PID we spawned is signalled; a `process.on('exit')` hook and a
 * detached watchdog shell (which checks the PID still carries our TGT_IPC_SOCKET) kill
 * it if the test process dies without calling `stop()`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, openSync, closeSync } from 'node:fs';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import { canBind, freePort, sleep, tryConnect } from './net.js';
import { forget, track } from './spawned.js';

/** Error from the harness; `code` is stable, the message names the command/state. */
export class TgtdError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'TgtdError';
  }
}

export interface TgtdStartOptions {
  /** Loopback address for the portal (default 127.0.0.1). */
  host?: string;
  /** Fixed port; default: a free port chosen by the kernel (retried on a bind race). */
  port?: number;
  /** Also listen on [::1] with the same port. */
  ipv6?: boolean;
  /** NOP-In ping interval in seconds (tgtd `nop_interval`). */
  nopInterval?: number;
  /** Missed NOP-Ins before tgtd drops the connection (tgtd `nop_count`). */
  nopCount?: number;
  /** Parent directory for the instance's private temp dir (default os.tmpdir()). */
  tmpDir?: string;
}

export interface ChapAccount {
  username: string;
  password: string;
}

export interface TargetSpec {
  tid: number;
  iqn: string;
  /** Backing files are created sparse in the instance dir unless `path` is absolute. */
  luns?: Array<{ lun: number; sizeMiB: number; path?: string }>;
  /** Initiator address or name allowed to log in (`-I`); default ALL. */
  acl?: string | string[];
  /** Incoming account: the initiator authenticates to the target (one-way CHAP). */
  chap?: ChapAccount;
  /** Outgoing account: the target authenticates to the initiator (mutual CHAP). */
  mutual?: ChapAccount;
  /** Per-target parameters (`--op update -n key -v value`), e.g. MaxRecvDataSegmentLength. */
  params?: Record<string, string | number>;
}

interface Bins {
  tgtd: string;
  tgtadm: string;
}

const SBIN_FALLBACK = ['/usr/sbin', '/sbin', '/usr/local/sbin'];
const BIND_FAILED = 'failed to create/bind to portal';
const START_TIMEOUT_MS = 10_000;
const START_ATTEMPTS = 5;

/** Absolute path of an executable on PATH (or in /usr/sbin, /sbin), else undefined. */
export function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SBIN_FALLBACK];
  for (const dir of dirs) {
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      /* keep looking */
    }
  }
  return undefined;
}

function bins(): Bins | undefined {
  const tgtd = findExecutable('tgtd');
  const tgtadm = findExecutable('tgtadm');
  return tgtd && tgtadm ? { tgtd, tgtadm } : undefined;
}

/** One row of `tgtadm --op show --mode conn --tid T`. */
export interface TgtdConnection {
  /** tgtd's I_T nexus id (the `--sid` of tgtadm, not the iSCSI TSIH). */
  sid: number;
  cid: number;
  initiator?: string;
  address?: string;
}

/**
 * Parse `show --mode conn` output:
 * `Session: 5` / `    Connection: 0` / `        Initiator: iqn...` / `        IP Address: 127.0.0.1`.
 */
export function parseConnections(text: string): TgtdConnection[] {
  const out: TgtdConnection[] = [];
  let sid: number | undefined;
  let cur: TgtdConnection | undefined;
  for (const line of text.split('\n')) {
    const m = /^\s*(Session|Connection|Initiator|IP Address):\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    const [, key, value = ''] = m;
    if (key === 'Session') sid = Number(value);
    else if (key === 'Connection' && sid !== undefined) out.push((cur = { sid, cid: Number(value) }));
    else if (key === 'Initiator' && cur) cur.initiator = value;
    else if (key === 'IP Address' && cur) cur.address = value;
  }
  return out;
}

/** "host:port", with IPv6 addresses in brackets. */
export function formatPortal(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Quote one word for /bin/sh. */
function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Run `fn` over `items` with at most `limit` calls in flight. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Shell loop that SIGKILLs tgtd once the Node process is gone (PID identity checked). */
const WATCHDOG = [
  'while kill -0 "$1" 2>/dev/null; do sleep 1; done',
  'if tr "\\0" "\\n" < "/proc/$2/environ" 2>/dev/null | grep -qxF "TGT_IPC_SOCKET=$3"; then kill -9 "$2"; fi',
  'rm -rf "$4"',
].join('\n');

export class Tgtd {
  /** "127.0.0.1:PORT" (IPv6 hosts in brackets). */
  readonly portal: string;
  /** "[::1]:PORT" when started with `ipv6: true`. */
  ipv6Portal: string | undefined;
  /** Path of tgtd's captured stderr. */
  readonly logPath: string;
  private readonly tids = new Set<number>();
  private readonly accounts = new Map<string, string>();
  private watchdog: ChildProcess | undefined;
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly bins: Bins,
    private readonly child: ChildProcess,
    readonly pid: number,
    readonly host: string,
    readonly port: number,
    /** Private temp dir of this instance. */
    readonly dir: string,
    /** Value of TGT_IPC_SOCKET (tgtd appends ".0"). */
    readonly socketPath: string,
  ) {
    this.portal = formatPortal(host, port);
    this.logPath = join(dir, 'tgtd.log');
  }

  /** True when both tgtd and tgtadm are installed (PATH or /usr/sbin, /sbin). */
  static available(): boolean {
    return bins() !== undefined;
  }

  /** Start a private tgtd listening only on the requested loopback portal(s). */
  static async start(opts: TgtdStartOptions = {}): Promise<Tgtd> {
    const b = bins();
    if (!b) throw new TgtdError('TGTD_NOT_INSTALLED', 'tgtd/tgtadm not found on PATH or in /usr/sbin; install Debian package "tgt"');
    const host = opts.host ?? '127.0.0.1';
    const dir = await mkdtemp(join(opts.tmpDir ?? tmpdir(), 'tgtd-'));
    const socketPath = join(dir, 'ipc');
    // A fixed busy port would make tgtd fall back to 0.0.0.0:3260: refuse up front.
    if (opts.port !== undefined && !(await canBind(host, opts.port))) {
      await rm(dir, { recursive: true, force: true });
      throw new TgtdError('TGTD_PORT_IN_USE', `port ${formatPortal(host, opts.port)} is already in use`);
    }
    let lastErr: unknown;
    for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
      const port = opts.port ?? (await freePort(host));
      if (opts.ipv6 && opts.port === undefined && !(await canBind('::1', port))) continue;
      try {
        const t = await Tgtd.spawnOnce(b, host, port, dir, socketPath, opts);
        if (opts.ipv6) await t.addIpv6Portal();
        return t;
      } catch (err) {
        lastErr = err;
        if (opts.port !== undefined || !(err instanceof TgtdError) || err.code !== 'TGTD_PORT_IN_USE') break;
      }
    }
    await rm(dir, { recursive: true, force: true });
    throw lastErr ?? new TgtdError('TGTD_START_FAILED', `no free port for tgtd on ${host} and ::1`);
  }

  private static async spawnOnce(b: Bins, host: string, port: number, dir: string, socketPath: string, opts: TgtdStartOptions): Promise<Tgtd> {
    let iscsiOpts = `portal=${formatPortal(host, port)}`;
    if (opts.nopInterval !== undefined) iscsiOpts += `,nop_interval=${opts.nopInterval}`;
    if (opts.nopCount !== undefined) iscsiOpts += `,nop_count=${opts.nopCount}`;
    const logFd = openSync(join(dir, 'tgtd.log'), 'w'); // fresh per attempt
    let child: ChildProcess;
    try {
      child = spawn(b.tgtd, ['-f', '--iscsi', iscsiOpts], {
        env: { ...process.env, TGT_IPC_SOCKET: socketPath },
        stdio: ['ignore', logFd, logFd],
      });
    } finally {
      closeSync(logFd);
    }
    const pid = child.pid;
    if (pid === undefined) throw new TgtdError('TGTD_START_FAILED', `could not spawn ${b.tgtd}`);
    child.unref();
    child.on('error', () => {});
    track(child, pid, dir); // killed on process exit as a last resort
    const t = new Tgtd(b, child, pid, host, port, dir, socketPath);
    t.startWatchdog();
    try {
      await t.waitReady();
    } catch (err) {
      await t.kill();
      throw err;
    }
    return t;
  }

  /** Run tgtadm against this instance; resolves with stdout, rejects TGTADM_FAILED. */
  tgtadm(args: readonly string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(this.bins.tgtadm, args, { env: { ...process.env, TGT_IPC_SOCKET: this.socketPath }, timeout: 15_000 }, (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const status = typeof err.code === 'number' ? err.code : String(err.code ?? err.signal);
        reject(new TgtdError('TGTADM_FAILED', `tgtadm ${args.join(' ')} (pid ${this.pid}) exited ${status}: ${stderr.trim()}`));
      });
    });
  }

  /** Create a target with LUNs, ACL, CHAP accounts and parameters. */
  async addTarget(spec: TargetSpec): Promise<void> {
    const tid = String(spec.tid);
    await this.tgtadm(['--lld', 'iscsi', '--op', 'new', '--mode', 'target', '--tid', tid, '-T', spec.iqn]);
    this.tids.add(spec.tid);
    for (const lun of spec.luns ?? []) {
      const file = await this.backingFile(spec.tid, lun.lun, lun.sizeMiB, lun.path);
      await this.tgtadm(['--lld', 'iscsi', '--op', 'new', '--mode', 'logicalunit', '--tid', tid, '--lun', String(lun.lun), '-b', file]);
    }
    const acl = spec.acl ?? 'ALL';
    for (const who of Array.isArray(acl) ? acl : [acl]) {
      await this.tgtadm(['--lld', 'iscsi', '--op', 'bind', '--mode', 'target', '--tid', tid, '-I', who]);
    }
    if (spec.chap) await this.bindAccount(spec.tid, spec.chap, false);
    if (spec.mutual) await this.bindAccount(spec.tid, spec.mutual, true);
    for (const [key, value] of Object.entries(spec.params ?? {})) await this.setParam(spec.tid, key, value);
  }

  /**
   * Run many tgtadm commands fast: they are split over `concurrency` shell processes
   * that each run their share serially (a shell fork+exec costs about half of a Node
   * spawn). Rejects TGTADM_FAILED naming the first failing command of a share; with
   * `keepGoing` every command runs and the batch still rejects if any failed.
   */
  async tgtadmBatch(cmds: ReadonlyArray<readonly string[]>, concurrency = 4, keepGoing = false): Promise<void> {
    const shares: string[][] = Array.from({ length: Math.max(1, Math.min(concurrency, cmds.length)) }, () => []);
    cmds.forEach((args, i) => {
      const line = [this.bins.tgtadm, ...args].map(shellQuote).join(' ');
      shares[i % shares.length]!.push(`${line} || { echo "failed: ${line.replace(/["\\$`]/g, '')}" >&2; ${keepGoing ? 'rc=1' : 'exit 1'}; }`);
    });
    await mapLimit(shares, shares.length, (lines) => this.runShell(['rc=0', ...lines, 'exit $rc'].join('\n')));
  }

  /**
   * Create `n` targets `${prefix}${i}` (i = 1..n) open to ALL, with no LUN besides
   * tgtd's LUN 0 controller (2 tgtadm calls each, via `tgtadmBatch`). Returns tid/iqn.
   */
  async addTargetsBulk(n: number, prefix: string, opts: { startTid?: number; concurrency?: number } = {}): Promise<Array<{ tid: number; iqn: string }>> {
    const start = opts.startTid ?? Math.max(0, ...this.tids) + 1;
    const list = Array.from({ length: n }, (_, i) => ({ tid: start + i, iqn: `${prefix}${i + 1}` }));
    await this.tgtadmBatch(
      list.map((t) => ['--lld', 'iscsi', '--op', 'new', '--mode', 'target', '--tid', String(t.tid), '-T', t.iqn]),
      opts.concurrency,
    );
    for (const t of list) this.tids.add(t.tid);
    await this.tgtadmBatch(
      list.map((t) => ['--lld', 'iscsi', '--op', 'bind', '--mode', 'target', '--tid', String(t.tid), '-I', 'ALL']),
      opts.concurrency,
    );
    return list;
  }

  /** Feed `script` to /bin/sh on stdin (a long script exceeds the argv size limit). */
  private runShell(script: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const sh = spawn('/bin/sh', ['-s'], { env: { ...process.env, TGT_IPC_SOCKET: this.socketPath }, stdio: ['pipe', 'ignore', 'pipe'] });
      let stderr = '';
      sh.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      sh.on('error', (err) => reject(new TgtdError('TGTADM_FAILED', `cannot run /bin/sh for tgtadm batch: ${err.message}`)));
      sh.on('close', (code) => {
        if (code === 0) resolve();
        else reject(new TgtdError('TGTADM_FAILED', `tgtadm batch on pid ${this.pid} exited ${code}: ${stderr.trim()}`));
      });
      sh.stdin.end(`${script}\n`);
    });
  }

  /** `tgtadm --op update --mode target -n key -v value`. */
  async setParam(tid: number, key: string, value: string | number): Promise<void> {
    await this.tgtadm(['--lld', 'iscsi', '--op', 'update', '--mode', 'target', '--tid', String(tid), '-n', key, '-v', String(value)]);
  }

  /** Offline targets refuse logins with status 0x0300 (observed). */
  async setState(tid: number, state: 'offline' | 'ready'): Promise<void> {
    await this.setParam(tid, 'state', state);
  }

  /**
   * Every login to `tid` is answered with a redirect (0x0101 / 0x0102) to address:port.
   * Quirk (observed): tgtd silently ignores a redirect whose address equals the
   * *initiator's* source address (whatever the port; "localhost" too). Tests therefore
   * redirect to a second instance on another address (e.g. 127.0.0.2) and, for loops,
   * bind the initiator to yet another one (127.0.0.3). As a cheap guard this refuses a
   * redirect to this instance's own address (TGTD_REDIRECT_SAME_ADDRESS), which the
   * initiator usually connects from too; it cannot see the initiator's address.
   */
  async redirect(tid: number, address: string, port: number, reason: 'Temporary' | 'Permanent'): Promise<void> {
    if (address === this.host || address === 'localhost') {
      throw new TgtdError('TGTD_REDIRECT_SAME_ADDRESS', `tgtd ignores a redirect of tid ${tid} to its own address ${address}; use e.g. 127.0.0.2`);
    }
    await this.setParam(tid, 'RedirectAddress', address);
    await this.setParam(tid, 'RedirectPort', port);
    await this.setParam(tid, 'RedirectReason', reason);
  }

  /** Raw `tgtadm --op show --mode target`. */
  showTargets(): Promise<string> {
    return this.tgtadm(['--lld', 'iscsi', '--op', 'show', '--mode', 'target']);
  }

  /** Negotiation defaults of `tid` (`show --mode target --tid T`: `Key=value` lines). */
  async targetParams(tid: number): Promise<Record<string, string>> {
    const text = await this.tgtadm(['--lld', 'iscsi', '--op', 'show', '--mode', 'target', '--tid', String(tid)]);
    const out: Record<string, string> = {};
    for (const m of text.matchAll(/^(\w+)=(.*)$/gm)) out[m[1]!] = m[2]!;
    return out;
  }

  /** Connections of `tid`, parsed from `tgtadm --op show --mode conn`. */
  async connections(tid: number): Promise<TgtdConnection[]> {
    return parseConnections(await this.tgtadm(['--lld', 'iscsi', '--op', 'show', '--mode', 'conn', '--tid', String(tid)]));
  }

  /** Drop one connection (tgtd closes the TCP connection). */
  async dropConnection(tid: number, sid: number, cid: number): Promise<void> {
    await this.tgtadm(['--lld', 'iscsi', '--op', 'delete', '--mode', 'conn', '--tid', String(tid), '--sid', String(sid), '--cid', String(cid)]);
  }

  /** tgtd's captured stderr so far. */
  log(): Promise<string> {
    return readFile(this.logPath, 'utf8').catch(() => '');
  }

  /** True until the tgtd process has exited. */
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Stop and clean up; idempotent. Graceful (default): delete every target we added
   * (`--force`, 8 at a time; about 1 s per 1000 targets) and the system, which makes
   * tgtd exit. Then, if still running: SIGTERM, short grace, SIGKILL by PID. Finally
   * the instance dir is removed. `graceful: false` goes straight to SIGKILL.
   */
  stop(opts: { graceful?: boolean } = {}): Promise<void> {
    this.stopping ??= this.doStop(opts.graceful ?? true);
    return this.stopping;
  }

  private async doStop(graceful: boolean): Promise<void> {
    if (graceful && this.running) {
      const dels = [...this.tids].map((tid) => ['--lld', 'iscsi', '--op', 'delete', '--force', '--mode', 'target', '--tid', String(tid)]);
      await this.tgtadmBatch(dels, 4, true).catch(() => undefined);
      await this.tgtadm(['--op', 'delete', '--mode', 'system']).catch(() => '');
      await this.waitExit(1000);
    }
    await this.kill();
    await rm(this.dir, { recursive: true, force: true });
  }

  /** SIGTERM, 200 ms grace, then SIGKILL; waits for the exit event. */
  private async kill(): Promise<void> {
    if (this.running) {
      this.signal('SIGTERM');
      if (!(await this.waitExit(200))) {
        this.signal('SIGKILL');
        if (!(await this.waitExit(5000))) throw new TgtdError('TGTD_STOP_FAILED', `tgtd pid ${this.pid} survived SIGKILL`);
      }
    }
    forget(this.pid);
    if (this.watchdog?.pid !== undefined && this.watchdog.exitCode === null) {
      try {
        process.kill(this.watchdog.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }

  private signal(sig: NodeJS.Signals): void {
    try {
      process.kill(this.pid, sig);
    } catch {
      /* exited meanwhile */
    }
  }

  private waitExit(ms: number): Promise<boolean> {
    if (!this.running) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.child.off('exit', onExit);
        resolve(false);
      }, ms);
      const onExit = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.child.once('exit', onExit);
    });
  }

  private startWatchdog(): void {
    const w = spawn('/bin/sh', ['-c', WATCHDOG, 'tgtd-watchdog', String(process.pid), String(this.pid), this.socketPath, this.dir], {
      detached: true,
      stdio: 'ignore',
    });
    w.on('error', () => {});
    w.unref();
    this.watchdog = w;
  }

  /** Ready = our portal accepts TCP and tgtadm lists exactly that portal. */
  private async waitReady(): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (!this.running) throw new TgtdError('TGTD_START_FAILED', `tgtd exited during start: ${await this.log()}`);
      if ((await this.log()).includes(BIND_FAILED)) throw new TgtdError('TGTD_PORT_IN_USE', `tgtd could not bind ${this.portal}`);
      if (await tryConnect(this.host, this.port, 200)) {
        const portals = await this.tgtadm(['--lld', 'iscsi', '--op', 'show', '--mode', 'portal']).catch(() => '');
        if (portals.includes(`Portal: ${this.portal},`)) return;
      }
      await sleep(5);
    }
    throw new TgtdError('TGTD_START_FAILED', `tgtd pid ${this.pid} not ready on ${this.portal} after ${START_TIMEOUT_MS} ms`);
  }

  private async addIpv6Portal(): Promise<void> {
    const portal = formatPortal('::1', this.port);
    try {
      await this.tgtadm(['--lld', 'iscsi', '--op', 'new', '--mode', 'portal', '--param', `portal=${portal}`]);
    } catch (err) {
      await this.kill();
      // tgtadm answers "invalid request" (exit 22) when the address is taken.
      throw new TgtdError('TGTD_PORT_IN_USE', `tgtd could not add portal ${portal}: ${(err as Error).message}`);
    }
    this.ipv6Portal = portal;
  }

  private async bindAccount(tid: number, acct: ChapAccount, outgoing: boolean): Promise<void> {
    const known = this.accounts.get(acct.username);
    if (known === undefined) {
      await this.tgtadm(['--lld', 'iscsi', '--op', 'new', '--mode', 'account', '--user', acct.username, '--password', acct.password]);
      this.accounts.set(acct.username, acct.password);
    } else if (known !== acct.password) {
      throw new TgtdError('TGTD_ACCOUNT_CONFLICT', `account ${acct.username} already exists with another password`);
    }
    const args = ['--lld', 'iscsi', '--op', 'bind', '--mode', 'account', '--tid', String(tid), '--user', acct.username];
    await this.tgtadm(outgoing ? [...args, '--outgoing'] : args);
  }

  private async backingFile(tid: number, lun: number, sizeMiB: number, path?: string): Promise<string> {
    const file = path === undefined ? join(this.dir, `t${tid}-lun${lun}.img`) : isAbsolute(path) ? path : join(this.dir, path);
    const fh = await open(file, 'a');
    try {
      const { size } = await fh.stat();
      if (size < sizeMiB * 1024 * 1024) await fh.truncate(sizeMiB * 1024 * 1024);
    } finally {
      await fh.close();
    }
    return file;
  }
}
