/**
 * Login machine, Login PDU fields and framing (checklist C: RFC 7143 §4.2.4, §6.1-§6.3,
 * §11.12, §11.13). Wire bytes are compared with the independent builder
 * (test/support/pdu-builder.ts) fed with values written here.
 */
import { describe, expect, it } from 'vitest';
import { serializePdu } from '../../../src/iscsi/framer.js';
import { LOGIN_MAX_SEGMENT } from '../../../src/iscsi/login/machine.js';
import { encodePdu, type TargetPdu } from '../../../src/iscsi/pdu/index.js';
import { textData } from '../../support/pdu-builder.js';
import {
  INITIATOR,
  ITT,
  LoginDriver,
  NORMAL_ANSWERS,
  ONE_WAY,
  TARGET,
  expectWire,
  makeContext,
  textOf,
  throughChap,
  type Pair,
} from './helpers.js';

const PADDING: Pair[] = Array.from({ length: 40 }, (_, i): Pair => [`X-org.example.pad${i}`, 'v'.repeat(250)]);

/** A login whose first Operational request (about 11 KB of text) must be split (C-05). */
function longOffer(): LoginDriver {
  const ctx = makeContext();
  const base = ctx.operational.offer.bind(ctx.operational);
  ctx.operational.offer = () => [...base(), ...PADDING];
  return new LoginDriver(ctx);
}

const LUN0 = Buffer.alloc(8);
const OTHER_PDUS: [string, TargetPdu][] = [
  ['NOP-In', { kind: 'nop-in', lun: LUN0, itt: 0xffffffff, ttt: 1, statSN: 1, expCmdSN: 1, maxCmdSN: 1, data: Buffer.alloc(0) }],
  ['Async Message', {
    kind: 'async-message', lun: LUN0, statSN: 1, expCmdSN: 1, maxCmdSN: 1, asyncEvent: 1, asyncVCode: 0,
    parameter1: 0, parameter2: 0, parameter3: 5, data: Buffer.alloc(0),
  }],
  ['Reject', { kind: 'reject', reason: 0x04, statSN: 1, expCmdSN: 1, maxCmdSN: 1, dataSN: 0, data: Buffer.alloc(48) }],
  ['Text Response', {
    kind: 'text-response', final: true, cont: false, lun: LUN0, itt: ITT, ttt: 0xffffffff, statSN: 1, expCmdSN: 1, maxCmdSN: 1,
    data: Buffer.alloc(0),
  }],
];

