/**
 * Login machine, stages and transitions (checklist D: RFC 7143 §6.3, §6.3.1-§6.3.3,
 * §11.12.1-§11.12.3, §11.13.6, §12, §13).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_EXCHANGES } from '../../../src/iscsi/login/machine.js';
import { encodePdu } from '../../../src/iscsi/pdu/index.js';
import { textData } from '../../support/pdu-builder.js';
import {
  INITIATOR,
  LoginDriver,
  MUTUAL,
  NORMAL_ANSWERS,
  ONE_WAY,
  TARGET,
  expectWire,
  keysOf,
  makeContext,
  mutualAnswer,
  textOf,
  throughChap,
  type Pair,
} from './helpers.js';

/** Mutual CHAP, then a tgtd-style T=0 round with a target proposal, then the end. */
function fullLogin(): LoginDriver {
  const d = throughChap(LoginDriver.of({ chap: MUTUAL }));
  d.transit(mutualAnswer(d));
  d.reply({ pairs: [...NORMAL_ANSWERS, ['X-com.example.hello', '1']] });
  d.finish([]);
  d.expectComplete();
  return d;
}

const SECURITY_STAGE_KEYS = new Set([
  'SessionType', 'InitiatorName', 'TargetName', 'TargetAddress', 'InitiatorAlias', 'TargetAlias', 'TargetPortalGroupTag',
  'AuthMethod', 'CHAP_A', 'CHAP_I', 'CHAP_C', 'CHAP_N', 'CHAP_R',
]);

