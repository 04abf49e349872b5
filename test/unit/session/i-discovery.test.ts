/**
 * Checklist section I (RFC 7143 §4.3, §7.4, §11.10, §11.11, §13.8, App. C): Discovery
 * sessions and SendTargets, driven through `Session` and `discoverSendTargets` against
 * the fake target. Text continuation (I-08..I-11) is in i-text-continuation.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { discoverSendTargets, type SendTargetsOptions } from '../../../src/discovery/sendtargets.js';
import { decodeText } from '../../../src/iscsi/text/codec.js';
import { TEXT_ERR } from '../../../src/iscsi/text/text-errors.js';
import { userTcpTransport } from '../../../src/transport/usertcp/index.js';
import { FakeClock } from '../../support/fake-clock.js';
import type { SendTargetsRecord } from '../../support/fake-target/index.js';
import { textData, textRequest, logoutRequest } from '../../support/pdu-builder.js';
import {
  bhs, INITIATOR, ISID, loginPairs, NO_LUN, nth, pairs, recordingLogger, RESERVED, sent, sleep, TARGET,
  useHarness, violationCodes, type Fixture,
} from './helpers-ikl.js';

const h = useHarness();
const OTHER = 'iqn.2024-01.test.fake:other';
const TUR = { lun: 0, cdb: Buffer.alloc(6) };

function discover(fx: Fixture, extra: Partial<SendTargetsOptions> = {}): ReturnType<typeof discoverSendTargets> {
  return discoverSendTargets({ transport: userTcpTransport, portal: fx.target.portal, initiatorName: INITIATOR, isid: ISID, ...extra });
}

/** Open TCP sockets of this process (ours and the fake target's). */
function tcpSockets(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
}

/** Resolves once `cond` holds; fails after 2 s of real time. */
async function until(cond: () => boolean): Promise<void> {
  for (const start = Date.now(); !cond(); await sleep(5)) {
    if (Date.now() - start > 2_000) throw new Error('condition not reached within 2 s');
  }
}

/** Rejects if `p` takes longer than `ms` of real time (guards against hangs until a long timeout). */
function within<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, sleep(ms).then((): never => { throw new Error(`still pending after ${ms} ms`); })]);
}

function records(list: SendTargetsRecord[]): { sendTargets: { records: SendTargetsRecord[] } } {
  return { sendTargets: { records: list } };
}

