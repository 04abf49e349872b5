/**
 * Checklist section M (RFC 7143 §11.9, §7.1.4.3, §7.4.3, §7.5.2): Asynchronous
 * Messages, injected by the fake target into a live session. Events that end the
 * connection (1, 2, 3, 5) run under a SessionSupervisor on the session's FakeClock, so
 * the re-login and its Time2Wait are observed too.
 */
import { describe, expect, it } from 'vitest';
import type { LoginRequest, LogoutRequest, ScsiCommand, TextRequest } from '../../../src/iscsi/pdu/types.js';
import type { ConnectionErrorInfo, ScsiAsyncEvent } from '../../../src/session/session.js';
import type { IscsiError } from '../../../src/shared/errors.js';
import { asyncMessage, lunField, rejectOf, senseData, type ConnContext } from '../../support/fake-target/index.js';
import { loginsOn, read10, recoverAfter, reopening, supervised, TUR } from '../recovery/session-rig.js';
import { nth, RESERVED, sent, sleep, stateReached, useHarness, violationCodes } from './helpers-ikl.js';

const h = useHarness();

/** Let loopback I/O happen, then check that nothing more arrived. */
const settle = (): Promise<void> => sleep(40);

function nextError(s: { once(e: 'connection-error', fn: (err: IscsiError, info: ConnectionErrorInfo) => void): unknown }): Promise<[IscsiError, ConnectionErrorInfo]> {
  return new Promise((resolve) => s.once('connection-error', (err, info) => resolve([err, info])));
}

