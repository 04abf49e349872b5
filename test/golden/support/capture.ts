/**
 * Runs Debian's real `iscsiadm` (open-iscsi 2.1.8) in a private mount namespace so
 * nothing on the host is touched, and captures what it prints plus the database it
 * leaves behind.
 *
 * Inside `unshare -m --propagation private [-n]`:
 * - tmpfs over /etc/iscsi (Debian's DB root and config dir), /var/lib/iscsi (if it
 *   exists: the meson DB root), /run/lock (iscsiadm's lock dir /run/lock/iscsi) and
 *   /sys/class, where a fake `iscsi_transport/tcp` (`handle` 1, `caps` 0x39) lets
 *   iface updates and SendTargets discovery find the tcp transport without a kernel;
 * - a fixed iscsid.conf and initiatorname.iscsi are written;
 * - each step runs with stdout/stderr/exit status captured to files outside the tmpfs;
 * - at the end the DB is listed in *directory order* (`find`, unsorted: what
 *   iscsiadm's readdir loops see) and copied out.
 * No iscsid runs: iscsiadm's attempts to reach it fail with ECONNREFUSED and print two
 * noise lines on stderr, which comparisons drop (`withoutIscsidNoise`). With `-n` the
 * namespace also has its own abstract-socket namespace, so a host iscsid is never asked.
 */
import { execFile, spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findExecutable } from '../../support/tgtd.js';

/** One step of a scenario. `{PORT}` in argv is replaced by `vars.PORT`. */
export interface StepSpec {
  readonly argv: readonly string[];
}

