/**
 * The least JavaScript a node:net initiator can run per keepalive (hold-10k's floor): every
 * logged-in connection is taken over, and one interval timer writes a pre-built NOP-Out
 * ping on each of them once per `intervalMs`, spread over ticks as the session code's
 * keepalive wheel does (src/session/keepalive.ts); the read callback only follows the
 * 48-byte NOP-In headers and keeps ExpStatSN. No framer, no task table, no statistics.
 * What this costs bounds what any initiator built on node:net can cost on the machine.
 */
import type { BareConnection } from './bare-connection.js';

export interface BareNopLoop {
  /** NOP-Outs written and NOP-Ins received so far. */
  readonly sent: number;
  readonly received: number;
  /** Anything but a NOP-In without data, as a message (the loop stops reading that connection). */
  readonly errors: string[];
  stop(): void;
}

const BHS = 48;
const OP_NOP_IN = 0x20;

/** NOP-Out ping: immediate, F, LUN 0, TTT ffffffff (RFC 7143 §11.18); ITT, CmdSN, ExpStatSN patched. */
function ping(cmdSN: number): Buffer {
  const b = Buffer.alloc(BHS);
  b[0] = 0x40;
  b[1] = 0x80;
  b.writeUInt32BE(0xffffffff, 20);
  b.writeUInt32BE(cmdSN >>> 0, 24);
  return b;
}

class BareConnectionState {
  private bytes: Buffer;
  private readonly header = Buffer.alloc(BHS);
  private fill = 0;
  private itt = 0;
  private expStatSN: number;
  dead = false;

  constructor(
    private readonly c: BareConnection,
    private readonly loop: { received: number; errors: string[] },
  ) {
    this.bytes = ping(c.cmdSN);
    this.expStatSN = c.expStatSN;
    c.takeOver((chunk) => this.onRead(chunk));
  }

  /** Write the next ping; false if this connection is out of the loop. */
  send(): boolean {
    if (this.dead) return false;
    // The previous bytes may still be queued in the socket: never patch those.
    if (this.c.socket.writableLength > 0) this.bytes = Buffer.from(this.bytes);
    this.bytes.writeUInt32BE(this.itt++ >>> 0, 16);
    this.bytes.writeUInt32BE(this.expStatSN >>> 0, 28);
    this.c.socket.write(this.bytes);
    return true;
  }

  private onRead(chunk: Buffer): void {
    // The usual read is exactly one NOP-In header: look at it where it is.
    if (this.fill === 0 && chunk.length === BHS) return this.onHeader(chunk);
    for (let off = 0; off < chunk.length && !this.dead; ) {
      const n = Math.min(BHS - this.fill, chunk.length - off);
      chunk.copy(this.header, this.fill, off, off + n);
      this.fill += n;
      off += n;
      if (this.fill < BHS) return;
      this.fill = 0;
      this.onHeader(this.header);
    }
  }

  private onHeader(h: Buffer): void {
    if ((h[0]! & 0x3f) !== OP_NOP_IN || h.readUIntBE(5, 3) !== 0) {
      this.dead = true;
      this.loop.errors.push(`not a NOP-In without data: ${h.toString('hex')}`);
      return;
    }
    this.expStatSN = (h.readUInt32BE(24) + 1) >>> 0;
    this.loop.received++;
  }
}

/** Start pinging `conns`, each once per `intervalMs`, from one timer firing every `tickMs`. */
export function bareNopLoop(conns: readonly BareConnection[], intervalMs: number, tickMs = 100): BareNopLoop {
  const loop = { sent: 0, received: 0, errors: [] as string[], stop: () => clearInterval(timer) };
  const states = conns.map((c) => new BareConnectionState(c, loop));
  const slots = Math.max(1, Math.round(intervalMs / tickMs));
  let tick = 0;
  const timer = setInterval(() => {
    for (let i = tick++ % slots; i < states.length; i += slots) {
      if (states[i]!.send()) loop.sent++;
    }
  }, tickMs);
  return loop;
}
