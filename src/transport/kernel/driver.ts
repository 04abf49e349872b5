/**
 * KernelTcpDriver: the daemon's side of NETLINK_ISCSI for one transport
 * (iscsi_tcp by default): typed requests, replies matched to them, events to
 * listeners.
 *
 * Correlation. The kernel answers a request on the same socket, in order, with the
 * request's uevent echoed back (nlmsg_type = request type, nlmsg_seq 0, pid 0) or an
 * ISCSI_KEVENT_IF_ERROR carrying the negative errno; GET_STATS answers with a
 * multicast (nlmsg_type 0, uevent type GET_STATS). The kernel does not echo our
 * nlmsg_seq, so — like iscsid — the driver keeps ONE request in flight and matches
 * the next reply of that request type (for GET_STATS also its sid:cid). Requests
 * still carry increasing sequence numbers (seen in `nlmon` captures and the fake
 * kernel's `received`). Events (KEVENT_CREATE_SESSION arrives BEFORE the unicast
 * CREATE_SESSION reply, CONN_ERROR any time) are dispatched to listeners and never
 * disturb a pending request. A request without an answer within `timeoutMs` is
 * rejected with KERNEL_REQUEST_TIMEOUT; a late reply is counted as unmatched.
 */
import { TransportError } from '../../shared/errors.js';
import { systemClock, type Clock, type TimerHandle } from '../../shared/clock.js';
import { nullLogger, type Logger } from '../../shared/logger.js';
import type { SessionStats } from '../../iscsi/stats.js';
import { messageTypeName, type StopConnFlag } from './abi.js';
import type { NetlinkChannel } from './channel.js';
import { ifErrorToError, retcodeToError } from './errors.js';
import { toDriverEvent, type DriverCounters, type DriverEvent } from './driver-events.js';
import type { KernelMessage, KernelReply } from './messages.js';
import { KernelMessageReader } from './reader.js';
import { encodeRequest, REQUEST_TYPE, type UeventRequest } from './requests.js';
import type { CustomStat } from './stats.js';

export { KernelConnError, type DriverEvent, type DriverCounters } from './driver-events.js';

/** Default time the kernel gets to answer one request (iscsid waits without limit; we do not). */
export const DEFAULT_KERNEL_TIMEOUT_MS = 10_000;

export interface KernelDriverOptions {
  channel: NetlinkChannel;
  /** Our netlink port id (NativeNetlinkChannel.portId; the fake's `pid`). */
  pid: number;
  /** /sys/class/iscsi_transport/<name>/handle. */
  transportHandle: bigint;
  /** Transport name for error messages (default 'tcp'). */
  transportName?: string;
  timeoutMs?: number;
  clock?: Clock;
  logger?: Logger;
}

interface Pending {
  req: UeventRequest;
  type: number;
  resolve: (reply: KernelReply) => void;
  reject: (err: Error) => void;
  timer?: TimerHandle;
}

/** GET_STATS result: the kernel's counters for one connection. */
export interface KernelConnStats {
  stats: SessionStats;
  custom: CustomStat[];
}

export class KernelTcpDriver {
  readonly counters: DriverCounters = { requests: 0, replies: 0, events: 0, unknown: 0, malformed: 0, unmatched: 0 };
  readonly transportName: string;
  private readonly reader = new KernelMessageReader();
  private readonly listeners = new Set<(ev: DriverEvent) => void>();
  private readonly queue: Pending[] = [];
  private inFlight: Pending | undefined;
  private seq = 0;
  private closed = false;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly timeoutMs: number;

  constructor(private readonly opts: KernelDriverOptions) {
    this.transportName = opts.transportName ?? 'tcp';
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger ?? nullLogger;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_KERNEL_TIMEOUT_MS;
    opts.channel.onMessage((d) => this.onDatagram(d));
  }

