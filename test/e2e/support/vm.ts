/**
 * Real-kernel test VM driver (issue 6 §5): prepares the cached Debian kernel + initrd
 * (test/e2e/vm/prepare.sh) and boots qemu (test/e2e/vm/run-vm.sh) with a guest program
 * from this repo. The guest runs the host's node and repo over a read-only 9p share and
 * reaches the host's loopback as 10.0.2.2 (qemu user-mode networking).
 *
 * Console protocol (test/e2e/vm/init): `TSI-<MARK> ...` lines; `TSI-JSON {...}` lines are
 * facts reported by the guest program; `TSI-RC <n>` is the program's exit status.
 * Hard limits: qemu runs under `timeout` in run-vm.sh, and this module kills the whole
 * process group (the PID it spawned, detached) when its own deadline passes or the test
 * process exits.
 */
import { execFileSync, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '../../..');
const VM_DIR = join(REPO, 'test', 'e2e', 'vm');
const verbose = process.env.TSISCSI_E2E_VERBOSE === '1';

/** One console line with the host-side time since qemu was spawned. */
export interface ConsoleLine {
  ms: number;
  line: string;
}

/** A `TSI-JSON` record from the guest program. */
export type GuestRecord = { step: string } & Record<string, unknown>;

export interface GuestRun {
  /** Guest program's exit status (`TSI-RC`), undefined when the VM never got there. */
  rc: number | undefined;
  json: GuestRecord[];
  lines: ConsoleLine[];
  /** Host-side ms from spawn to qemu exit. */
  ms: number;
  /** Host-side ms at which each first `TSI-<MARK>` appeared (INIT, MODULES, 9P, DONE...). */
  marks: Record<string, number>;
  exitCode: number | null;
  timedOut: boolean;
}

export interface RunGuestOptions {
  /** Portal the guest should use, "10.0.2.2:<host port>". */
  portal?: string;
  /** Hard limit in seconds for the whole VM (default 300). */
  timeoutS?: number;
  /** Extra kernel command-line words. */
  append?: string[];
  /** Environment for the guest program (passed as `tsi.env.NAME=VALUE`; no spaces). */
  env?: Record<string, string>;
  /** Called with every console line as it arrives (the host side reacts to guest steps). */
  onLine?: (line: string) => void;
}

/** Run prepare.sh (cached kernel; installs qemu & co when missing). Returns elapsed ms. */
export function prepareVm(timeoutMs = 20 * 60_000): number {
  const t0 = Date.now();
  const out = execFileSync('bash', [join(VM_DIR, 'prepare.sh')], { encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL', stdio: ['ignore', 'pipe', 'inherit'] });
  if (verbose) process.stdout.write(out);
  return Date.now() - t0;
}

const live = new Set<number>();
process.on('exit', () => {
  for (const pid of live) killGroup(pid);
});

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Boot the VM with `program` (path relative to the repo) and collect its console. */
export function runGuest(program: string, opts: RunGuestOptions = {}): Promise<GuestRun> {
  const timeoutS = opts.timeoutS ?? 300;
  const env = { ...process.env, TSI_TIMEOUT: String(timeoutS), ...(opts.portal ? { TSI_PORTAL: opts.portal } : {}) };
  const t0 = Date.now();
  const envWords = Object.entries(opts.env ?? {}).map(([k, v]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) || /[\s'"\\]/.test(v)) throw new Error(`guest env ${k}=${v}: no spaces, quotes or backslashes`);
    return `tsi.env.${k}=${v}`;
  });
  const child = spawn('bash', [join(VM_DIR, 'run-vm.sh'), program, ...(opts.append ?? []), ...envWords], {
    env, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid!;
  live.add(pid);
  const run: GuestRun = { rc: undefined, json: [], lines: [], ms: 0, marks: {}, exitCode: null, timedOut: false };
  let partial = '';
  const onData = (chunk: Buffer): void => {
    partial += chunk.toString('utf8');
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl).replace(/\r$/, '');
      record(run, { ms: Date.now() - t0, line });
      opts.onLine?.(line);
      partial = partial.slice(nl + 1);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  // run-vm.sh's own `timeout` fires first; this guard covers a wedged timeout/qemu.
  const guard = setTimeout(() => {
    run.timedOut = true;
    killGroup(pid);
  }, (timeoutS + 20) * 1000);
  return new Promise((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      killGroup(pid); // nothing of the group may outlive the run
      live.delete(pid);
      if (partial) record(run, { ms: Date.now() - t0, line: partial });
      run.exitCode = code;
      run.timedOut ||= code === 124 || code === 137;
      run.ms = Date.now() - t0;
      resolvePromise(run);
    });
  });
}

function record(run: GuestRun, l: ConsoleLine): void {
  run.lines.push(l);
  if (verbose) process.stdout.write(`[vm +${(l.ms / 1000).toFixed(2)}s] ${l.line}\n`);
  const m = /^TSI-([A-Z0-9]+)(?: (.*))?$/.exec(l.line);
  if (!m) return;
  const [, mark, rest = ''] = m;
  run.marks[mark!] ??= l.ms;
  if (mark === 'RC') run.rc = Number(rest);
  if (mark === 'JSON') {
    try {
      run.json.push(JSON.parse(rest) as GuestRecord);
    } catch {
      run.json.push({ step: 'unparsable', line: rest });
    }
  }
}

/** The first record of `step`, or an error listing what the guest did say (for a readable failure). */
export function step(run: GuestRun, name: string): GuestRecord {
  const r = run.json.find((j) => j.step === name);
  if (!r) throw new Error(`guest reported no '${name}' step; console tail:\n${tail(run)}`);
  return r;
}

/** Last console lines, for failure messages. */
export function tail(run: GuestRun, n = 40): string {
  return run.lines.slice(-n).map((l) => l.line).join('\n');
}
