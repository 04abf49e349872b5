/**
 * Reads datagrams from the NETLINK_ISCSI socket into typed messages, counting
 * what it cannot use instead of failing: unknown types (another program on the
 * socket, or a newer kernel) and malformed messages are counted, never fatal.
 */
import { ProtocolError } from '../../shared/errors.js';
import { decodeKernelMessage, type KernelMessage } from './messages.js';
import { decodeNlMsgHeader, nlmsgAlign, type NlMsg, type NlMsgHeader } from './netlink.js';
import { NLMSG_HDRLEN } from './abi.js';

export interface ReaderCounters {
  /** Messages decoded (any kind, including unknown). */
  messages: number;
  /** Messages of a type we do not know. */
  unknown: number;
  /** Messages (or datagram tails) that could not be decoded. */
  malformed: number;
}

export interface ReadResult {
  messages: KernelMessage[];
  /** One ProtocolError per malformed message; the others are still returned. */
  errors: ProtocolError[];
}

function asProtocolError(err: unknown): ProtocolError {
  if (err instanceof ProtocolError) return err;
  // Defensive: a decoder bug must not escape as a crash of the event loop.
  const message = err instanceof Error ? err.message : String(err);
  return new ProtocolError('UEVENT_DECODE_FAILED', `could not decode kernel message: ${message}`, { cause: err });
}

/** Stateless decoding plus counters; one per netlink socket. */
export class KernelMessageReader {
  readonly counters: ReaderCounters = { messages: 0, unknown: 0, malformed: 0 };

  /** Decodes every message of a datagram; a bad message is skipped when its length allows. */
  read(datagram: Buffer): ReadResult {
    const out: ReadResult = { messages: [], errors: [] };
    let at = 0;
    while (at < datagram.length) {
      let header: NlMsgHeader;
      try {
        header = decodeNlMsgHeader(datagram, at);
        if (header.len < NLMSG_HDRLEN || header.len > datagram.length - at) {
          throw new ProtocolError('NETLINK_BAD_LENGTH', `nlmsg_len ${header.len} does not fit the ${datagram.length - at} bytes left`, { where: `nlmsghdr@${at}.nlmsg_len` });
        }
      } catch (err) {
        this.fail(out, asProtocolError(err));
        break;
      }
      this.one(out, { header, payload: datagram.subarray(at + NLMSG_HDRLEN, at + header.len) });
      at += nlmsgAlign(header.len);
    }
    return out;
  }

  private one(out: ReadResult, msg: NlMsg): void {
    try {
      const m = decodeKernelMessage(msg);
      this.counters.messages++;
      if (m.kind === 'unknown') this.counters.unknown++;
      out.messages.push(m);
    } catch (err) {
      this.fail(out, asProtocolError(err));
    }
  }

  private fail(out: ReadResult, err: ProtocolError): void {
    this.counters.malformed++;
    out.errors.push(err);
  }
}
