/**
 * PDUs over a byte stream: framing (with digests and the receive limit), field
 * decoding, encoding, per-connection statistics. One per iSCSI connection.
 *
 * Digests and the receive limit apply from the next PDU boundary, so the session
 * switches them on exactly at the first Full Feature Phase PDU (P-03, E-19).
 *
 * Receiving: a socket made with `userBuffer` (usertcp, `net.connect({ onread })`) reads
 * straight into the framer's buffers ({@link PduStream.readBuffer}, {@link PduStream.received});
 * any other Duplex delivers 'data' chunks. Either way the framer hands out borrowed views
 * (receive-framer.ts): every PDU is copied once before dispatch, except a Data-In in Full
 * Feature Phase, which is dispatched as views valid only during `onPdu`. Its data is then
 * either already in the command's buffer (read there directly, {@link PduStream.setPlacer})
 * or copied there by the SCSI task.
 *
 * Sending: a PDU sent when nothing else was sent in this turn of the event loop is written
 * at once (QD 1: no hop before the command leaves). A second send before the turn's
 * microtasks have run corks the socket, and a setImmediate uncorks it: the rest of a burst
 * of commands goes out in one writev, in the order sent, so CmdSN order is kept.
 * Pre-encoded PDUs ({@link PduStream.sendRaw}) take the same path.
 */
import type { Duplex } from 'node:stream';
import { IscsiError, ProtocolError, TransportError } from '../shared/errors.js';
import { serializePdu } from '../iscsi/framer.js';
import { ReceiveFramer, type Placer } from '../iscsi/receive-framer.js';
import { decodeTargetPdu, encodePdu } from '../iscsi/pdu/index.js';
import { BHS_LENGTH, Opcode, type InitiatorPdu, type PduKind, type RawPdu, type TargetPdu } from '../iscsi/pdu/types.js';
import { countPdu, emptyStats, type SessionStats } from '../iscsi/stats.js';
import { sharedScratch } from './receive-scratch.js';

/** During login the default MaxRecvDataSegmentLength of 8192 applies (§6.3, C-09). */
const LOGIN_MAX_RECV = 8192;

export interface PduStreamHandlers {
  /** A Data-In in Full Feature Phase is borrowed: its `data` and `lun` are valid only during the call. */
  onPdu(pdu: TargetPdu): void;
  /** A framing/decoding error or a socket error; the stream is destroyed afterwards. */
  onError(err: IscsiError): void;
  /** The peer closed (FIN/RST) or we destroyed the stream. Called once. */
  onClose(): void;
}

type Held = { type: 'pdu'; pdu: TargetPdu } | { type: 'error'; err: IscsiError } | { type: 'close' };

export class PduStream {
  readonly stats: SessionStats = emptyStats();
  private readonly framer = new ReceiveFramer({ headerDigest: false, dataDigest: false, maxDataSegmentLength: LOGIN_MAX_RECV }, sharedScratch);
  private digests = { headerDigest: false, dataDigest: false };
  private handlers: PduStreamHandlers | undefined;
  /** Events that arrived while no handler was installed (between login and FFP set-up). */
  private held: Held[] = [];
  private closed = false;
  private failed = false;
  /** Full Feature Phase: Data-In PDUs are dispatched as borrowed views. */
  private lendDataIn = false;
  /** Something was written in this turn (reset by a microtask): the next send coalesces. */
  private burst = false;
  private corked = false;
  private readonly endBurst = (): void => {
    this.burst = false;
  };
  private readonly uncork = (): void => {
    this.corked = false;
    this.socket.uncork();
  };
  private readonly onRaw = (raw: RawPdu): void => {
    const lend = this.lendDataIn && this.handlers !== undefined && (raw.bhs[0]! & 0x3f) === Opcode.DataIn;
    const pdu = decodeTargetPdu(lend ? raw : ownedCopy(raw));
    countPdu(this.stats, 'rx', pdu.kind, pdu.data.length);
    if (this.handlers) this.handlers.onPdu(pdu);
    else this.held.push({ type: 'pdu', pdu });
  };

