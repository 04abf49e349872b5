/**
 * iSCSI PDU model (RFC 7143 §11). One discriminated union over every PDU an
 * initiator sends or receives. Field names follow the RFC; all sequence numbers
 * and tags are unsigned 32-bit numbers; ISID is the 6 raw bytes.
 *
 * Wire layout of the Basic Header Segment (BHS, 48 bytes, §11.2.1):
 *   0      .|I| Opcode (6 bits)
 *   1      F| opcode-specific
 *   2-3    opcode-specific
 *   4      TotalAHSLength (in 4-byte words)
 *   5-7    DataSegmentLength (bytes, excluding padding)
 *   8-15   LUN or opcode-specific
 *   16-19  Initiator Task Tag
 *   20-47  opcode-specific
 */

export const BHS_LENGTH = 48;
/** Reserved tag value (ITT / TTT "no tag"), §11.2.1.8. */
export const RESERVED_TAG = 0xffffffff;

/** Opcodes, §11.2.1.2. Initiator opcodes 0x00-0x1f, target opcodes 0x20-0x3f. */
export const Opcode = {
  NopOut: 0x00,
  ScsiCommand: 0x01,
  TaskMgmtRequest: 0x02,
  LoginRequest: 0x03,
  TextRequest: 0x04,
  DataOut: 0x05,
  LogoutRequest: 0x06,
  Snack: 0x10,
  NopIn: 0x20,
  ScsiResponse: 0x21,
  TaskMgmtResponse: 0x22,
  LoginResponse: 0x23,
  TextResponse: 0x24,
  DataIn: 0x25,
  LogoutResponse: 0x26,
  R2T: 0x31,
  AsyncMessage: 0x32,
  Reject: 0x3f,
} as const;
export type OpcodeValue = (typeof Opcode)[keyof typeof Opcode];

/** Login stages (CSG/NSG), §11.12.3. Value 2 is reserved. */
export const Stage = { Security: 0, Operational: 1, FullFeature: 3 } as const;
export type StageValue = 0 | 1 | 3;

/** Fields present on every PDU. */
interface PduBase {
  /** Raw Additional Header Segments (TotalAHSLength * 4 bytes); empty for nearly every PDU. */
  ahs?: Buffer;
  /** Data segment without padding or digest; empty Buffer when DataSegmentLength is 0. */
  data: Buffer;
}

// ---- Initiator -> target -------------------------------------------------

/** §11.18 NOP-Out. byte1 = 0x80 (F). */
export interface NopOut extends PduBase {
  kind: 'nop-out';
  immediate: boolean;
  lun: Buffer; // 8 bytes
  itt: number;
  ttt: number;
  cmdSN: number;
  expStatSN: number;
}

/** §11.3 SCSI Command. byte1: F(0x80) R(0x40) W(0x20) ATTR(0x07). */
export interface ScsiCommand extends PduBase {
  kind: 'scsi-command';
  immediate: boolean;
  final: boolean;
  read: boolean;
  write: boolean;
  /** Task attribute 0..7 (0 untagged, 1 simple, 2 ordered, 3 head of queue, 4 ACA). */
  attr: number;
  lun: Buffer;
  itt: number;
  expectedDataTransferLength: number;
  cmdSN: number;
  expStatSN: number;
  /** 16 bytes; shorter CDBs are zero-padded. */
  cdb: Buffer;
}

/** §11.5 Task Management Function Request. byte1 = 0x80 | function. */
export interface TaskMgmtRequest extends PduBase {
  kind: 'task-mgmt-request';
  immediate: boolean;
  function: number;
  lun: Buffer;
  itt: number;
  referencedTaskTag: number;
  cmdSN: number;
  expStatSN: number;
  refCmdSN: number;
  expDataSN: number;
}

/** §11.12 Login Request. byte0 is always 0x43 (I=1). */
export interface LoginRequest extends PduBase {
  kind: 'login-request';
  transit: boolean;
  cont: boolean;
  csg: number;
  nsg: number;
  versionMax: number;
  versionMin: number;
  isid: Buffer; // 6 bytes
  tsih: number;
  itt: number;
  cid: number;
  cmdSN: number;
  expStatSN: number;
}

/** §11.10 Text Request. byte1: F(0x80) C(0x40). */
export interface TextRequest extends PduBase {
  kind: 'text-request';
  immediate: boolean;
  final: boolean;
  cont: boolean;
  lun: Buffer;
  itt: number;
  ttt: number;
  cmdSN: number;
  expStatSN: number;
}

/** §11.7 SCSI Data-Out. byte1: F(0x80). */
export interface DataOut extends PduBase {
  kind: 'data-out';
  final: boolean;
  lun: Buffer;
  itt: number;
  ttt: number;
  expStatSN: number;
  dataSN: number;
  bufferOffset: number;
}

/** §11.14 Logout Request. byte1 = 0x80 | reasonCode. */
export interface LogoutRequest extends PduBase {
  kind: 'logout-request';
  immediate: boolean;
  /** 0 close session, 1 close connection, 2 remove connection for recovery. */
  reasonCode: number;
  itt: number;
  cid: number;
  cmdSN: number;
  expStatSN: number;
}

