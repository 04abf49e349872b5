/**
 * Checklist section K (RFC 7143 §11.18, §11.19, §7.7, §7.14): NOP-Out / NOP-In.
 * Target pings and our replies, informational NOP-Ins, initiator pings, keepalives
 * with their timeout (FakeClock), format errors, and pings against a closed window.
 */
import { describe, expect, it } from 'vitest';
import { ISCSI_ERR } from '../../../src/shared/errors.js';
import { KEEPALIVE_TICK_MS } from '../../../src/session/keepalive.js';
import { FakeClock } from '../../support/fake-clock.js';
import type { NopOut } from '../../../src/iscsi/pdu/types.js';
import { ffpState, nopIn } from '../../support/fake-target/index.js';
import { lunBytes, nopIn as builtNopIn, nopOut } from '../../support/pdu-builder.js';
import {
  bhs, nextConnectionError, NO_LUN, nth, RESERVED, sent, sleep, useHarness, violationCodes,
} from './helpers-ikl.js';
import { referenceCrc32c } from '../../support/crc32c-ref.js';

const h = useHarness();
const TUR = { lun: 0, cdb: Buffer.alloc(6) };
const FIRST_PING_TTT = 0x70000000; // the fake target's default TTT of its first ping

const nops = (recs: ReturnType<typeof sent>): NopOut[] => recs.map((r) => r.pdu as NopOut);

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await sleep(2);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('K: NOP-Out / NOP-In', () => {
  it('K-01 a target ping is answered with NOP-Out ITT=0xffffffff, I=1, TTT and LUN copied, CmdSN not advanced', async () => {
    const lun = lunBytes(0x00, 0x03);
    const fx = await h.target({ ping: { intervalMs: 20, count: 1, lun, data: Buffer.from('are you there') } });
    const { s } = await h.open(fx);
    const reply = await fx.target.waitFor((r) => r.pdu.kind === 'nop-out' && r.pdu.itt === RESERVED);
    const at = fx.arrival(reply);
    expect(bhs(reply)).toEqual(nopOut({ immediate: true, lun, itt: RESERVED, ttt: FIRST_PING_TTT, cmdSN: at.expCmdSN, expStatSN: at.statSN }).bhs);
    expect(reply.raw.length).toBe(48);
    expect(ffpState(fx.target.ctx(0))!.pings.replied).toEqual([FIRST_PING_TTT]);
    // The reply consumed no CmdSN: the next command carries the same one.
    await s.execute(TUR);
    const cmd = sent(fx.target, 'scsi-command')[0]!;
    expect(cmd.pdu.kind === 'scsi-command' && cmd.pdu.cmdSN).toBe((reply.pdu as NopOut).cmdSN);
    expect(violationCodes(fx.target)).toEqual([]);
  });

  it('K-02 an informational NOP-In (ITT=TTT=0xffffffff) gets no reply and its window is applied', async () => {
    const fx = await h.target({ window: 0 });
    const { s } = await h.open(fx);
    const tur = s.execute(TUR);
    await sleep(30);
    expect(sent(fx.target, 'scsi-command')).toHaveLength(0);
    const ctx = fx.target.ctx(0);
    ctx.sn.window = 2;
    ctx.send(nopIn(ctx));
    await nth(fx.target, 'scsi-command');
    await tur;
    await sleep(20);
    expect(sent(fx.target, 'nop-out')).toHaveLength(0);
    expect(violationCodes(fx.target)).toEqual([]);
  });

  it('K-03 an initiator ping: valid ITT, TTT 0xffffffff, data within the target limit, echoed data returned', async () => {
    const fx = await h.target({ declare: { MaxRecvDataSegmentLength: 512 } });
    const { s } = await h.open(fx);
    const data = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 13) & 0xff));
    const [a, b] = await Promise.all([s.ping(data), s.ping(Buffer.from('second'))]);
    expect(a).toEqual(data);
    expect(b).toEqual(Buffer.from('second'));
    const [ra, rb] = sent(fx.target, 'nop-out');
    const at = fx.arrival(ra!);
    const want = nopOut({ immediate: true, lun: NO_LUN, itt: ra!.pdu.itt, ttt: RESERVED, cmdSN: at.expCmdSN, expStatSN: at.statSN, data });
    expect(bhs(ra!)).toEqual(want.bhs);
    expect(ra!.pdu.data).toEqual(data);
    expect(ra!.pdu.itt).not.toBe(RESERVED);
    expect(rb!.pdu.itt).not.toBe(ra!.pdu.itt);

    await expect(s.ping(Buffer.alloc(513))).rejects.toMatchObject({ code: 'PING_DATA_TOO_LONG', errno: ISCSI_ERR.INVAL });
    await sleep(20);
    expect(sent(fx.target, 'nop-out')).toHaveLength(2);
    expect(violationCodes(fx.target)).toEqual([]);
  });

  it('K-04 an unanswered keepalive fails the connection after noop_out_timeout (5 s / 5 s) and counts timeout_err', async () => {
    const fx = await h.target({ blackHole: (pdu) => pdu.kind === 'nop-out' });
    const { s, clock } = await h.open(fx, { noopOutIntervalMs: 5_000, noopOutTimeoutMs: 5_000 });
    const failed = nextConnectionError(s);
    clock.advance(4_999);
    await sleep(20);
    expect(sent(fx.target, 'nop-out')).toHaveLength(0);
    clock.advance(1);
    const ping = await nth(fx.target, 'nop-out');
    expect(ping.pdu).toMatchObject({ immediate: true, ttt: RESERVED });
    expect(ping.pdu.itt).not.toBe(RESERVED);
    clock.advance(4_999);
    expect(s.state).toBe('logged-in');
    clock.advance(1);
    const err = await failed;
    expect(err).toMatchObject({ code: 'NOP_OUT_TIMEOUT', errno: ISCSI_ERR.PDU_TIMEOUT });
    expect(s.state).toBe('failed');
    expect(s.stats!.timeout_err).toBe(1);
    await fx.target.waitForClosed(0);
  });

  it('K-04 answered keepalives go out once per interval and keep the session up', async () => {
    const fx = await h.target();
    const { s, clock } = await h.open(fx, { noopOutIntervalMs: 5_000, noopOutTimeoutMs: 5_000 });
    for (let i = 1; i <= 3; i++) {
      clock.advance(5_000);
      await nth(fx.target, 'nop-out', i);
      await until(() => s.outstanding === 0, 'the keepalive answer');
    }
    clock.advance(4_999);
    await sleep(20);
    const sentNops = nops(sent(fx.target, 'nop-out'));
    expect(sentNops).toHaveLength(3);
    expect(new Set(sentNops.map((n) => n.itt)).size).toBe(3);
    expect(s.state).toBe('logged-in');
    expect(s.stats!.timeout_err).toBe(0);
  });

  it('K-03 K-07 keepalive pings (pre-encoded, patched per ping) are byte-exact NOP-Outs: valid ITT, TTT 0xffffffff, I=1, CmdSN not advanced', async () => {
    for (const digests of [false, true]) {
      const fx = await h.target();
      const { s, clock } = await h.open(fx, { noopOutIntervalMs: 5_000, noopOutTimeoutMs: 5_000, ...(digests ? { offer: { headerDigest: ['CRC32C'], dataDigest: ['CRC32C'] } } : {}) });
      expect(s.params?.headerDigest).toBe(digests ? 'CRC32C' : 'None');
      for (let i = 1; i <= 3; i++) {
        if (i === 2) await s.execute(TUR); // moves CmdSN and StatSN between two pings
        clock.advance(5_000);
        const ping = await nth(fx.target, 'nop-out', i);
        const at = fx.arrival(ping);
        const itt = (ping.pdu as NopOut).itt;
        expect(itt).not.toBe(RESERVED);
        expect(bhs(ping)).toEqual(nopOut({ immediate: true, lun: NO_LUN, itt, ttt: RESERVED, cmdSN: at.expCmdSN, expStatSN: at.statSN }).bhs);
        expect(ping.raw.length).toBe(digests ? 52 : 48);
        if (digests) expect(ping.raw.readUInt32LE(48)).toBe(referenceCrc32c(bhs(ping)));
        await until(() => s.outstanding === 0, 'the keepalive answer');
      }
      expect(s.stats!.noptx_pdus).toBe(3);
      expect(violationCodes(fx.target)).toEqual([]);
      s.close();
    }
  });

  it('K-04 keepalives run on the shared scheduler tick: a deadline off the tick grid is served at most one tick late', async () => {
    const fx = await h.target({ blackHole: (pdu) => pdu.kind === 'nop-out' });
    const clock = new FakeClock(1_234); // login at 1234: ping due at 6234, timeout 5 s after the ping
    const { s } = await h.open(fx, { clock, noopOutIntervalMs: 5_000, noopOutTimeoutMs: 5_000 });
    const failed = nextConnectionError(s);
    clock.advance(5_000);
    await sleep(20);
    expect(sent(fx.target, 'nop-out')).toHaveLength(0);
    clock.advance(KEEPALIVE_TICK_MS - 1); // 6333: past the 6300 tick
    await nth(fx.target, 'nop-out');
    expect(clock.now() - 1_234).toBeLessThan(5_000 + KEEPALIVE_TICK_MS);
    clock.advance(11_299 - clock.now()); // the ping went out at 6300: timeout due 11300
    expect(s.state).toBe('logged-in');
    clock.advance(1);
    expect(await failed).toMatchObject({ code: 'NOP_OUT_TIMEOUT' });
  });

  it('K-04 noop_out_interval 0 disables keepalives', async () => {
    const fx = await h.target();
    const { s, clock } = await h.open(fx, { noopOutIntervalMs: 0, noopOutTimeoutMs: 5_000 });
    for (let i = 0; i < 5; i++) {
      clock.advance(60_000);
      await sleep(2);
    }
    await sleep(20);
    expect(sent(fx.target, 'nop-out')).toHaveLength(0);
    expect(s.state).toBe('logged-in');
  });

  it('K-05 a NOP-In answering our ping with a valid TTT too is a format error: the session fails', async () => {
    const fx = await h.target({
      onPdu: (ctx, pdu) => {
        if (pdu.kind !== 'nop-out' || pdu.itt === RESERVED) return false;
        // Independent builder: our encoder would refuse both tags valid.
        ctx.sendRaw(builtNopIn({ lun: pdu.lun, itt: pdu.itt, ttt: 0x1234, ...ctx.sn.next() }).bhs);
        return true;
      },
    });
    const { s } = await h.open(fx);
    const failed = nextConnectionError(s);
    await expect(s.ping()).rejects.toMatchObject({ code: 'SESSION_FAILED', details: { reason: 'BAD_TAG' } });
    expect(await failed).toMatchObject({ code: 'BAD_TAG' });
    expect(s.state).toBe('failed');
    await fx.target.waitForClosed(0);
  });

  it.todo('K-06 NOP-In ping with an invalid LUN: the session keeps no LUN inventory (any 8-byte LUN decodes under SAM addressing), so it cannot tell an invalid LUN; open-iscsi does not check either');

  it('K-07 our pings are always immediate (I=1): they consume no CmdSN and pass a closed window', async () => {
    // By design Session never sends a non-immediate NOP-Out, so the I=0 rule (consume a
    // CmdSN, obey the window) never applies; this pins the immediate behaviour instead.
    const fx = await h.target({ window: 0 });
    const { s } = await h.open(fx);
    const tur = s.execute(TUR);
    expect(await s.ping(Buffer.from('closed window'))).toEqual(Buffer.from('closed window'));
    const ping = sent(fx.target, 'nop-out')[0]!;
    expect(ping.raw[0]! & 0x40).toBe(0x40);
    expect((ping.pdu as NopOut).cmdSN).toBe(fx.arrival(ping).expCmdSN);
    expect(sent(fx.target, 'scsi-command')).toHaveLength(0);
    const ctx = fx.target.ctx(0);
    ctx.sn.window = 1;
    ctx.send(nopIn(ctx));
    await tur;
    const cmd = sent(fx.target, 'scsi-command')[0]!;
    expect(cmd.pdu.kind === 'scsi-command' && cmd.pdu.cmdSN).toBe((ping.pdu as NopOut).cmdSN);
    expect(violationCodes(fx.target)).toEqual([]);
  });

  it('K-08 confirming ExpStatSN when idle: NOP-Out ITT=TTT=0xffffffff, I=1, no response awaited', async () => {
    const fx = await h.target();
    const { s } = await h.open(fx);
    await s.execute(TUR);
    s.confirmExpStatSN();
    expect(s.outstanding).toBe(0);
    const rec = await nth(fx.target, 'nop-out');
    const at = fx.arrival(rec);
    expect(bhs(rec)).toEqual(nopOut({ immediate: true, lun: NO_LUN, itt: RESERVED, ttt: RESERVED, cmdSN: at.expCmdSN, expStatSN: at.statSN }).bhs);
    expect(rec.raw.length).toBe(48);
    await s.ping();
    expect(s.state).toBe('logged-in');
    expect(violationCodes(fx.target)).toEqual([]);
  });

  it('K-09 a target ping during a closed command window is still answered at once', async () => {
    const fx = await h.target({ window: 0, ping: { intervalMs: 20, count: 1 } });
    const { s } = await h.open(fx);
    const tur = s.execute(TUR);
    tur.catch(() => undefined);
    const reply = await fx.target.waitFor((r) => r.pdu.kind === 'nop-out' && r.pdu.itt === RESERVED);
    expect(reply.pdu).toMatchObject({ immediate: true, ttt: FIRST_PING_TTT, cmdSN: fx.arrival(reply).expCmdSN });
    expect(sent(fx.target, 'scsi-command')).toHaveLength(0);
    expect(ffpState(fx.target.ctx(0))!.pings.replied).toEqual([FIRST_PING_TTT]);
    expect(violationCodes(fx.target)).toEqual([]);
  });
});
