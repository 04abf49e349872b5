/**
 * Command and status numbering of one single-connection session (RFC 7143 §4.2.2.1,
 * §4.2.2.2): CmdSN assignment, the ExpCmdSN..MaxCmdSN window, and ExpStatSN.
 * Serial arithmetic per RFC 1982 (J-01).
 */
import { ProtocolError } from '../shared/errors.js';
import { snAdd, snDiff, snGt, snLt, snLte } from '../iscsi/serial.js';

/** StatSN further than this from ExpStatSN means lost status: recover (J-09, J-10). */
export const STATSN_MAX_JUMP = 0x7fffffff;

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
   * ITT 0xffffffff do not come here (J-07). A StatSN far ahead means lost status (J-09).
   */
  acceptStatSN(statSN: number, where: string): void {
    const ahead = snDiff(statSN, this.expStatSN);
    if (ahead < 0) return; // duplicate / old status: nothing to advance
    if (ahead >= STATSN_MAX_JUMP) {
      throw new ProtocolError('STATSN_JUMP', `StatSN ${statSN} is ${ahead} ahead of ExpStatSN ${this.expStatSN}`, { where });
    }
    this.expStatSN = snAdd(statSN, 1);
  }
}
