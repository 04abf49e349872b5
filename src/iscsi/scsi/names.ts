/**
 * Names for SCSI status codes (SAM-5 status table) and peripheral device types
 * (SPC-4 standard INQUIRY data, PERIPHERAL DEVICE TYPE field).
 */

/** SCSI STATUS values (SAM-5). */
export const ScsiStatus = {
  Good: 0x00,
  CheckCondition: 0x02,
  ConditionMet: 0x04,
  Busy: 0x08,
  ReservationConflict: 0x18,
  TaskSetFull: 0x28,
  AcaActive: 0x30,
  TaskAborted: 0x40,
} as const;

const STATUS_NAMES: ReadonlyMap<number, string> = new Map([
  [ScsiStatus.Good, 'GOOD'],
  [ScsiStatus.CheckCondition, 'CHECK CONDITION'],
  [ScsiStatus.ConditionMet, 'CONDITION MET'],
  [ScsiStatus.Busy, 'BUSY'],
  [ScsiStatus.ReservationConflict, 'RESERVATION CONFLICT'],
  [ScsiStatus.TaskSetFull, 'TASK SET FULL'],
  [ScsiStatus.AcaActive, 'ACA ACTIVE'],
  [ScsiStatus.TaskAborted, 'TASK ABORTED'],
]);

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/** Name of a SCSI status byte, e.g. 0x02 → "CHECK CONDITION"; unknown → "UNKNOWN STATUS (0xNN)". */
export function scsiStatusName(status: number): string {
  return STATUS_NAMES.get(status) ?? `UNKNOWN STATUS (0x${hex2(status)})`;
}

/** PERIPHERAL DEVICE TYPE names (SPC-4). */
const DEVICE_TYPES: ReadonlyMap<number, string> = new Map([
  [0x00, 'Direct-Access'],
  [0x01, 'Sequential-Access'],
  [0x02, 'Printer'],
  [0x03, 'Processor'],
  [0x04, 'Write-Once'],
  [0x05, 'CD/DVD'],
  [0x06, 'Scanner'],
  [0x07, 'Optical Memory'],
  [0x08, 'Medium Changer'],
  [0x09, 'Communications'],
  [0x0c, 'Storage Array Controller'],
  [0x0d, 'Enclosure Services'],
  [0x0e, 'Simplified Direct-Access'],
  [0x0f, 'Optical Card Reader/Writer'],
  [0x10, 'Bridge Controller'],
  [0x11, 'Object-Based Storage'],
  [0x12, 'Automation/Drive Interface'],
  [0x13, 'Security Manager'],
  [0x14, 'Host Managed Zoned Block'],
  [0x1e, 'Well Known Logical Unit'],
  [0x1f, 'Unknown'],
]);

/** Name of a PERIPHERAL DEVICE TYPE (0..31), e.g. 0 → "Direct-Access"; reserved → "Reserved (0xNN)". */
export function deviceTypeName(pdt: number): string {
  return DEVICE_TYPES.get(pdt) ?? `Reserved (0x${hex2(pdt)})`;
}
