/**
 * The userspace TCP transport: the daemon itself carries every PDU (DESIGN.md §2).
 *
 * Reads go straight into the PDU stream's receive buffers (`net.connect({ onread })`):
 * the shared scratch buffer at a PDU boundary, the connection's assembly buffer for the
 * rest of a PDU cut off by a read, or the command's own buffer for Data-In data (direct
 * placement; src/iscsi/receive-framer.ts). No per-read allocation.
 */
import type net from 'node:net';
import { PduStream } from '../pdu-stream.js';
import { sharedScratch } from '../receive-scratch.js';
import type { ConnectOptions, Portal, Transport } from '../types.js';
import { connectTcp } from './connect.js';

/** Bytes a socket may read before its PduStream exists: copied and replayed. */
class ReadHandOver {
  stream: PduStream | undefined;
  private early: Buffer[] = [];

  readonly onread: net.OnReadOpts = {
    // Before the stream exists (connect in progress) the first read goes to the scratch.
    buffer: () => (this.stream ? this.stream.readBuffer() : sharedScratch.get(0)),
    callback: (n: number, buf: Uint8Array): boolean => {
      const chunk = Buffer.from(buf.buffer, buf.byteOffset, n);
      if (this.stream) this.stream.received(chunk);
      else this.early.push(Buffer.from(chunk));
      return true;
    },
  };

  attach(stream: PduStream): PduStream {
    this.stream = stream;
    const early = this.early;
    this.early = [];
    for (const chunk of early) stream.received(chunk);
    return stream;
  }
}

export const userTcpTransport: Transport = {
  name: 'usertcp',
  async connect(portal: Portal, opts: ConnectOptions): Promise<PduStream> {
    const handOver = new ReadHandOver();
    const socket = await connectTcp(portal, opts, handOver.onread);
    return handOver.attach(new PduStream(socket, { userBuffer: true }));
  },
};
