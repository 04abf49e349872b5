/**
 * What a managed session tells the operator: every supervisor transition becomes a
 * `session.state` event (with the machine event that caused it and the error code of the
 * last failure), every failed login attempt a log line with code, cause and action plus a
 * `login.failed` event, and connection errors, recoveries, replacement_timeout expiries,
 * give-ups and target AsyncEvents get their own events. It also keeps the counters that
 * `session.stats` reports as `iSCSI Extended:` entries.
 */
import type { ControlEvent } from '../control/events.js';
import type { IscsiError } from '../shared/errors.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { AsyncMessage } from '../iscsi/pdu/types.js';
import type { LoginFailedData } from '../recovery/machine.js';
import type { SessionSupervisor, SupervisorTransition } from '../recovery/supervisor.js';
import { asyncEventKind, type AsyncEventCounts, type AsyncEventKind } from '../session/async-events.js';
import type { Session } from '../session/session.js';
import { diagnoseLoginFailure, logLoginFailure } from './login-diagnostics.js';
import { wordsOf } from './session-states.js';

/** Recovery counters of one session over its life. */
export interface RecoveryCounters {
  /** Connections that failed while logged in (TCP, NOP-Out timeout, format error, AsyncEvent 2/3). */
  connectionErrors: number;
  /** Reinstatements that brought the session back to LOGGED IN. */
  recoveries: number;
  /** Failed login attempts while reopening. */
  reopenFailures: number;
  /** Times replacement_timeout expired and held I/O was failed. */
  replacementTimeouts: number;
  /** Times recovery gave up (reopen_max or a non-retryable failure). */
  giveUps: number;
}

/** `iSCSI Extended:` names of the AsyncEvent counters (RFC 7143 §11.9.1), in print order. */
export const ASYNC_STAT_NAMES: Readonly<Record<AsyncEventKind, string>> = {
  scsiEvent: 'async_scsi_event',
  logoutRequest: 'async_logout_request',
  dropConnection: 'async_drop_connection',
  dropAllConnections: 'async_drop_all_connections',
  renegotiate: 'async_renegotiate',
  taskTermination: 'async_task_termination',
  vendor: 'async_vendor',
  unassigned: 'async_unassigned',
};

/** `iSCSI Extended:` names of the recovery counters. */
export const RECOVERY_STAT_NAMES: Readonly<Record<keyof RecoveryCounters, string>> = {
  connectionErrors: 'conn_errors',
  recoveries: 'session_recoveries',
  reopenFailures: 'reopen_failures',
  replacementTimeouts: 'replacement_timeouts',
  giveUps: 'recovery_giveups',
};

/** The extended statistics of a session: AsyncEvents received, then recovery counters. */
export function extendedStats(asyncEvents: Readonly<AsyncEventCounts>, counters: Readonly<RecoveryCounters>): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (const [kind, name] of Object.entries(ASYNC_STAT_NAMES) as Array<[AsyncEventKind, string]>) out.push([name, asyncEvents[kind]]);
  for (const [key, name] of Object.entries(RECOVERY_STAT_NAMES) as Array<[keyof RecoveryCounters, string]>) out.push([name, counters[key]]);
  return out;
}

/** What the reporter needs of its session. */
export interface ReportedSession {
  readonly sid: number;
  readonly log: Logger;
  /** replacement_timeout in seconds (for the operator's action text). */
  readonly replacementTimeoutS: number;
  where(): { sid: number; target: string; address: string; port: number; iface: string };
}

export class SessionReporter {
  readonly counters: RecoveryCounters = { connectionErrors: 0, recoveries: 0, reopenFailures: 0, replacementTimeouts: 0, giveUps: 0 };
  /** When the session last came back after a failure. */
  lastRecoveredAt: Date | undefined;
  private downSince: number | undefined;

  constructor(private readonly ms: ReportedSession, private readonly emit: (e: ControlEvent) => void, private readonly clock: Clock) {}