describe('I: Discovery sessions and SendTargets', () => {
  it('I-01 a Discovery login carries SessionType=Discovery and InitiatorName, and omits TargetName', async () => {
    const fx = await h.target();
    const { s } = await h.open(fx, { sessionType: 'Discovery' });
    const first = pairs(sent(fx.target, 'login-request')[0]!);
    expect(first).toContainEqual(['SessionType', 'Discovery']);
    expect(first).toContainEqual(['InitiatorName', INITIATOR]);
    expect(loginPairs(fx.target).some(([k]) => k === 'TargetName')).toBe(false);
    expect(s.state).toBe('logged-in');
    expect(violationCodes(fx.target)).toEqual([]);
  });

  it('I-02 SendTargets goes out only in full feature phase, never inside a Login Request', async () => {
    const fx = await h.target();
    const { s } = h.session(fx, { sessionType: 'Discovery' });
    await expect(s.sendTargets()).rejects.toMatchObject({ code: 'SESSION_NOT_LOGGED_IN' });
    const login = s.login();
    await expect(s.sendTargets()).rejects.toMatchObject({ code: 'SESSION_NOT_LOGGED_IN' });
    await login;
    await s.sendTargets();
    const logins = sent(fx.target, 'login-request');
    expect(logins.flatMap(pairs).some(([k]) => k === 'SendTargets')).toBe(false);
    const texts = sent(fx.target, 'text-request');
    expect(texts).toHaveLength(1);
    expect(texts[0]!.index).toBeGreaterThan(logins.at(-1)!.index);
  });

  it('I-03 SendTargets is one Text Request: one key, F=1, C=0, TTT 0xffffffff, a fresh ITT, within the target limit', async () => {
    const fx = await h.target({ declare: { MaxRecvDataSegmentLength: 512 } });
    const { s } = await h.open(fx, { sessionType: 'Discovery' });
    await s.sendTargets();
    await s.sendTargets();
    const texts = sent(fx.target, 'text-request');
    expect(texts).toHaveLength(2);
    for (const rec of texts) {
      const at = fx.arrival(rec);
      const want = textRequest({
        immediate: false, final: true, cont: false, lun: NO_LUN, itt: rec.pdu.itt, ttt: RESERVED,
        cmdSN: at.expCmdSN, expStatSN: at.statSN, data: textData([['SendTargets', 'All']]),
      });
      expect(bhs(rec)).toEqual(want.bhs);
      expect(rec.pdu.data).toEqual(want.data);
      expect(rec.pdu.data.length).toBeLessThanOrEqual(512);
      expect(rec.pdu.itt).not.toBe(RESERVED);
    }
    expect(texts[1]!.pdu.itt).not.toBe(texts[0]!.pdu.itt);
    expect(violationCodes(fx.target)).toEqual([]);
  });

  it('I-03 a text longer than the target MaxRecvDataSegmentLength goes out as C=1 pieces within the limit', async () => {
    const fx = await h.target({ declare: { MaxRecvDataSegmentLength: 512 } });
    const { s } = await h.open(fx);
    const long: [string, string] = ['X-com.example.long', 'v'.repeat(1500)];
    expect(await s.text([long])).toEqual([['X-com.example.long', 'NotUnderstood']]);
    const texts = sent(fx.target, 'text-request');
    const whole = textData([long]);
    expect(texts).toHaveLength(Math.ceil(whole.length / 512));
    expect(Buffer.concat(texts.map((r) => r.pdu.data))).toEqual(whole);
    texts.forEach((rec, i) => {
      const last = i === texts.length - 1;
      if (rec.pdu.kind !== 'text-request') throw new Error('not a text request');
      expect(rec.pdu.data.length).toBeLessThanOrEqual(512);
      expect({ final: rec.pdu.final, cont: rec.pdu.cont }).toEqual({ final: last, cont: !last });
      expect(rec.pdu.itt).toBe(texts[0]!.pdu.itt);
      expect(rec.pdu.ttt === RESERVED).toBe(i === 0);
    });
    expect(violationCodes(fx.target)).toEqual([]);
  });

  it('I-04 SendTargets=All only on Discovery; a Normal session sends an empty value and learns its own target', async () => {
    const fx = await h.target({ targets: [{ name: TARGET }, { name: OTHER }] });
    const { s } = await h.open(fx);
    await expect(s.sendTargets()).rejects.toMatchObject({ code: 'SENDTARGETS_ALL_ON_NORMAL' });
    await expect(s.sendTargets('All')).rejects.toMatchObject({ code: 'SENDTARGETS_ALL_ON_NORMAL' });
    expect(sent(fx.target, 'text-request')).toHaveLength(0);
    const mine = await s.sendTargets('');
    expect(pairs(sent(fx.target, 'text-request')[0]!)).toEqual([['SendTargets', '']]);
    expect(mine).toEqual([['TargetName', TARGET], ['TargetAddress', `127.0.0.1:${fx.target.port},1`]]);

    const { s: d } = await h.open(fx, { sessionType: 'Discovery', isid: Buffer.from([0x80, 0, 0, 0, 0, 0x42]) });
    const all = await d.sendTargets();
    expect(all.filter(([k]) => k === 'TargetName').map(([, v]) => v)).toEqual([TARGET, OTHER]);
    expect(violationCodes(fx.target)).toEqual([]);
  });

  it('I-05 discoverSendTargets parses records: IPv4, [IPv6], DNS name, default port 3260, several records', async () => {
    const fx = await h.target(records([
      { name: 'iqn.2024-01.test.fake:a', addresses: ['127.0.0.1:3270,1', '[::1]:3261,2'] },
      { name: 'iqn.2024-01.test.fake:b', addresses: ['storage.example.com,3'] },
      { name: 'iqn.2024-01.test.fake:c' },
    ]));
    const result = await discover(fx);
    expect(result).toEqual({
      targets: [
        { name: 'iqn.2024-01.test.fake:a', portals: [{ host: '127.0.0.1', port: 3270, tpgt: 1 }, { host: '::1', port: 3261, tpgt: 2 }] },
        { name: 'iqn.2024-01.test.fake:b', portals: [{ host: 'storage.example.com', port: 3260, tpgt: 3 }] },
        { name: 'iqn.2024-01.test.fake:c', portals: [{ host: '127.0.0.1', port: fx.target.port, tpgt: 1 }] },
      ],
      warnings: [],
    });
    expect(fx.target.received.map((r) => r.pdu.kind)).toEqual(['login-request', 'text-request', 'logout-request']);
  });

  it('I-06 a record with no TargetAddress is reached through the discovery portal', async () => {
    const fx = await h.target(records([{ name: 'iqn.2024-01.test.fake:here', addresses: [] }]));
    const result = await discover(fx);
    expect(result.targets).toEqual([{ name: 'iqn.2024-01.test.fake:here', portals: [{ host: '127.0.0.1', port: fx.target.port, tpgt: -1 }] }]);
  });

  it('I-07 an empty SendTargets response is zero targets, not an error', async () => {
    const fx = await h.target(records([]));
    expect(await discover(fx)).toEqual({ targets: [], warnings: [] });
    expect(sent(fx.target, 'logout-request')).toHaveLength(1);
  });

  it('I-12 at most one Text Request is outstanding: a second one is refused until the first completes', async () => {
    const fx = await h.target({ delayMs: (pdu) => (pdu.kind === 'text-response' ? 40 : 0) });
    const { s } = await h.open(fx, { sessionType: 'Discovery' });
    const first = s.sendTargets();
    await expect(s.sendTargets()).rejects.toMatchObject({ code: 'TEXT_BUSY' });
    await first;
    await sleep(20);
    expect(sent(fx.target, 'text-request')).toHaveLength(1);
    await s.sendTargets();
    const texts = sent(fx.target, 'text-request');
    expect(texts).toHaveLength(2);
    expect(texts[1]!.pdu.itt).not.toBe(texts[0]!.pdu.itt);
  });

  it('I-13 a Text Response advances ExpStatSN and applies its ExpCmdSN/MaxCmdSN', async () => {
    const fx = await h.target({
      window: 1,
      blackHole: (pdu) => pdu.kind === 'scsi-command',
      // The Text Response (built right after this hook) opens the window from 1 to 4 commands.
      onPdu: (ctx, pdu) => {
        if (pdu.kind === 'text-request') ctx.sn.window = 4;
      },
    });
    const { s } = await h.open(fx);
    await s.sendTargets('');
    const text = sent(fx.target, 'text-request')[0]!;
    const cmds = [s.execute(TUR), s.execute(TUR), s.execute(TUR)];
    for (const c of cmds) c.catch(() => undefined);
    await nth(fx.target, 'scsi-command', 3);
    const got = sent(fx.target, 'scsi-command');
    const textStatSN = fx.arrival(text).statSN;
    expect(got.map((r) => r.pdu.kind === 'scsi-command' && r.pdu.cmdSN)).toEqual([2, 3, 4]);
    for (const r of got) expect(r.pdu.kind === 'scsi-command' && r.pdu.expStatSN).toBe((textStatSN + 1) >>> 0);
    expect(violationCodes(fx.target)).toEqual([]);
  });

  it('I-14 a rejected SendTargets fails discovery with a typed error and keeps no partial results', async () => {
    const fx = await h.target({ reject: (_ctx, pdu) => (pdu.kind === 'text-request' ? 0x04 : undefined) });
    await expect(discover(fx)).rejects.toMatchObject({ code: 'PDU_REJECTED' });
    await fx.target.waitForClosed(0);

    // A reject of a continuation after a first piece arrived: still no results.
    const names = ['a', 'b', 'c', 'd'].map((n) => `iqn.2024-01.test.fake:${n}`);
    const fx2 = await h.target({
      targets: names.map((name) => ({ name })),
      sendTargets: { segmentSize: 40 },
      reject: (_ctx, pdu) => (pdu.kind === 'text-request' && pdu.ttt !== RESERVED ? 0x04 : undefined),
    });
    await expect(discover(fx2)).rejects.toMatchObject({ code: 'PDU_REJECTED' });
    expect(sent(fx2.target, 'text-request')).toHaveLength(2);
  });

  it('I-14 a SendTargets that is never answered times out (active_timeout) and drops the connection', async () => {
    const fx = await h.target({ blackHole: (pdu) => pdu.kind === 'text-request' });
    const clock = new FakeClock();
    let outcome: unknown;
    const run = discover(fx, { clock, responseTimeoutMs: 30_000 }).then(() => 'resolved', (err: unknown) => err);
    void run.then((o) => (outcome = o));
    await nth(fx.target, 'text-request');
    clock.advance(29_999);
    await sleep(20);
    expect(outcome).toBeUndefined();
    clock.advance(1);
    expect(await run).toMatchObject({ code: 'SENDTARGETS_TIMEOUT' });
    await fx.target.waitForClosed(0);
    expect(sent(fx.target, 'logout-request')).toHaveLength(0);
  });

  it.todo('I-15 (MAY) resetting a long text exchange with TTT=0xffffffff: the session never abandons a Text exchange midway, it completes or fails it');

  it('I-16 a target reported with an IPv4 and an IPv6 address keeps both portals', async () => {
    const fx = await h.target(records([{ name: 'iqn.2024-01.test.fake:dual', addresses: ['127.0.0.1:3260,1', '[::1]:3260,1'] }]));
    const result = await discover(fx);
    expect(result.targets[0]!.portals).toEqual([{ host: '127.0.0.1', port: 3260, tpgt: 1 }, { host: '::1', port: 3260, tpgt: 1 }]);
  });

  it('I-17 portal group tags stay per portal and per target name, and a login to a discovered portal sees that tag', async () => {
    const fx = await h.target({
      tpgt: 7,
      ...records([
        { name: 'iqn.2024-01.test.fake:a', addresses: ['10.0.0.1:3260,1', '10.0.0.1:3260,2'] },
        { name: 'iqn.2024-01.test.fake:b', addresses: ['10.0.0.1:3260,1'] },
        { name: TARGET },
      ]),
    });
    const result = await discover(fx);
    expect(result.targets.map((t) => [t.name, t.portals.map((p) => p.tpgt)])).toEqual([
      ['iqn.2024-01.test.fake:a', [1, 2]],
      ['iqn.2024-01.test.fake:b', [1]],
      [TARGET, [7]],
    ]);
    const portal = result.targets[2]!.portals[0]!;
    const { s } = await h.open(fx, { portal: { host: portal.host, port: portal.port }, tpgt: portal.tpgt });
    expect(s.params?.targetPortalGroupTag).toBe(7);
  });

  it('I-18 a Discovery session sends only SendTargets and Logout: no keepalives, no SCSI, no pings, no other keys', async () => {
    const fx = await h.target();
    const { s, clock } = await h.open(fx, { sessionType: 'Discovery', noopOutIntervalMs: 1, noopOutTimeoutMs: 1 });
    for (let i = 0; i < 10; i++) {
      clock.advance(6_000);
      await sleep(2);
    }
    await expect(s.execute(TUR)).rejects.toMatchObject({ code: 'NOT_ALLOWED_IN_DISCOVERY' });
    await expect(s.ping()).rejects.toMatchObject({ code: 'NOT_ALLOWED_IN_DISCOVERY' });
    await expect(s.text([['MaxBurstLength', '8192']])).rejects.toMatchObject({ code: 'NOT_ALLOWED_IN_DISCOVERY' });
    expect(() => s.confirmExpStatSN()).toThrow(expect.objectContaining({ code: 'NOT_ALLOWED_IN_DISCOVERY' }));
    await s.sendTargets();
    clock.advance(60_000);
    await sleep(20);
    await s.logout();
    expect(fx.target.received.map((r) => r.pdu.kind)).toEqual(['login-request', 'text-request', 'logout-request']);
    expect(violationCodes(fx.target)).toEqual([]);
  });

  it('I-19 discovery closes with a Logout Request reason 0 (close the session)', async () => {
    const fx = await h.target();
    await discover(fx);
    const rec = await nth(fx.target, 'logout-request');
    const at = fx.arrival(rec);
    expect(bhs(rec)).toEqual(logoutRequest({ immediate: true, reasonCode: 0, itt: rec.pdu.itt, cid: 0, cmdSN: at.expCmdSN, expStatSN: at.statSN }).bhs);
    expect(rec.raw.length).toBe(48);
    await fx.target.waitForClosed(0);
  });

  it('I-19 L-03 discovery answers at the Logout Response: a target slow to close TCP does not hold it up, and the close still completes', async () => {
    // The target answers the Logout but never closes its side, even after our FIN.
    const fx = await h.target({ logout: { close: false } }, { halfOpen: true });
    const clock = new FakeClock();
    const result = await within(discover(fx, { clock }), 3_000);
    expect(result.targets.map((t) => t.name)).toEqual([TARGET]);
    expect(sent(fx.target, 'logout-request')).toHaveLength(1);
    // Our FIN went out (L-03); our socket waits (at most 1 s) for the target's.
    await until(() => fx.target.log.some((e) => e.code === 'PEER_FIN'));
    const open = tcpSockets();
    await sleep(20);
    expect(tcpSockets()).toBe(open);
    clock.advance(1_000);
    await until(() => tcpSockets() === open - 1);
  });

  it('I-19 a malformed SendTargets answer fails discovery with the text error naming the item, after a clean Logout', async () => {
    const fx = await h.target({ sendTargets: { raw: [['TargetName', TARGET], ['Bad Key', 'x']] } });
    await expect(discover(fx)).rejects.toMatchObject({ code: TEXT_ERR.BAD_KEY, details: { where: 'TextResponse.data[1]' } });
    expect(fx.target.received.map((r) => r.pdu.kind)).toEqual(['login-request', 'text-request', 'logout-request']);
    await fx.target.waitForClosed(0);
    expect(violationCodes(fx.target)).toEqual([]);
    // Through Session: the exchange rejects, the session stays logged in.
    const { s } = await h.open(fx, { sessionType: 'Discovery' });
    await expect(s.sendTargets()).rejects.toMatchObject({ code: TEXT_ERR.BAD_KEY });
    expect(s.state).toBe('logged-in');
    await s.logout();
  });

  it('I-19 the raw SendTargets answer stays intact after more PDUs arrive on the connection', async () => {
    const fx = await h.target();
    const { s } = await h.open(fx);
    const raw = await s.sendTargetsText('');
    for (let i = 0; i < 3; i++) await s.execute(TUR);
    await s.ping(Buffer.alloc(64, 0x5a));
    expect(decodeText(raw, 'answer')).toEqual([['TargetName', TARGET], ['TargetAddress', `127.0.0.1:${fx.target.port},1`]]);
  });

  it('I-20 a target that drops the discovery connection after answering still yields the results', async () => {
    // FIN right after the Text Response (before or while we log out).
    const fx = await h.target({ dropAfter: { count: 2 } });
    const a = await within(discover(fx, { clock: new FakeClock() }), 3_000);
    expect(a.targets.map((t) => t.name)).toEqual([TARGET]);

    // FIN instead of a Logout Response: the logout fails at once, not after logout_timeout.
    const fx2 = await h.target({ blackHole: (pdu) => pdu.kind === 'logout-request', dropAfter: { count: 3 } });
    const b = await within(discover(fx2, { clock: new FakeClock() }), 3_000);
    expect(b.targets.map((t) => t.name)).toEqual([TARGET]);
    expect(sent(fx2.target, 'logout-request')).toHaveLength(1);
  });

  it('I-21 keys other than TargetName/TargetAddress in the response are ignored and logged', async () => {
    const fx = await h.target({
      sendTargets: { raw: [['TargetName', TARGET], ['X-com.example.note', 'hi'], ['TargetAddress', '127.0.0.1:3262,1'], ['TargetAlias', 'disk']] },
    });
    const { logger, entries } = recordingLogger();
    const result = await discover(fx, { logger });
    expect(result.targets).toEqual([{ name: TARGET, portals: [{ host: '127.0.0.1', port: 3262, tpgt: 1 }] }]);
    expect(result.warnings.map((w) => w.code)).toEqual(['UNEXPECTED_KEY', 'UNEXPECTED_KEY']);
    expect(entries.filter((e) => e.level === 'warn').map((e) => e.obj.code)).toEqual(['UNEXPECTED_KEY', 'UNEXPECTED_KEY']);
  });

  it('I-22 malformed TargetAddress values are skipped with a warning and never crash discovery', async () => {
    const fx = await h.target({
      sendTargets: {
        raw: [
          ['TargetName', TARGET], ['TargetAddress', '[::1'], ['TargetAddress', 'host:abc'], ['TargetAddress', ''],
          ['TargetAddress', '127.0.0.1:3262,1'],
          ['TargetName', OTHER], ['TargetAddress', '[::1'],
        ],
      },
    });
    const { logger, entries } = recordingLogger();
    const result = await discover(fx, { logger });
    expect(result.targets).toEqual([{ name: TARGET, portals: [{ host: '127.0.0.1', port: 3262, tpgt: 1 }] }]);
    expect(result.warnings.map((w) => w.code)).toEqual(Array(4).fill('BAD_TARGET_ADDRESS'));
    expect(entries.filter((e) => e.level === 'warn')).toHaveLength(4);
  });

  it.todo('I-23 FFP text negotiation of operational keys: Session.text() only exchanges pairs and applies none of them, so there are no values to keep or switch on failure');
});
