/**
 * Real Linux kernel, real NETLINK_ISCSI (issue 6 §5): Debian's stock kernel boots under
 * qemu TCG with iscsi_tcp; inside it, test/e2e/guest/netlink-roundtrip.mjs uses OUR addon
 * (dist/transport/kernel/netlink-native.js) for a CREATE_SESSION / DESTROY_SESSION round
 * trip with hand-built bytes (reference open-iscsi.md §3.1, §3.3). The guest only reports
 * facts (TSI-JSON lines); the assertions are here. A private tgtd on the host loopback
 * is the target the guest will log in to (next step: the kernel transport driver).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tgtd } from '../support/tgtd.js';
import { prepareVm, runGuest, step, tail, type GuestRecord, type GuestRun } from './support/vm.js';

const TARGET = 'iqn.2026-11.test.tsiscsi:e2e-disk1';
const IF_ERROR = 103;
const KEVENT = { DESTROY_SESSION: 104, UNBIND_SESSION: 105, CREATE_SESSION: 106 } as const;
const EINVAL = 22;
const EPERM = 1;

let run: GuestRun;
let tgtd: Tgtd | undefined;
let prepareMs = 0;

beforeAll(async () => {
  prepareMs = prepareVm();
  tgtd = await Tgtd.start();
  await tgtd.addTarget({ tid: 1, iqn: TARGET, luns: [{ lun: 1, sizeMiB: 64 }] });
  run = await runGuest('test/e2e/guest/netlink-roundtrip.mjs', {
    portal: `10.0.2.2:${tgtd.port}`,
    append: [`tsi.target=${TARGET}`],
    timeoutS: 300,
  });
  const s = (ms: number | undefined): string => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)}s`);
  console.log(`e2e timings: prepare ${s(prepareMs)}; VM: /init ${s(run.marks.INIT)}, iscsi_tcp ${s(run.marks.MODULES)}, `
    + `9p ${s(run.marks['9P'])}, first guest fact ${s(run.marks.JSON)}, done ${s(run.marks.DONE)}, qemu exit ${s(run.ms)}`);
});

afterAll(async () => {
  await tgtd?.stop();
});

/** A guest fact, failing with the console tail when the guest never reported it. */
const fact = (name: string): GuestRecord => step(run, name);
const received = (): Array<Record<string, unknown>> => fact('all-received').received as Array<Record<string, unknown>>;

describe('real kernel under qemu: NETLINK_ISCSI through our addon', () => {
  it('boots the Debian kernel, loads iscsi_tcp and runs the host node over 9p; guest program exits 0', () => {
    expect(run.timedOut, tail(run)).toBe(false);
    expect(run.marks.MODULES, tail(run)).toBeTypeOf('number');
    expect(run.lines.some((l) => /^TSI-MODULES .*tcp_handle=\d+/.test(l.line)), 'iscsi_tcp registered its transport').toBe(true);
    expect(fact('start').node).toBe(process.version);
    expect(run.rc, tail(run)).toBe(0);
  });

  it('no kernel BUG/Oops/WARNING while we drove it', () => {
    expect(run.lines.filter((l) => /\b(BUG:|Oops|WARNING:|Call Trace)/.test(l.line))).toEqual([]);
  });

  it('kernelAvailability() inside the guest: available (addon + socket + /sys/class/iscsi_transport/tcp)', () => {
    expect(fact('availability')).toEqual({ step: 'availability', available: true });
  });

  it('opens NETLINK_ISCSI bound to the iscsid group; the kernel assigns the port id', () => {
    const open = fact('open');
    expect(open.portId).toBeGreaterThan(0);
    expect(open.fd).toBeGreaterThanOrEqual(0);
  });

  it('CREATE_SESSION: unicast reply with the request nlmsg_type, c_session_ret {sid, host_no}; sysfs session and host appear', () => {
    const r = fact('create-reply');
    expect(r).toMatchObject({ nlType: 11, nlPid: 0, type: 11, iferror: 0, len: 72, nlLen: 72 });
    expect(r.r0).toBeGreaterThan(0);
    expect(r.sessionDirExists).toBe(true);
    expect(r.hostDirExists).toBe(true);
  });

  it('DESTROY_SESSION: retcode 0 and /sys/class/iscsi_session/sessionN is gone', () => {
    const r = fact('destroy-reply');
    expect(r).toMatchObject({ nlType: 12, type: 12, iferror: 0, r0: 0, sessionDirExists: false });
  });

  it('DESTROY_SESSION of an unknown sid: reply becomes ISCSI_KEVENT_IF_ERROR with -EINVAL', () => {
    expect(fact('bogus-destroy-reply')).toMatchObject({ nlType: 12, type: IF_ERROR, iferror: -EINVAL });
  });

  it('kernel multicasts CREATE, UNBIND and DESTROY_SESSION events on group 1 (nlmsg_type 0)', () => {
    const sid = fact('create-reply').r0;
    const events = fact('events').received as Array<Record<string, unknown>>;
    expect(events).toEqual(expect.arrayContaining([
      expect.objectContaining({ nlType: 0, type: KEVENT.CREATE_SESSION, r0: sid }),
      expect.objectContaining({ nlType: 0, type: KEVENT.UNBIND_SESSION, r0: sid }),
      // d_session event: host_no @40, sid @44 (reference §3.3)
      expect.objectContaining({ nlType: 0, type: KEVENT.DESTROY_SESSION, r1: sid }),
    ]));
  });

  it('not root: joining the iscsid group is refused (NOT_PERMITTED, EPERM); a request is answered IF_ERROR -EPERM', () => {
    expect(fact('unprivileged')).toMatchObject({ uid: 65534, availability: { available: false, code: 'NOT_PERMITTED' } });
    expect(fact('unprivileged-open')).toMatchObject({ ok: false, code: 'NOT_PERMITTED', errno: EPERM, syscall: 'bind' });
    expect(fact('unprivileged-create-reply')).toMatchObject({ nlType: 11, type: IF_ERROR, iferror: -EPERM });
  });

  it('project codec (dist): encodes CREATE_SESSION byte-equal to the hand-built request', (ctx) => {
    const enc = fact('codec-encode');
    if (enc.codec === 'missing') ctx.skip();
    expect(enc.error).toBeUndefined();
    expect(enc.equal).toBe(true);
  });

  it('project codec (dist): decodes every message the real kernel sent', (ctx) => {
    const all = received();
    if (all.every((d) => d.codec === undefined)) ctx.skip();
    const sid = fact('create-reply').r0;
    const decoded = all.map((d) => (d.codec as Array<Record<string, unknown>>)[0]);
    expect(decoded).toEqual(expect.arrayContaining([
      expect.objectContaining({ kind: 'reply', request: 'createSession', sid }),
      expect.objectContaining({ kind: 'reply', request: 'destroySession', retcode: 0 }),
      expect.objectContaining({ kind: 'ifError', request: 'destroySession', errno: -EINVAL }),
      expect.objectContaining({ kind: 'event', event: 'createSession', sid }),
      expect.objectContaining({ kind: 'event', event: 'unbindSession', sid }),
      expect.objectContaining({ kind: 'event', event: 'destroySession', sid }),
    ]));
    expect(all.length).toBe(decoded.length);
  });

  it('the guest reaches the host tgtd portal (10.0.2.2 = host loopback)', () => {
    expect(fact('portal')).toMatchObject({ ok: true });
  });

  // The daemon's kernel login (hand-over, /dev/sdX, I/O, CONN_ERROR recovery, -P 3 / -s,
  // adoption without a login, logout) is asserted in kernel-login.e2e.ts.
});
