/**
 * A byte stream whose PDUs travel through the kernel: what the initiator writes is cut
 * into PDUs and sent with ISCSI_UEVENT_SEND_PDU; ISCSI_KEVENT_RECV_PDU events of the
 * same sid:cid are fed back as bytes. It is iscsid's login path for a connection already
 * bound to a kernel session (reference §3.7: "Login PDUs then go through SEND_PDU/
 * RECV_PDU"), used here for the RE-login after a connection error: the kernel keeps the
 * session's CmdSN across the failure and writes it into the Login Request itself
 * (libiscsi iscsi_prep_mgmt_task), so the target and the kernel agree on the next
 * CmdSN — a login on our own socket could not know it.
 *
 * The kernel also replaces the ITT of a PDU it sends (build_itt); the response carries
 * the kernel's ITT, so the ITT of our last request is written back into Login/Text
 * Responses before the login machine checks it (C-12 stays enforced for everything
 * else). Wrapped in a PduStream (pdu-stream.ts) the login machine runs unchanged.
 */
import { Duplex } from 'node:stream';
import { TransportError } from '../../shared/errors.js';
import type { KernelTcpDriver } from './driver.js';
import type { DriverEvent } from './driver-events.js';

const BHS = 48;
/** Opcodes (RFC 7143 §11) whose ITT the kernel rewrote. */
const LOGIN_RESPONSE = 0x23;
const TEXT_RESPONSE = 0x24;
/** libiscsi ISCSI_DEF_MAX_RECV_SEG_LEN: the most data one login PDU may carry through the kernel. */
export const KERNEL_LOGIN_MAX_DATA = 8192;

const pad4 = (n: number): number => (4 - (n % 4)) % 4;

export class KernelLoginLink extends Duplex {
  private pending: Buffer = Buffer.alloc(0);
  private lastItt = 0;
  private readonly unsubscribe: () => void;
  /** PDUs sent / received through the kernel (for tests and logs). */
  readonly counts = { sent: 0, received: 0 };

  constructor(private readonly driver: KernelTcpDriver, readonly sid: number, readonly cid: number) {
    super();
    this.unsubscribe = driver.onEvent((ev) => this.onEvent(ev));
  }

  override _read(): void {
    // data is pushed as RECV_PDU events arrive
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const sends: Promise<void>[] = [];
    while (this.pending.length >= BHS) {
      const ahs = (this.pending[4] ?? 0) * 4;
      const dlen = this.pending.readUIntBE(5, 3);
      const total = BHS + ahs + dlen + pad4(dlen);
      if (this.pending.length < total) break;
      if (dlen > KERNEL_LOGIN_MAX_DATA) {
        cb(new TransportError('KERNEL_PDU_TOO_LARGE', `a PDU of ${dlen} data bytes cannot go through the kernel (limit ${KERNEL_LOGIN_MAX_DATA}, libiscsi ISCSI_DEF_MAX_RECV_SEG_LEN)`, { retryable: false }));
        return;
      }
      const header = Buffer.from(this.pending.subarray(0, BHS + ahs));
      const data = Buffer.from(this.pending.subarray(BHS + ahs, BHS + ahs + dlen));
      this.pending = this.pending.subarray(total);
      this.lastItt = header.readUInt32BE(16);
      this.counts.sent++;
      sends.push(this.driver.sendPdu(this.sid, this.cid, header, data));
    }
    Promise.all(sends).then(() => cb(), (err: unknown) => cb(err instanceof Error ? err : new Error(String(err))));
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.unsubscribe();
    cb(err);
  }

  private onEvent(ev: DriverEvent): void {
    if (this.destroyed) return;
    if (ev.type === 'recvPdu' && ev.sid === this.sid && ev.cid === this.cid) {
      const bhs = Buffer.from(ev.bhs);
      const op = (bhs[0] ?? 0) & 0x3f;
      if (op === LOGIN_RESPONSE || op === TEXT_RESPONSE) bhs.writeUInt32BE(this.lastItt >>> 0, 16);
      this.counts.received++;
      this.push(Buffer.concat([bhs, ev.data, Buffer.alloc(pad4(ev.data.length))]));
    } else if (ev.type === 'connError' && ev.sid === this.sid && ev.cid === this.cid) {
      this.destroy(ev.error);
    }
  }
}
