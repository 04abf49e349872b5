/**
 * The demo: a private tsiscsid (`bin/tsiscsid --root <tmp>`) driven only through
 * `bin/tsiscsiadm`, the way an admin would use open-iscsi: SendTargets discovery, CHAP
 * credentials with `-o update`, login, `-m session -P 3`, the LUNs (vendor, product,
 * revision, size: from `-m session -P 3 --json`, since usertcp sessions have no kernel
 * SCSI host and the text prints "Unavailable" there), `-m session -s`, logout. Each
 * command is printed before its output. The daemon is stopped by its PID at the end;
 * scripts/demo.sh starts and stops the tgtd.
 *
 *   node dist/demo/demo.js --portal 127.0.0.1:3260 [--chap IQN=USER:SECRET]... [--initiator IQN]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, rmSync, writeFileSync, mkdirSync, closeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { IscsiError } from '../shared/errors.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const TSISCSID = join(REPO, 'bin/tsiscsid');
const TSISCSIADM = join(REPO, 'bin/tsiscsiadm');

interface Lun {
  lun: number;
  deviceTypeName?: string;
  vendor?: string;
  product?: string;
  revision?: string;
  serial?: string;
  sizeBytes?: number;
  blocks?: number;
  blockLength?: number;
}

/** The command line as printed: the value after a password key is masked (secrets never reach output). */
function shown(args: string[]): string[] {
  return args.map((a, i) => {
    if (i > 0 && args[i - 1] === '-v' && /password/.test(args[i - 2] ?? '')) return '********';
    return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a}'`;
  });
}

/** Run `tsiscsiadm args` with the demo's root, echoing the command and its output; resolves with exit status and stdout. */
function tsiscsiadm(root: string, args: string[], echo = true): Promise<{ code: number; stdout: string }> {
  if (echo) process.stdout.write(`\n$ tsiscsiadm ${shown(args).join(' ')}\n`);
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [TSISCSIADM, ...args], { env: { ...process.env, TSISCSI_ROOT: root }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
      if (echo) process.stdout.write(s);
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => process.stderr.write(s));
    child.once('error', fail);
    child.once('close', (code) => {
      if (echo && code !== 0) process.stdout.write(`(exit status ${code})\n`);
      done({ code: code ?? 1, stdout });
    });
  });
}

function lunLine(l: Lun): string {
  const size = l.sizeBytes === undefined ? '' : `  ${(l.sizeBytes / 2 ** 20).toFixed(0)} MiB (${l.blocks} x ${l.blockLength}-byte blocks)`;
  return `\tLUN ${l.lun}: ${l.deviceTypeName ?? '?'}  vendor ${l.vendor ?? ''}  product ${l.product ?? ''}  revision ${l.revision ?? ''}${size}${l.serial ? `  serial ${l.serial}` : ''}`;
}

/** Start tsiscsid in `root` and wait for its control socket. */
async function startDaemon(root: string, initiator: string | undefined): Promise<ChildProcess> {
  const args = ['--root', root, '-f'];
  if (initiator) {
    const file = join(root, 'etc/tsiscsi/initiatorname.iscsi');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `InitiatorName=${initiator}\n`);
  }
  const log = openSync(join(root, 'tsiscsid.log'), 'a');
  const child = spawn(process.execPath, [TSISCSID, ...args], { stdio: ['ignore', log, log] });
  closeSync(log);
  // Whatever ends the demo (an error, Ctrl-C, a closed pipe), the daemon goes too (by its PID).
  const kill = (): void => {
    if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
    rmSync(root, { recursive: true, force: true });
  };
  process.once('exit', kill);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, () => (kill(), process.exit(130)));
  process.stdout.on('error', () => (kill(), process.exit(1)));
  const socket = join(root, 'run/tsiscsi/tsiscsid.sock');
  for (let i = 0; i < 100 && !existsSync(socket); i++) {
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!existsSync(socket)) throw new IscsiError('DEMO_DAEMON', `tsiscsid did not start (see ${join(root, 'tsiscsid.log')})`);
  return child;
}

/** Stop the daemon by its PID (SIGTERM, SIGKILL after 10 s). */
async function stopDaemon(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  process.kill(child.pid, 'SIGTERM');
  const t = setTimeout(() => child.exitCode === null && child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), 10_000);
  await exited;
  clearTimeout(t);
}

async function printLuns(root: string): Promise<void> {
  process.stdout.write('\n# LUNs (REPORT LUNS / INQUIRY / READ CAPACITY), from: tsiscsiadm -m session -P 3 --json\n');
  const r = await tsiscsiadm(root, ['-m', 'session', '-P', '3', '--json'], false);
  const doc = JSON.parse(r.stdout) as { sessions?: Array<{ sid: number; target: string; scsi: { luns: Lun[] } }> };
  for (const s of doc.sessions ?? []) {
    process.stdout.write(`[sid ${s.sid}] ${s.target}\n`);
    for (const l of s.scsi.luns) process.stdout.write(`${lunLine(l)}\n`);
  }
}

async function demo(root: string, portal: string, chaps: string[]): Promise<number> {
  let failures = 0;
  const step = async (args: string[], ok: number[] = [0]): Promise<void> => {
    const r = await tsiscsiadm(root, args);
    if (!ok.includes(r.code)) failures++;
  };
  await step(['-m', 'discovery', '-t', 'st', '-p', portal]);
  await step(['-m', 'node']);
  for (const spec of chaps) {
    const eq = spec.lastIndexOf('=');
    const [user = '', ...secret] = spec.slice(eq + 1).split(':');
    const target = spec.slice(0, eq);
    for (const [key, value] of [['node.session.auth.authmethod', 'CHAP'], ['node.session.auth.username', user], ['node.session.auth.password', secret.join(':')]]) {
      await step(['-m', 'node', '-T', target, '-o', 'update', '-n', key!, '-v', value!]);
    }
  }
  await step(['-m', 'node', '-l']);
  await step(['-m', 'session']);
  await step(['-m', 'session', '-P', '3']);
  await printLuns(root);
  await step(['-m', 'session', '-s']);
  await step(['-m', 'session', '-u']);
  await step(['-m', 'session'], [21]);
  return failures;
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { portal: { type: 'string' }, chap: { type: 'string', multiple: true }, initiator: { type: 'string' } } });
  if (!values.portal) throw new IscsiError('DEMO_USAGE', 'usage: demo --portal HOST:PORT [--chap IQN=USER:SECRET] [--initiator IQN]');
  const root = mkdtempSync('/tmp/tsiscsi-demo-root-');
  let daemon: ChildProcess | undefined;
  try {
    daemon = await startDaemon(root, values.initiator);
    process.stdout.write(`# tsiscsid --root ${root} (pid ${daemon.pid}); commands run with TSISCSI_ROOT=${root}\n`);
    const failures = await demo(root, values.portal, values.chap ?? []);
    return failures === 0 ? 0 : 1;
  } finally {
    if (daemon) {
      await stopDaemon(daemon);
      process.stdout.write(`\n# tsiscsid (pid ${daemon.pid}) stopped\n`);
    }
    rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      const e = err instanceof IscsiError ? err : undefined;
      console.error(`demo: ${e ? `${e.message} (${e.code}, error ${e.errno})` : String(err)}`);
      process.exit(e?.errno ?? 1);
    },
  );
}