  /** Listen to the session and its supervisor. */
  attach(session: Session, sup: SessionSupervisor): void {
    sup.on('transition', (t: SupervisorTransition) => this.onTransition(t));
    sup.on('login-failed', (d: LoginFailedData) => this.onLoginFailed(d));
    sup.on('recovered', (d: { attempts: number }) => this.onRecovered(d.attempts));
    sup.on('replacement-timeout', (d: { replacementTimeoutMs: number }) => {
      this.counters.replacementTimeouts++;
      this.emit({ type: 'session.replacement-timeout', ...this.ms.where(), replacementTimeoutMs: d.replacementTimeoutMs });
    });
    sup.on('gave-up', (d: { why: string; cause?: IscsiError }) => this.onGaveUp(d.why, d.cause));
    session.on('connection-error', (err: IscsiError) => this.onConnectionError(err));
    session.on('async', (pdu: AsyncMessage) => this.onAsync(pdu));
  }

  private onTransition(t: SupervisorTransition): void {
    if (t.from === 'LOGGED_IN' && t.to === 'REOPEN') this.downSince = t.at;
    this.emit({
      type: 'session.state', ...this.ms.where(), ...wordsOf(t.words),
      from: t.from, to: t.to, step: t.step, io: t.io, trigger: t.event, attempts: t.attempts,
      ...(t.cause === undefined ? {} : { cause: t.cause }),
    });
  }

  private onLoginFailed(d: LoginFailedData): void {
    const diagnosis = diagnoseLoginFailure(d.error);
    if (d.phase === 'REOPEN') this.counters.reopenFailures++;
    logLoginFailure(this.ms.log, diagnosis, d.attempt, d.final);
    this.emit({
      type: 'login.failed', ...this.ms.where(), attempt: d.attempt, final: d.final,
      code: diagnosis.code, errno: diagnosis.errno, cause: diagnosis.cause, action: diagnosis.action,
    });
  }

  private onConnectionError(err: IscsiError): void {
    this.counters.connectionErrors++;
    const rt = this.ms.replacementTimeoutS;
    const action = rt === 0 ? 'reopening the session; I/O fails at once (replacement_timeout 0)'
      : rt < 0 ? 'reopening the session; I/O is held until it is back or logged out (replacement_timeout < 0)'
        : `reopening the session; I/O is held for up to replacement_timeout (${rt} s)`;
    this.ms.log.error({ code: err.code, errno: err.errno, cause: err.message, action }, 'connection failed');
    this.emit({ type: 'connection.error', ...this.ms.where(), code: err.code, errno: err.errno, message: err.message });
  }

  private onRecovered(attempts: number): void {
    this.counters.recoveries++;
    this.lastRecoveredAt = new Date();
    const downMs = this.downSince === undefined ? 0 : Math.max(0, Math.round(this.clock.now() - this.downSince));
    this.downSince = undefined;
    this.emit({ type: 'session.recovered', ...this.ms.where(), attempts, downMs });
  }

  private onGaveUp(why: string, cause: IscsiError | undefined): void {
    this.counters.giveUps++;
    this.emit({
      type: 'session.gave-up', ...this.ms.where(), why,
      code: cause?.code ?? 'UNKNOWN', errno: cause?.errno ?? 0, message: cause?.message ?? why,
      action: `log the session out: tsiscsiadm -m session -r ${this.ms.sid} -u`,
    });
  }

  private onAsync(pdu: AsyncMessage): void {
    this.emit({
      type: 'session.async', ...this.ms.where(), asyncEvent: pdu.asyncEvent, kind: ASYNC_STAT_NAMES[asyncEventKind(pdu.asyncEvent)],
      vcode: pdu.asyncVCode, parameter1: pdu.parameter1, parameter2: pdu.parameter2, parameter3: pdu.parameter3,
    });
  }
}
