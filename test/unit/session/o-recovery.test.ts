/**
 * Checklist section O (RFC 7143 §6.3.4-6.3.6, §7.1.4, §7.5, §7.7-7.15, §13.15-13.16):
 * error handling and session recovery at ERL 0. A real Session over usertcp to the fake
 * target, supervised by SessionSupervisor on the session's FakeClock: failures are real
 * I/O, waits (Time2Wait, replacement_timeout) move only with the clock.
 */
import { describe, expect, it } from 'vitest';
import type { LoginRequest, LoginResponse, NopOut, ScsiCommand, TaskMgmtRequest } from '../../../src/iscsi/pdu/types.js';
import { SessionSupervisor } from '../../../src/recovery/supervisor.js';
import type { IscsiError } from '../../../src/shared/errors.js';
import { asyncMessage, nopIn, senseData, type ConnContext } from '../../support/fake-target/index.js';
import { loginsOn, read10, recoverAfter, reopening, supervised, transition, TUR, type Rig } from '../recovery/session-rig.js';
import { nth, RESERVED, sent, sleep, useHarness, violationCodes } from './helpers-ikl.js';

const h = useHarness();
const DIGESTS = { headerDigest: ['CRC32C' as const], dataDigest: ['CRC32C' as const] };
const settle = (): Promise<void> => sleep(40);

function nextError(r: Rig): Promise<IscsiError> {
  return new Promise((resolve) => r.s.once('connection-error', resolve));
}

/** Every Login Request after the first connection: a leading login with our ISID and TSIH 0 (B-05, O-09). */
function expectReinstatement(r: Rig, conn: number): void {
  const logins = loginsOn(r.fx, conn).map((x) => x.pdu as LoginRequest);
  expect(logins.length).toBeGreaterThan(0);
  for (const l of logins) {
    expect(l.tsih).toBe(0);
    expect(l.isid).toEqual(r.s.opts.isid);
    expect(l.cid).toBe(0);
  }
}

/** A Login Response failing with class/detail (§11.13.5: T, CSG, NSG 0). */
function failLogin(res: LoginResponse, statusClass: number, statusDetail: number): LoginResponse {
  return { ...res, transit: false, cont: false, csg: 0, nsg: 0, statusClass, statusDetail, data: Buffer.alloc(0) };
}

