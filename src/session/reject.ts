/**
 * Reading a Reject PDU (RFC 7143 §11.17): its data segment is the complete header of
 * the rejected PDU, from which the initiator identifies what was rejected (N-01).
 *
 * Rejected header fields used here (BHS offsets, §11.2.1):
 *
 *   byte 0      .|I| opcode (6 bits)      I = immediate delivery
 *   bytes 8-15  LUN (SCSI Command, Text Request, NOP-Out, Data-Out)
 *   bytes 16-19 Initiator Task Tag
 *   bytes 24-27 CmdSN (every initiator opcode that carries one)
 *
 * Policy for a rejected non-immediate command (N-02, §7.3, §6.2.1, §11.5.1 b): the
 * target discarded it, so its CmdSN is a hole in the target's command sequence that
 * stalls every later command. The session plugs it either by retrying the same command
 * PDU (same ITT and CmdSN) when the reason says the PDU "can be re-sent" and the task is
 * a SCSI command, or by failing the task and sending an immediate ABORT TASK whose
 * RefCmdSN is the hole: a target that finds no such task "must consider the CmdSN as
 * received" (§11.5.1 case b).
 */
import { ProtocolError } from '../shared/errors.js';
import { RESERVED_TAG } from '../iscsi/pdu/types.js';

/** What a Reject says about the PDU it rejected. */
export interface RejectedPdu {
  reason: number;
  /** Opcode of the rejected PDU (low 6 bits of byte 0), -1 when the header is missing. */
  opcode: number;
  immediate: boolean;
  itt: number;
  /** CmdSN field of the rejected header (meaningful for command PDUs). */
  cmdSN: number;
  lun: Buffer;
}

/** Initiator opcodes (§11.2.1.2) whose non-immediate form consumes a CmdSN. */
export const COMMAND_OPCODES: ReadonlySet<number> = new Set([0x00, 0x01, 0x02, 0x04]);
/** Data-Out: a rejected one leaves its task active (N-05); resent only on a recovery R2T (N-07). */
export const DATA_OUT_OPCODE = 0x05;

/**
 * Reasons whose table entry in §11.17.1 says "can the original PDU be re-sent: yes":
 * 0x02 data digest error (for a command PDU with immediate data, N-07), 0x03 SNACK
 * reject, 0x06 too many immediate commands (N-06), 0x0a long operation reject.
 */
export const RESENDABLE_REASONS: ReadonlySet<number> = new Set([0x02, 0x03, 0x06, 0x0a]);

/** Retries of one SCSI command after resendable Rejects before the task fails. */
export const MAX_REJECT_RETRIES = 2;

/** Decode the rejected PDU's identity from the Reject data segment (N-01). */
export function parseRejected(reason: number, header: Buffer): RejectedPdu {
  return {
    reason,
    opcode: header.length >= 1 ? header[0]! & 0x3f : -1,
    immediate: header.length >= 1 && (header[0]! & 0x40) !== 0,
    itt: header.length >= 20 ? header.readUInt32BE(16) : RESERVED_TAG,
    cmdSN: header.length >= 28 ? header.readUInt32BE(24) : 0,
    lun: header.length >= 16 ? Buffer.from(header.subarray(8, 16)) : Buffer.alloc(8),
  };
}

/** True when the rejected PDU consumed a CmdSN at the initiator (a possible hole, N-02). */
export function leavesCmdSNGap(r: RejectedPdu): boolean {
  return !r.immediate && COMMAND_OPCODES.has(r.opcode);
}

/** The error a task fails with; `retryable` follows the §11.17.1 "re-sent" column (N-06). */
export function rejectError(r: RejectedPdu): ProtocolError {
  return new ProtocolError('PDU_REJECTED', `target rejected PDU opcode 0x${r.opcode.toString(16)} ITT 0x${r.itt.toString(16)} (reason 0x${r.reason.toString(16)})`, {
    where: 'Reject',
    retryable: RESENDABLE_REASONS.has(r.reason),
    details: { reason: r.reason, opcode: r.opcode, itt: r.itt },
  });
}
