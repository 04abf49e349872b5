/**
 * Login machine, session identity (checklist B: RFC 7143 §4.4.3, §6.3.4, §6.3.5, §11.12.5-
 * §11.12.7, §11.13.3). ISID, TSIH and CID are inputs of the machine; these tests check that
 * they reach every request unchanged and that the target's TSIH is taken only from the
 * Final-Response. Choosing them (reinstatement, ISID reuse) is the session/recovery layer's.
 */
import { describe, expect, it } from 'vitest';
import { encodePdu } from '../../../src/iscsi/pdu/index.js';
import {
  ISID,
  LoginDriver,
  MUTUAL,
  NORMAL_ANSWERS,
  ONE_WAY,
  expectWire,
  keysOf,
  mutualAnswer,
  throughChap,
} from './helpers.js';

/** A full mutual-CHAP login with a tgtd-style extra T=0 round: six requests. */
function longLogin(params: Parameters<typeof LoginDriver.of>[0] = {}): LoginDriver {
  const d = throughChap(LoginDriver.of({ chap: MUTUAL, ...params }));
  d.transit(mutualAnswer(d));
  d.reply({ pairs: NORMAL_ANSWERS }); // T=0 to our T=1 (D-08)
  d.finish([]);
  d.expectComplete();
  expect(d.sent.length).toBeGreaterThanOrEqual(5);
  return d;
}

describe('login machine: session identity (B)', () => {
  it('B-01 puts the configured random-format ISID unchanged in every request and refuses a T=11b ISID', () => {
    const d = longLogin();
    for (const req of d.sent) {
      const bhs = encodePdu(req).bhs;
      expect(bhs.subarray(8, 14).toString('hex')).toBe('805ac3170001');
      expect(bhs[8]! >> 6).toBe(0b10); // T = 10b (Random), A = 0
      expect(bhs[8]! & 0x3f).toBe(0);
    }
    const bad = LoginDriver.of({ params: { isid: Buffer.from([0xc0, 1, 2, 3, 4, 5]) } });
    bad.start();
    expect(bad.expectFailure('INVALID_ISID').details.reason).toBe('RESERVED_FORMAT');
    expect(bad.sent).toEqual([]);
  });

  it('B-02 keeps one ISID across a multi-PDU login and on an added connection; refuses a response with another ISID', () => {
    const leading = longLogin();
    expect(new Set(leading.sent.map((r) => r.isid.toString('hex')))).toEqual(new Set([ISID.toString('hex')]));

    const added = LoginDriver.of({ params: { tsih: 0x17, cid: 1 } });
    added.start();
    added.finish([]);
    added.expectComplete();
    expect(added.sent.every((r) => r.isid.equals(ISID))).toBe(true);

    const other = LoginDriver.of();
    other.start();
    other.reply({ isid: Buffer.from([0x80, 0, 0, 0, 0, 2]) });
    other.expectFailure('LOGIN_ISID_MISMATCH');
  });

  it.todo('B-03 different ISIDs for concurrent Normal sessions to one portal group — chosen by the session layer (test/unit/session)');
  it.todo('B-04 conservative ISID reuse across portal groups — chosen by the session layer (test/unit/session)');
  it.todo('B-05 re-login after an ERL 0 drop keeps the ISID with TSIH 0 — recovery layer (test/unit/recovery); the machine sends what it is given (B-01, B-06)');

  it('B-06 sends TSIH 0 in every request of a leading login, even when partial responses carry a TSIH', () => {
    const d = throughChap(LoginDriver.of({ chap: ONE_WAY }));
    d.transit([], { tsih: 0x99 }); // a partial response with a stray TSIH
    d.reply({ pairs: NORMAL_ANSWERS, tsih: 0x99 });
    d.finish([], { tsih: 0x42 });
    d.expectComplete();
    for (const req of d.sent) expect(encodePdu(req).bhs.readUInt16BE(14)).toBe(0);
  });

  it('B-07 takes the TSIH only from the Final-Response and an added connection carries it', () => {
    const d = LoginDriver.of();
    d.start();
    d.reply({ pairs: NORMAL_ANSWERS, tsih: 0 });
    d.finish([], { tsih: 0x1234 });
    expect(d.expectComplete().tsih).toBe(0x1234);

    const added = LoginDriver.of({ params: { tsih: 0x1234, cid: 1 } });
    added.start();
    added.finish([], { tsih: 0x1234 });
    expect(added.expectComplete().tsih).toBe(0x1234);
    for (const req of added.sent) expect(encodePdu(req).bhs.readUInt16BE(14)).toBe(0x1234);
  });

  it('B-08 fails a new session whose Final-Response carries TSIH 0', () => {
    const d = LoginDriver.of();
    d.start();
    d.finish(NORMAL_ANSWERS, { tsih: 0 });
    const err = d.expectFailure('TSIH_ZERO');
    expect(err.retryable).toBe(false);
  });

  it.todo('B-09 session reinstatement only from FAILED, with TSIH 0 and the old ISID — session layer (test/unit/session/runner-login.test.ts)');

  it('B-10 a connection-reinstatement login carries the non-zero TSIH, the old CID and the old ExpStatSN, and needs the same TSIH back', () => {
    const d = LoginDriver.of({ params: { tsih: 0x0203, cid: 5, expStatSN: 0x55 } });
    d.start();
    const first = d.last;
    expectWire(first, {
      transit: true, cont: false, csg: 1, nsg: 3, tsih: 0x0203, cid: 5, cmdSN: 1, expStatSN: 0x55, data: first.data,
    });
    // Leading-only keys are not offered on a non-leading login (F-19).
    expect(keysOf(first)).not.toContain('MaxBurstLength');
    d.finish([], { tsih: 0x0204 });
    d.expectFailure('TSIH_MISMATCH');
  });

  it('B-11 uses the same CID in every request of the phase', () => {
    const d = longLogin({ params: { cid: 0x0a0b } });
    for (const req of d.sent) expect(encodePdu(req).bhs.readUInt16BE(20)).toBe(0x0a0b);
  });

  it('B-12 reports 0x020a "session does not exist" as a non-retryable SESSION_DOES_NOT_EXIST (falling back to TSIH 0 is the recovery layer\'s)', () => {
    const d = LoginDriver.of({ params: { tsih: 0x17, cid: 1 } });
    d.start();
    d.reject(2, 0x0a);
    const err = d.expectFailure('SESSION_DOES_NOT_EXIST');
    expect({ errno: err.errno, retryable: err.retryable }).toEqual({ errno: 19, retryable: false });
    expect(d.sent).toHaveLength(1);
  });

  it.todo('B-13 never a named Discovery session with a live Normal session\'s InitiatorName+ISID — discovery/session layer (test/unit/daemon/discovery.test.ts)');
  it.todo('B-14 no second concurrent unnamed Discovery session with the same ISID to a portal — discovery/session layer (test/unit/daemon/discovery.test.ts)');
});
