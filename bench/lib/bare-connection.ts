/**
 * Bench-only access to a logged-in Session's connection, for the node:net floors
 * (bare-read-loop.ts, bare-nop-loop.ts): its socket, its numbering, and the two hooks of
 * the usertcp read path. Taking a connection over stops its keepalive; the Session is
 * unusable afterwards and should only be closed.
 */
import type { Socket } from 'node:net';
import type { Session } from '../../src/session/session.js';

export interface BareConnection {
  socket: Socket;
  cmdSN: number;
  expStatSN: number;
  /** From now on every read goes to `received`, into `buffer()` when given (else the framer's buffer). */
  takeOver(received: (chunk: Buffer) => void, buffer?: () => Buffer): void;
}

/** The private parts of a logged-in Session (src/session/session.ts, connection.ts, pdu-stream.ts). */
interface Internals {
  conn?: {
    stream: { socket: Socket; readBuffer: () => Buffer; received: (chunk: Buffer) => void };
    numbering: { cmdSN: number; expStatSN: number };
    keepalive: { stop(): void };
  };
}

export function bareConnection(s: Session): BareConnection {
  const { conn } = s as unknown as Internals;
  if (conn === undefined || s.state !== 'logged-in') throw new Error(`bareConnection: the session is ${s.state}, not logged in`);
  conn.keepalive.stop();
  const { stream, numbering } = conn;
  return {
    socket: stream.socket,
    cmdSN: numbering.cmdSN,
    expStatSN: numbering.expStatSN,
    takeOver: (received, buffer) => {
      stream.received = received;
      if (buffer) stream.readBuffer = buffer;
    },
  };
}