describe('login machine: Login PDU fields (C)', () => {
  it('C-01 every request starts 0x43 with Version-max = Version-min = 0 (golden first request)', () => {
    const d = throughChap(LoginDriver.of({ chap: ONE_WAY }));
    d.transit();
    d.finish();
    d.expectComplete();
    for (const req of d.sent) {
      const bhs = encodePdu(req).bhs;
      expect([bhs[0], bhs[2], bhs[3]]).toEqual([0x43, 0, 0]);
    }
    expectWire(d.sent[0]!, {
      transit: false, cont: false, csg: 0, nsg: 0, cmdSN: 1, expStatSN: 0,
      data: textData([['InitiatorName', INITIATOR], ['TargetName', TARGET], ['SessionType', 'Normal'], ['AuthMethod', 'CHAP']]),
    });
  });

  it('C-02 uses one ITT for the whole phase and refuses the reserved ITT 0xffffffff', () => {
    const d = throughChap(LoginDriver.of({ chap: ONE_WAY, params: { itt: 0x0bad_cafe } }));
    d.transit();
    d.finish();
    d.expectComplete();
    for (const req of d.sent) expect(encodePdu(req).bhs.readUInt32BE(16)).toBe(0x0bad_cafe);

    const reserved = LoginDriver.of({ params: { itt: 0xffffffff } });
    reserved.start();
    reserved.expectFailure('LOGIN_RESERVED_ITT');
    expect(reserved.sent).toEqual([]);
  });

  it('C-03 carries CmdSN N=0xfffffffe in every request and hands N to the first FFP command', () => {
    const d = throughChap(LoginDriver.of({ chap: ONE_WAY, params: { cmdSN: 0xfffffffe } }));
    d.transit();
    d.finish();
    expect(d.expectComplete().cmdSN).toBe(0xfffffffe);
    for (const req of d.sent) expect(encodePdu(req).bhs.readUInt32BE(24)).toBe(0xfffffffe);
  });

  it('C-04 acknowledges each Login Response with ExpStatSN = StatSN + 1, across the 32-bit wrap', () => {
    const d = new LoginDriver(makeContext({ chap: ONE_WAY, params: { expStatSN: 0x33 } }), { statSN: 0xfffffffe });
    throughChap(d); // responses carry StatSN 0xfffffffe, 0xffffffff
    d.transit(); // StatSN 0
    d.finish(); // StatSN 1
    expect(d.sent.map((r) => encodePdu(r).bhs.readUInt32BE(28))).toEqual([0x33, 0xffffffff, 0, 1]);
    expect(d.expectComplete().expStatSN).toBe(2);
  });

  it('C-05 splits login text above 8192 bytes into C=1, T=0 PDUs and waits for each empty answer', () => {
    const d = longOffer();
    d.start();
    const [head] = d.sent;
    expect(head!.data.length).toBe(LOGIN_MAX_SEGMENT);
    expectWire(head!, { transit: false, cont: true, csg: 1, nsg: 0, cmdSN: 1, expStatSN: 0, data: head!.data });
    d.reply(); // the empty answer to the C=1 request
    const tail = d.last;
    expect(d.sent).toHaveLength(2);
    expect(tail.data.length).toBeGreaterThan(0);
    expect(tail.data.length).toBeLessThanOrEqual(LOGIN_MAX_SEGMENT);
    expectWire(tail, { transit: true, cont: false, csg: 1, nsg: 3, cmdSN: 1, expStatSN: 101, data: tail.data });
    const pairs = textOf({ data: Buffer.concat([head!.data, tail.data]) });
    expect(pairs.slice(0, 3)).toEqual([['InitiatorName', INITIATOR], ['TargetName', TARGET], ['SessionType', 'Normal']]);
    expect(pairs.slice(-PADDING.length)).toEqual(PADDING);
    d.finish();
    d.expectComplete();

    // The target must answer a C=1 request with an empty response (§6.2).
    const bad = longOffer();
    bad.start();
    bad.reply({ pairs: [['HeaderDigest', 'None']] });
    bad.expectFailure('LOGIN_CONTINUATION_NOT_EMPTY');
  });

  it('C-06 ends every pair with one NUL; the framer pads the data to 4 with zeros outside DataSegmentLength', () => {
    const d = LoginDriver.of({ chap: ONE_WAY, params: { initiatorAlias: 'h1' } });
    d.start();
    const want = textData([
      ['InitiatorName', INITIATOR], ['InitiatorAlias', 'h1'], ['TargetName', TARGET], ['SessionType', 'Normal'], ['AuthMethod', 'CHAP'],
    ]);
    expect(want.length % 4).toBe(2);
    expectWire(d.last, { transit: false, cont: false, csg: 0, nsg: 0, cmdSN: 1, expStatSN: 0, data: want });
    const wire = Buffer.concat(serializePdu(encodePdu(d.last), { headerDigest: false, dataDigest: false }));
    expect(wire.length).toBe(48 + want.length + 2);
    expect(wire.readUIntBE(5, 3)).toBe(want.length);
    expect(wire.subarray(48 + want.length).toString('hex')).toBe('0000');
    expect(wire.subarray(48, 48 + want.length).includes(Buffer.from([0, 0]))).toBe(false);
  });

  it('C-07 answers a C=1 response with an empty request in the same stage that keeps its T=1/NSG', () => {
    const d = LoginDriver.of();
    d.start(); // T=1 CSG=1 NSG=3
    d.reply({ cont: true, data: Buffer.from('HeaderDigest=None\0', 'utf8') });
    expectWire(d.last, { transit: true, cont: false, csg: 1, nsg: 3, cmdSN: 1, expStatSN: 101, data: Buffer.alloc(0) });
    d.finish(NORMAL_ANSWERS.slice(1));
    expect(d.expectComplete().params.headerDigest).toBe('None');
  });

  it('C-08 reassembles a key=value pair split across two Login Responses (TargetAli / as=x)', () => {
    const d = LoginDriver.of();
    d.start();
    d.reply({ cont: true, data: Buffer.from('TargetAli', 'utf8') });
    expect(d.last.data.length).toBe(0);
    d.reply({ transit: true, nsg: 3, tsih: 9, data: Buffer.concat([Buffer.from('as=x\0', 'utf8'), textData(NORMAL_ANSWERS)]) });
    expect(d.expectComplete().params.targetAlias).toBe('x');
  });

  it('C-09 accepts an 8192-byte response data segment (larger ones are refused by the framer: test/unit/framer)', () => {
    const keys: Pair[] = [];
    let size = 0;
    for (let i = 0; size < 8192 - 300; i++) {
      const pair: Pair = [`X-org.example.k${String(i).padStart(3, '0')}`, 'v'.repeat(200)];
      keys.push(pair);
      size += textData([pair]).length;
    }
    const last = `X-org.example.last`;
    keys.push([last, 'w'.repeat(8192 - size - last.length - 2)]);
    const data = textData(keys);
    expect(data.length).toBe(8192);
    const d = LoginDriver.of();
    d.start();
    d.reply({ data });
    expect(textOf(d.last)).toEqual(keys.map(([k]) => [k, 'NotUnderstood']));
    d.finish();
    d.expectComplete();
  });

  it.each(OTHER_PDUS)('C-10 fails the login when the target sends a %s during login', (_name, pdu) => {
    const d = LoginDriver.of();
    d.start();
    d.feed(pdu);
    d.expectFailure('UNEXPECTED_PDU_DURING_LOGIN');
    expect(d.sent).toHaveLength(1);
  });

  it('C-11 never has two Login Requests outstanding: one request per response, none unprompted', () => {
    const d = longOffer(); // C=1 segments, a C=1 response and a T=0 round
    d.start();
    d.reply();
    d.reply({ cont: true, data: Buffer.from('TargetAlias=a', 'utf8') });
    d.reply({ data: Buffer.from('b\0', 'utf8') });
    d.finish();
    d.expectComplete();
    // The driver asserted at every step that a request was only sent after the previous one was answered.
    // Four responses were fed: start and each of the three non-final responses sent exactly one request.
    expect(d.sent).toHaveLength(4);
    const again = d.step({ type: 'start' });
    expect(again.effects.map((e) => e.type)).toEqual(['fail']);
  });

  it('C-12 fails on a Login Response whose ITT is not the request\'s', () => {
    const d = LoginDriver.of();
    d.start();
    d.reply({ itt: ITT + 1 });
    d.expectFailure('LOGIN_ITT_MISMATCH');
  });

  it('C-13 fails on any non-zero status class whatever its T/C/CSG/NSG/StatSN (reserved in a reject)', () => {
    const d = LoginDriver.of();
    d.start();
    d.reply({ statusClass: 2, statusDetail: 3, transit: true, cont: true, csg: 2, nsg: 2, statSN: 0xdeadbeef, versionActive: 9 });
    const err = d.expectFailure('TARGET_NOT_FOUND');
    expect(err.details).toMatchObject({ statusClass: 2, statusDetail: 3 });
    expect(d.sent).toHaveLength(1);
  });

  it.todo('C-14 a new TCP connection for every login attempt (after reject, redirect or logout) — src/session/login-runner.ts (test/unit/session)');
  it.todo('C-15 a target that never answers times the login out and closes the connection — login runner timer (test/unit/session)');

  it('C-16 completes only on T=1 NSG=3 with status 0 and sends nothing more', () => {
    const d = throughChap(LoginDriver.of({ chap: ONE_WAY }));
    d.transit(); // T=1 NSG=1: a new stage, not the end
    expect(d.result).toBeUndefined();
    expect(d.last.csg).toBe(1);
    const final = d.finish();
    expect(final.effects.map((e) => e.type)).toEqual(['complete']);
    d.expectComplete();
    const after = d.reply({ transit: true, nsg: 3 });
    expect(after.effects.map((e) => e.type)).toEqual(['fail']);
    expect(after.state.phase).toBe('failed');
  });

  it('C-17 fails without retry on 0x0205 and on a status-0 response choosing a version we did not offer', () => {
    const d = LoginDriver.of();
    d.start();
    d.reject(2, 5);
    const err = d.expectFailure('UNSUPPORTED_VERSION');
    expect({ errno: err.errno, retryable: err.retryable }).toEqual({ errno: 19, retryable: false });

    const v = LoginDriver.of();
    v.start();
    v.reply({ versionActive: 1, versionMax: 1 });
    expect(v.expectFailure('UNSUPPORTED_VERSION').retryable).toBe(false);
  });

  it('C-18 keeps Version-max/active from the response to the first request', () => {
    const d = throughChap(new LoginDriver(makeContext({ chap: ONE_WAY })));
    // The responses so far carried 0/0; later ones drift.
    d.transit([], { versionMax: 7, versionActive: 3 });
    d.finish(NORMAL_ANSWERS, { versionMax: 9, versionActive: 9 });
    expect(d.expectComplete().versionActive).toBe(0);
  });
});
