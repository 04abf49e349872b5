/**
 * The fake target's own numbering (RFC 7143 §4.2.2): StatSN per connection, and
 * the command window it advertises (ExpCmdSN, MaxCmdSN). Written independently of
 * src/ so the initiator's numbering is checked against something else.
 *
 * Window: MaxCmdSN = ExpCmdSN + window - 1, so `window = 0` advertises a closed
 * window (MaxCmdSN = ExpCmdSN - 1) and `window = 1` exactly one command (J-03).
 * `maxCmdSN` overrides the formula for odd values (J-04).
 */

/** The three numbering fields of a target PDU. */
export interface SnFields {
  statSN: number;
  expCmdSN: number;
  maxCmdSN: number;
}

const u32 = (n: number): number => n >>> 0;

/** Serial-number "a < b" for 32-bit numbers (RFC 1982 §3.2). */
function serialLt(a: number, b: number): boolean {
  const d = u32(b - a);
  return d !== 0 && d < 0x80000000;
}

/** Numbering state of one connection. */
export class TargetNumbering {
  /** StatSN the next status-carrying PDU gets. */
  statSN: number;
  /** Next CmdSN the target expects. */
  expCmdSN: number;
  /** Commands the window admits beyond ExpCmdSN - 1 (default 32). */
  window = 32;
  /** When set, MaxCmdSN = maxCmdSN(expCmdSN) instead of the window formula. */
  maxCmdSN: ((expCmdSN: number) => number) | undefined;

  constructor(initialStatSN = 1, expCmdSN = 0) {
    this.statSN = u32(initialStatSN);
    this.expCmdSN = u32(expCmdSN);
  }

  /** MaxCmdSN currently advertised. */
  get max(): number {
    return u32(this.maxCmdSN ? this.maxCmdSN(this.expCmdSN) : this.expCmdSN + this.window - 1);
  }

  /** Fields for a PDU that consumes a StatSN (responses with status); advances StatSN. */
  next(): SnFields {
    const f = this.peek();
    this.statSN = u32(this.statSN + 1);
    return f;
  }

  /** Fields for a PDU that does not advance StatSN (R2T, Data-In without S, NOP-In pings). */
  peek(): SnFields {
    return { statSN: this.statSN, expCmdSN: this.expCmdSN, maxCmdSN: this.max };
  }

  /** True when an initiator's ExpStatSN acknowledges a StatSN this connection never used (J-06). */
  statAhead(expStatSN: number): boolean {
    return serialLt(this.statSN, expStatSN);
  }

  /**
   * Account for a received PDU carrying CmdSN (§4.2.2.1): a non-immediate one equal to
   * ExpCmdSN advances it. Returns whether a non-immediate CmdSN was inside the window
   * [ExpCmdSN, MaxCmdSN] when it arrived; immediate PDUs are always "inside".
   */
  command(cmdSN: number, immediate: boolean): boolean {
    if (immediate) return true;
    const inside = !serialLt(cmdSN, this.expCmdSN) && !serialLt(this.max, cmdSN);
    if (cmdSN === this.expCmdSN) this.expCmdSN = u32(this.expCmdSN + 1);
    return inside;
  }
}
