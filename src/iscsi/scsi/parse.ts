/**
 * SCSI response parsers, one import point. Each concept lives in its own file:
 * LUNs and REPORT LUNS (lun.ts), standard INQUIRY (inquiry.ts), VPD pages
 * (vpd.ts), READ CAPACITY(16) (capacity.ts), sense data and the SCSI Response
 * data segment (sense.ts), status/device-type names (names.ts).
 *
 * Every parser takes untrusted bytes and throws only ProtocolError with code
 * `BAD_SCSI_DATA` and a `where` detail naming the structure and field.
 */
export { BAD_SCSI_DATA } from './bytes.js';
export { decodeLun, encodeLun, parseReportLuns, reportLunsRequiredLength, type LunAddressMethod, type LunDescriptor } from './lun.js';
export { parseStandardInquiry, STANDARD_INQUIRY_MIN_LENGTH, type StandardInquiry } from './inquiry.js';
export {
  CodeSet,
  parseVpdDeviceIdentification,
  parseVpdSupportedPages,
  parseVpdUnitSerial,
  vpdRequiredLength,
  VpdPage,
  type Designator,
} from './vpd.js';
export { parseReadCapacity16, READ_CAPACITY16_MIN_LENGTH, type Capacity16 } from './capacity.js';
export { parseScsiResponseData, parseSense, senseKeyName, type ScsiResponseData, type SenseData } from './sense.js';
export { ascDescription } from './asc.js';
export { deviceTypeName, ScsiStatus, scsiStatusName } from './names.js';