/** What one step printed. */
export interface StepCapture {
  /** The exact command line that ran (after substitution). */
  readonly command: string;
  /** argv as written in the scenario (with `{PORT}` placeholders). */
  readonly argv: readonly string[];
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** One DB entry, in directory order. */
export interface DbEntry {
  /** Relative to the DB root, e.g. `nodes/iqn.../10.0.0.1,3260,1/default`. */
  readonly path: string;
  readonly type: 'd' | 'f' | 'l';
  readonly content?: string;
  /** Symlink target as stored (open-iscsi writes absolute paths). */
  readonly target?: string;
}

/** A whole capture, as stored under test/fixtures/iscsiadm/golden/. */
export interface Capture {
  readonly scenario: string;
  readonly producedBy: { readonly program: string; readonly version: string; readonly package: string };
  readonly environment: string;
  readonly iscsidConf: string;
  readonly initiatorName: string;
  readonly vars: Readonly<Record<string, string>>;
  /** Data the test fed to tsiscsi code that the DB does not hold (e.g. SendTargets answers). */
  readonly inputs?: Readonly<Record<string, unknown>>;
  readonly steps: readonly StepCapture[];
  readonly db: readonly DbEntry[];
}

/** Options of a capture run. */
export interface CaptureOptions {
  readonly scenario: string;
  readonly steps: readonly StepSpec[];
  /** Share the host network namespace (needed to reach a tgtd); default: private (`-n`). */
  readonly network?: boolean;
  readonly vars?: Readonly<Record<string, string>>;
  readonly iscsidConf?: string;
  readonly initiatorName?: string;
  /** Extra shell lines run inside the namespace before the steps (e.g. a fake /sys/firmware). */
  readonly prepare?: readonly string[];
}

export const DEFAULT_ISCSID_CONF = 'node.startup = manual\n';
export const DEFAULT_INITIATOR = 'iqn.1993-08.org.debian:01:tsiscsi-golden';

let probed: { ok: boolean; reason: string; iscsiadm?: string } | undefined;

/** Whether the real iscsiadm can run here (installed, root, unshare permitted). */
export function realIscsiadm(): { ok: boolean; reason: string; iscsiadm?: string } {
  if (probed) return probed;
  const iscsiadm = findExecutable('iscsiadm');
  const unshare = findExecutable('unshare');
  if (!iscsiadm) probed = { ok: false, reason: 'iscsiadm not installed (Debian package open-iscsi; scripts/setup.sh installs it)' };
  else if (!unshare) probed = { ok: false, reason: 'unshare not found (util-linux)' };
  else if (process.getuid?.() !== 0) probed = { ok: false, reason: 'not root: a private mount namespace needs CAP_SYS_ADMIN' };
  else {
    const r = spawnSync(unshare, ['-m', '--propagation', 'private', 'true'], { timeout: 10_000 });
    probed = r.status === 0 ? { ok: true, reason: '', iscsiadm } : { ok: false, reason: `unshare -m refused: ${String(r.stderr).trim()}` };
  }
  return probed;
}

function shq(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function substitute(argv: readonly string[], vars: Readonly<Record<string, string>>): string[] {
  return argv.map((a) => a.replace(/\{(\w+)\}/g, (m, k: string) => vars[k] ?? m));
}

function script(out: string, iscsiadm: string, steps: string[][], prepare: readonly string[] = []): string {
  const lines = [
    'set -u',
    'mount -t tmpfs -o mode=0755 tsiscsi-golden /etc/iscsi',
    '[ -d /var/lib/iscsi ] && mount -t tmpfs -o mode=0755 tsiscsi-golden /var/lib/iscsi',
    'mount -t tmpfs -o mode=1777 tsiscsi-golden /run/lock',
    'mount -t tmpfs -o mode=0755 tsiscsi-golden /sys/class',
    'mkdir -p /sys/class/iscsi_transport/tcp',
    'echo 1 > /sys/class/iscsi_transport/tcp/handle',
    'echo 0x39 > /sys/class/iscsi_transport/tcp/caps',
    `cp ${shq(join(out, 'iscsid.conf'))} /etc/iscsi/iscsid.conf`,
    `cp ${shq(join(out, 'initiatorname.iscsi'))} /etc/iscsi/initiatorname.iscsi`,
    ...prepare,
    `${shq(iscsiadm)} -V > ${shq(join(out, 'version'))} 2>&1`,
  ];
  steps.forEach((argv, i) => {
    const base = shq(join(out, `step${i}`));
    lines.push(`${[iscsiadm, ...argv].map(shq).join(' ')} > ${base}.out 2> ${base}.err < /dev/null; echo $? > ${base}.rc`);
  });
  lines.push(`find /etc/iscsi -mindepth 1 -printf '%y\\t%P\\n' > ${shq(join(out, 'db.list'))}`);
  lines.push(`cp -a /etc/iscsi ${shq(join(out, 'db'))}`);
  return `${lines.join('\n')}\n`;
}

function packageVersion(): string {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Package} ${Version}', 'open-iscsi'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'unknown (dpkg-query failed)';
}

function readDb(out: string): DbEntry[] {
  const list = readFileSync(join(out, 'db.list'), 'utf8').split('\n').filter(Boolean);
  return list.flatMap((line): DbEntry[] => {
    const [type, path = ''] = line.split('\t');
    const file = join(out, 'db', path);
    if (type === 'd') return [{ path, type: 'd' }];
    if (type === 'l') return [{ path, type: 'l', target: readlinkSync(file) }];
    if (type === 'f' && lstatSync(file).isFile()) return [{ path, type: 'f', content: readFileSync(file, 'utf8') }];
    return [];
  });
}

/** Run a scenario with the real iscsiadm. Rejects when the namespace cannot be set up. */
export async function capture(opts: CaptureOptions): Promise<Capture> {
  const real = realIscsiadm();
  if (!real.ok || !real.iscsiadm) throw new Error(`real iscsiadm unavailable: ${real.reason}`);
  const vars = opts.vars ?? {};
  const iscsidConf = opts.iscsidConf ?? DEFAULT_ISCSID_CONF;
  const initiatorName = opts.initiatorName ?? DEFAULT_INITIATOR;
  const out = mkdtempSync(join(tmpdir(), 'iscsiadm-golden-'));
  try {
    writeFileSync(join(out, 'iscsid.conf'), iscsidConf);
    writeFileSync(join(out, 'initiatorname.iscsi'), `InitiatorName=${initiatorName}\n`);
    const steps = opts.steps.map((s) => substitute(s.argv, vars));
    writeFileSync(join(out, 'run.sh'), script(out, real.iscsiadm, steps, opts.prepare));
    const ns = ['-m', '--propagation', 'private', ...(opts.network ? [] : ['-n']), '/bin/sh', join(out, 'run.sh')];
    await new Promise<void>((resolve, reject) => {
      execFile('unshare', ns, { timeout: 120_000 }, (err, _o, stderr) => (err ? reject(new Error(`unshare failed: ${stderr || err.message}`)) : resolve()));
    });
    return {
      scenario: opts.scenario,
      producedBy: { program: real.iscsiadm, version: readFileSync(join(out, 'version'), 'utf8').trim(), package: packageVersion() },
      environment: `unshare -m${opts.network ? '' : ' -n'}; tmpfs over /etc/iscsi, /var/lib/iscsi, /run/lock, /sys/class (fake iscsi_transport/tcp: handle 1, caps 0x39); no iscsid`,
      iscsidConf,
      initiatorName,
      vars,
      steps: opts.steps.map((s, i) => ({
        command: ['iscsiadm', ...steps[i]!].map(shq).join(' '),
        argv: s.argv,
        status: Number(readFileSync(join(out, `step${i}.rc`), 'utf8').trim()),
        stdout: readFileSync(join(out, `step${i}.out`), 'utf8'),
        stderr: readFileSync(join(out, `step${i}.err`), 'utf8'),
      })),
      db: readDb(out),
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** The two lines iscsiadm prints when it cannot reach iscsid (there is none in the namespace). */
const ISCSID_NOISE = [
  /^iscsiadm: iscsid is not running\. Could not start it up automatically/,
  /^iscsiadm: can not connect to iSCSI daemon \(111\)!$/,
];

/** stderr without the no-iscsid noise lines. */
export function withoutIscsidNoise(stderr: string): string {
  return stderr.split(/(?<=\n)/).filter((l) => !ISCSID_NOISE.some((re) => re.test(l.replace(/\n$/, '')))).join('');
}