describe('O: error handling and recovery at ERL 0', () => {
  it('O-01 a format error (NOP-In with both a valid ITT and TTT) ends the connection and starts session recovery', async () => {
    const fx = await h.target();
    const r = await supervised(h, fx);
    const failed = nextError(r);
    const ctx = fx.target.ctx(0);
    ctx.send(nopIn(ctx, { itt: 0x1234, ttt: 0x77 }));
    const err = await failed;
    expect(err.name).toBe('ProtocolError');
    expect(err.details.where).toMatch(/^NopIn/);
    await fx.target.waitForClosed(0);
    await reopening(r);
    await recoverAfter(r, 2000);
    expectReinstatement(r, 1);
  });

  it('O-02 a reset connection: re-login with the same ISID and TSIH 0, the in-flight command is issued again', async () => {
    const fx = await h.target({ blackHole: (pdu) => pdu.kind === 'scsi-command' && fx.target.connections() === 1 });
    fx.script.disk().write(0, 9 * 512, Buffer.alloc(512, 0x99));
    const r = await supervised(h, fx);
    const read = r.sup.execute(read10(9));
    await nth(fx.target, 'scsi-command');
    fx.target.ctx(0).reset();
    await reopening(r);
    await recoverAfter(r, 2000);
    expect((await read).data).toEqual(Buffer.alloc(512, 0x99));
    expectReinstatement(r, 1);
    expect(sent(fx.target, 'scsi-command').map((x) => x.conn)).toEqual([0, 1]);
    expect(r.s.loginCount).toBe(2);
  });

  it('O-03 no re-login before the negotiated DefaultTime2Wait (4 s)', async () => {
    const fx = await h.target();
    const r = await supervised(h, fx, { offer: { defaultTime2Wait: 4 } });
    expect(r.s.params?.defaultTime2Wait).toBe(4);
    fx.target.ctx(0).close();
    await reopening(r);
    r.clock.advance(3999);
    await settle();
    expect(fx.target.connections()).toBe(1);
    await recoverAfter(r, 1);
    expect(fx.target.connections()).toBe(2);
  });

  it('O-04 a header digest error on a received PDU closes the connection: session recovery', async () => {
    const fx = await h.target({
      onPdu: (c: ConnContext, pdu) => {
        if (pdu.kind === 'nop-out' && pdu.itt !== RESERVED && c.conn === 0) c.corruptNext({ headerDigest: true });
        return false;
      },
    });
    const r = await supervised(h, fx, { offer: DIGESTS });
    const failed = nextError(r);
    await expect(r.s.ping(Buffer.from('x'))).rejects.toMatchObject({ code: 'SESSION_FAILED' });
    expect((await failed).code).toBe('HEADER_DIGEST_ERROR');
    await reopening(r);
    await recoverAfter(r, 2000);
    expect(r.s.params?.headerDigest).toBe('CRC32C');
    await r.sup.execute(TUR);
  });

  it('O-05 a data digest error on a response (NOP-In) is escalated to session recovery at ERL 0', async () => {
    const fx = await h.target({
      onPdu: (c: ConnContext, pdu) => {
        if (pdu.kind === 'nop-out' && pdu.itt !== RESERVED && c.conn === 0) c.corruptNext({ dataDigest: true });
        return false;
      },
    });
    const r = await supervised(h, fx, { offer: DIGESTS });
    const failed = nextError(r);
    await expect(r.s.ping(Buffer.from('payload'))).rejects.toMatchObject({ code: 'SESSION_FAILED' });
    expect((await failed).code).toBe('DATA_DIGEST_ERROR');
    await reopening(r);
    await recoverAfter(r, 2000);
    expect(await r.s.ping(Buffer.from('again'))).toEqual(Buffer.from('again'));
  });

  it('O-06 the target drops all connections (AsyncEvent 3): session reinstatement, never a connection reinstatement', async () => {
    const fx = await h.target();
    const r = await supervised(h, fx);
    const ctx = fx.target.ctx(0);
    const held = r.sup.execute(TUR);
    ctx.send(asyncMessage(ctx, { event: 3, parameter2: 2, parameter3: 0 }));
    await reopening(r);
    await recoverAfter(r, 2000);
    expectReinstatement(r, 1);
    expect((await held).status).toBe(0);
    expect((await r.sup.execute(TUR)).status).toBe(0);
  });

  it('O-07 immediate commands pending at the failure (a ping) fail; SCSI commands are issued again', async () => {
    const fx = await h.target({ blackHole: (pdu) => fx.target.connections() === 1 && (pdu.kind === 'nop-out' || pdu.kind === 'scsi-command') });
    const r = await supervised(h, fx);
    const ping = r.s.ping(Buffer.from('lost'));
    const cmd = r.sup.execute(TUR);
    await nth(fx.target, 'scsi-command');
    fx.target.ctx(0).reset();
    await expect(ping).rejects.toMatchObject({ code: 'SESSION_FAILED' });
    await reopening(r);
    await recoverAfter(r, 2000);
    expect((await cmd).status).toBe(0);
    expect(sent(fx.target, 'nop-out').map((x) => x.conn)).toEqual([0]);
  });

  it('O-08 an upper-layer timeout aborts the command with ABORT TASK (RefCmdSN = its CmdSN); the session stays', async () => {
    const fx = await h.target({ blackHole: (pdu) => pdu.kind === 'scsi-command' });
    const r = await supervised(h, fx);
    const timeout = new AbortController();
    const cmd = r.sup.execute(TUR, { signal: timeout.signal });
    const rec = await nth(fx.target, 'scsi-command');
    timeout.abort();
    const tmf = (await nth(fx.target, 'task-mgmt-request')).pdu as TaskMgmtRequest;
    const scsi = rec.pdu as ScsiCommand;
    expect(tmf).toMatchObject({ immediate: true, function: 1, referencedTaskTag: scsi.itt, refCmdSN: scsi.cmdSN, lun: scsi.lun });
    await expect(cmd).rejects.toMatchObject({ code: 'TASK_ABORTED', details: { tmfResponse: 0 } });
    expect(r.s.state).toBe('logged-in');
    expect(r.sup.state).toBe('LOGGED_IN');
    expect(await r.s.ping(Buffer.from('alive'))).toEqual(Buffer.from('alive'));
    expect(violationCodes(fx.target)).toEqual([]);
  });

  it('O-08 a command aborted while it waits for the window is never sent', async () => {
    const fx = await h.target({ window: 0 });
    const { s } = await h.open(fx, { noopOutIntervalMs: 0 });
    const ac = new AbortController();
    const cmd = s.execute(TUR, { signal: ac.signal });
    ac.abort();
    await expect(cmd).rejects.toMatchObject({ code: 'TASK_ABORTED' });
    const ctx = fx.target.ctx(0);
    ctx.sn.window = 2;
    ctx.send(nopIn(ctx));
    await s.ping();
    expect(sent(fx.target, 'scsi-command')).toHaveLength(0);
    expect(sent(fx.target, 'task-mgmt-request')).toHaveLength(0);
  });

  it('O-09 reinstatement only from FAILED: no login while logged in, the reopen login carries TSIH 0', async () => {
    const fx = await h.target();
    const r = await supervised(h, fx);
    await expect(r.s.login()).rejects.toMatchObject({ code: 'SESSION_BUSY' });
    r.clock.advance(600_000);
    await settle();
    expect(fx.target.connections()).toBe(1);
    fx.target.ctx(0).reset();
    await reopening(r);
    expect(r.s.state).toBe('failed');
    await recoverAfter(r, 2000);
    expectReinstatement(r, 1);
  });

  it('O-10 tasks the target ended are requeued after reinstatement; no response is expected on the old connection', async () => {
    const fx = await h.target({ blackHole: (pdu) => pdu.kind === 'scsi-command' && fx.target.connections() === 1 });
    const r = await supervised(h, fx);
    const cmds = [r.sup.execute(read10(1)), r.sup.execute(read10(2)), r.sup.execute(TUR)];
    await nth(fx.target, 'scsi-command', 3);
    fx.target.ctx(0).reset();
    await reopening(r);
    expect(r.sup.snapshot().held).toBe(3);
    await recoverAfter(r, 2000);
    const results = await Promise.all(cmds);
    expect(results.map((x) => x.status)).toEqual([0, 0, 0]);
    const again = sent(fx.target, 'scsi-command').filter((x) => x.conn === 1).map((x) => (x.pdu as ScsiCommand).cdb[0]);
    expect(again).toEqual([0x28, 0x28, 0x00]); // same order as issued
  });

  it('O-10 S-01 requeued tasks fail with REPLACEMENT_TIMEOUT when the session is not back in time', async () => {
    const fx = await h.target({
      blackHole: (pdu) => pdu.kind === 'scsi-command' && fx.target.connections() === 1,
      onLoginRequest: (c, _req, res) => (c.conn >= 1 && c.conn < 4 ? failLogin(res, 3, 0x00) : undefined),
    });
    const r = await supervised(h, fx, {}, { replacementTimeoutMs: 5000 });
    const cmd = r.sup.execute(read10(3));
    cmd.catch(() => undefined);
    await nth(fx.target, 'scsi-command');
    fx.target.ctx(0).reset();
    await reopening(r);
    for (let i = 1; i <= 2; i++) {
      const wait = transition(r, (t) => t.step === 'delay' && t.attempts === i);
      r.clock.advance(2000);
      await wait; // attempt i refused with 0x0300
    }
    r.clock.advance(1000); // t = 5 s after the failure
    await expect(cmd).rejects.toMatchObject({ code: 'REPLACEMENT_TIMEOUT' });
    await expect(r.sup.execute(TUR)).rejects.toMatchObject({ code: 'REPLACEMENT_TIMEOUT' });
    const wait = transition(r, (t) => t.step === 'delay' && t.attempts === 3);
    r.clock.advance(1000);
    await wait;
    await recoverAfter(r, 2000);
    expect((await r.sup.execute(TUR)).status).toBe(0);
  });

  it('O-11 a unit attention 47h/7Fh on the first command after recovery is retried', async () => {
    let first = true;
    const fx = await h.target({
      scsi: {
        onCommand: (c) => {
          if (c.conn !== 1 || !first) return undefined;
          first = false;
          return { status: 0x02, sense: senseData(0x06, 0x47, 0x7f) };
        },
      },
    });
    const r = await supervised(h, fx);
    fx.target.ctx(0).reset();
    await reopening(r);
    await recoverAfter(r, 2000);
    const res = await r.sup.execute(TUR);
    expect(res.status).toBe(0);
    expect(sent(fx.target, 'scsi-command').filter((x) => x.conn === 1)).toHaveLength(2);
  });

  it('O-12 an initiator opcode (0x01) or an unassigned one (0x3b) from the target is a protocol error: recovery', async () => {
    for (const opcode of [0x01, 0x3b]) {
      const fx = await h.target();
      const r = await supervised(h, fx);
      const failed = nextError(r);
      const bhs = Buffer.alloc(48);
      bhs[0] = opcode;
      bhs[1] = 0x80;
      bhs.writeUInt32BE(RESERVED, 16);
      fx.target.ctx(0).sendRaw(bhs);
      const err = await failed;
      expect(err.name).toBe('ProtocolError');
      await reopening(r);
      await recoverAfter(r, 2000);
      expect(fx.target.connections()).toBe(2);
    }
  });

  it('O-13 reserved bits set in a received PDU are ignored', async () => {
    const fx = await h.target({
      onPdu: (c: ConnContext, pdu) => {
        if (pdu.kind !== 'nop-out' || pdu.itt === RESERVED) return false;
        c.send(nopIn(c, { itt: pdu.itt, data: pdu.data }), {
          patchBhs: (b) => {
            b[1] = 0xff; // F plus 7 reserved bits
            b[2] = 0xff;
            b[3] = 0xff;
            b.fill(0xff, 36, 48);
          },
        });
        return true;
      },
    });
    const r = await supervised(h, fx);
    expect(await r.s.ping(Buffer.from('odd bits'))).toEqual(Buffer.from('odd bits'));
    expect(r.s.state).toBe('logged-in');
    expect((sent(fx.target, 'nop-out')[0]!.pdu as NopOut).data).toEqual(Buffer.from('odd bits'));
  });

  it('O-14 DefaultTime2Retain 0: straight to session reinstatement (TSIH 0), no connection reinstatement', async () => {
    const fx = await h.target();
    const r = await supervised(h, fx);
    expect(r.s.params?.defaultTime2Retain).toBe(0);
    fx.target.ctx(0).close();
    await reopening(r);
    await recoverAfter(r, 2000);
    expectReinstatement(r, 1);
    expect(loginsOn(fx, 1).every((x) => (x.pdu as LoginRequest).tsih === 0)).toBe(true);
  });

  it('O-15 G-10 class 3 login failures are retried after Time2Wait until the login works', async () => {
    const fx = await h.target({ onLoginRequest: (c, _req, res) => (c.conn < 2 ? failLogin(res, 3, 0x01) : undefined) });
    const { s, clock } = h.session(fx, { noopOutIntervalMs: 0 });
    const sup = new SessionSupervisor(s, { clock, random: () => 0 });
    const waits: number[] = [];
    sup.on('transition', (t: { step: string; attempts: number }) => {
      if (t.step === 'delay') waits.push(t.attempts);
    });
    const started = sup.start();
    for (let attempt = 1; attempt <= 2; attempt++) {
      while (!waits.includes(attempt)) await sleep(2);
      clock.advance(2000);
    }
    await started;
    expect(sup.state).toBe('LOGGED_IN');
    expect(fx.target.connections()).toBe(3);
  });

  it('O-15 G-09 a class 2 login failure is not retried', async () => {
    const fx = await h.target({ onLoginRequest: (_c, _req, res) => failLogin(res, 2, 0x01) });
    const { s, clock } = h.session(fx, { noopOutIntervalMs: 0 });
    const sup = new SessionSupervisor(s, { clock, random: () => 0 });
    await expect(sup.start()).rejects.toMatchObject({ code: 'AUTHENTICATION_FAILURE' });
    clock.advance(600_000);
    await settle();
    expect(fx.target.connections()).toBe(1);
    expect(sup.state).toBe('FREE');
  });
});
