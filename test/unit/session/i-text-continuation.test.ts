/**
 * Checklist section I, Text Response continuation (RFC 7143 §6.2, §6.4, §11.10.4,
 * §11.11.1-11.11.4): F=0 + TTT sequences, C=1 pieces, F=1 with a stray TTT, and the
 * protocol errors. Hand-scripted responses come from a test hook that answers Text
 * Requests itself; the standard target's own continuation covers the C=1 case.
 */
import { describe, expect, it } from 'vitest';
import type { TextRequest, TextResponse } from '../../../src/iscsi/pdu/types.js';
import type { ConnContext } from '../../support/fake-target/index.js';
import { lunBytes, textData, textRequest } from '../../support/pdu-builder.js';
import {
  bhs, dsl, nextConnectionError, RESERVED, sent, TARGET, useHarness, violationCodes, type Fixture,
} from './helpers-ikl.js';

const h = useHarness();
const TEXT_LIMIT = 512;

/** A piece of a hand-scripted Text Response. */
interface Piece {
  final: boolean;
  cont?: boolean;
  ttt?: number;
  lun?: Buffer;
  text: string;
}

/**
 * A target whose n-th Text Response is `pieces[n]` (text given raw, so a key may span
 * pieces); it keeps its numbering (§4.2.2) itself because the hook bypasses the script.
 */
function scripted(pieces: Piece[], extra: { declare?: Record<string, number> } = {}): Promise<Fixture> {
  let n = 0;
  return h.target({
    ...extra,
    onPdu: (ctx, pdu) => {
      if (pdu.kind !== 'text-request') return false;
      ctx.sn.command(pdu.cmdSN, pdu.immediate);
      const p = pieces[n++];
      if (p !== undefined) ctx.send(responseTo(ctx, pdu, p));
      return true;
    },
  });
}

function responseTo(ctx: ConnContext, req: TextRequest, p: Piece): TextResponse {
  return {
    kind: 'text-response', final: p.final, cont: p.cont ?? false, lun: p.lun ?? Buffer.alloc(8), itt: req.itt,
    ttt: p.ttt ?? RESERVED, ...ctx.sn.next(), data: Buffer.from(p.text, 'utf8'),
  };
}

function textReqs(fx: Fixture): Array<{ rec: ReturnType<typeof sent>[number]; pdu: TextRequest }> {
  return sent(fx.target, 'text-request').map((rec) => ({ rec, pdu: rec.pdu as TextRequest }));
}