describe('login machine: stages and transitions (D)', () => {
  it('D-01 first request names the initiator, and the target for Normal sessions; Discovery may omit it', () => {
    const normal = LoginDriver.of();
    normal.start();
    expect(textOf(normal.last).slice(0, 3)).toEqual([['InitiatorName', INITIATOR], ['TargetName', TARGET], ['SessionType', 'Normal']]);

    const discovery = LoginDriver.of({ params: { sessionType: 'Discovery' } });
    discovery.start();
    expect(textOf(discovery.last).slice(0, 2)).toEqual([['InitiatorName', INITIATOR], ['SessionType', 'Discovery']]);
    expect(keysOf(discovery.last)).not.toContain('TargetName');

    const unnamed = LoginDriver.of({ params: { targetName: undefined } });
    unnamed.start();
    unnamed.expectFailure('LOGIN_NO_TARGET_NAME');
    expect(unnamed.sent).toEqual([]);
  });

  it('D-02 never redeclares InitiatorName, TargetName or SessionType after the first request', () => {
    const d = fullLogin();
    for (const req of d.sent.slice(1)) {
      expect(keysOf(req).filter((k) => ['InitiatorName', 'TargetName', 'SessionType'].includes(k))).toEqual([]);
    }
  });

  it('D-03 CSG is 0 or 1, T=1 asks for NSG 1 or 3 above CSG, and T=0 leaves NSG zero on the wire', () => {
    const d = fullLogin();
    for (const req of d.sent) {
      const byte1 = encodePdu(req).bhs[1]!;
      const csg = (byte1 >> 2) & 3;
      const nsg = byte1 & 3;
      expect([0, 1]).toContain(csg);
      if (byte1 & 0x80) expect(nsg === 1 || nsg === 3 ? nsg > csg : false).toBe(true);
      else expect(nsg).toBe(0);
    }
    // The CHAP_A request (T=0, CSG=0): byte 1 is 0x00.
    expectWire(d.sent[1]!, {
      transit: false, cont: false, csg: 0, nsg: 0, cmdSN: 1, expStatSN: 101, data: textData([['CHAP_A', '5']]),
    });
  });

  it('D-04 a C=1 request has T=0', () => {
    const ctx = makeContext();
    const base = ctx.operational.offer.bind(ctx.operational);
    ctx.operational.offer = () => [...base(), ['X-org.example.big', 'z'.repeat(9000)]];
    const d = new LoginDriver(ctx);
    d.start();
    expect(d.last.cont).toBe(true);
    expect(encodePdu(d.last).bhs[1]).toBe(0x40 | (1 << 2)); // C=1, T=0, CSG=1, NSG=0
  });

  it('D-05 only moves forward (Security -> Operational -> FFP) and refuses a target that goes back or skips', () => {
    const d = fullLogin();
    const stages = d.sent.map((r) => r.csg);
    expect(stages).toEqual([...stages].sort());
    expect(stages[0]).toBe(0);
    expect(stages.at(-1)).toBe(1);

    const back = throughChap(LoginDriver.of({ chap: ONE_WAY }));
    back.transit();
    back.reply({ csg: 0 }); // the target answers in the Security stage again
    back.expectFailure('LOGIN_STAGE_MISMATCH');

    // From Security (we asked NSG=1): NSG 0 goes nowhere, NSG 2 is reserved and beyond our request.
    const zero = throughChap(LoginDriver.of({ chap: ONE_WAY }));
    zero.reply({ transit: true, nsg: 0 });
    zero.expectFailure('BAD_STAGE');
    const two = throughChap(LoginDriver.of({ chap: ONE_WAY }));
    two.reply({ transit: true, nsg: 2 });
    two.expectFailure('NSG_BEYOND_REQUEST');
    // From Operational (we asked NSG=3): NSG 2 is the reserved code.
    const op = LoginDriver.of();
    op.start();
    op.reply({ transit: true, nsg: 2, tsih: 5, pairs: NORMAL_ANSWERS });
    op.expectFailure('BAD_STAGE');
  });

  it('D-06 fails when the target answers T=1 CSG=0 NSG=1 with NSG=3', () => {
    const d = LoginDriver.of({ params: { useSecurityStage: true } }); // AuthMethod=None, T=1 NSG=1
    d.start();
    expect([d.last.transit, d.last.csg, d.last.nsg]).toEqual([true, 0, 1]);
    d.reply({ transit: true, nsg: 3, pairs: [['AuthMethod', 'None']] });
    d.expectFailure('NSG_BEYOND_REQUEST');
  });

  it('D-07 fails when the target answers our T=0 request with T=1', () => {
    const d = LoginDriver.of({ chap: ONE_WAY });
    d.start(); // AuthMethod=CHAP, T=0
    expect(d.last.transit).toBe(false);
    d.reply({ transit: true, nsg: 1, pairs: [['AuthMethod', 'CHAP']] });
    d.expectFailure('TRANSIT_NOT_REQUESTED');
  });

  it('D-08 keeps T=1 in a further empty request when the target answers T=1 with T=0 (tgtd quirk)', () => {
    const d = LoginDriver.of();
    d.start();
    d.reply({ pairs: [...NORMAL_ANSWERS.slice(0, -1), ['MaxRecvDataSegmentLength', '512']] });
    expectWire(d.last, { transit: true, cont: false, csg: 1, nsg: 3, cmdSN: 1, expStatSN: 101, data: Buffer.alloc(0) });
    d.finish([]);
    expect(d.expectComplete().params.maxXmitDataSegmentLength).toBe(512);
  });

  it('D-09 uses CSG=1 with the operational offer after the target\'s T=1 CSG=0 NSG=1', () => {
    const d = throughChap(LoginDriver.of({ chap: ONE_WAY }));
    d.transit();
    expect([d.last.csg, d.last.transit, d.last.nsg]).toEqual([1, true, 3]);
    expect(keysOf(d.last)).toEqual(expect.arrayContaining(['HeaderDigest', 'DataDigest', 'MaxRecvDataSegmentLength']));
  });

  it('D-10 starting in Operational, a 0x0201 reject fails with an authentication error and no retry', () => {
    const d = LoginDriver.of();
    d.start();
    expect([d.last.csg, d.last.transit, d.last.nsg]).toEqual([1, true, 3]);
    d.reject(2, 1);
    const err = d.expectFailure('AUTHENTICATION_FAILURE');
    expect({ errno: err.errno, retryable: err.retryable }).toEqual({ errno: 24, retryable: false });
    expect(d.sent).toHaveLength(1);
  });

  it('D-11 offering no authentication (AuthMethod=None, T=1 NSG=1), moves to Operational on a T=1 answer with only TPGT', () => {
    const d = LoginDriver.of({ params: { useSecurityStage: true } });
    d.start();
    expect(textOf(d.last).at(-1)).toEqual(['AuthMethod', 'None']);
    d.transit([['TargetPortalGroupTag', '1']]);
    expect([d.last.csg, d.last.transit, d.last.nsg]).toEqual([1, true, 3]);
    d.finish();
    expect(d.expectComplete().params.targetPortalGroupTag).toBe(1);
  });

  it('D-12 sends only Section 12 keys in the Security stage', () => {
    const d = fullLogin();
    for (const req of d.sent.filter((r) => r.csg === 0)) {
      for (const key of keysOf(req)) expect(SECURITY_STAGE_KEYS.has(key), key).toBe(true);
    }
  });

  it('D-13 fails when the target sends an operational key (MaxBurstLength) in the Security stage', () => {
    const d = LoginDriver.of({ chap: ONE_WAY });
    d.start();
    d.reply({ pairs: [['AuthMethod', 'CHAP'], ['MaxBurstLength', '65536']] });
    d.expectFailure('KEY_NOT_ALLOWED_IN_STAGE');
  });

  it('D-14 fails when a T=1 response proposes a key that would need an answer (operational or security)', () => {
    const d = LoginDriver.of();
    d.start();
    d.finish([...NORMAL_ANSWERS, ['iSCSIProtocolLevel', '2']]);
    d.expectFailure('PROPOSAL_IN_FINAL_RESPONSE');

    // Same rule when a T=1 response ends the Security stage with an AuthMethod proposal.
    const sec = LoginDriver.of({ params: { useSecurityStage: true } }); // AuthMethod=None, T=1 NSG=1
    sec.start();
    sec.transit([['AuthMethod', 'CHAP,None']]);
    sec.expectFailure('FINAL_RESPONSE_NEEDS_ANSWER');
  });

  it('D-15 ends with a T=1 NSG=3 request and enters FFP only on a T=1 NSG=3 response', () => {
    const d = LoginDriver.of();
    d.start();
    expect([d.last.transit, d.last.nsg]).toEqual([true, 3]);
    d.reply({ transit: true, nsg: 1, tsih: 5, pairs: NORMAL_ANSWERS });
    d.expectFailure('BAD_STAGE');
    expect(d.result).toBeUndefined();
  });

  it('D-16 drops the login when the target negotiates a key twice; repeated TargetAddress is fine', () => {
    const d = LoginDriver.of();
    d.start();
    d.reply({ pairs: [['MaxBurstLength', '65536']] });
    d.finish([['MaxBurstLength', '65536']]);
    d.expectFailure('DUPLICATE_KEY');

    const ok = LoginDriver.of();
    ok.start();
    ok.reply({ pairs: [['TargetAddress', '192.0.2.1:3260,1']] });
    ok.finish([...NORMAL_ANSWERS, ['TargetAddress', '192.0.2.2:3260,1']]);
    expect(ok.expectComplete().params.targetAddresses).toEqual(['192.0.2.1:3260,1', '192.0.2.2:3260,1']);
  });

  it('D-17 never offers or answers the same key twice in one login', () => {
    const d = fullLogin();
    const keys = d.sent.flatMap((r) => keysOf(r));
    expect(keys.length).toBeGreaterThan(15);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('D-18 tolerates six T=0 rounds of new target proposals, and bounds an endless exchange', () => {
    const d = LoginDriver.of();
    d.start();
    for (let round = 0; round < 6; round++) {
      d.reply({ pairs: [[`X-com.example.round${round}`, 'x']] });
      expect(textOf(d.last)).toEqual([[`X-com.example.round${round}`, 'NotUnderstood']]);
    }
    d.finish();
    d.expectComplete();

    expect(DEFAULT_MAX_EXCHANGES).toBeGreaterThanOrEqual(6);
    const endless = LoginDriver.of();
    endless.start();
    for (let i = 0; i < DEFAULT_MAX_EXCHANGES; i++) endless.reply();
    expect(endless.state.phase).toBe('exchanging');
    endless.reply();
    expect(endless.expectFailure('TOO_MANY_LOGIN_EXCHANGES').retryable).toBe(false);
  });

  it('D-19 compares TargetPortalGroupTag with the discovered tag: warns on a mismatch, silent on a match in any encoding', () => {
    const cases: [string, boolean][] = [['2', true], ['1', false], ['0x0001', false]];
    for (const [tag, warns] of cases) {
      const d = LoginDriver.of({ params: { expectedTpgt: 1 } });
      d.start();
      const step = d.finish([...NORMAL_ANSWERS, ['TargetPortalGroupTag', tag]]);
      d.expectComplete();
      const warnings = step.effects.filter((e) => e.type === 'warn');
      expect(warnings.map((w) => (w.type === 'warn' ? w.code : ''))).toEqual(warns ? ['TPGT_MISMATCH'] : []);
    }
  });

  it('D-20 accepts TargetPortalGroupTag=0 and a TargetAddress with tag 0', () => {
    const d = LoginDriver.of({ params: { expectedTpgt: 0 } });
    d.start();
    const pairs: Pair[] = [...NORMAL_ANSWERS, ['TargetPortalGroupTag', '0'], ['TargetAddress', '192.0.2.9:3260,0']];
    const step = d.finish(pairs);
    const result = d.expectComplete();
    expect(result.params.targetPortalGroupTag).toBe(0);
    expect(result.params.targetAddresses).toEqual(['192.0.2.9:3260,0']);
    expect(step.effects.filter((e) => e.type === 'warn')).toEqual([]);
  });
});
