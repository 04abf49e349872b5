/**
 * A fake Linux kernel for NETLINK_ISCSI, checked with bytes.
 *
 * It parses requests on its own (dsl.ts readers, offsets from the reference),
 * validates them as scsi_transport_iscsi.c does (message length, nlmsg_type =
 * uevent type, CAP_SYS_ADMIN, transport handle, session/connection state), keeps
 * the session/connection/host state, and answers like the kernel: the request's
 * uevent echoed back unicast (nlmsg_type = request type, pid 0) with `r` filled
 * in, or type ISCSI_KEVENT_IF_ERROR with a negative errno; GET_STATS, GET_CHAP
 * and GET_HOST_STATS answer with a multicast carrying data instead. Events are
 * multicast (nlmsg_type 0) to every channel in the group, asynchronously and in
 * order. Anything that breaks the ABI is recorded in `violations`.
 */
import type { NetlinkChannel } from '../../../src/transport/kernel/channel.js';
import { nlmsg, rd16, rd32, rd64, u32, u64, uevent } from './dsl.js';
import { HANDLERS, type Handler } from './handlers.js';
import {
  DEFAULT_TRANSPORTS, E, T,
  type FakeEndpoint, type FakeHost, type FakeKernelOptions, type FakeSession, type FakeTransportSpec, type OpenOptions, type ReceivedRequest,
} from './types.js';

/** The kernel side of one request while it is handled. */
export interface Req extends ReceivedRequest {
  ch: FakeChannel;
  transport: FakeTransportSpec;
  /** The uevent to send back (a copy of the request's 56 bytes); handlers write `r` here. */
  ev: Buffer;
  /** Length of what follows the uevent according to nlmsg_len (kernel `rlen`). */
  rlen: number;
}

/** One process's NETLINK_ISCSI socket. */
export class FakeChannel implements NetlinkChannel {
  readonly pid: number;
  readonly groups: ReadonlySet<number>;
  readonly capSysAdmin: boolean;
  private listener: ((datagram: Buffer) => void) | undefined;
  private closed = false;
  /** Datagrams delivered to this socket, in order (for byte-level assertions). */
  readonly delivered: Buffer[] = [];

  constructor(private readonly kernel: FakeKernel, opts: OpenOptions) {
    this.pid = opts.pid ?? 4242;
    this.groups = new Set(opts.groups ?? [1]);
    this.capSysAdmin = opts.capSysAdmin ?? true;
  }

  send(msg: Buffer): void {
    if (this.closed) throw new Error('fake netlink: send on a closed channel');
    this.kernel.receive(this, Buffer.from(msg));
  }

  onMessage(cb: (datagram: Buffer) => void): void {
    this.listener = cb;
  }

  close(): void {
    this.closed = true;
    this.listener = undefined;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** @internal kernel -> socket, asynchronous like a socket read. */
  deliver(datagram: Buffer): void {
    if (this.closed) return;
    this.delivered.push(datagram);
    queueMicrotask(() => this.listener?.(datagram));
  }
}

interface Failure { type: number; errno: number; times: number }

export class FakeKernel {
  readonly transports: readonly FakeTransportSpec[];
  readonly sessions = new Map<number, FakeSession>();
  readonly hosts = new Map<number, FakeHost>();
  readonly endpoints = new Map<bigint, FakeEndpoint>();
  readonly received: ReceivedRequest[] = [];
  readonly violations: string[] = [];
  readonly sentPdus: { sid: number; cid: number; header: Buffer; data: Buffer }[] = [];
  /** Called for every accepted SEND_PDU (answer with `recvPdu` to play the target). */
  onSendPdu: ((pdu: { sid: number; cid: number; header: Buffer; data: Buffer }) => void) | undefined;
  /** EP_POLL answers, consumed in order; 1 (connected) when empty. */
  readonly pollResults: number[] = [];
  /**
   * Play libiscsi's __iscsi_conn_send_pdu: the PDU handed to `onSendPdu` (the wire)
   * carries the kernel's own task ITT (build_itt: task index | session age << 28)
   * instead of userspace's; `sentPdus` keeps what userspace sent. Off by default.
   */
  rewriteSendPduItt = false;
  /** Next kernel task index used by `rewriteSendPduItt`. */
  nextTaskItt = 0x11;
  /** CONN_LOGIN_STATE state sent after START_CONN on a loginOffload transport (3 = LOGGED_IN). */
  offloadLoginState = 3;
  private readonly channels: FakeChannel[] = [];
  private readonly failures: Failure[] = [];
  private nextSid: number;
  private nextHostNo: number;
  private nextEp = 1n;

  constructor(opts: FakeKernelOptions = {}) {
    this.transports = opts.transports ?? DEFAULT_TRANSPORTS;
    this.nextSid = opts.firstSid ?? 1;
    this.nextHostNo = opts.firstHostNo ?? 2;
    for (const h of opts.hosts ?? []) this.addHost(h.hostNo, h.transport);
  }

