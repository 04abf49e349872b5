/**
 * Public types of a Session (session.ts): its options, states, and what its recovery
 * events carry.
 */
import type { IscsiError } from '../shared/errors.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { ChallengeRegistry, ChapConfig } from '../iscsi/security.js';
import type { OperationalOffer } from '../iscsi/text/negotiate.js';
import type { Portal, Transport } from '../transport/types.js';
import type { LogoutResult, UnfinishedCommand } from './connection-types.js';

export type SessionState = 'free' | 'logging-in' | 'logged-in' | 'logging-out' | 'failed' | 'closed';

export interface SessionOptions {
  transport: Transport;
  portal: Portal;
  tpgt?: number;
  initiatorName: string;
  initiatorAlias?: string;
  targetName?: string;
  sessionType: 'Normal' | 'Discovery';
  isid: Buffer;
  cid?: number;
  chap?: ChapConfig;
  offer?: Partial<OperationalOffer>;
  /** open-iscsi node.conn[0].timeo.login_timeout (shipped conf: 15 s). */
  loginTimeoutMs?: number;
  logoutTimeoutMs?: number;
  /** 0 disables NOP-Out keepalives (open-iscsi noop_out_interval). */
  noopOutIntervalMs?: number;
  noopOutTimeoutMs?: number;
  /** A command window closed this long with commands waiting fails the connection (default 30 s; 0 disables). */
  windowStallTimeoutMs?: number;
  maxRedirects?: number;
  /** CmdSN of the leading login (open-iscsi initial_cmdsn). */
  initialCmdSN?: number;
  localAddress?: string;
  clock?: Clock;
  random?: (n: number) => Buffer;
  registry?: ChallengeRegistry;
  logger?: Logger;
}

/** Second argument of `connection-error`: what the failure leaves for recovery. */
export interface ConnectionErrorInfo {
  /** AsyncEvent 2/3 Parameter2: wait at least this long before reconnecting (M-05, M-07, S-06). */
  time2WaitMs?: number;
  /** AsyncEvent 2/3 Parameter3: the target keeps task state this long; 0 = tasks are gone (M-05). */
  time2RetainMs?: number;
  /** The AsyncEvent that announced the drop, if one did. */
  asyncEvent?: number;
  /** SCSI commands handed to the unfinished-command handler (0 without a handler). */
  unfinished: number;
}

/** `target-logout`: the logout an AsyncEvent 1 asked for has ended (M-03). */
export interface TargetLogoutInfo {
  result?: LogoutResult;
  error?: IscsiError;
}

/**
 * Takes over SCSI commands a connection could not complete (failure, target-requested
 * logout, Reject "waiting for logout"). Without one they are rejected as before.
 */
export type UnfinishedHandler = (commands: UnfinishedCommand[], cause: IscsiError) => void;

/** Per-command options of `execute`. */
export interface ExecuteOptions {
  /** Aborting ends the command (ABORT TASK when it is on the wire, O-08). */
  signal?: AbortSignal;
}
