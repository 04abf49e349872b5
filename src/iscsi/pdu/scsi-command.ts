/**
 * SCSI Command (§11.3).
 *
 *   0  .|I| 0x01 | F|R|W|.|.|ATTR | reserved (2 bytes)
 *   8  LUN
 *  16  ITT
 *  20  Expected Data Transfer Length
 *  24  CmdSN
 *  28  ExpStatSN
 *  32  SCSI Command Descriptor Block (16 bytes)
 *
 * CDBs longer than 16 bytes continue in an Extended-CDB AHS (§11.2.2.3),
 * which the caller supplies as raw `ahs` bytes.
 */
import {
  FINAL_BIT, OFF_CMDSN, OFF_EXPSTATSN, OFF_FLAGS, OFF_ITT,
  ahsField, checkParts, fieldValue, newBhs, readFinal, readFlags, readImmediate, readItt, readLun, readRaw, readU32,
  writeLun, writeRaw, writeU32,
} from './bhs.js';
import { Opcode, type ScsiCommand } from './types.js';

const OFF_EDTL = 20;
const OFF_CDB = 32;
const CDB_LENGTH = 16;
const READ_BIT = 0x40;
const WRITE_BIT = 0x20;
const ATTR_MASK = 0x07;

/** Encodes the 48-byte BHS of a SCSI Command; a CDB shorter than 16 bytes is zero-padded. */
export function encodeScsiCommand(pdu: ScsiCommand): Buffer {
  const bhs = newBhs(Opcode.ScsiCommand, pdu.immediate, pdu, 'ScsiCommand');
  bhs[OFF_FLAGS] = (pdu.final ? FINAL_BIT : 0) | (pdu.read ? READ_BIT : 0) | (pdu.write ? WRITE_BIT : 0)
    | fieldValue(pdu.attr, ATTR_MASK, 'ScsiCommand.attr');
  writeLun(bhs, pdu.lun, 'ScsiCommand.lun');
  writeU32(bhs, OFF_ITT, pdu.itt, 'ScsiCommand.itt');
  writeU32(bhs, OFF_EDTL, pdu.expectedDataTransferLength, 'ScsiCommand.expectedDataTransferLength');
  writeU32(bhs, OFF_CMDSN, pdu.cmdSN, 'ScsiCommand.cmdSN');
  writeU32(bhs, OFF_EXPSTATSN, pdu.expStatSN, 'ScsiCommand.expStatSN');
  writeRaw(bhs, OFF_CDB, pdu.cdb, CDB_LENGTH, 'ScsiCommand.cdb', true);
  return bhs;
}

/** Decodes a SCSI Command (fake target side); `cdb` is always the 16 header bytes. */
export function decodeScsiCommand(bhs: Buffer, ahs: Buffer, data: Buffer): ScsiCommand {
  checkParts(bhs, ahs, data, Opcode.ScsiCommand, 'ScsiCommand');
  const flags = readFlags(bhs);
  return {
    kind: 'scsi-command',
    immediate: readImmediate(bhs),
    final: readFinal(bhs),
    read: (flags & READ_BIT) !== 0,
    write: (flags & WRITE_BIT) !== 0,
    attr: flags & ATTR_MASK,
    lun: readLun(bhs),
    itt: readItt(bhs),
    expectedDataTransferLength: readU32(bhs, OFF_EDTL),
    cmdSN: readU32(bhs, OFF_CMDSN),
    expStatSN: readU32(bhs, OFF_EXPSTATSN),
    cdb: readRaw(bhs, OFF_CDB, CDB_LENGTH),
    ...ahsField(ahs),
    data,
  };
}
