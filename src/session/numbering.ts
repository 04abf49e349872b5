/**
 * Command and status numbering of one single-connection session (RFC 7143 §4.2.2.1,
 * §4.2.2.2): CmdSN assignment, the ExpCmdSN..MaxCmdSN window, and ExpStatSN.
 * Serial arithmetic per RFC 1982 (J-01).
 */
import { ProtocolError } from '../shared/errors.js';
import { snAdd, snDiff, snGt, snLt, snLte } from '../iscsi/serial.js';

/**
 * J-09: a StatSN this far *behind* ExpStatSN is not an old duplicate but a broken
 * stream: recover. Implementation-defined, must not exceed 2^31 - 1 (§4.2.2.2).
 * (A StatSN *ahead* of ExpStatSN is already a gap, see {@link Numbering.acceptStatSN}.)
 */
export const STATSN_MAX_JUMP = 0x10000;

export class Numbering {
  /** CmdSN the next non-immediate PDU will carry. */
  cmdSN: number;
  expCmdSN: number;
  maxCmdSN: number;
  expStatSN: number;

  constructor(init: { cmdSN: number; expCmdSN: number; maxCmdSN: number; expStatSN: number }) {
    this.cmdSN = init.cmdSN;
    this.expCmdSN = init.expCmdSN;
    this.maxCmdSN = init.maxCmdSN;
    this.expStatSN = init.expStatSN;
  }

  /** True when a non-immediate PDU may be sent now (CmdSN within the window, J-03). */
  get windowOpen(): boolean {
    return snLte(this.cmdSN, this.maxCmdSN) && !snLt(this.maxCmdSN, snAdd(this.expCmdSN, -1));
  }

  /** Commands the target will still accept. */
  get windowSize(): number {
    const size = snDiff(this.maxCmdSN, this.cmdSN) + 1;
    return size > 0 ? size : 0;
  }

  /** CmdSN for a PDU: immediate PDUs carry the current value without advancing it (J-02). */
  take(immediate: boolean): number {
    const sn = this.cmdSN;
    if (!immediate) this.cmdSN = snAdd(this.cmdSN, 1);
    return sn;
  }

  /**
   * Apply ExpCmdSN/MaxCmdSN from a target PDU (J-04, J-05): ignore both when
   * MaxCmdSN < ExpCmdSN - 1; otherwise move each forward only.
   */
  updateWindow(expCmdSN: number, maxCmdSN: number): void {
    if (snLt(maxCmdSN, snAdd(expCmdSN, -1))) return;
    if (snGt(expCmdSN, this.expCmdSN)) this.expCmdSN = expCmdSN;
    if (snGt(maxCmdSN, this.maxCmdSN)) this.maxCmdSN = maxCmdSN;
  }

  /**
   * A status-carrying PDU with StatSN `statSN` arrived (J-06, J-08). NOP-In pings with
   * ITT 0xffffffff do not come here (J-07).
   *
   * Decision (J-09, J-10): on our single TCP connection every status-carrying PDU must
   * carry exactly ExpStatSN. One *ahead* of it means status PDUs were lost (§7.9); ERL 0
   * has no status SNACK, so that is a protocol error and the session recovers
   * (`STATSN_GAP`). The forward threshold is therefore 1, far below the 2^31 - 1 limit
   * of §4.2.2.2. A StatSN a little behind
   * is an old/duplicate status (some targets repeat StatSN on Reject) and is ignored; one
   * {@link STATSN_MAX_JUMP} or more behind, or the undefined 2^31-apart value, is a jump
   * (`STATSN_JUMP`).
   */
  acceptStatSN(statSN: number, where: string): void {
    const ahead = snDiff(statSN, this.expStatSN);
    if (ahead === 0) {
      this.expStatSN = snAdd(statSN, 1);
      return;
    }
    if (ahead > 0) {
      throw new ProtocolError('STATSN_GAP', `StatSN ${statSN} is ${ahead} ahead of ExpStatSN ${this.expStatSN}: status PDUs were lost (J-10)`, {
        where,
        details: { statSN, expStatSN: this.expStatSN },
      });
    }
    if (ahead <= -STATSN_MAX_JUMP) {
      throw new ProtocolError('STATSN_JUMP', `StatSN ${statSN} is ${-ahead} behind ExpStatSN ${this.expStatSN} (J-09)`, {
        where,
        details: { statSN, expStatSN: this.expStatSN },
      });
    }
    // A little behind: an old or repeated status, nothing to advance.
  }
}
