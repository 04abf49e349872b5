/**
 * Full feature phase state of one connection of the standard script, and the
 * options of its full feature behaviour (NOP, SendTargets, SCSI, Logout).
 */
import type { InitiatorPdu, ScsiCommand, TargetPdu } from '../../../src/iscsi/pdu/types.js';
import type { LoginOptions, TargetSpec } from './login-state.js';
import type { Negotiated } from './negotiation.js';
import type { ScsiDisk, ScsiOutcome } from './scsi-disk.js';
import type { ConnContext, Received } from './types.js';

/** Target pings: NOP-In with a valid TTT and ITT 0xffffffff (§11.19, K-01). */
export interface PingOptions {
  intervalMs: number;
  /** TTT of ping n (from 0); default 0x70000000 + n. Any value, for odd-tag tests. */
  ttt?: (n: number) => number;
  lun?: Buffer;
  data?: Buffer;
  /** Stop after this many pings. */
  count?: number;
  /** Close (FIN) once this many pings are unanswered (tgtd's nop_count). */
  dropAfterUnanswered?: number;
}

/** One SendTargets record (App. C). */
export interface SendTargetsRecord {
  name: string;
  /** TargetAddress values; default `<this portal>,<tpgt>`. An empty list sends none (I-06). */
  addresses?: string[];
}

/** SendTargets behaviour. */
export interface SendTargetsOptions {
  /** Records to answer with (default: every configured target at this portal). */
  records?: SendTargetsRecord[] | ((ctx: ConnContext) => SendTargetsRecord[]);
  /** Send exactly these pairs instead (malformed addresses, foreign keys, I-21, I-22). */
  raw?: Array<[string, string]>;
  /** Largest data segment per Text Response (default: the initiator's MaxRecvDataSegmentLength). */
  segmentSize?: number;
  /** Continue with F=0 + TTT (default) or with C=1 (+ TTT, which F=0 requires). */
  continuation?: 'f-bit' | 'c-bit';
}

/** SCSI behaviour. */
export interface ScsiOptions {
  /** Status in the last Data-In with S=1 (default true) or in a separate SCSI Response. */
  statusInDataIn?: boolean;
  /** Largest Data-In data segment (default: the initiator's MaxRecvDataSegmentLength; larger values test F-05). */
  dataInSegment?: number;
  /** Replace a command's outcome (CHECK CONDITION, BUSY...); undefined keeps the disk's. */
  onCommand?: (ctx: ConnContext, cmd: ScsiCommand, disk: ScsiDisk) => ScsiOutcome | undefined;
}

/** Logout Response fields (§11.15). */
export interface LogoutOptions {
  response?: number;
  time2Wait?: number;
  time2Retain?: number;
  /** Close (FIN) after the response (default true). */
  close?: boolean;
}

/** Everything {@link standardTarget} accepts. */
export interface StandardTargetOptions extends LoginOptions {
  /** Targets served (default one: `iqn.2024-01.test.fake:disk1` with LUN 0 of 8 MiB). */
  targets?: TargetSpec[];
  /** Delay before each response (the first PDU of a multi-PDU answer). */
  delayMs?: number | ((pdu: TargetPdu) => number);
  /** Never answer (all PDUs, or those matching). */
  blackHole?: boolean | ((pdu: InitiatorPdu) => boolean);
  /** Drop the connection after handling this many PDUs on it (FIN by default). */
  dropAfter?: { count: number; mode?: 'fin' | 'rst' };
  /** Command window: MaxCmdSN = ExpCmdSN + window - 1 (0 closed, 1 one command; default 32). */
  window?: number;
  /** Arbitrary MaxCmdSN from ExpCmdSN (J-04). */
  maxCmdSN?: (expCmdSN: number) => number;
  /** Reject a PDU with this reason code (§11.17.1) instead of handling it. */
  reject?: (ctx: ConnContext, pdu: InitiatorPdu, rec: Received) => number | undefined;
  /** Called first for every PDU; return true when it was handled. */
  onPdu?: (ctx: ConnContext, pdu: InitiatorPdu, rec: Received) => boolean | void;
  /** Called once the final Login Response is queued (inject Async Messages, pings...). */
  onFullFeature?: (ctx: ConnContext) => void;
  ping?: PingOptions;
  logout?: LogoutOptions;
  sendTargets?: SendTargetsOptions;
  scsi?: ScsiOptions;
  /** Task Management Function Response code (default 0, function complete). */
  taskMgmtResponse?: number;
}

/** A write command waiting for its data (§11.8, §13.10-13.14). */
export interface WriteTask {
  cmd: ScsiCommand;
  buf: Buffer;
  /** Bytes received so far. */
  received: number;
  unsolicitedDone: boolean;
  unsolicitedDataSN: number;
  /** Next offset to solicit with an R2T. */
  nextOffset: number;
  r2tSN: number;
  outstanding: Map<number, { offset: number; length: number; got: number; dataSN: number }>;
}

/** Full feature state of one connection (`ctx.state.ffp`). */
export interface FfpState {
  negotiated: Negotiated;
  sessionType: 'Normal' | 'Discovery';
  target?: TargetSpec;
  disk?: ScsiDisk;
  tasks: Map<number, WriteTask>;
  nextTtt: number;
  /** A Text Response being sent in pieces (continuation). */
  textOut?: { itt: number; ttt: number; pieces: Buffer[] };
  /** Data of C=1 Text Requests. */
  textIn: Buffer[];
  pings: { sent: number[]; replied: number[] };
  loggedOut: boolean;
}

/** FFP state of a connection, or undefined while it is still in login. */
export function ffpState(ctx: ConnContext): FfpState | undefined {
  return ctx.state.ffp as FfpState | undefined;
}
