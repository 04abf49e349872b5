/**
 * PDU codec entry points: decode a framed {@link RawPdu} into the typed
 * {@link Pdu} union and encode a Pdu back into its wire parts (RFC 7143 §11).
 *
 * Decoding is table-driven on the opcode. Three views exist because each side
 * of a connection may only receive the other side's opcodes (§11.2.1.2, O-12):
 * - {@link decodeTargetPdu}: what the initiator session receives;
 * - {@link decodeInitiatorPdu}: what the fake target (tests) receives;
 * - {@link decodePdu}: either direction (tools, tests).
 * Decoders throw only ProtocolError. Encoders throw ConfigError for a value
 * that does not fit its field. Neither adds nor strips padding or digests.
 */
import { assertNever, ProtocolError } from '../../shared/errors.js';
import { peekOpcode } from './bhs.js';
import { decodeAsyncMessage, encodeAsyncMessage } from './async.js';
import { decodeDataIn, decodeDataOut, encodeDataIn, encodeDataOut } from './data.js';
import { decodeLoginRequest, decodeLoginResponse, encodeLoginRequest, encodeLoginResponse } from './login.js';
import { decodeLogoutRequest, decodeLogoutResponse, encodeLogoutRequest, encodeLogoutResponse } from './logout.js';
import { decodeNopIn, decodeNopOut, encodeNopIn, encodeNopOut } from './nop.js';
import { decodeR2T, encodeR2T } from './r2t.js';
import { decodeReject, encodeReject } from './reject.js';
import { decodeScsiCommand, encodeScsiCommand } from './scsi-command.js';
import { decodeScsiResponse, encodeScsiResponse } from './scsi-response.js';
import { decodeSnack, encodeSnack } from './snack.js';
import { decodeTaskMgmtRequest, decodeTaskMgmtResponse, encodeTaskMgmtRequest, encodeTaskMgmtResponse } from './task-mgmt.js';
import { decodeTextRequest, decodeTextResponse, encodeTextRequest, encodeTextResponse } from './text.js';
import { Opcode, type InitiatorPdu, type Pdu, type RawPdu, type TargetPdu } from './types.js';

export * from './types.js';
export { peekAhsByteLength, peekDataSegmentLength, peekOpcode, peekTotalAhsLength } from './bhs.js';
export * from './async.js';
export * from './data.js';
export * from './login.js';
export * from './logout.js';
export * from './nop.js';
export * from './r2t.js';
export * from './reject.js';
export * from './scsi-command.js';
export * from './scsi-response.js';
export * from './snack.js';
export * from './task-mgmt.js';
export * from './text.js';

type Decoder<P> = (bhs: Buffer, ahs: Buffer, data: Buffer) => P;

/** Opcodes an initiator sends (0x00-0x1f range, §11.2.1.2). */
const INITIATOR_DECODERS: ReadonlyMap<number, Decoder<InitiatorPdu>> = new Map<number, Decoder<InitiatorPdu>>([
  [Opcode.NopOut, decodeNopOut],
  [Opcode.ScsiCommand, decodeScsiCommand],
  [Opcode.TaskMgmtRequest, decodeTaskMgmtRequest],
  [Opcode.LoginRequest, decodeLoginRequest],
  [Opcode.TextRequest, decodeTextRequest],
  [Opcode.DataOut, decodeDataOut],
  [Opcode.LogoutRequest, decodeLogoutRequest],
  [Opcode.Snack, decodeSnack],
]);

/** Opcodes a target sends (0x20-0x3f range, §11.2.1.2). */
const TARGET_DECODERS: ReadonlyMap<number, Decoder<TargetPdu>> = new Map<number, Decoder<TargetPdu>>([
  [Opcode.NopIn, decodeNopIn],
  [Opcode.ScsiResponse, decodeScsiResponse],
  [Opcode.TaskMgmtResponse, decodeTaskMgmtResponse],
  [Opcode.LoginResponse, decodeLoginResponse],
  [Opcode.TextResponse, decodeTextResponse],
  [Opcode.DataIn, decodeDataIn],
  [Opcode.LogoutResponse, decodeLogoutResponse],
  [Opcode.R2T, decodeR2T],
  [Opcode.AsyncMessage, decodeAsyncMessage],
  [Opcode.Reject, decodeReject],
]);