/** §11.16 SNACK Request. byte1 = 0x80 | type. */
export interface Snack extends PduBase {
  kind: 'snack';
  type: number;
  lun: Buffer;
  itt: number;
  ttt: number;
  expStatSN: number;
  begRun: number;
  runLength: number;
}

// ---- Target -> initiator -------------------------------------------------

/** §11.19 NOP-In. */
export interface NopIn extends PduBase {
  kind: 'nop-in';
  lun: Buffer;
  itt: number;
  ttt: number;
  statSN: number;
  expCmdSN: number;
  maxCmdSN: number;
}

/** §11.4 SCSI Response. byte1: 0x80 | o(0x10) u(0x08) O(0x04) U(0x02). */
export interface ScsiResponse extends PduBase {
  kind: 'scsi-response';
  bidiOverflow: boolean;
  bidiUnderflow: boolean;
  overflow: boolean;
  underflow: boolean;
  /** iSCSI response: 0x00 command completed at target, 0x01 target failure. */
  response: number;
  /** SCSI status (0x00 GOOD, 0x02 CHECK CONDITION, ...). */
  status: number;
  itt: number;
  snackTag: number;
  statSN: number;
  expCmdSN: number;
  maxCmdSN: number;
  expDataSN: number;
  bidiResidualCount: number;
  residualCount: number;
}

/** §11.6 Task Management Function Response. */
export interface TaskMgmtResponse extends PduBase {
  kind: 'task-mgmt-response';
  response: number;
  itt: number;
  statSN: number;
  expCmdSN: number;
  maxCmdSN: number;
}

/** §11.13 Login Response. */
export interface LoginResponse extends PduBase {
  kind: 'login-response';
  transit: boolean;
  cont: boolean;
  csg: number;
  nsg: number;
  versionMax: number;
  versionActive: number;
  isid: Buffer;
  tsih: number;
  itt: number;
  statSN: number;
  expCmdSN: number;
  maxCmdSN: number;
  statusClass: number;
  statusDetail: number;
}

/** §11.11 Text Response. */
export interface TextResponse extends PduBase {
  kind: 'text-response';
  final: boolean;
  cont: boolean;
  lun: Buffer;
  itt: number;
  ttt: number;
  statSN: number;
  expCmdSN: number;
  maxCmdSN: number;
}

/** §11.7 SCSI Data-In. byte1: F(0x80) A(0x40) O(0x04) U(0x02) S(0x01); byte3 status (valid with S). */
export interface DataIn extends PduBase {
  kind: 'data-in';
  final: boolean;
  acknowledge: boolean;
  overflow: boolean;
  underflow: boolean;
  hasStatus: boolean;
  status: number;
  lun: Buffer;
  itt: number;
  ttt: number;
  statSN: number;
  expCmdSN: number;
  maxCmdSN: number;
  dataSN: number;
  bufferOffset: number;
  residualCount: number;
}

/** §11.15 Logout Response. */
export interface LogoutResponse extends PduBase {
  kind: 'logout-response';
  /** 0 closed successfully, 1 CID not found, 2 recovery not supported, 3 cleanup failed. */
  response: number;
  itt: number;
  statSN: number;
  expCmdSN: number;
  maxCmdSN: number;
  time2Wait: number;
  time2Retain: number;
}

/** §11.8 Ready To Transfer. */
export interface R2T extends PduBase {
  kind: 'r2t';
  lun: Buffer;
  itt: number;
  ttt: number;
  statSN: number;
  expCmdSN: number;
  maxCmdSN: number;
  r2tSN: number;
  bufferOffset: number;
  desiredDataTransferLength: number;
}

/** §11.9 Asynchronous Message. ITT is always 0xffffffff. */
export interface AsyncMessage extends PduBase {
  kind: 'async-message';
  lun: Buffer;
  statSN: number;
  expCmdSN: number;
  maxCmdSN: number;
  asyncEvent: number;
  asyncVCode: number;
  parameter1: number;
  parameter2: number;
  parameter3: number;
}

/** §11.17 Reject. Data segment = the complete header of the rejected PDU. */
export interface Reject extends PduBase {
  kind: 'reject';
  reason: number;
  statSN: number;
  expCmdSN: number;
  maxCmdSN: number;
  dataSN: number;
}

export type InitiatorPdu = NopOut | ScsiCommand | TaskMgmtRequest | LoginRequest | TextRequest | DataOut | LogoutRequest | Snack;
export type TargetPdu = NopIn | ScsiResponse | TaskMgmtResponse | LoginResponse | TextResponse | DataIn | LogoutResponse | R2T | AsyncMessage | Reject;
export type Pdu = InitiatorPdu | TargetPdu;
export type PduKind = Pdu['kind'];

/** A PDU split into its wire parts by the framer, before field decoding. */
export interface RawPdu {
  /** The 48-byte BHS. */
  bhs: Buffer;
  /** AHS bytes (possibly empty). */
  ahs: Buffer;
  /** Data segment without padding (possibly empty). */
  data: Buffer;
}

