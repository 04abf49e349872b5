/**
 * Standard INQUIRY data (SPC-4 §6.6.2). Layout of the fields decoded here:
 *   0   bits 7-5 PERIPHERAL QUALIFIER, bits 4-0 PERIPHERAL DEVICE TYPE
 *   1   bit 7 RMB (removable medium)
 *   2   VERSION (0x05 SPC-3, 0x06 SPC-4, 0x00 no claim)
 *   3   bit 5 NORMACA, bit 4 HISUP, bits 3-0 RESPONSE DATA FORMAT (2)
 *   4   ADDITIONAL LENGTH (n - 4)
 *   8-15  T10 VENDOR IDENTIFICATION (ASCII, space padded)
 *   16-31 PRODUCT IDENTIFICATION
 *   32-35 PRODUCT REVISION LEVEL
 * SPC-4 requires at least 36 bytes of standard INQUIRY data.
 */
import { asciiField, requireLength } from './bytes.js';

/** Minimum standard INQUIRY data length holding vendor/product/revision. */
export const STANDARD_INQUIRY_MIN_LENGTH = 36;

/** Decoded standard INQUIRY data. */
export interface StandardInquiry {
  /** 0 connected, 1 supported but not connected, 3 no LU at this LUN. */
  peripheralQualifier: number;
  /** PERIPHERAL DEVICE TYPE, see `deviceTypeName`. */
  peripheralDeviceType: number;
  removable: boolean;
  /** VERSION byte (SPC version claimed). */
  version: number;
  /** RESPONSE DATA FORMAT (2 for current devices). */
  responseDataFormat: number;
  /** HISUP: hierarchical LUNs supported. */
  hierarchicalSupport: boolean;
  /** ADDITIONAL LENGTH + 5: how many bytes the target has available. */
  availableLength: number;
  /** T10 vendor identification, trimmed. */
  vendor: string;
  /** Product identification, trimmed. */
  product: string;
  /** Product revision level, trimmed. */
  revision: string;
}

/**
 * Parse standard INQUIRY data. Throws ProtocolError `BAD_SCSI_DATA` when fewer
 * than 36 bytes are present. ADDITIONAL LENGTH is reported, not enforced: a
 * response truncated by the allocation length is normal.
 */
export function parseStandardInquiry(data: Uint8Array): StandardInquiry {
  requireLength(data, STANDARD_INQUIRY_MIN_LENGTH, 'INQUIRY.standard');
  const b0 = data[0]!;
  return {
    peripheralQualifier: b0 >> 5,
    peripheralDeviceType: b0 & 0x1f,
    removable: (data[1]! & 0x80) !== 0,
    version: data[2]!,
    responseDataFormat: data[3]! & 0x0f,
    hierarchicalSupport: (data[3]! & 0x10) !== 0,
    availableLength: data[4]! + 5,
    vendor: asciiField(data, 8, 16),
    product: asciiField(data, 16, 32),
    revision: asciiField(data, 32, 36),
  };
}
