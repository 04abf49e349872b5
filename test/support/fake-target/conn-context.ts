/**
 * One accepted TCP connection of the fake target: reads PDUs with its own
 * {@link WireReader}, records them, hands them to the script in order, and
 * writes through an ordered output queue (so delays, FIN and RST keep their
 * place relative to earlier writes).
 *
 * Nothing the initiator sends can throw out of here: bad bytes, script errors
 * and socket errors become log entries (and, by default, a closed connection).
 */
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { decodeInitiatorPdu, encodePdu } from '../../../src/iscsi/pdu/index.js';
import type { InitiatorPdu, RawPdu, TargetPdu } from '../../../src/iscsi/pdu/types.js';
import { TargetNumbering } from './numbering.js';
import type { ConnContext, Digests, LogEntry, LogLevel, Received, ScriptObject, SendOptions } from './types.js';
import { buildWire, WireReader, type WireItem } from './wire.js';

/** What a connection reports to its server. */
export interface ConnHost {
  record(conn: number, raw: Buffer, pdu: InitiatorPdu, dataDigestError: boolean): Received;
  log(entry: LogEntry): void;
  closed(conn: Conn): void;
}

interface OutItem {
  delayMs: number;
  run: () => void;
}

/** Implementation of {@link ConnContext} over a node:net socket. */
export class Conn implements ConnContext {
  readonly state: Record<string, unknown> = {};
  readonly sn = new TargetNumbering();
  readonly local: { address: string; port: number; family: string };
  closed = false;
  private readonly reader = new WireReader();
  private sendDigests: Digests = { header: false, data: false };
  private corruption: { headerDigest?: boolean; dataDigest?: boolean } = {};
  private readonly out: OutItem[] = [];
  private draining = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private paused = false;
  private dead = false;
  private pumping = false;
  private readonly inbox: Received[] = [];
  private busy = false;