describe('M: Asynchronous Messages', () => {
  it('M-01 an Async Message advances ExpStatSN, applies the window, and its event data is ignored', async () => {
    const fx = await h.target({ window: 0 });
    const { s } = await h.open(fx, { noopOutIntervalMs: 0 });
    const tur = s.execute(TUR); // waits for the window
    await settle();
    expect(sent(fx.target, 'scsi-command')).toHaveLength(0);
    const ctx = fx.target.ctx(0);
    ctx.sn.window = 4;
    const events: ScsiAsyncEvent[] = [];
    s.on('scsi-event', (e: ScsiAsyncEvent) => events.push(e));
    const msg = asyncMessage(ctx, { event: 0, sense: senseData(0x06, 0x2a, 0x09), eventData: Buffer.from('vendor event data, ignored') });
    expect(msg.statSN).toBeGreaterThan(0);
    ctx.send(msg);
    const cmd = await nth(fx.target, 'scsi-command');
    await tur;
    // ExpStatSN of the command acknowledges the Async Message's StatSN (J-08).
    expect((cmd.pdu as ScsiCommand).expStatSN).toBe((msg.statSN + 1) >>> 0);
    expect(events).toHaveLength(1);
    expect(events[0]!.sense).toMatchObject({ key: 0x06, asc: 0x2a, ascq: 0x09 });
    expect(events[0]!.lunsChanged).toBe(false);
    expect(s.stats?.async_pdus).toBe(1);
    expect(s.asyncEvents.scsiEvent).toBe(1);
    expect(violationCodes(fx.target)).toEqual([]);
  });

  it('M-02 AsyncEvent 0 hands LUN and sense to the SCSI layer; REPORTED LUNS DATA HAS CHANGED emits luns-changed', async () => {
    const fx = await h.target();
    const { s } = await h.open(fx, { noopOutIntervalMs: 0 });
    const events: ScsiAsyncEvent[] = [];
    const changed: ScsiAsyncEvent[] = [];
    s.on('scsi-event', (e: ScsiAsyncEvent) => events.push(e));
    s.on('luns-changed', (e: ScsiAsyncEvent) => changed.push(e));
    const ctx = fx.target.ctx(0);
    ctx.send(asyncMessage(ctx, { event: 0, lun: lunField(3), sense: senseData(0x06, 0x3f, 0x0e) }));
    ctx.send(asyncMessage(ctx, { event: 0, lun: lunField(1), sense: senseData(0x06, 0x29, 0x00) }));
    await s.ping();
    expect(events.map((e) => [e.lun[1], e.sense?.asc, e.sense?.ascq])).toEqual([[3, 0x3f, 0x0e], [1, 0x29, 0x00]]);
    expect(changed).toHaveLength(1);
    expect(changed[0]!.lun).toEqual(lunField(3));
    expect(s.state).toBe('logged-in');
  });

  it('M-03 AsyncEvent 1: Logout reason 0 at once, no new commands on that connection, re-login afterwards', async () => {
    const fx = await h.target();
    const r = await supervised(h, fx);
    const ctx = fx.target.ctx(0);
    const requested: unknown[] = [];
    r.s.on('logout-requested', (p) => requested.push(p));
    ctx.send(asyncMessage(ctx, { event: 1, parameter3: 5 }));
    const logout = await nth(fx.target, 'logout-request');
    expect(logout.conn).toBe(0);
    expect((logout.pdu as LogoutRequest).reasonCode).toBe(0);
    expect(requested).toEqual([{ parameter3: 5 }]);
    // Issued while the logout runs: held by the supervisor, never sent on connection 0.
    const held = r.sup.execute(read10(7));
    await reopening(r);
    expect(r.s.state).toBe('closed');
    expect(r.s.asyncEvents.logoutRequest).toBe(1);
    await recoverAfter(r, 2000); // negotiated DefaultTime2Wait
    expect((await held).data).toHaveLength(512);
    expect(sent(fx.target, 'scsi-command').map((x) => x.conn)).toEqual([1]);
    expect(violationCodes(fx.target)).toEqual([]);
  });

  it('M-04 after AsyncEvent 1 a command rejected "waiting for logout" (0x0c) is requeued and completes after re-login', async () => {
    let rejected = 0;
    const fx = await h.target({
      onPdu: (c: ConnContext, pdu, rec) => {
        if (c.conn !== 0 || pdu.kind !== 'scsi-command') return false;
        c.send(asyncMessage(c, { event: 1, parameter3: 3 }));
        c.send(rejectOf(c, rec.raw, 0x0c));
        rejected++;
        return true;
      },
    });
    const r = await supervised(h, fx);
    const cmd = r.sup.execute(read10(1));
    await reopening(r);
    await recoverAfter(r, 2000);
    expect((await cmd).status).toBe(0);
    expect(rejected).toBe(1);
    expect(sent(fx.target, 'scsi-command').map((x) => x.conn)).toEqual([0, 1]);
    expect(violationCodes(fx.target)).toEqual([]);
  });

  it('M-05 AsyncEvent 2: the connection fails with Parameter2/3 exposed, no reconnect before Parameter2, tasks requeued', async () => {
    const fx = await h.target({ blackHole: (pdu) => pdu.kind === 'scsi-command' && fx.target.connections() === 1 });
    const r = await supervised(h, fx);
    const inflight = r.sup.execute(read10(2));
    await nth(fx.target, 'scsi-command');
    const failed = nextError(r.s);
    const ctx = fx.target.ctx(0);
    ctx.send(asyncMessage(ctx, { event: 2, parameter1: 0, parameter2: 3, parameter3: 0 }));
    const [err, info] = await failed;
    expect(err.code).toBe('TARGET_DROPPED_CONNECTION');
    expect(info).toEqual({ time2WaitMs: 3000, time2RetainMs: 0, asyncEvent: 2, unfinished: 1 });
    await reopening(r);
    r.clock.advance(2999);
    await settle();
    expect(fx.target.connections()).toBe(1);
    await recoverAfter(r, 1);
    expect((await inflight).data).toHaveLength(512);
    expect(r.s.asyncEvents.dropConnection).toBe(1);
  });

  it('M-05 Parameter2 = 0: reconnect at once', async () => {
    const fx = await h.target();
    const r = await supervised(h, fx);
    const ctx = fx.target.ctx(0);
    ctx.send(asyncMessage(ctx, { event: 2, parameter2: 0, parameter3: 0 }));
    await reopening(r);
    await recoverAfter(r, 0);
    expect(fx.target.connections()).toBe(2);
  });

  it('M-06 AsyncEvent 3: all connections failed, recovered by session reinstatement (same ISID, TSIH 0)', async () => {
    const fx = await h.target();
    const r = await supervised(h, fx);
    const ctx = fx.target.ctx(0);
    ctx.send(asyncMessage(ctx, { event: 3, parameter2: 1, parameter3: 0 }));
    await reopening(r);
    await recoverAfter(r, 1000);
    const relogin = loginsOn(fx, 1).map((x) => x.pdu as LoginRequest);
    expect(relogin.length).toBeGreaterThan(0);
    expect(relogin.every((p) => p.tsih === 0 && p.isid.equals(r.s.opts.isid))).toBe(true);
    expect(r.s.asyncEvents.dropAllConnections).toBe(1);
    await r.sup.execute(TUR);
  });

  it('M-07 Parameter2 = 5 with DefaultTime2Wait 2: no reconnect before 5 s', async () => {
    const fx = await h.target();
    const r = await supervised(h, fx);
    expect(r.s.params?.defaultTime2Wait).toBe(2);
    const ctx = fx.target.ctx(0);
    ctx.send(asyncMessage(ctx, { event: 2, parameter2: 5, parameter3: 10 }));
    await reopening(r);
    r.clock.advance(4999);
    await settle();
    expect(fx.target.connections()).toBe(1);
    await recoverAfter(r, 1);
    expect(fx.target.connections()).toBe(2);
  });

  it('M-08 AsyncEvent 4: an empty Text Request within Parameter3, the connection stays; none while one is pending', async () => {
    let texts = 0;
    const fx = await h.target({
      onPdu: (c, pdu) => {
        // While our second Text Request is unanswered, ask for a renegotiation again.
        if (pdu.kind === 'text-request' && ++texts === 2) c.send(asyncMessage(c, { event: 4, parameter3: 10 }));
        return false;
      },
    });
    const { s } = await h.open(fx, { noopOutIntervalMs: 0 });
    const ctx = fx.target.ctx(0);
    ctx.send(asyncMessage(ctx, { event: 4, parameter3: 10 }));
    const text = await nth(fx.target, 'text-request');
    const req = text.pdu as TextRequest;
    expect(req.data).toHaveLength(0);
    expect({ final: req.final, cont: req.cont, ttt: req.ttt }).toEqual({ final: true, cont: false, ttt: RESERVED });
    await s.ping();
    expect(s.state).toBe('logged-in');
    await s.sendTargets('');
    await s.ping();
    await settle();
    expect(sent(fx.target, 'text-request')).toHaveLength(2);
    expect(s.asyncEvents.renegotiate).toBe(2);
    expect(s.state).toBe('logged-in');
    expect(violationCodes(fx.target)).toEqual([]);
  });

  it('M-09 AsyncEvent 5 without TaskReporting=FastAbort is a protocol error: connection recovery', async () => {
    const fx = await h.target();
    const r = await supervised(h, fx);
    const failed = nextError(r.s);
    const ctx = fx.target.ctx(0);
    ctx.send(asyncMessage(ctx, { event: 5, lun: lunField(0) }));
    const [err] = await failed;
    expect(err.code).toBe('ASYNC_TASK_TERMINATION');
    await reopening(r);
    await recoverAfter(r, 2000);
    expect(r.s.asyncEvents.taskTermination).toBe(1);
  });

  it('M-10 vendor AsyncEvents 248-255 are ignored (numbering still applied) and counted', async () => {
    const fx = await h.target();
    const { s } = await h.open(fx, { noopOutIntervalMs: 0 });
    const ctx = fx.target.ctx(0);
    let last = 0;
    for (const event of [248, 255]) {
      const msg = asyncMessage(ctx, { event, vcode: 0x42, eventData: Buffer.from('opaque') });
      last = msg.statSN;
      ctx.send(msg);
    }
    await s.ping(); // both messages processed
    await s.execute(TUR);
    const rec = sent(fx.target, 'scsi-command')[0]!;
    const cmd = rec.pdu as ScsiCommand;
    // Acknowledges the vendor messages and the ping answer after them: all StatSNs taken.
    expect(cmd.expStatSN).toBe(fx.arrival(rec).statSN);
    expect(cmd.expStatSN).toBe((last + 2) >>> 0);
    expect(s.asyncEvents).toMatchObject({ vendor: 2, unassigned: 0 });
    expect(s.state).toBe('logged-in');
  });

  it('M-11 unassigned AsyncEvents (6-247) are logged and ignored, never fatal', async () => {
    const fx = await h.target();
    const { s } = await h.open(fx, { noopOutIntervalMs: 0 });
    const ctx = fx.target.ctx(0);
    for (const event of [6, 100, 247]) ctx.send(asyncMessage(ctx, { event, parameter1: 1, parameter2: 2, parameter3: 3 }));
    await s.ping();
    await stateReached(s, 'logged-in');
    expect(s.asyncEvents).toMatchObject({ unassigned: 3, vendor: 0, scsiEvent: 0 });
    expect(s.stats?.async_pdus).toBe(3);
  });
});
