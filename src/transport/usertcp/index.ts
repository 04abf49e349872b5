/** The userspace TCP transport: the daemon itself carries every PDU (DESIGN.md §2). */
import { PduStream } from '../pdu-stream.js';
import type { ConnectOptions, Portal, Transport } from '../types.js';
import { connectTcp } from './connect.js';

export const userTcpTransport: Transport = {
  name: 'usertcp',
  async connect(portal: Portal, opts: ConnectOptions): Promise<PduStream> {
    return new PduStream(await connectTcp(portal, opts));
  },
};
