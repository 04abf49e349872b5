/**
 * READ CAPACITY(16) parameter data (SBC-3 READ CAPACITY (16) command), 32 bytes:
 *   0-7   RETURNED LOGICAL BLOCK ADDRESS (the last LBA)
 *   8-11  LOGICAL BLOCK LENGTH IN BYTES
 *   12    bits 3-1 P_TYPE, bit 0 PROT_EN
 *   13    bits 7-4 P_I_EXPONENT, bits 3-0 LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT
 *   14    bit 7 LBPME, bit 6 LBPRZ, bits 5-0 LOWEST ALIGNED LOGICAL BLOCK ADDRESS (MSB)
 *   15    LOWEST ALIGNED LOGICAL BLOCK ADDRESS (LSB)
 *   16-31 reserved
 */
import { badScsiData, requireLength, u16, u32, u64 } from './bytes.js';

/** Bytes needed for every field decoded here (the rest of the 32 is reserved). */
export const READ_CAPACITY16_MIN_LENGTH = 16;

/** Decoded READ CAPACITY(16) data. */
export interface Capacity16 {
  /** Address of the last logical block. */
  lastLba: bigint;
  /** Logical block length in bytes. */
  blockLength: number;
  /** Number of logical blocks (lastLba + 1). */
  blocks: bigint;
  /** Capacity in bytes (blocks * blockLength). */
  sizeBytes: bigint;
  /** Physical block = 2^exp logical blocks. */
  logicalPerPhysicalExp: number;
  /** First LBA aligned to a physical block boundary (14 bits). */
  lowestAlignedLba: number;
  /** PROT_EN: protection information enabled. */
  protectionEnabled: boolean;
  /** P_TYPE: protection type - 1 (meaningful when protectionEnabled). */
  protectionType: number;
  /** LBPME: logical block provisioning management (thin provisioning) enabled. */
  thinProvisioning: boolean;
  /** LBPRZ: unmapped blocks read as zeros. */
  unmappedReadsZero: boolean;
}

/**
 * Parse READ CAPACITY(16) data. Throws ProtocolError `BAD_SCSI_DATA` when fewer
 * than 16 bytes are present or the LOGICAL BLOCK LENGTH is 0.
 */
export function parseReadCapacity16(data: Uint8Array): Capacity16 {
  requireLength(data, READ_CAPACITY16_MIN_LENGTH, 'READ CAPACITY(16)');
  const lastLba = u64(data, 0);
  const blockLength = u32(data, 8);
  if (blockLength === 0) throw badScsiData('READ CAPACITY(16).LOGICAL BLOCK LENGTH', 'is 0');
  const blocks = lastLba + 1n;
  return {
    lastLba,
    blockLength,
    blocks,
    sizeBytes: blocks * BigInt(blockLength),
    logicalPerPhysicalExp: data[13]! & 0x0f,
    lowestAlignedLba: u16(data, 14) & 0x3fff,
    protectionEnabled: (data[12]! & 0x01) !== 0,
    protectionType: (data[12]! >> 1) & 0x07,
    thinProvisioning: (data[14]! & 0x80) !== 0,
    unmappedReadsZero: (data[14]! & 0x40) !== 0,
  };
}