function unknownOpcode(opcode: number): never {
  throw new ProtocolError('UNKNOWN_OPCODE', `unassigned opcode 0x${opcode.toString(16)}`, {
    where: 'BHS.opcode',
    details: { opcode },
  });
}

function unexpectedOpcode(opcode: number, expected: string): never {
  throw new ProtocolError('UNEXPECTED_OPCODE', `opcode 0x${opcode.toString(16)} is not a ${expected} opcode`, {
    where: 'BHS.opcode',
    details: { opcode },
  });
}

/**
 * Decodes a PDU of either direction. Unassigned opcode → UNKNOWN_OPCODE;
 * malformed fields → ProtocolError naming the field in `details.where`.
 */
export function decodePdu(raw: RawPdu): Pdu {
  const opcode = peekOpcode(raw.bhs);
  const decode = INITIATOR_DECODERS.get(opcode) ?? TARGET_DECODERS.get(opcode) ?? unknownOpcode(opcode);
  return decode(raw.bhs, raw.ahs, raw.data);
}

/**
 * Decodes a PDU received by an initiator. An initiator opcode (e.g. 0x01) →
 * UNEXPECTED_OPCODE; an unassigned one (e.g. 0x3b) → UNKNOWN_OPCODE (O-12).
 */
export function decodeTargetPdu(raw: RawPdu): TargetPdu {
  const opcode = peekOpcode(raw.bhs);
  const decode = TARGET_DECODERS.get(opcode)
    ?? (INITIATOR_DECODERS.has(opcode) ? unexpectedOpcode(opcode, 'target') : unknownOpcode(opcode));
  return decode(raw.bhs, raw.ahs, raw.data);
}

/**
 * Decodes a PDU received by a target (used by the fake target). A target
 * opcode → UNEXPECTED_OPCODE; an unassigned one → UNKNOWN_OPCODE.
 */
export function decodeInitiatorPdu(raw: RawPdu): InitiatorPdu {
  const opcode = peekOpcode(raw.bhs);
  const decode = INITIATOR_DECODERS.get(opcode)
    ?? (TARGET_DECODERS.has(opcode) ? unexpectedOpcode(opcode, 'initiator') : unknownOpcode(opcode));
  return decode(raw.bhs, raw.ahs, raw.data);
}

/** Encodes only the 48-byte BHS of any PDU (TotalAHSLength and DataSegmentLength included). */
export function encodeBhs(pdu: Pdu): Buffer {
  switch (pdu.kind) {
    case 'nop-out': return encodeNopOut(pdu);
    case 'scsi-command': return encodeScsiCommand(pdu);
    case 'task-mgmt-request': return encodeTaskMgmtRequest(pdu);
    case 'login-request': return encodeLoginRequest(pdu);
    case 'text-request': return encodeTextRequest(pdu);
    case 'data-out': return encodeDataOut(pdu);
    case 'logout-request': return encodeLogoutRequest(pdu);
    case 'snack': return encodeSnack(pdu);
    case 'nop-in': return encodeNopIn(pdu);
    case 'scsi-response': return encodeScsiResponse(pdu);
    case 'task-mgmt-response': return encodeTaskMgmtResponse(pdu);
    case 'login-response': return encodeLoginResponse(pdu);
    case 'text-response': return encodeTextResponse(pdu);
    case 'data-in': return encodeDataIn(pdu);
    case 'logout-response': return encodeLogoutResponse(pdu);
    case 'r2t': return encodeR2T(pdu);
    case 'async-message': return encodeAsyncMessage(pdu);
    case 'reject': return encodeReject(pdu);
    default: return assertNever(pdu, 'PDU kind');
  }
}

const NO_AHS = Buffer.alloc(0);

/**
 * Encodes a PDU into its wire parts: the BHS (TotalAHSLength from `pdu.ahs`,
 * which must be a multiple of 4, else ConfigError BAD_AHS_LENGTH; DataSegmentLength
 * from `pdu.data.length`, which must be < 2^24, else ConfigError DATA_TOO_LONG),
 * plus the AHS and data unchanged. No padding, no digests (the serializer adds them).
 */
export function encodePdu(pdu: Pdu): RawPdu {
  return { bhs: encodeBhs(pdu), ahs: pdu.ahs ?? NO_AHS, data: pdu.data };
}
