/**
 * Asynchronous Message events (RFC 7143 §11.9.1) as data: which kind each AsyncEvent
 * code is, per-kind counters, and the SCSI event payload (§11.9.4: the data segment is
 * SenseLength(2) + sense data + optional iSCSI event data, which may be ignored).
 *
 *   AsyncEvent  meaning                                  Parameter1 / 2 / 3
 *   0           SCSI asynchronous event (sense data)     -
 *   1           target requests a logout                 - / - / seconds to log out in
 *   2           target will drop this connection         CID / Time2Wait / Time2Retain
 *   3           target will drop all connections         - / Time2Wait / Time2Retain
 *   4           target requests parameter negotiation    - / - / seconds to start it in
 *   5           all active tasks of a LU terminated      only with TaskReporting=FastAbort
 *   6-247       reserved (unassigned)
 *   248-255     vendor specific (AsyncVCode)
 */
import { TransportError, type IscsiError } from '../shared/errors.js';
import type { AsyncMessage } from '../iscsi/pdu/types.js';
import { parseSense, type SenseData } from '../iscsi/scsi/sense.js';

/** Counter name of each AsyncEvent kind. */
export type AsyncEventKind =
  | 'scsiEvent' | 'logoutRequest' | 'dropConnection' | 'dropAllConnections'
  | 'renegotiate' | 'taskTermination' | 'vendor' | 'unassigned';

/** Asynchronous Messages received per kind over the session's life (all connections). */
export type AsyncEventCounts = Record<AsyncEventKind, number>;

const BY_CODE: readonly AsyncEventKind[] = ['scsiEvent', 'logoutRequest', 'dropConnection', 'dropAllConnections', 'renegotiate', 'taskTermination'];
/** First vendor-specific AsyncEvent code (§11.9.1). */
const FIRST_VENDOR = 248;

/** The kind of an AsyncEvent code (M-10: 248-255 vendor; M-11: 6-247 unassigned). */
export function asyncEventKind(code: number): AsyncEventKind {
  return BY_CODE[code] ?? (code >= FIRST_VENDOR ? 'vendor' : 'unassigned');
}

/** All counters zero. */
export function emptyAsyncEventCounts(): AsyncEventCounts {
  return { scsiEvent: 0, logoutRequest: 0, dropConnection: 0, dropAllConnections: 0, renegotiate: 0, taskTermination: 0, vendor: 0, unassigned: 0 };
}

/** A SCSI asynchronous event (AsyncEvent 0) as handed to the SCSI layer (M-02). */
export interface ScsiAsyncEvent {
  /** The LUN field (valid for AsyncEvent 0, §11.9.3). */
  lun: Buffer;
  /** Raw sense bytes (SenseLength of them). */
  senseBytes: Buffer;
  /** Parsed sense; undefined when absent or malformed. */
  sense?: SenseData;
  /** UNIT ATTENTION, ASC/ASCQ 3Fh/0Eh "REPORTED LUNS DATA HAS CHANGED": rescan. */
  lunsChanged: boolean;
}

const UNIT_ATTENTION = 0x06;
const LUNS_CHANGED = { asc: 0x3f, ascq: 0x0e } as const;

/**
 * Split the data segment of an AsyncEvent 0 (§11.9.4). Tolerant: a SenseLength that
 * runs past the segment is cut to what is there, and sense that does not parse is
 * reported raw; the event data after the sense is ignored (M-01).
 */
export function scsiAsyncEvent(pdu: AsyncMessage): ScsiAsyncEvent {
  const data = pdu.data;
  const length = data.length >= 2 ? data.readUInt16BE(0) : 0;
  const senseBytes = Buffer.from(data.subarray(2, Math.min(data.length, 2 + length)));
  let sense: SenseData | undefined;
  try {
    sense = senseBytes.length > 0 ? parseSense(senseBytes) : undefined;
  } catch {
    sense = undefined;
  }
  const lunsChanged = sense !== undefined && sense.key === UNIT_ATTENTION && sense.asc === LUNS_CHANGED.asc && sense.ascq === LUNS_CHANGED.ascq;
  return { lun: Buffer.from(pdu.lun), senseBytes, ...(sense ? { sense } : {}), lunsChanged };
}

/** AsyncEvent 2/3 as a connection failure carrying Parameter2/3 (seconds on the wire). */
export function dropError(pdu: AsyncMessage): TransportError {
  return new TransportError('TARGET_DROPPED_CONNECTION', `target announced it drops the connection (AsyncEvent ${pdu.asyncEvent})`, {
    details: { asyncEvent: pdu.asyncEvent, time2Wait: pdu.parameter2, time2Retain: pdu.parameter3 },
  });
}

/** Parameter2/3 of an AsyncEvent 2/3 drop, in milliseconds. */
export function dropTimes(err: IscsiError): { time2WaitMs?: number; time2RetainMs?: number; asyncEvent?: number } {
  if (err.code !== 'TARGET_DROPPED_CONNECTION') return {};
  const d = err.details as { asyncEvent?: number; time2Wait?: number; time2Retain?: number };
  return {
    ...(d.time2Wait === undefined ? {} : { time2WaitMs: d.time2Wait * 1000 }),
    ...(d.time2Retain === undefined ? {} : { time2RetainMs: d.time2Retain * 1000 }),
    ...(d.asyncEvent === undefined ? {} : { asyncEvent: d.asyncEvent }),
  };
}
