/**
 * Target-driven events through the daemon: every AsyncEvent is counted in the session's
 * `iSCSI Extended:` statistics and published as `session.async`; drops and logout
 * requests are recovered from; a SCSI event "REPORTED LUNS DATA HAS CHANGED" rescans.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { asyncMessage, senseData, type ConnContext } from '../../support/fake-target/index.js';
import { invalidEvents } from './helpers.js';
import { eventAfter, extendedOf, login, startRig, stateIs, type Rig } from './recovery-helpers.js';

let r: Rig | undefined;

afterEach(async () => {
  await r?.stop();
  r = undefined;
});

/** Run `fn` on the first full-feature connection only, `ms` after it started. */
function onFirstConnection(ms: number, fn: (ctx: ConnContext) => void): { onFullFeature: (ctx: ConnContext) => void } {
  let n = 0;
  return {
    onFullFeature: (ctx) => {
      if (n++ === 0) ctx.later(ms, () => fn(ctx));
    },
  };
}

const reportLuns = (r: Rig): number => r.target.received.filter((x) => x.pdu.kind === 'scsi-command' && (x.pdu as { cdb: Buffer }).cdb[0] === 0xa0).length;

describe('AsyncEvents counted and acted on', () => {
  it('M-02 M-08 M-10 M-11 M-05 SCSI event, renegotiation, vendor, unassigned and a connection drop', async () => {
    r = await startRig({ 'node.session.timeo.replacement_timeout': 20 }, onFirstConnection(150, (ctx) => {
      ctx.send(asyncMessage(ctx, { event: 0, lun: Buffer.alloc(8), sense: senseData(0x06, 0x3f, 0x0e) }));
      ctx.send(asyncMessage(ctx, { event: 4, parameter3: 5 }));
      ctx.send(asyncMessage(ctx, { event: 250, vcode: 7 }));
      ctx.send(asyncMessage(ctx, { event: 100 }));
      ctx.later(200, () => ctx.send(asyncMessage(ctx, { event: 2, parameter1: 0, parameter2: 0, parameter3: 0 })));
    }));
    const { d } = r;
    const scansBefore = reportLuns(r);
    const sid = await login(r);
    const mark = 0;
    await eventAfter(d, mark, (e) => e.type === 'session.recovered' && e.sid === sid);
    const kinds = d.events.filter((e) => e.type === 'session.async' && e.sid === sid).map((e) => [e.asyncEvent, e.kind]);
    expect(kinds).toEqual([
      [0, 'async_scsi_event'], [4, 'async_renegotiate'], [250, 'async_vendor'], [100, 'async_unassigned'], [2, 'async_drop_connection'],
    ]);
    const x = await extendedOf(d, sid);
    expect(x).toEqual({
      async_scsi_event: 1, async_logout_request: 0, async_drop_connection: 1, async_drop_all_connections: 0,
      async_renegotiate: 1, async_task_termination: 0, async_vendor: 1, async_unassigned: 1,
      conn_errors: 1, session_recoveries: 1, reopen_failures: 0, replacement_timeouts: 0, recovery_giveups: 0,
    });
    // The renegotiation request was answered with an (empty) Text Request on the same connection (M-08).
    expect(r.target.received.some((x) => x.conn === 0 && x.pdu.kind === 'text-request')).toBe(true);
    // LUN inventory changed, and a recovery happened: both rescan (node.session.scan = auto).
    await new Promise((res) => setTimeout(res, 200));
    expect(reportLuns(r) - scansBefore).toBeGreaterThanOrEqual(2);
    expect(invalidEvents(d.events)).toEqual([]);
  });

  it('M-03 a logout request: LOGOUT REQUESTED, Logout sent, logged in again; counted, no connection error', async () => {
    r = await startRig({}, onFirstConnection(100, (ctx) => ctx.send(asyncMessage(ctx, { event: 1, parameter3: 5 }))));
    const { d } = r;
    const sid = await login(r);
    await eventAfter(d, 0, stateIs(sid, { connection: 'LOGOUT REQUESTED', internal: 'REOPEN' }));
    await eventAfter(d, 0, (e) => e.type === 'session.recovered' && e.sid === sid);
    expect(r.target.received.some((x) => x.conn === 0 && x.pdu.kind === 'logout-request')).toBe(true);
    const x = await extendedOf(d, sid);
    expect(x).toMatchObject({ async_logout_request: 1, conn_errors: 0, session_recoveries: 1 });
  });

  it('M-06 M-07 M-09 drop-all with Parameter2 = 1 waits 1 s; a task termination without FastAbort is a protocol error', async () => {
    let conns = 0;
    r = await startRig({}, {
      onFullFeature: (ctx) => {
        const n = conns++;
        if (n === 0) ctx.later(100, () => ctx.send(asyncMessage(ctx, { event: 3, parameter2: 1, parameter3: 0 })));
        if (n === 1) ctx.later(100, () => ctx.send(asyncMessage(ctx, { event: 5, lun: Buffer.alloc(8) })));
      },
    });
    const { d } = r;
    const sid = await login(r);
    const first = await eventAfter(d, 0, (e) => e.type === 'session.recovered' && e.sid === sid);
    expect(first.downMs).toBeGreaterThanOrEqual(950);
    const mark = d.events.indexOf(first) + 1;
    const lost = await eventAfter(d, mark, stateIs(sid, { to: 'REOPEN' }));
    expect(lost.cause).toBe('ASYNC_TASK_TERMINATION');
    await eventAfter(d, mark, (e) => e.type === 'session.recovered' && e.sid === sid);
    expect(await extendedOf(d, sid)).toMatchObject({ async_drop_all_connections: 1, async_task_termination: 1, conn_errors: 2, session_recoveries: 2 });
  });
});