  /** Opens a netlink socket (NetlinkChannel) to this kernel. */
  open(opts: OpenOptions = {}): FakeChannel {
    const ch = new FakeChannel(this, opts);
    this.channels.push(ch);
    return ch;
  }

  transport(name: string): FakeTransportSpec {
    const t = this.transports.find((x) => x.name === name);
    if (t === undefined) throw new Error(`fake kernel: no transport ${name}`);
    return t;
  }

  /** Answer the next `times` requests of `type` with IF_ERROR -errno. */
  failNext(type: number, errno: number, times = 1): void {
    this.failures.push({ type, errno, times });
  }

  addHost(hostNo: number, transport: string): FakeHost {
    const h: FakeHost = { hostNo, transport, params: new Map(), chap: new Map(), flashnodes: new Map(), ifaceParams: [], paths: [] };
    this.hosts.set(hostNo, h);
    this.nextHostNo = Math.max(this.nextHostNo, hostNo + 1);
    return h;
  }

  allocSid(): number {
    return this.nextSid++;
  }

  allocHostNo(): number {
    return this.nextHostNo++;
  }

  allocEp(): bigint {
    return this.nextEp++;
  }

  /** Entry point of every datagram a channel sends. */
  receive(ch: FakeChannel, datagram: Buffer): void {
    let at = 0;
    while (datagram.length - at >= 16) {
      const len = rd32(datagram, at);
      if (len < 16 + 56 || len > datagram.length - at) {
        // The kernel drops such a message silently (iscsi_if_rx breaks out).
        this.violations.push(`message @${at}: nlmsg_len ${len} with ${datagram.length - at} bytes (needs >= 72 and <= received)`);
        return;
      }
      this.handle(ch, datagram.subarray(at, at + len));
      at += (len + 3) & ~3;
    }
    if (at < datagram.length) this.violations.push(`${datagram.length - at} trailing bytes after the last message`);
  }

  private handle(ch: FakeChannel, msg: Buffer): void {
    const r: ReceivedRequest = {
      nlType: rd16(msg, 4), nlLen: rd32(msg, 0), seq: rd32(msg, 8), pid: rd32(msg, 12),
      type: rd32(msg, 16), handle: rd64(msg, 24), u: Buffer.from(msg.subarray(32, 56)), payload: Buffer.from(msg.subarray(72)),
    };
    this.received.push(r);
    if (r.nlType !== r.type) this.violations.push(`nlmsg_type ${r.nlType} differs from uevent type ${r.type} (the kernel dispatches on nlmsg_type)`);
    if (rd16(msg, 6) !== 0) this.violations.push(`nlmsg_flags ${rd16(msg, 6)} (iscsid sends 0)`);
    if (r.pid !== ch.pid) this.violations.push(`nlmsg_pid ${r.pid} is not the sender's port id ${ch.pid}`);
    if (rd32(msg, 20) !== 0) this.violations.push(`request ${r.type} has iferror ${rd32(msg, 20)} set`);
    const ev = Buffer.from(msg.subarray(16, 72));
    const transport = this.transports.find((t) => t.handle === r.handle);
    const q = transport === undefined ? undefined : { ...r, ch, transport, ev, rlen: r.nlLen - 72 };
    const err = this.dispatch(ch, r, q);
    if (err === 'multicast') return;
    if (err !== 0) {
      ev.writeUInt32LE(T.K_IF_ERROR, 0);
      ev.writeInt32LE(err, 4);
    }
    ch.deliver(nlmsg({ type: r.nlType, pid: 0 }, ev));
    if (err === 0) this.flushAfter();
  }

  private dispatch(ch: FakeChannel, r: ReceivedRequest, q: Req | undefined): number | 'multicast' {
    if (!ch.capSysAdmin) return -E.EPERM;
    if (q === undefined) return -E.EINVAL;
    const f = this.failures.find((x) => x.type === r.nlType && x.times > 0);
    if (f !== undefined) {
      f.times--;
      return -Math.abs(f.errno);
    }
    const handler: Handler | undefined = HANDLERS[r.nlType];
    return handler === undefined ? -E.ENOSYS : handler(this, q);
  }

  private pendingAfter: (() => void)[] = [];

  /** Runs `fn` after the current request's reply has been queued (events that follow a reply). */
  after(fn: () => void): void {
    this.pendingAfter.push(fn);
  }

  private flushAfter(): void {
    const fns = this.pendingAfter;
    this.pendingAfter = [];
    for (const fn of fns) fn();
  }

  /** Multicast a uevent (+ data) to `group` with nlmsg_type 0, as the kernel's events are. */
  multicast(ev: Buffer, data: Buffer = Buffer.alloc(0), group = 1): void {
    const dgram = nlmsg({ type: 0, pid: 0 }, Buffer.concat([ev, data]), true);
    for (const ch of this.channels) if (ch.groups.has(group) && !ch.isClosed) ch.deliver(dgram);
  }

  /** Any bytes to every channel of `group` (unknown types, garbage). */
  emitRaw(datagram: Buffer, group = 1): void {
    for (const ch of this.channels) if (ch.groups.has(group) && !ch.isClosed) ch.deliver(Buffer.from(datagram));
  }

