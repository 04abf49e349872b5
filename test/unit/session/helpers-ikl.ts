/**
 * Shared harness of the session-layer checklist tests for sections I (discovery,
 * SendTargets, text continuation), K (NOP-Out/NOP-In) and L (logout).
 *
 * Every test drives a real `Session` over the userspace TCP transport against the
 * scriptable fake target (test/support/fake-target) and asserts on what reached the
 * wire (`FakeTarget.received`), on typed error codes and on the target's own view of
 * the numbering at the moment each PDU arrived (`Fixture.arrival`). Sessions get a
 * `FakeClock`, so their timers (NOP interval/timeout, logout timeout, login timeout)
 * only move when a test calls `clock.advance(ms)`.
 */
import { afterEach } from 'vitest';
import { Session, type SessionOptions } from '../../../src/session/session.js';
import type { IscsiError } from '../../../src/shared/errors.js';
import type { Logger } from '../../../src/shared/logger.js';
import type { InitiatorPdu } from '../../../src/iscsi/pdu/types.js';
import { userTcpTransport } from '../../../src/transport/usertcp/index.js';
import { FakeClock } from '../../support/fake-clock.js';
import {
  DEFAULT_TARGET_NAME, FakeTarget, parsePairs, standardTarget,
  type FakeTargetOptions, type Pair, type Received, type StandardScript, type StandardTargetOptions,
} from '../../support/fake-target/index.js';

export const INITIATOR = 'iqn.2024-01.test.tsiscsi:ikl';
/** A "Random" format ISID (T=10b), written out by hand (§11.12.5). */
export const ISID = Buffer.from([0x80, 0x3c, 0x5a, 0x69, 0x00, 0x01]);
export const TARGET = DEFAULT_TARGET_NAME;
export const RESERVED = 0xffffffff;
export const NO_LUN = Buffer.alloc(8);

/** The fake target's numbering at the moment a PDU arrived (before it was accounted for). */
export interface SnAtArrival {
  /** StatSN the target will give its next status: what ExpStatSN must be (J-06). */
  statSN: number;
  /** CmdSN the target expects next: what an immediate PDU or the next command carries. */
  expCmdSN: number;
}

/** A started fake target plus its script and per-PDU numbering snapshots. */
export interface Fixture {
  target: FakeTarget;
  script: StandardScript;
  arrival(rec: Received): SnAtArrival;
}

export type Kind = InitiatorPdu['kind'];

/** Tracks targets and sessions of one test file; everything is torn down after each test. */
export class Harness {
  private readonly targets: FakeTarget[] = [];
  private readonly sessions: Session[] = [];

  /** Start a standard fake target; `opts.onPdu` still runs (after the snapshot is taken). */
  async target(opts: StandardTargetOptions = {}, server: FakeTargetOptions = {}): Promise<Fixture> {
    const snaps = new Map<number, SnAtArrival>();
    const script = standardTarget({
      ...opts,
      onPdu: (ctx, pdu, rec) => {
        snaps.set(rec.index, { statSN: ctx.sn.statSN, expCmdSN: ctx.sn.expCmdSN });
        return opts.onPdu?.(ctx, pdu, rec);
      },
    });
    const target = await FakeTarget.start(script, server);
    this.targets.push(target);
    return {
      target,
      script,
      arrival: (rec) => {
        const s = snaps.get(rec.index);
        if (s === undefined) throw new Error(`no numbering snapshot for PDU #${rec.index}`);
        return s;
      },
    };
  }

  /** A Session (not logged in) aimed at `fx`; Normal to the default target unless told otherwise. */
  session(fx: Fixture, opts: Partial<SessionOptions> = {}): { s: Session; clock: FakeClock } {
    const clock = new FakeClock();
    const discovery = opts.sessionType === 'Discovery';
    const s = new Session({
      transport: userTcpTransport,
      portal: fx.target.portal,
      initiatorName: INITIATOR,
      sessionType: 'Normal',
      isid: ISID,
      clock,
      ...(discovery ? {} : { targetName: TARGET }),
      ...opts,
    });
    this.sessions.push(s);
    return { s, clock: opts.clock instanceof FakeClock ? opts.clock : clock };
  }