  /** Subscribes to kernel events; returns the unsubscribe function. */
  onEvent(fn: (ev: DriverEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** CREATE_SESSION: a new iscsi_cls_session and its SCSI host. */
  async createSession(initialCmdSn: number, cmdsMax: number, queueDepth: number): Promise<{ sid: number; hostNo: number }> {
    const r = await this.request({ kind: 'createSession', initialCmdSn, cmdsMax, queueDepth });
    return r.request === 'createSession' ? { sid: r.sid, hostNo: r.hostNo } : this.shape(r);
  }

  /** CREATE_CONN: connection `cid` of session `sid`. */
  async createConn(sid: number, cid: number): Promise<{ sid: number; cid: number }> {
    const r = await this.request({ kind: 'createConn', sid, cid });
    return r.request === 'createConn' ? { sid: r.sid, cid: r.cid } : this.shape(r);
  }

  /** BIND_CONN: hands the connected TCP socket `fd` (iscsi_tcp: transport_eph = fd) to the kernel. */
  async bindConn(sid: number, cid: number, fd: number, isLeading: boolean): Promise<void> {
    await this.request({ kind: 'bindConn', sid, cid, transportEph: BigInt(fd), isLeading });
  }

  /** SET_PARAM: one ISCSI_PARAM_* value as the text iscsid sends. */
  async setParam(sid: number, cid: number, param: number, value: string): Promise<void> {
    await this.request({ kind: 'setParam', sid, cid, param, value });
  }

  async startConn(sid: number, cid: number): Promise<void> {
    await this.request({ kind: 'startConn', sid, cid });
  }

  async stopConn(sid: number, cid: number, flag: StopConnFlag): Promise<void> {
    await this.request({ kind: 'stopConn', sid, cid, flag });
  }

  /** SEND_PDU: a PDU the kernel transmits on a bound connection (the Logout Request). */
  async sendPdu(sid: number, cid: number, header: Buffer, data: Buffer = Buffer.alloc(0)): Promise<void> {
    await this.request({ kind: 'sendPdu', sid, cid, header, data });
  }

  async destroyConn(sid: number, cid: number): Promise<void> {
    await this.request({ kind: 'destroyConn', sid, cid });
  }

  async destroySession(sid: number): Promise<void> {
    await this.request({ kind: 'destroySession', sid });
  }

  /** GET_STATS: the kernel's iscsi_stats for sid:cid (answered by multicast). */
  async getStats(sid: number, cid: number): Promise<KernelConnStats> {
    const r = await this.request({ kind: 'getStats', sid, cid });
    return r.request === 'getStats' ? { stats: r.stats, custom: r.custom } : this.shape(r);
  }

  /** Sends any request and resolves with its reply; rejects with KernelRequestError or a TransportError. */
  request(req: UeventRequest): Promise<KernelReply> {
    if (this.closed) return Promise.reject(new TransportError('KERNEL_DRIVER_CLOSED', `cannot send ${req.kind}: the NETLINK_ISCSI channel is closed`, { retryable: false }));
    return new Promise<KernelReply>((resolve, reject) => {
      this.queue.push({ req, type: REQUEST_TYPE[req.kind], resolve, reject });
      this.pump();
    });
  }

  /** Rejects everything pending and releases the channel. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const err = new TransportError('KERNEL_DRIVER_CLOSED', 'the NETLINK_ISCSI channel was closed with requests pending', { retryable: false });
    for (const p of [...(this.inFlight ? [this.inFlight] : []), ...this.queue.splice(0)]) this.settle(p, err);
    this.inFlight = undefined;
    this.listeners.clear();
    this.opts.channel.close?.();
  }

  private shape(r: KernelReply): never {
    throw new TransportError('KERNEL_REPLY_MISMATCH', `expected another reply shape, got ${r.request}`, { retryable: false });
  }

  private pump(): void {
    if (this.inFlight !== undefined || this.closed) return;
    const p = this.queue.shift();
    if (p === undefined) return;
    this.inFlight = p;
    this.seq = (this.seq + 1) >>> 0 || 1;
    let msg: Buffer;
    try {
      msg = encodeRequest(p.req, { transportHandle: this.opts.transportHandle, pid: this.opts.pid, seq: this.seq });
      this.counters.requests++;
      p.timer = this.clock.setTimeout(() => this.timeout(p), this.timeoutMs);
      this.opts.channel.send(msg);
    } catch (err) {
      this.finish(p, err instanceof Error ? err : new Error(String(err)));
    }
  }

  private timeout(p: Pending): void {
    if (this.inFlight !== p) return;
    const name = messageTypeName(p.type);
    this.finish(p, new TransportError('KERNEL_REQUEST_TIMEOUT', `the kernel did not answer ${name} within ${this.timeoutMs} ms (transport ${this.transportName})`, {
      details: { request: name },
    }));
  }

  /** Settles the in-flight request and sends the next one. */
  private finish(p: Pending, outcome: KernelReply | Error): void {
    if (this.inFlight === p) this.inFlight = undefined;
    this.settle(p, outcome);
    this.pump();
  }

  private settle(p: Pending, outcome: KernelReply | Error): void {
    p.timer?.cancel();
    if (outcome instanceof Error) p.reject(outcome);
    else p.resolve(outcome);
  }

  private onDatagram(datagram: Buffer): void {
    const { messages, errors } = this.reader.read(datagram);
    this.counters.malformed += errors.length;
    for (const err of errors) this.logger.warn({ err: err.code }, 'malformed NETLINK_ISCSI message ignored');
    for (const m of messages) this.onMessage(m);
  }

  private onMessage(m: KernelMessage): void {
    switch (m.kind) {
      case 'event': return this.dispatch(toDriverEvent(m));
      case 'unknown':
        this.counters.unknown++;
        return;
      case 'ifError': return this.onIfError(m.requestType, m.errno);
      case 'reply': return this.onReply(m);
    }
  }

  private onIfError(requestType: number, errno: number): void {
    const p = this.inFlight;
    if (p === undefined || p.type !== requestType) {
      this.counters.unmatched++;
      return;
    }
    this.counters.replies++;
    this.finish(p, ifErrorToError(requestType, errno, { transport: this.transportName }));
  }

  private onReply(r: KernelReply): void {
    const p = this.inFlight;
    if (p === undefined || p.req.kind !== r.request || !sameConn(p.req, r)) {
      this.counters.unmatched++;
      return;
    }
    this.counters.replies++;
    const err = 'retcode' in r ? retcodeToError(p.type, r.retcode, { transport: this.transportName }) : undefined;
    this.finish(p, err ?? r);
  }

  private dispatch(ev: DriverEvent): void {
    this.counters.events++;
    if (ev.type === 'ifDown' || ev.type === 'hostEvent') this.logger.info({ event: ev.type, hostNo: ev.hostNo }, `kernel event ${ev.type} on host${ev.hostNo}`);
    if (ev.type === 'connError') this.logger.warn({ sid: ev.sid, cid: ev.cid, kernelCode: ev.error.kernelCode }, ev.error.message);
    for (const fn of [...this.listeners]) {
      try {
        fn(ev);
      } catch (err) {
        this.logger.error({ err }, 'kernel event listener threw');
      }
    }
  }
}

/** GET_STATS replies are multicast: only ours when sid:cid match. */
function sameConn(req: UeventRequest, r: KernelReply): boolean {
  return r.request !== 'getStats' || req.kind !== 'getStats' || (r.sid === req.sid && r.cid === req.cid);
}