  private handleOf(transport: string): bigint {
    return this.transport(transport).handle;
  }

  /** ISCSI_KEVENT_CONN_ERROR for sid:cid with a kernel iscsi_err code (1001..1022); marks the conn failed. */
  connError(sid: number, cid: number, code: number): void {
    const s = this.mustSession(sid);
    const c = s.conns.get(cid);
    if (c !== undefined && (c.state === 'bound' || c.state === 'up')) {
      c.cleanup = true;
      c.state = 'failed';
      s.state = 'FAILED';
    }
    this.multicast(uevent(u32(0, T.K_CONN_ERROR), u64(8, this.handleOf(s.transport)), u32(40, sid), u32(44, cid), u32(48, code)));
  }

  /** ISCSI_KEVENT_UNBIND_SESSION (r.unbind_session {sid, host_no}). */
  unbindSession(sid: number): void {
    const s = this.mustSession(sid);
    this.multicast(uevent(u32(0, T.K_UNBIND_SESSION), u64(8, this.handleOf(s.transport)), u32(40, sid), u32(44, s.hostNo)));
  }

  /** ISCSI_KEVENT_CREATE_SESSION (r.c_session_ret {sid, host_no}). */
  createSessionEvent(sid: number, hostNo: number, transport = 'tcp'): void {
    this.multicast(uevent(u32(0, T.K_CREATE_SESSION), u64(8, this.handleOf(transport)), u32(40, sid), u32(44, hostNo)));
  }

  /** ISCSI_KEVENT_DESTROY_SESSION (r.d_session {host_no, sid}: host first). */
  destroySessionEvent(sid: number, hostNo: number, transport = 'tcp'): void {
    this.multicast(uevent(u32(0, T.K_DESTROY_SESSION), u64(8, this.handleOf(transport)), u32(40, hostNo), u32(44, sid)));
  }

  /** ISCSI_KEVENT_IF_DOWN, multicast to group 2 (iscsi_offload_mesg sends to ISCSI_NL_GRP_UIP). */
  ifDown(hostNo: number, transport = 'bnx2i'): void {
    this.multicast(uevent(u32(0, T.K_IF_DOWN), u64(8, this.handleOf(transport)), u32(40, hostNo)), Buffer.alloc(0), 2);
  }

  /** ISCSI_KEVENT_PATH_REQ with a 64-byte iscsi_path, group 2. */
  pathReq(hostNo: number, path: Buffer, transport = 'bnx2i'): void {
    this.multicast(uevent(u32(0, T.K_PATH_REQ), u64(8, this.handleOf(transport)), u32(40, hostNo)), path, 2);
  }

  /** ISCSI_KEVENT_HOST_EVENT {host_no, data_size, code} + data. */
  hostEvent(hostNo: number, code: number, data: Buffer = Buffer.alloc(0), transport = 'qla4xxx'): void {
    this.multicast(uevent(u32(0, T.K_HOST_EVENT), u64(8, this.handleOf(transport)), u32(40, hostNo), u32(44, data.length), u32(48, code)), data);
  }

  /** ISCSI_KEVENT_PING_COMP {host_no, status, pid, data_size} + data. */
  pingComp(hostNo: number, status: number, pingId: number, data: Buffer = Buffer.alloc(0), transport = 'qla4xxx'): void {
    this.multicast(uevent(u32(0, T.K_PING_COMP), u64(8, this.handleOf(transport)), u32(40, hostNo), u32(44, status), u32(48, pingId), u32(52, data.length)), data);
  }

  /** ISCSI_KEVENT_CONN_LOGIN_STATE {sid, cid, state}. */
  connLoginState(sid: number, cid: number, state: number): void {
    const s = this.mustSession(sid);
    this.multicast(uevent(u32(0, T.K_CONN_LOGIN_STATE), u64(8, this.handleOf(s.transport)), u32(40, sid), u32(44, cid), u32(48, state)));
  }

  /** ISCSI_KEVENT_RECV_PDU: the 48-byte BHS then the data (the target's answer during login). */
  recvPdu(sid: number, cid: number, bhs: Buffer, data: Buffer = Buffer.alloc(0)): void {
    const s = this.mustSession(sid);
    this.multicast(uevent(u32(0, T.K_RECV_PDU), u64(8, this.handleOf(s.transport)), u32(40, sid), u32(44, cid)), Buffer.concat([bhs, data]));
  }

  /** Raw iscsi_stats bytes GET_STATS will return for sid:cid. */
  setStats(sid: number, cid: number, stats: Buffer): void {
    const c = this.mustSession(sid).conns.get(cid);
    if (c === undefined) throw new Error(`fake kernel: no connection ${sid}:${cid}`);
    c.stats = stats;
  }

  mustSession(sid: number): FakeSession {
    const s = this.sessions.get(sid);
    if (s === undefined) throw new Error(`fake kernel: no session ${sid}`);
    return s;
  }
}

