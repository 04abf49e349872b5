/**
 * A private open-isns `isnsd` (Debian package open-isns-server, 0.101) on a loopback
 * port, with its own config, database, control socket and PID file in a temp dir
 * (reference boot-and-isns.md §3.7). Only the PID we spawned is ever signalled; the dir
 * is removed on stop and on process exit.
 *
 * Quirks handled here:
 * - isnsd adopts systemd sockets when LISTEN_FDS is set: the env is cleaned;
 * - `DefaultDiscoveryDomain = 1` is required for nodes to see each other;
 * - tgtd (tgt 1.0.85) registers with EID = the local address of its connection to isnsd,
 *   so two tgtds on one host replace each other's entity; and with two iSNS-registered
 *   targets in one tgtd, the two SCN connections isnsd opens at once make tgtd close fd 0
 *   and spin on EBADF (tgt isns.c keeps one scn_fd and tests `!isns_fd`). Tests register
 *   one target through tgtd and others with `isnsadm`;
 * - observed once: isnsd 0.101 segfaulted ~20 s after an SCN exchange with tgtd; tests
 *   keep their use of one instance short and `alive()` lets them say so.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findExecutable } from './tgtd.js';
import { freePort, sleep, tryConnect } from './net.js';
import { forget, track } from './spawned.js';

export class Isnsd {
  private constructor(
    private readonly child: ChildProcess,
    readonly pid: number,
    readonly host: string,
    readonly port: number,
    readonly dir: string,
  ) {}

  /** isnsd and isnsadm installed. */
  static available(): boolean {
    return findExecutable('isnsd') !== undefined;
  }

  /** "host:port" of the server. */
  get address(): string {
    return `${this.host}:${this.port}`;
  }

  /** Start a private isnsd on a free loopback port; resolves once it accepts connections. */
  static async start(opts: { host?: string; registrationPeriod?: string } = {}): Promise<Isnsd> {
    const bin = findExecutable('isnsd');
    if (!bin) throw new Error('isnsd not found: install Debian package open-isns-server (scripts/setup.sh)');
    const host = opts.host ?? '127.0.0.1';
    const dir = mkdtempSync(join(tmpdir(), 'isnsd-'));
    const port = await freePort(host);
    writeFileSync(join(dir, 'isnsd.conf'), [
      'SourceName              = iqn.2024-01.test.isns:server',
      `BindAddress             = ${host}:${port}`,
      `Database                = ${join(dir, 'db')}`,
      `ControlSocket           = ${join(dir, 'isnsctl')}`,
      `PIDFile                 = ${join(dir, 'isnsd.pid')}`,
      'Security                = 0',
      'DefaultDiscoveryDomain  = 1',
      'SLPRegister             = 0',
      `RegistrationPeriod      = ${opts.registrationPeriod ?? '2h'}`,
      'ESIMinInterval          = 1m',
      'ESIMaxInterval          = 10m',
      'ESIRetries              = 3',
      '',
    ].join('\n'));
    const env = { ...process.env };
    for (const k of ['LISTEN_FDS', 'LISTEN_PID', 'LISTEN_FDNAMES']) delete env[k];
    const log = openSync(join(dir, 'isnsd.log'), 'w');
    let child: ChildProcess;
    try {
      child = spawn(bin, ['-c', join(dir, 'isnsd.conf'), '-f', '-4', '-d', 'all'], { env, stdio: ['ignore', log, log] });
    } finally {
      closeSync(log);
    }
    if (child.pid === undefined) throw new Error(`could not spawn ${bin}`);
    child.on('error', () => {});
    child.unref();
    track(child, child.pid, dir);
    const d = new Isnsd(child, child.pid, host, port, dir);
    for (let i = 0; i < 100; i++) {
      if (await tryConnect(host, port)) return d;
      if (child.exitCode !== null) break;
      await sleep(50);
    }
    const text = d.log();
    await d.stop();
    throw new Error(`isnsd did not listen on ${host}:${port}:\n${text}`);
  }

  /** Whether the process is still running. */
  alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** isnsd's debug log so far. */
  log(): string {
    try {
      return readFileSync(join(this.dir, 'isnsd.log'), 'utf8');
    } catch {
      return '';
    }
  }

  /** Stop (SIGTERM, then SIGKILL after 3 s) and remove the private dir. */
  async stop(): Promise<void> {
    if (this.alive()) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      const t = setTimeout(() => this.child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    }
    forget(this.pid);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Register a target node + portal with `isnsadm` (open-isns-utils), as an independent
 * iSNS client would: entity `isns.entity.NNNN`, PG with PGT 1 (reference §3.7).
 */
export async function isnsadmRegisterTarget(server: Isnsd, target: string, portal: string): Promise<void> {
  const bin = findExecutable('isnsadm');
  if (!bin) throw new Error('isnsadm not found: install Debian package open-isns-utils');
  const conf = join(server.dir, `client-${target.replace(/[^\w.-]/g, '_')}.conf`);
  writeFileSync(conf, `SourceName = ${target}\nServerAddress = ${server.address}\nSecurity = 0\n`);
  await new Promise<void>((resolve, reject) => {
    execFile(bin, ['-c', conf, '--register', `target=${target}`, `portal=${portal}`], { timeout: 15_000 }, (err, _o, stderr) =>
      err ? reject(new Error(`isnsadm --register ${target} failed: ${stderr || err.message}`)) : resolve());
  });
}

/** Point a tgtd (via its tgtadm runner) at an iSNS server so it registers its targets (tgt iscsi/isns.c). */
export async function registerTgtdWithIsns(tgtadm: (args: readonly string[]) => Promise<string>, server: Isnsd): Promise<void> {
  const sys = (name: string, value: string): Promise<string> => tgtadm(['--lld', 'iscsi', '--op', 'update', '--mode', 'sys', '--name', name, '-v', value]);
  await sys('iSNSServerIP', server.host);
  await sys('iSNSServerPort', String(server.port));
  await sys('iSNSAccessControl', 'Off');
  await sys('iSNS', 'On');
}