describe('I: Text Response continuation', () => {
  it('I-08 F=0 with a TTT: empty F=1 requests with the same ITT and the copied TTT and LUN until F=1; keys may span PDUs', async () => {
    const lunA = lunBytes(0x00, 0x05);
    const lunB = lunBytes(0x40, 0x01, 0, 0, 0, 0, 0, 0x09);
    const fx = await scripted([
      { final: false, ttt: 0x1111, lun: lunA, text: 'TargetName=iqn.2024-01.test.fake:spl' },
      { final: false, ttt: 0x2222, lun: lunB, text: 'it\0TargetAddress=127.0.0.1:32' },
      { final: true, text: '60,1\0TargetName=iqn.2024-01.test.fake:z\0' },
    ]);
    const { s } = await h.open(fx, { sessionType: 'Discovery' });
    expect(await s.sendTargets()).toEqual([
      ['TargetName', 'iqn.2024-01.test.fake:split'],
      ['TargetAddress', '127.0.0.1:3260,1'],
      ['TargetName', 'iqn.2024-01.test.fake:z'],
    ]);
    const reqs = textReqs(fx);
    expect(reqs).toHaveLength(3);
    const copied = [{ ttt: 0x1111, lun: lunA }, { ttt: 0x2222, lun: lunB }];
    copied.forEach(({ ttt, lun }, i) => {
      const { rec, pdu } = reqs[i + 1]!;
      const at = fx.arrival(rec);
      // I=1 or I=0 are both allowed for a continuation; every other field is fixed by §11.10.
      const want = textRequest({ immediate: pdu.immediate, final: true, cont: false, lun, itt: reqs[0]!.pdu.itt, ttt, cmdSN: at.expCmdSN, expStatSN: at.statSN });
      expect(bhs(rec)).toEqual(want.bhs);
      expect(rec.raw.length).toBe(48);
    });
  });

  it('I-09 C=1 pieces are answered with empty Text Requests and reassembled', async () => {
    const names = ['a', 'b', 'c', 'd', 'e'].map((n) => `iqn.2024-01.test.fake:${n}`);
    const fx = await h.target({ targets: names.map((name) => ({ name })), sendTargets: { segmentSize: 30, continuation: 'c-bit' } });
    const { s } = await h.open(fx, { sessionType: 'Discovery' });
    const got = await s.sendTargets();
    const addr = `127.0.0.1:${fx.target.port},1`;
    expect(got).toEqual(names.flatMap((n) => [['TargetName', n], ['TargetAddress', addr]]));
    const reqs = textReqs(fx);
    expect(reqs.length).toBeGreaterThan(5);
    for (const { rec, pdu } of reqs.slice(1)) {
      expect(dsl(rec)).toBe(0);
      expect(rec.raw.length).toBe(48);
      expect({ final: pdu.final, cont: pdu.cont, itt: pdu.itt }).toEqual({ final: true, cont: false, itt: reqs[0]!.pdu.itt });
      expect(pdu.ttt).not.toBe(RESERVED);
    }
    expect(violationCodes(fx.target)).toEqual([]);
  });

  it('I-10 F=1 with a TTT other than 0xffffffff: the TTT is ignored and no continuation is sent', async () => {
    const fx = await scripted([
      { final: true, ttt: 0x7777, text: `TargetName=${TARGET}\0` },
      { final: true, text: `TargetName=${TARGET}\0` },
    ]);
    const { s } = await h.open(fx, { sessionType: 'Discovery' });
    expect(await s.sendTargets()).toEqual([['TargetName', TARGET]]);
    // The next Text Request is a fresh SendTargets, not a continuation carrying 0x7777.
    await s.sendTargets();
    const reqs = textReqs(fx);
    expect(reqs).toHaveLength(2);
    expect(reqs[1]!.pdu.ttt).toBe(RESERVED);
    expect(reqs[1]!.pdu.data).toEqual(textData([['SendTargets', 'All']]));
    expect(s.state).toBe('logged-in');
  });

  it('I-11 F=0 with TTT 0xffffffff, or F=1 to our C=1 request, is a protocol error that fails the session', async () => {
    const fx = await scripted([{ final: false, ttt: RESERVED, text: `TargetName=${TARGET}\0` }]);
    const { s } = await h.open(fx, { sessionType: 'Discovery' });
    const failed = nextConnectionError(s);
    // The PDU decoder already refuses it (the session's own TEXT_F0_WITHOUT_TTT check is a second line).
    await expect(s.sendTargets()).rejects.toMatchObject({ code: 'SESSION_FAILED', details: { reason: 'BAD_TAG' } });
    expect(await failed).toMatchObject({ code: 'BAD_TAG', details: { where: 'TextResponse.ttt' } });
    expect(s.state).toBe('failed');
    await fx.target.waitForClosed(0);

    const fx2 = await scripted([{ final: true, text: '' }], { declare: { MaxRecvDataSegmentLength: TEXT_LIMIT } });
    const { s: s2 } = await h.open(fx2);
    const failed2 = nextConnectionError(s2);
    const long = s2.text([['X-com.example.long', 'v'.repeat(3 * TEXT_LIMIT)]]);
    await expect(long).rejects.toMatchObject({ code: 'SESSION_FAILED', details: { reason: 'TEXT_CONTINUATION_VIOLATED' } });
    expect(await failed2).toMatchObject({ code: 'TEXT_CONTINUATION_VIOLATED' });
    expect(textReqs(fx2)).toHaveLength(1);
    expect(textReqs(fx2)[0]!.pdu).toMatchObject({ final: false, cont: true });
    await fx2.target.waitForClosed(0);
  });

  it('I-11 a Text Response with both F=1 and C=1 is a protocol error', async () => {
    const fx = await scripted([{ final: true, cont: true, ttt: 0x10, text: 'TargetName=iqn.2024-01' }]);
    const { s } = await h.open(fx, { sessionType: 'Discovery' });
    const failed = nextConnectionError(s);
    await expect(s.sendTargets()).rejects.toMatchObject({ code: 'SESSION_FAILED' });
    expect(await failed).toMatchObject({ code: 'BAD_TEXT_FLAGS' });
  });
});