  constructor(
    readonly conn: number,
    readonly socket: Socket,
    private readonly script: ScriptObject,
    private readonly host: ConnHost,
  ) {
    this.local = { address: socket.localAddress ?? '', port: socket.localPort ?? 0, family: socket.localFamily ?? '' };
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.log('warn', 'SOCKET_ERROR', err.message));
    socket.on('end', () => this.log('info', 'PEER_FIN', 'initiator closed its side (FIN)'));
    socket.on('close', () => this.onSocketClose());
  }

  get digests(): Readonly<Digests> {
    return this.reader.digests;
  }

  /** Call the script's onConnect hook. */
  start(): void {
    this.guard('onConnect', () => this.script.onConnect?.(this));
  }

  // ---- writing -------------------------------------------------------------

  send(pdu: TargetPdu, opts: SendOptions = {}): void {
    const raw = encodePdu(pdu); // field errors surface to the caller, synchronously
    this.enqueue(opts.delayMs ?? 0, () => this.write(this.build(raw, opts)));
  }

  sendRaw(bytes: Buffer, opts: { delayMs?: number } = {}): void {
    const copy = Buffer.from(bytes);
    this.enqueue(opts.delayMs ?? 0, () => this.write(copy));
  }

  sendSplit(pdu: TargetPdu, chunkSizes: number[], opts: SendOptions & { gapMs?: number } = {}): void {
    const raw = encodePdu(pdu);
    let wire: Buffer | undefined;
    let offset = 0;
    const gap = opts.gapMs ?? 5;
    const sizes = [...chunkSizes, Number.POSITIVE_INFINITY];
    sizes.forEach((size, i) => {
      this.enqueue(i === 0 ? opts.delayMs ?? 0 : gap, () => {
        wire ??= this.build(raw, opts);
        if (offset >= wire.length) return;
        const end = Math.min(wire.length, offset + size);
        this.write(wire.subarray(offset, end));
        offset = end;
      });
    });
  }

  sendMany(pdus: TargetPdu[], opts: SendOptions = {}): void {
    const raws = pdus.map((p) => encodePdu(p));
    this.enqueue(opts.delayMs ?? 0, () => this.write(Buffer.concat(raws.map((r) => this.build(r, opts)))));
  }

  wire(pdu: TargetPdu, opts: SendOptions = {}): Buffer {
    const d = opts.digests ?? this.sendDigests;
    return buildWire(encodePdu(pdu), {
      digests: d,
      patchBhs: opts.patchBhs,
      corruptHeaderDigest: opts.corrupt?.headerDigest === true,
      corruptDataDigest: opts.corrupt?.dataDigest === true,
    });
  }

  close(opts: { delayMs?: number } = {}): void {
    this.enqueue(opts.delayMs ?? 0, () => {
      if (!this.socket.destroyed) this.socket.end();
    });
  }

  reset(opts: { delayMs?: number } = {}): void {
    this.enqueue(opts.delayMs ?? 0, () => {
      if (!this.socket.destroyed) this.socket.resetAndDestroy();
    });
  }

  setDigests(d: Partial<Digests>): void {
    this.reader.digests = { ...this.reader.digests, ...d };
    this.enqueue(0, () => {
      this.sendDigests = { ...this.sendDigests, ...d };
    });
  }

  corruptNext(c: { headerDigest?: boolean; dataDigest?: boolean }): void {
    this.enqueue(0, () => {
      this.corruption = { ...this.corruption, ...c };
    });
  }

  /** Wire bytes at write time: the digests in force then, plus any pending corruption. */
  private build(raw: RawPdu, opts: SendOptions): Buffer {
    const digests = opts.digests ?? this.sendDigests;
    let corruptHeaderDigest = opts.corrupt?.headerDigest === true;
    let corruptDataDigest = opts.corrupt?.dataDigest === true;
    if (digests.header && this.corruption.headerDigest) {
      corruptHeaderDigest = true;
      this.corruption.headerDigest = false;
    }
    if (digests.data && raw.data.length > 0 && this.corruption.dataDigest) {
      corruptDataDigest = true;
      this.corruption.dataDigest = false;
    }
    return buildWire(raw, { digests, patchBhs: opts.patchBhs, corruptHeaderDigest, corruptDataDigest });
  }

  private write(bytes: Buffer): void {
    if (this.socket.destroyed || !this.socket.writable) {
      this.log('warn', 'WRITE_AFTER_CLOSE', `dropped ${bytes.length} bytes: socket already closed`);
      return;
    }
    this.socket.write(bytes);
  }

  private enqueue(delayMs: number, run: () => void): void {
    this.out.push({ delayMs, run });
    if (!this.draining) this.drain();
  }

  private drain(): void {
    this.draining = true;
    while (this.out.length > 0 && !this.closed) {
      const item = this.out[0]!;
      if (item.delayMs > 0) {
        const ms = item.delayMs;
        item.delayMs = 0;
        this.later(ms, () => this.drain());
        return;
      }
      this.out.shift();
      this.guard('write', item.run);
    }
    this.draining = false;
  }

  // ---- reading -------------------------------------------------------------

  pause(): void {
    this.paused = true;
    this.socket.pause();
  }

  resume(): void {
    this.paused = false;
    this.socket.resume();
    this.pump();
  }

  private onData(chunk: Buffer): void {
    if (this.dead) return;
    this.reader.push(chunk);
    this.pump();
  }

  /** Parse every complete PDU now buffered; each is recorded at once and dispatched in order. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.paused && !this.dead && !this.closed) {
        const item = this.reader.next();
        if (item === null) break;
        this.accept(item);
      }
    } finally {
      this.pumping = false;
    }
  }

  private accept(item: WireItem): void {
    if (item.kind === 'header-digest-error') {
      this.log('error', 'HEADER_DIGEST_ERROR', 'header digest mismatch on a received PDU; closing', item.wire);
      this.dead = true;
      this.guard('onDigestError', () => this.script.onDigestError?.(this, { kind: 'header', raw: item.wire }));
      this.close();
      return;
    }
    let pdu: InitiatorPdu;
    try {
      pdu = decodeInitiatorPdu(item.raw);
    } catch (err) {
      this.log('error', 'BAD_PDU', `received PDU does not decode: ${errText(err)}`, item.wire);
      if (this.script.onBadPdu) this.guard('onBadPdu', () => this.script.onBadPdu!(this, item.wire, err));
      else {
        this.dead = true;
        this.close();
      }
      return;
    }
    const rec = this.host.record(this.conn, item.wire, pdu, item.dataDigestError);
    if (item.dataDigestError) {
      this.log('error', 'DATA_DIGEST_ERROR', `data digest mismatch on ${pdu.kind}`, item.wire);
      this.guard('onDigestError', () => this.script.onDigestError?.(this, { kind: 'data', raw: item.wire, rec }));
      return;
    }
    this.inbox.push(rec);
    this.dispatch();
  }

  /** Hand queued PDUs to the script one at a time; an async handler holds the next one back. */
  private dispatch(): void {
    while (!this.busy && this.inbox.length > 0 && !this.closed) {
      const rec = this.inbox.shift()!;
      let result: void | Promise<void> = undefined;
      this.guard('onPdu', () => {
        result = this.script.onPdu(this, rec.pdu, rec);
      });
      if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
        this.busy = true;
        (result as Promise<void>)
          .catch((err: unknown) => this.scriptFailed('onPdu', err))
          .finally(() => {
            this.busy = false;
            this.dispatch();
          });
      }
    }
  }

  // ---- timers, log, close --------------------------------------------------

  later(ms: number, fn: () => void): void {
    if (this.closed) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.guard('timer', fn);
    }, ms);
    this.timers.add(t);
  }

  every(ms: number, fn: () => void): () => void {
    if (this.closed) return () => undefined;
    const t = setInterval(() => this.guard('timer', fn), ms);
    this.timers.add(t);
    return () => {
      clearInterval(t);
      this.timers.delete(t);
    };
  }

  log(level: LogLevel, code: string, message: string, raw?: Buffer): void {
    this.host.log({ conn: this.conn, at: performance.now(), level, code, message, ...(raw ? { raw } : {}) });
  }

  /** Destroy the socket now (FakeTarget.stop). */
  destroy(): void {
    this.clearTimers();
    this.socket.destroy();
  }

  private onSocketClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.clearTimers();
    this.out.length = 0;
    this.guard('onClose', () => this.script.onClose?.(this));
    this.host.closed(this);
  }

  private clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** Run script or write code; anything thrown is logged and closes the connection. */
  private guard(where: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.scriptFailed(where, err);
    }
  }

  private scriptFailed(where: string, err: unknown): void {
    this.log('error', 'SCRIPT_ERROR', `${where} threw: ${errText(err)}`);
    if (!this.socket.destroyed) this.socket.destroy();
  }
}

function errText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