  /**
   * `userBuffer`: the socket was made with `onread` calling {@link received} and reading
   * into {@link readBuffer}; it emits no 'data'.
   */
  constructor(readonly socket: Duplex, opts: { userBuffer?: boolean } = {}) {
    if (opts.userBuffer !== true) socket.on('data', (chunk: Buffer) => this.received(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) =>
      this.fail(new TransportError('CONNECTION_ERROR', `connection error: ${err.code ?? err.message}`, { cause: err, details: { syscallCode: err.code } })),
    );
    socket.on('close', () => this.onSocketClose());
    // The peer's FIN: answer with ours, unless we already sent it (logout, L-03). A second
    // end() builds an unused write-after-end error with a stack (~1 % of login CPU).
    socket.on('end', () => {
      if (!socket.writableEnded) socket.end();
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Remote address as "host:port" for logs (empty for non-TCP streams). */
  get remote(): string {
    const s = this.socket as Duplex & { remoteAddress?: string; remotePort?: number };
    return s.remoteAddress ? `${s.remoteAddress}:${s.remotePort}` : '';
  }

  /** Install handlers and replay anything that arrived while the stream was held. */
  setHandlers(handlers: PduStreamHandlers): void {
    this.handlers = handlers;
    const held = this.held;
    this.held = [];
    for (const ev of held) this.dispatch(ev);
  }

  /** Queue incoming events until the next setHandlers (hand-over from login to FFP). */
  hold(): void {
    this.handlers = undefined;
  }

  private dispatch(ev: Held): void {
    const h = this.handlers;
    if (!h) {
      this.held.push(ev);
      return;
    }
    if (ev.type === 'pdu') h.onPdu(ev.pdu);
    else if (ev.type === 'error') h.onError(ev.err);
    else h.onClose();
  }

  /** Switch digests and the receive limit at the start of FFP (P-03, F-05). */
  enterFullFeature(opts: { headerDigest: boolean; dataDigest: boolean; maxRecvDataSegmentLength: number }): void {
    this.digests = { headerDigest: opts.headerDigest, dataDigest: opts.dataDigest };
    this.framer.setOptions({ ...this.digests, maxDataSegmentLength: opts.maxRecvDataSegmentLength });
    this.lendDataIn = true;
  }

  /**
   * Direct data placement in Full Feature Phase: `placer` names where a PDU's data should
   * be read to (receive-framer.ts); undefined turns it off.
   */
  setPlacer(placer: Placer | undefined): void {
    this.framer.setPlacer(placer);
  }

  /** Where the socket should read next (usertcp `onread.buffer`). */
  readBuffer(): Buffer {
    return this.framer.readBuffer();
  }

  /** HeaderDigest=CRC32C in effect: a pre-encoded header for {@link sendRaw} must carry it. */
  get headerDigest(): boolean {
    return this.digests.headerDigest;
  }

  /** Bytes queued in the socket but not yet handed to the kernel (a buffer passed to sendRaw is still referenced while > 0). */
  get writableLength(): number {
    return this.socket.writableLength;
  }

  /** Encode and write one PDU. Returns false when the socket buffer is full (see drained()). */
  send(pdu: InitiatorPdu): boolean {
    if (this.closed) throw new TransportError('CONNECTION_CLOSED', `cannot send ${pdu.kind}: connection closed`);
    const pieces = serializePdu(encodePdu(pdu), this.digests);
    countPdu(this.stats, 'tx', pdu.kind, pdu.data.length);
    this.beforeWrite();
    // Header, data and padding in one writev (one TCP segment for a small PDU), unless a
    // burst already corked the socket.
    const cork = pieces.length > 1 && !this.corked;
    if (cork) this.socket.cork();
    let ok = true;
    for (const piece of pieces) ok = this.socket.write(piece);
    if (cork) this.socket.uncork();
    return ok;
  }

  /**
   * Write one pre-encoded PDU: `bytes` is the whole PDU as it goes on the wire (BHS, and
   * the header digest when {@link headerDigest}; `dataLength` bytes of data counted in the
   * statistics). The socket keeps a reference to `bytes` until it is written
   * ({@link writableLength} back to 0): do not modify it before then.
   */
  sendRaw(bytes: Buffer, kind: PduKind, dataLength = 0): boolean {
    if (this.closed) throw new TransportError('CONNECTION_CLOSED', `cannot send ${kind}: connection closed`);
    countPdu(this.stats, 'tx', kind, dataLength);
    this.beforeWrite();
    return this.socket.write(bytes);
  }

  /** The first write of a turn goes out at once; a second one in the same turn corks until setImmediate. */
  private beforeWrite(): void {
    if (this.corked) return;
    if (!this.burst) {
      this.burst = true;
      queueMicrotask(this.endBurst);
      return;
    }
    this.corked = true;
    this.socket.cork();
    setImmediate(this.uncork);
  }

  /** Resolves when the socket can take more data (backpressure for large writes). */
  drained(): Promise<void> {
    const s = this.socket as Duplex & { writableNeedDrain?: boolean };
    if (!s.writableNeedDrain || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        s.off('drain', done);
        s.off('close', done);
        resolve();
      };
      s.once('drain', done);
      s.once('close', done);
    });
  }

  /** Half-close after a logout (L-03): send FIN, let the target's FIN arrive. */
  end(): void {
    if (!this.closed) this.socket.end();
  }

  destroy(): void {
    if (!this.closed) this.socket.destroy();
  }

  /** Bytes from the socket: a 'data' chunk, or a read into {@link readBuffer} (usertcp `onread.callback`). */
  received(chunk: Buffer): void {
    if (this.failed || this.closed) return;
    try {
      this.framer.push(chunk, this.onRaw);
    } catch (err) {
      if (err instanceof ProtocolError && /DIGEST/.test(err.code)) this.stats.digest_err++;
      this.fail(err instanceof IscsiError ? err : new ProtocolError('PDU_HANDLER_FAILED', String(err), { cause: err }));
    }
  }

  private fail(err: IscsiError): void {
    if (this.failed || this.closed) return;
    this.failed = true;
    this.dispatch({ type: 'error', err });
    this.socket.destroy();
  }

  private onSocketClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.dispatch({ type: 'close' });
  }
}

/** One allocation holding BHS, AHS and data: a PDU that outlives the receive buffer. */
function ownedCopy(raw: RawPdu): RawPdu {
  const a = raw.ahs.length;
  const copy = Buffer.allocUnsafe(BHS_LENGTH + a + raw.data.length);
  raw.bhs.copy(copy, 0);
  raw.ahs.copy(copy, BHS_LENGTH);
  raw.data.copy(copy, BHS_LENGTH + a);
  return { bhs: copy.subarray(0, BHS_LENGTH), ahs: copy.subarray(BHS_LENGTH, BHS_LENGTH + a), data: copy.subarray(BHS_LENGTH + a) };
}