  /** `session()` and `login()`. */
  async open(fx: Fixture, opts: Partial<SessionOptions> = {}): Promise<{ s: Session; clock: FakeClock }> {
    const r = this.session(fx, opts);
    await r.s.login();
    return r;
  }

  async cleanup(): Promise<void> {
    for (const s of this.sessions.splice(0)) if (s.state !== 'closed') s.close();
    await Promise.all(this.targets.splice(0).map((t) => t.stop()));
  }
}

/** One harness per test file, cleaned up after every test. */
export function useHarness(): Harness {
  const h = new Harness();
  afterEach(() => h.cleanup());
  return h;
}

// ---- wire helpers ------------------------------------------------------------

/** PDUs of one kind the target received, in order. */
export function sent(target: FakeTarget, kind: Kind): Received[] {
  return target.received.filter((r) => r.pdu.kind === kind);
}

/** Wait for the n-th (1-based) received PDU of a kind. */
export async function nth(target: FakeTarget, kind: Kind, n = 1): Promise<Received> {
  let seen = 0;
  return target.waitFor((r) => r.pdu.kind === kind && ++seen === n);
}

/** The 48-byte Basic Header Segment as received. */
export function bhs(rec: Received): Buffer {
  return rec.raw.subarray(0, 48);
}

/** DataSegmentLength (bytes 5-7 of the BHS). */
export function dsl(rec: Received): number {
  return rec.raw.readUIntBE(5, 3);
}

/** Key=value pairs of a PDU's data segment, decoded by the fake target's own parser. */
export function pairs(rec: Received): Pair[] {
  return parsePairs(rec.pdu.data).pairs;
}

/** Pairs of every Login Request received on connection `conn`, concatenated. */
export function loginPairs(target: FakeTarget, conn = 0): Pair[] {
  const data = Buffer.concat(sent(target, 'login-request').filter((r) => r.conn === conn).map((r) => r.pdu.data));
  return parsePairs(data).pairs;
}

/** Codes of the violations the fake target logged. */
export function violationCodes(target: FakeTarget): string[] {
  return target.violations().map((v) => v.code);
}

// ---- timing helpers ----------------------------------------------------------

/** Real wait: lets loopback I/O happen (used only to show that nothing more is sent). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Round trip through the session proves every earlier PDU was processed by both sides. */
export async function roundTrip(s: Session): Promise<void> {
  await s.ping(Buffer.from('sync'));
}

/** The next `connection-error` a session emits. */
export function nextConnectionError(s: Session): Promise<IscsiError> {
  return new Promise((resolve) => s.once('connection-error', (err: IscsiError) => resolve(err)));
}

/** Resolves when the session reaches `state`. */
export function stateReached(s: Session, state: Session['state']): Promise<void> {
  if (s.state === state) return Promise.resolve();
  return new Promise((resolve) => {
    const on = (st: string): void => {
      if (st !== state) return;
      s.off('state', on);
      resolve();
    };
    s.on('state', on);
  });
}

/** A Logger that records every call (level, bindings merged, message). */
export function recordingLogger(): { logger: Logger; entries: Array<{ level: string; obj: Record<string, unknown>; msg?: string }> } {
  const entries: Array<{ level: string; obj: Record<string, unknown>; msg?: string }> = [];
  const make = (bindings: Record<string, unknown>): Logger => {
    const at = (level: string) => (obj: object, msg?: string): void => {
      entries.push({ level, obj: { ...bindings, ...(obj as Record<string, unknown>) }, ...(msg === undefined ? {} : { msg }) });
    };
    return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (b) => make({ ...bindings, ...b }) };
  };
  return { logger: make({}), entries };
}
