/**
 * Shared types of the fake iSCSI target (test harness, checklist §3.1 "Fake target (F)").
 *
 * A {@link Script} decides how the target answers; it sees each PDU the initiator
 * sent through a {@link ConnContext}, which can write anything back: well-formed
 * PDUs, raw bytes, one PDU over many writes, many PDUs in one write, corrupted
 * digests, FIN or RST.
 */
import type { Socket } from 'node:net';
import type { InitiatorPdu, TargetPdu } from '../../../src/iscsi/pdu/types.js';
import type { TargetNumbering } from './numbering.js';

/** One PDU received from an initiator. */
export interface Received {
  /** Position in `FakeTarget.received` (0-based). */
  index: number;
  /** Connection index: 0 for the first accepted connection, then 1, 2, ... */
  conn: number;
  /** Arrival time, `performance.now()` milliseconds (monotonic). */
  at: number;
  /** Exact wire bytes of the PDU: BHS, AHS, header digest, data, padding, data digest. */
  raw: Buffer;
  /** Decoded form. */
  pdu: InitiatorPdu;
  /** True when the data digest did not match (the script's `onDigestError` saw it, `onPdu` did not). */
  dataDigestError?: boolean;
}

/** Severity of a {@link LogEntry}; `violation` marks an initiator rule break the fake target noticed. */
export type LogLevel = 'info' | 'warn' | 'error' | 'violation';

/** One entry of the fake target's in-memory log (it never prints). */
export interface LogEntry {
  conn: number;
  at: number;
  level: LogLevel;
  /** Stable SCREAMING_SNAKE code, e.g. `BAD_PDU`, `HEADER_DIGEST_ERROR`, `DATA_SEGMENT_TOO_LONG`. */
  code: string;
  message: string;
  /** Wire bytes involved (bad PDUs). */
  raw?: Buffer;
}

/** Digest settings of one direction or both (RFC 7143 §11.2.3). */
export interface Digests {
  header: boolean;
  data: boolean;
}

/** Per-write options of {@link ConnContext.send} and friends. */
export interface SendOptions {
  /** Wait this long (after every earlier queued write) before writing. */
  delayMs?: number;
  /** Mutate the encoded 48-byte BHS before digests are computed (reserved bits, bad stages, bad lengths). */
  patchBhs?: (bhs: Buffer) => void;
  /** Digests for this PDU only, instead of the connection's. */
  digests?: Digests;
  /** Send this PDU with a wrong header and/or data digest. */
  corrupt?: { headerDigest?: boolean; dataDigest?: boolean };
}

/** What a script sees of one TCP connection. */
export interface ConnContext {
  /** Connection index (accept order, from 0). */
  readonly conn: number;
  readonly socket: Socket;
  /** Local (target) address and port of this connection. */
  readonly local: { address: string; port: number; family: string };
  /** Per-connection state bag, free for scripts. */
  readonly state: Record<string, unknown>;
  /** The target's numbering on this connection: StatSN and the ExpCmdSN/MaxCmdSN it advertises. */
  readonly sn: TargetNumbering;
  /** Digests currently applied to PDUs read from the initiator. */
  readonly digests: Readonly<Digests>;
  /** True once the socket is closed or destroyed. */
  readonly closed: boolean;

  /** Encode and queue one PDU (digests per the connection or `opts`). */
  send(pdu: TargetPdu, opts?: SendOptions): void;
  /** Queue raw bytes exactly as given. */
  sendRaw(bytes: Buffer, opts?: { delayMs?: number }): void;
  /**
   * One PDU over several writes: chunks of the given sizes, the rest in a last chunk.
   * `gapMs` (default 5) separates the writes so they arrive as separate TCP reads.
   */
  sendSplit(pdu: TargetPdu, chunkSizes: number[], opts?: SendOptions & { gapMs?: number }): void;
  /** Several PDUs concatenated into one write. */
  sendMany(pdus: TargetPdu[], opts?: SendOptions): void;
  /** Wire bytes of a PDU as `send` would write them (to truncate, splice or corrupt by hand). */
  wire(pdu: TargetPdu, opts?: SendOptions): Buffer;
  /** Half-close with FIN after the queued writes. */
  close(opts?: { delayMs?: number }): void;
  /** Abort with RST after the queued writes (`socket.resetAndDestroy()`). */
  reset(opts?: { delayMs?: number }): void;
  /** Stop reading from the socket (and stop handling buffered PDUs) until `resume()`. */
  pause(): void;
  resume(): void;
  /**
   * Switch digests. Reading: applies to PDUs not yet parsed (call it synchronously from
   * the handler of the last login PDU). Writing: applies from the next queued write.
   */
  setDigests(d: Partial<Digests>): void;
  /** Corrupt the given digest(s) of the next PDU sent with digests on. */
  corruptNext(c: { headerDigest?: boolean; dataDigest?: boolean }): void;
  /** Run `fn` after `ms` unless the connection closes first. */
  later(ms: number, fn: () => void): void;
  /** Run `fn` every `ms` until the connection closes; returns a cancel function. */
  every(ms: number, fn: () => void): () => void;
  /** Add an entry to the target's log. */
  log(level: LogLevel, code: string, message: string, raw?: Buffer): void;
}

/** Low-level script: called once per received PDU, in order (an async one delays the next call). */
export type ScriptFn = (ctx: ConnContext, pdu: InitiatorPdu, rec: Received) => void | Promise<void>;

/** Information about a received PDU whose digest did not match. */
export interface DigestErrorInfo {
  kind: 'header' | 'data';
  /** Wire bytes of the PDU (header errors: the header as far as it was read). */
  raw: Buffer;
  /** Decoded PDU (data digest errors only, when the header decodes). */
  rec?: Received;
}

/** Script with optional lifecycle hooks. */
export interface ScriptObject {
  onConnect?(ctx: ConnContext): void;
  onPdu: ScriptFn;
  /**
   * A digest error. Default: log it; header errors always close the connection
   * afterwards (the stream position is lost, RFC 7143 §7.8).
   */
  onDigestError?(ctx: ConnContext, info: DigestErrorInfo): void;
  /** A PDU that does not decode (unknown or target opcode, bad fields). Default: log and close. */
  onBadPdu?(ctx: ConnContext, raw: Buffer, error: unknown): void;
  onClose?(ctx: ConnContext): void;
}

/** How a fake target answers. */
export type Script = ScriptFn | ScriptObject;
