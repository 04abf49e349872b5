/**
 * Proves the tgtd harness (test/support/tgtd.ts) with an independent initiator,
 * libiscsi's command-line tools. Nothing of tsiscsi runs here: if these pass, a
 * failing tsiscsi integration test is about tsiscsi, not about the harness.
 *
 * Skips only when tgtd/libiscsi are missing AND `CI` is unset; in CI a missing tool
 * is a failure (the CI script installs `tgt` and `libiscsi-bin`).
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canBind, sleep } from '../support/net.js';
import { Tgtd, findExecutable } from '../support/tgtd.js';

const TOOLS = ['iscsi-ls', 'iscsi-inq', 'iscsi-perf'];
const haveTools = Tgtd.available() && TOOLS.every((t) => findExecutable(t) !== undefined);
const INITIATOR = 'iqn.2024-01.org.tsiscsi:harness';
const PREFIX = 'iqn.2024-01.org.tsiscsi.test';
const PLAIN = `${PREFIX}:plain`;
const CHAP = `${PREFIX}:chap`;
const MUTUAL = `${PREFIX}:mutual`;
const ALICE = { username: 'alice', password: 'alice-secret-12' };
const TARGET_ACCT = { username: 'tgt-side', password: 'target-secret-34' };

interface Run {
  code: number;
  out: string;
}

/** Run a libiscsi tool; never rejects, returns exit code and stdout+stderr. */
function run(tool: string, args: string[], timeoutMs = 15_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(tool, ['-i', INITIATOR, ...args], { timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe.skipIf(!haveTools && !process.env.CI)('tgtd harness (libiscsi as the initiator)', () => {
  let tgt: Tgtd;
  const url = (cred: string, iqn: string, lun = 1): string => `iscsi://${cred}${tgt.portal}/${iqn}/${lun}`;

  beforeAll(async () => {
    tgt = await Tgtd.start({ nopInterval: 2, nopCount: 3 });
    await tgt.addTarget({ tid: 1, iqn: PLAIN, luns: [{ lun: 1, sizeMiB: 8 }] });
    await tgt.addTarget({ tid: 2, iqn: CHAP, luns: [{ lun: 1, sizeMiB: 8 }], chap: ALICE });
    await tgt.addTarget({ tid: 3, iqn: MUTUAL, luns: [{ lun: 1, sizeMiB: 8 }], chap: ALICE, mutual: TARGET_ACCT });
  });

  afterAll(async () => {
    await tgt?.stop();
  });

  it('listens on a private loopback portal and reports its PID', async () => {
    expect(tgt.portal).toBe(`127.0.0.1:${tgt.port}`);
    expect(alive(tgt.pid)).toBe(true);
    expect(await tgt.tgtadm(['--lld', 'iscsi', '--op', 'show', '--mode', 'portal'])).toBe(`Portal: ${tgt.portal},1\n`);
  });

  it('applies start options and per-target parameters', async () => {
    expect((await tgt.targetParams(1)).nop_interval).toBe('2');
    await tgt.setParam(1, 'MaxRecvDataSegmentLength', 512);
    expect((await tgt.targetParams(1)).MaxRecvDataSegmentLength).toBe('512');
    await tgt.setParam(1, 'MaxRecvDataSegmentLength', 8192);
  });

  it('SendTargets discovery lists all three targets on our portal', async () => {
    const r = await run('iscsi-ls', [`iscsi://${tgt.portal}`]);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n').sort();
    expect(lines).toEqual([CHAP, MUTUAL, PLAIN].map((iqn) => `Target:${iqn} Portal:${tgt.portal},1`));
  });

  it('iscsi-ls -s logs in to every target (shared CHAP account) and sees LUN 1', async () => {
    const r = await run('iscsi-ls', ['-s', `iscsi://${ALICE.username}%${ALICE.password}@${tgt.portal}`]);
    expect(r.code).toBe(0);
    expect(r.out.match(/^Lun:1\s+Type:DIRECT_ACCESS/gm)).toHaveLength(3);
  });

  it('a target without auth answers INQUIRY', async () => {
    const r = await run('iscsi-inq', [url('', PLAIN)]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Vendor:IET/m);
    expect(r.out).toMatch(/^Peripheral Device Type:DIRECT_ACCESS/m);
  });

  it('a one-way CHAP target refuses no or wrong credentials (0x0201 = 513) and accepts the right ones', async () => {
    const none = await run('iscsi-inq', [url('', CHAP)]);
    expect(none.code).not.toBe(0);
    expect(none.out).toContain('(513)');
    const wrong = await run('iscsi-inq', [url(`${ALICE.username}%not-the-password@`, CHAP)]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.out).toContain('(513)');
    const ok = await run('iscsi-inq', [url(`${ALICE.username}%${ALICE.password}@`, CHAP)]);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/^Vendor:IET/m);
  });

  it('a mutual CHAP target proves itself with the outgoing account', async () => {
    const cred = `${ALICE.username}%${ALICE.password}@`;
    const good = await run('iscsi-inq', [`${url(cred, MUTUAL)}?target_user=${TARGET_ACCT.username}&target_password=${TARGET_ACCT.password}`]);
    expect(good.code).toBe(0);
    // The initiator rejects the target's CHAP_R when it expects another secret.
    const bad = await run('iscsi-inq', [`${url(cred, MUTUAL)}?target_user=${TARGET_ACCT.username}&target_password=another-secret-56`]);
    expect(bad.code).not.toBe(0);
    expect(bad.out).toContain('CHAP_R');
  });

  it('an offline target refuses logins (0x0300 = 768) until set ready again', async () => {
    await tgt.setState(1, 'offline');
    const off = await run('iscsi-inq', [url('', PLAIN)]);
    expect(off.code).not.toBe(0);
    expect(off.out).toContain('(768)');
    await tgt.setState(1, 'ready');
    expect((await run('iscsi-inq', [url('', PLAIN)])).code).toBe(0);
  });

  it('lists live connections and drops one on request', async () => {
    const perf = spawn(findExecutable('iscsi-perf') ?? 'iscsi-perf', ['-i', INITIATOR, '-x', '0', url('', PLAIN)], { stdio: 'ignore' });
    try {
      const [first] = await until('a connection on tid 1', async () => {
        const c = await tgt.connections(1);
        return c.length > 0 ? c : undefined;
      });
      expect(first).toMatchObject({ cid: 0, initiator: INITIATOR, address: '127.0.0.1' });
      await tgt.dropConnection(1, first!.sid, first!.cid);
      await until('the dropped session to vanish', async () => {
        const c = await tgt.connections(1);
        return c.some((x) => x.sid === first!.sid) ? undefined : true;
      });
    } finally {
      if (perf.pid !== undefined && perf.exitCode === null) process.kill(perf.pid, 'SIGKILL');
    }
  });

  it('runs a second isolated instance (127.0.0.2) and redirects logins to it', async () => {
    const moved = `${PREFIX}:moved`;
    const other = await Tgtd.start({ host: '127.0.0.2' });
    try {
      expect(other.portal).toBe(`127.0.0.2:${other.port}`);
      await other.addTarget({ tid: 1, iqn: moved, luns: [{ lun: 1, sizeMiB: 4 }] });
      expect(await other.showTargets()).not.toContain(PLAIN);
      expect(await tgt.showTargets()).not.toContain(moved);
      await tgt.addTarget({ tid: 4, iqn: moved }); // LUN 0 only: LUN 1 exists only on `other`
      expect((await run('iscsi-inq', [url('', moved)])).out).toContain('LOGICAL_UNIT_NOT_SUPPORTED');
      await expect(tgt.redirect(4, '127.0.0.1', other.port, 'Temporary')).rejects.toMatchObject({ code: 'TGTD_REDIRECT_SAME_ADDRESS' });
      await tgt.redirect(4, '127.0.0.2', other.port, 'Temporary');
      const r = await run('iscsi-inq', [url('', moved)]);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^Peripheral Device Type:DIRECT_ACCESS/m);
      await other.stop();
      expect((await run('iscsi-inq', [url('', moved)])).code).not.toBe(0);
    } finally {
      await other.stop();
    }
  });

  it('adds targets in bulk', async () => {
    const list = await tgt.addTargetsBulk(100, `${PREFIX}:bulk-`, { startTid: 100 });
    expect(list[99]).toEqual({ tid: 199, iqn: `${PREFIX}:bulk-100` });
    expect((await tgt.showTargets()).match(/^Target \d+:/gm)).toHaveLength(104);
  });

  it('also listens on [::1] when asked', async (ctx) => {
    if (!(await canBind('::1', 0))) ctx.skip();
    const six = await Tgtd.start({ ipv6: true });
    try {
      await six.addTarget({ tid: 1, iqn: PLAIN, luns: [{ lun: 1, sizeMiB: 4 }] });
      expect(six.ipv6Portal).toBe(`[::1]:${six.port}`);
      const r = await run('iscsi-inq', [`iscsi://${six.ipv6Portal}/${PLAIN}/1`]);
      expect(r.code).toBe(0);
    } finally {
      await six.stop();
    }
  });

  it('stop() is idempotent and leaves no tgtd process or files behind', async () => {
    const t = await Tgtd.start();
    await t.addTarget({ tid: 1, iqn: PLAIN, luns: [{ lun: 1, sizeMiB: 4 }] });
    expect(alive(t.pid)).toBe(true);
    await Promise.all([t.stop(), t.stop()]);
    await t.stop();
    expect(alive(t.pid)).toBe(false);
    expect(t.running).toBe(false);
    expect(existsSync(t.dir)).toBe(false);
  });
});
