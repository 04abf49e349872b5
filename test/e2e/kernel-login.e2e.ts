/**
 * tsiscsid INSIDE the real-kernel VM (issue 6 §5), logging in to a private tgtd on the
 * host loopback (the guest sees it as 10.0.2.2:PORT) over the KERNEL iscsi_tcp data path:
 * login on the daemon's socket, hand-over (CREATE_SESSION ... BIND_CONN(fd) ... START_CONN),
 * /dev/sdX; I/O with O_DIRECT; CONN_ERROR recovery; `-P 3` / `-s`; adoption after a daemon
 * restart without a new login; logout -> disk gone. ONE boot runs every step
 * (test/e2e/guest/tsiscsid-login.sh reports facts; the assertions are here). The host
 * side reacts to guest steps: it drops the connection with the target offline, then
 * onlines it, and snapshots tgtd's connections around the daemon restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tgtd, type TgtdConnection } from '../support/tgtd.js';
import { prepareVm, runGuest, step, tail, type GuestRun } from './support/vm.js';

const TARGET = 'iqn.2026-11.test.tsiscsi:e2e-login';
let run: GuestRun;
let tgtd: Tgtd | undefined;
let loginsAtEnd = -1;
const host: { offlineAt?: number; dropped: TgtdConnection[]; onlineAt?: number; beforeRestart?: TgtdConnection[]; afterRestart?: TgtdConnection[]; errors: string[] } = { dropped: [], errors: [] };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Host-side reactions to guest steps (run while the VM runs). */
function onLine(line: string): void {
  const m = /^TSI-JSON \{"step":"([a-z0-9-]+)"/.exec(line);
  if (!m || !tgtd) return;
  const t = tgtd;
  const act = async (): Promise<void> => {
    if (m[1] === 'await-offline') {
      await t.setState(1, 'offline');
      host.offlineAt = Date.now();
      host.dropped = await t.connections(1);
      for (const c of host.dropped) await t.dropConnection(1, c.sid, c.cid);
      await sleep(8000); // a few refused re-logins while offline
      await t.setState(1, 'ready');
      host.onlineAt = Date.now();
    } else if (m[1] === 'before-restart') {
      host.beforeRestart = await t.connections(1);
    } else if (m[1] === 'after-restart') {
      host.afterRestart = await t.connections(1);
    }
  };
  act().catch((err: unknown) => host.errors.push(`${m[1]}: ${String(err)}`));
}

beforeAll(async () => {
  prepareVm();
  tgtd = await Tgtd.start();
  await tgtd.addTarget({ tid: 1, iqn: TARGET, luns: [{ lun: 1, sizeMiB: 64 }] });
  run = await runGuest('test/e2e/guest/tsiscsid-login.sh', {
    portal: `10.0.2.2:${tgtd.port}`,
    append: [`tsi.target=${TARGET}`],
    env: { TSI_IFACE: 'default' },
    timeoutS: 600, // ~1.5 min on an idle machine; node under TCG is much slower when the host is loaded
    onLine,
  });
  loginsAtEnd = (await tgtd.connections(1)).length;
  console.log(`e2e kernel login VM: /init ${run.marks.INIT}ms, first fact ${run.marks.JSON}ms, qemu exit ${run.ms}ms; host: ${JSON.stringify(host)}`);
  for (const j of run.json) console.log(`fact ${JSON.stringify(j).slice(0, 1500)}`);
});

afterAll(async () => {
  await tgtd?.stop();
});

const fact = (name: string): Record<string, unknown> => step(run, name);
const daemonLog = (): string => JSON.stringify(run.json.find((j) => j.step === 'daemon-log') ?? tail(run));

describe('tsiscsid inside the real-kernel VM, kernel iscsi_tcp data path', () => {
  it('the guest program ran to the end (TSI-RC 0); no kernel BUG/Oops/WARNING', () => {
    expect(run.timedOut, tail(run)).toBe(false);
    expect(run.rc, tail(run)).toBe(0);
    expect(run.lines.filter((l) => /\b(BUG:|Oops|WARNING:|Call Trace)/.test(l.line)).map((l) => l.line)).toEqual([]);
  });

  it('tsiscsid starts in the guest; discovery reaches the host tgtd through qemu NAT; the node record is created', () => {
    expect(fact('daemon')).toMatchObject({ socket: true });
    const d = fact('discovery');
    expect(d, daemonLog()).toMatchObject({ rc: 0 });
    expect(String(d.out)).toContain(TARGET);
    expect(fact('node-new')).toMatchObject({ rc: 0 });
  });

  it('login hands the connection to the kernel: /sys/class/iscsi_session/session1 is LOGGED_IN and /dev/sdX appears; -m session lists it as sid 1', () => {
    expect(fact('login'), daemonLog()).toMatchObject({ rc: 0 });
    const s = fact('session');
    expect(s.kernel_sessions, daemonLog()).toBe('session1 ');
    expect(s.state).toBe('LOGGED_IN');
    expect(String(s.dev)).toMatch(/^sd[a-z]+$/);
    expect(String(s.out)).toMatch(new RegExp(`^tcp: \\[1\\] 10\\.0\\.2\\.2:\\d+,1 ${TARGET.replace(/\./g, '\\.')} \\(non-flash\\)`, 'm'));
  });

  it('dd writes 1 MiB with O_DIRECT through the kernel session and reads the same bytes back (64 MiB LUN)', () => {
    const io = fact('io');
    expect(io).toMatchObject({ write_rc: 0, same: true, bytes: 1048576 });
    expect(io.size).toBe(64 * 1024 * 2); // 512-byte sectors
  });

  it('-m session -P 3 shows the kernel SCSI host and the attached disk; -m session -s shows the kernel counters', () => {
    const dev = String(fact('session').dev);
    const p3 = String(fact('p3').out);
    expect(fact('p3')).toMatchObject({ rc: 0 });
    expect(p3).toMatch(/Host Number: \d+\tState: running/);
    expect(p3).toContain(`Attached scsi disk ${dev}\t\tState: running`);
    expect(p3).toContain('iSCSI Connection State: LOGGED IN');
    const st = String(fact('stats').out);
    expect(fact('stats')).toMatchObject({ rc: 0 });
    expect(st).toContain('iSCSI SNMP:');
    // the dd above moved >= 1 MiB each way through the kernel, so its counters are far from 0
    expect(Number(/txdata_octets: (\d+)/.exec(st)?.[1])).toBeGreaterThanOrEqual(1048576);
    expect(Number(/rxdata_octets: (\d+)/.exec(st)?.[1])).toBeGreaterThanOrEqual(1048576);
    expect(Number(/scsicmd_pdus: (\d+)/.exec(st)?.[1])).toBeGreaterThan(16);
  });

  it('target dropped while offline, then online: the kernel reports the connection error (FAILED) and the daemon re-binds the same kernel session', () => {
    expect(host.errors).toEqual([]);
    expect(host.dropped.length).toBe(1);
    const r = fact('recovery');
    expect(r, daemonLog()).toMatchObject({ failed_seen: true, logged_in_again: true, sessions: 'session1 ' });
    // the kernel's CONN_ERROR (ISCSI_ERR_TCP_CONN_CLOSE when tgtd drops the connection), then the re-bind
    expect(String(r.log)).toMatch(/kernel reported a connection error on session 1 connection 0/);
    expect(String(r.log)).toMatch(/Kernel reported iSCSI connection 1:0 error/);
    expect(String(r.log)).toMatch(/recovered on the same kernel session/);
    expect(fact('io-after-recovery')).toMatchObject({ same: true });
    expect(String(fact('p1-after-recovery').out)).toContain('iSCSI Connection State: LOGGED IN');
  });

  it('tsiscsid restarted: the kernel session and disk stay; the new daemon adopts session 1 with NO new login on the target', () => {
    expect(fact('stopped')).toMatchObject({ sessions: 'session1 ', state: 'LOGGED_IN', dev_present: true });
    const a = fact('after-restart');
    expect(a, daemonLog()).toMatchObject({ rc: 0 });
    expect(String(a.out)).toMatch(/^tcp: \[1\] /m);
    expect(String(a.log)).toMatch(/adopted without a new login/);
    expect(host.beforeRestart?.length).toBe(1);
    // same tgtd I_T nexus and connection: nobody logged in again
    expect(host.afterRestart).toEqual(host.beforeRestart);
    expect(fact('io-after-adopt')).toMatchObject({ same: true });
  });

  it('logout through the kernel: the disk and the kernel session are gone; the target has no connection left', () => {
    expect(fact('logout'), daemonLog()).toMatchObject({ rc: 0 });
    expect(fact('after-logout')).toMatchObject({ dev_present: false, sessions: '' });
    expect(loginsAtEnd).toBe(0);
  });
});
