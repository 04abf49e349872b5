/**
 * A minimal raw initiator connection for driving the fake target in tests:
 * encodes with the src/ codec (`encodePdu` + `serializePdu`) and frames with
 * `PduFramer`. No login logic: tests send exactly the PDUs they want.
 */
import { connect, type Socket } from 'node:net';
import { PduFramer, serializePdu } from '../../../src/iscsi/framer.js';
import { decodeTargetPdu, encodePdu } from '../../../src/iscsi/pdu/index.js';
import type { InitiatorPdu, TargetPdu } from '../../../src/iscsi/pdu/types.js';

/** One raw TCP connection speaking iSCSI PDUs. */
export class RawInitiator {
  private readonly framer: PduFramer;
  private readonly inbox: TargetPdu[] = [];
  private waiter: (() => void) | undefined;
  private digests = { headerDigest: false, dataDigest: false };
  /** Set when the framer or decoder failed (the error is kept, the connection stays open). */
  error: unknown;
  /** Resolves when the socket closes. */
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket, maxDataSegmentLength: number) {
    this.framer = new PduFramer({ headerDigest: false, dataDigest: false, maxDataSegmentLength });
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      try {
        this.framer.push(chunk, (raw) => this.inbox.push(decodeTargetPdu(raw)));
      } catch (err) {
        this.error = err;
      }
      this.waiter?.();
    });
    socket.on('close', () => this.waiter?.());
  }

  /** Connect to `portal`; `maxDataSegmentLength` is the framer's receive limit. */
  static async connect(portal: { host: string; port: number }, maxDataSegmentLength = 262144): Promise<RawInitiator> {
    const socket = connect({ host: portal.host, port: portal.port, noDelay: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawInitiator(socket, maxDataSegmentLength);
  }

  /** Digests for both directions from the next PDU. */
  setDigests(header: boolean, data: boolean): void {
    this.digests = { headerDigest: header, dataDigest: data };
    this.framer.setOptions(this.digests);
  }

  send(pdu: InitiatorPdu): void {
    this.socket.write(Buffer.concat(serializePdu(encodePdu(pdu), this.digests)));
  }

  /** Next received PDU; rejects on timeout, close or a framing error. */
  async next(timeoutMs = 3000): Promise<TargetPdu> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const pdu = this.inbox.shift();
      if (pdu !== undefined) return pdu;
      if (this.error !== undefined) throw this.error;
      if (this.socket.destroyed || this.socket.readableEnded) throw new Error('raw initiator: connection closed');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('raw initiator: timed out waiting for a PDU');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = undefined;
    }
  }

  /** Next PDU of the given kind (others are discarded). */
  async nextOf<K extends TargetPdu['kind']>(kind: K, timeoutMs = 3000): Promise<Extract<TargetPdu, { kind: K }>> {
    for (;;) {
      const pdu = await this.next(timeoutMs);
      if (pdu.kind === kind) return pdu as Extract<TargetPdu, { kind: K }>;
    }
  }

  end(): void {
    this.socket.end();
  }
}
