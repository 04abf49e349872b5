/**
 * Shared helpers of the session tests for sections J, N, R, P and the login runner:
 * fake targets on real loopback sockets, a Session wired to them, wire-log filters and
 * BHS field readers that work on the raw bytes the fake target recorded (so the checks do
 * not go through our own decoder).
 */
import { afterEach } from 'vitest';
import type { InitiatorPdu } from '../../../src/iscsi/pdu/types.js';
import type { ScsiResult } from '../../../src/session/scsi-task.js';
import { Session, type SessionOptions } from '../../../src/session/session.js';
import type { PduStream } from '../../../src/transport/pdu-stream.js';
import type { ConnectOptions, Portal, Transport } from '../../../src/transport/types.js';
import { userTcpTransport } from '../../../src/transport/usertcp/index.js';
import {
  DEFAULT_TARGET_NAME, FakeTarget, standardTarget, type FakeTargetOptions, type Received, type StandardScript, type StandardTargetOptions,
} from '../../support/fake-target/index.js';

export const INITIATOR = 'iqn.2024-01.test.client:jnr';
/** Random-format ISID (T=10b), fixed so tests can compare wire bytes. */
export const ISID = Buffer.from([0x80, 0x12, 0x34, 0x56, 0x00, 0x01]);
export const LUN0 = Buffer.alloc(8);

const targets: FakeTarget[] = [];
const sessions: Session[] = [];

afterEach(async () => {
  for (const s of sessions.splice(0)) s.close();
  await Promise.all(targets.splice(0).map((t) => t.stop()));
});

/** A standard fake target (stopped after the test), with its script for disk access. */
export async function startTarget(opts: StandardTargetOptions = {}, listen: FakeTargetOptions = {}): Promise<{ target: FakeTarget; script: StandardScript }> {
  const script = standardTarget(opts);
  const target = await FakeTarget.start(script, listen);
  targets.push(target);
  return { target, script };
}

/** A Session to `portal` (closed after the test). Keepalives off unless asked for. */
export function newSession(portal: Portal, o: Partial<SessionOptions> = {}): Session {
  const s = new Session({
    transport: userTcpTransport,
    portal,
    initiatorName: INITIATOR,
    targetName: DEFAULT_TARGET_NAME,
    sessionType: 'Normal',
    isid: ISID,
    noopOutIntervalMs: 0,
    loginTimeoutMs: 5000,
    ...o,
  });
  sessions.push(s);
  return s;
}

/** Start a standard target and log a session in to it. */
export async function loggedIn(
  opts: StandardTargetOptions = {},
  so: Partial<SessionOptions> = {},
): Promise<{ target: FakeTarget; script: StandardScript; session: Session }> {
  const { target, script } = await startTarget(opts);
  const session = newSession(target.portal, so);
  await session.login();
  return { target, script, session };
}

/** Received PDUs of one kind (optionally one connection). */
export function ofKind<K extends InitiatorPdu['kind']>(target: FakeTarget, kind: K, conn?: number): Array<Received & { pdu: Extract<InitiatorPdu, { kind: K }> }> {
  return target.received.filter((r) => r.pdu.kind === kind && (conn === undefined || r.conn === conn)) as Array<Received & { pdu: Extract<InitiatorPdu, { kind: K }> }>;
}

/** Every PDU received after the login phase of connection `conn`. */
export function ffp(target: FakeTarget, conn = 0): Received[] {
  return target.received.filter((r) => r.conn === conn && r.pdu.kind !== 'login-request');
}

/** Poll `cond` every few ms until true or the timeout passes. */
export async function until(cond: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Let pending socket I/O run (for "nothing else was sent" checks). */
export function settle(ms = 50): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---- raw BHS fields (RFC 7143 §11.2.1), read independently of src/ decoders ----------

/** Opcode (byte 0, low 6 bits). */
export const opcodeOf = (raw: Buffer): number => raw[0]! & 0x3f;
/** I bit (byte 0, 0x40). */
export const immediateOf = (raw: Buffer): boolean => (raw[0]! & 0x40) !== 0;
/** Byte 1 (F bit 0x80 and opcode-specific flags). */
export const flagsOf = (raw: Buffer): number => raw[1]!;
/** DataSegmentLength (bytes 5-7). */
export const dslOf = (raw: Buffer): number => raw.readUIntBE(5, 3);
/** The data segment, after the BHS and TotalAHSLength (byte 4) words of AHS; no header digest. */
export const dataOf = (raw: Buffer): Buffer => raw.subarray(48 + raw[4]! * 4, 48 + raw[4]! * 4 + dslOf(raw));
/** Initiator Task Tag (bytes 16-19). */
export const ittOf = (raw: Buffer): number => raw.readUInt32BE(16);
/** Target Transfer Tag (bytes 20-23) of NOP-Out, Text, Data-Out. */
export const tttOf = (raw: Buffer): number => raw.readUInt32BE(20);
/** CmdSN (bytes 24-27) of PDUs that carry one. */
export const cmdSNOf = (raw: Buffer): number => raw.readUInt32BE(24);
/** ExpStatSN (bytes 28-31). */
export const expStatSNOf = (raw: Buffer): number => raw.readUInt32BE(28);
/** Data-Out DataSN (bytes 36-39) and Buffer Offset (bytes 40-43). */
export const dataSNOf = (raw: Buffer): number => raw.readUInt32BE(36);
export const bufferOffsetOf = (raw: Buffer): number => raw.readUInt32BE(40);
/** LUN (bytes 8-15). */
export const lunOf = (raw: Buffer): Buffer => raw.subarray(8, 16);

/** READ(16)/WRITE(16) CDB built by hand (SBC-3 §5.16, §5.40). */
export function cdb16(op: 0x88 | 0x8a, lba: number, blocks: number): Buffer {
  const b = Buffer.alloc(16);
  b[0] = op;
  b.writeBigUInt64BE(BigInt(lba), 2);
  b.writeUInt32BE(blocks, 10);
  return b;
}

/** Deterministic test pattern. */
export function pattern(n: number, seed = 1): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

/**
 * A transport that records every portal it is asked for and connects to a replacement
 * where `remap` has one (keyed "host:port"), to follow redirects to addresses no test can
 * listen on (the default port 3260).
 */
export function recordingTransport(remap: Record<string, Portal> = {}): Transport & { asked: Portal[] } {
  const asked: Portal[] = [];
  return {
    name: 'recording',
    asked,
    connect(portal: Portal, opts: ConnectOptions): Promise<PduStream> {
      asked.push(portal);
      return userTcpTransport.connect(remap[`${portal.host}:${portal.port}`] ?? portal, opts);
    },
  };
}

/** The rejection of `p` (fails the test if `p` resolves). */
export async function rejectionOf(p: Promise<unknown>): Promise<{ code: string; details?: Record<string, unknown>; retryable?: boolean }> {
  try {
    await p;
  } catch (err) {
    return err as { code: string; details?: Record<string, unknown>; retryable?: boolean };
  }
  throw new Error('expected a rejection');
}

/** TEST UNIT READY (opcode 0x00, 6 bytes). */
export const TUR = Buffer.alloc(6);

/** Issue a TEST UNIT READY on LUN 0. */
export function tur(session: Session): Promise<ScsiResult> {
  return session.execute({ lun: 0, cdb: TUR });
}

/** Swallow a promise's rejection (tasks left outstanding when a test ends). */
export function quiet<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}
