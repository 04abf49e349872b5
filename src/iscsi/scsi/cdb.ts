/**
 * Command Descriptor Block builders for the few SCSI commands the initiator
 * issues itself (LUN scan, capacity, the usertcp data path).
 *
 * Every builder returns the CDB zero-padded to 16 bytes — the size of the
 * iSCSI SCSI Command PDU's CDB field (RFC 7143 §11.3.5) — plus the length the
 * command really has. Multi-byte fields are big-endian (SPC-4 §3.5.2).
 * Byte 0 is always the OPERATION CODE and the last byte of the real CDB is
 * CONTROL (SAM-5), always 0 here (no NACA, no linking).
 */
import { ConfigError } from '../../shared/errors.js';

/** The iSCSI SCSI Command PDU carries 16 CDB bytes (longer CDBs need an AHS). */
export const CDB_FIELD_LENGTH = 16;

/** SCSI operation codes used here (SPC-4 / SBC-3 command tables). */
export const ScsiOp = {
  TestUnitReady: 0x00,
  Inquiry: 0x12,
  Read16: 0x88,
  Write16: 0x8a,
  ServiceActionIn16: 0x9e,
  ReportLuns: 0xa0,
} as const;

/** SERVICE ACTION IN(16) service action for READ CAPACITY(16) (SBC-3 READ CAPACITY (16) command). */
export const SA_READ_CAPACITY_16 = 0x10;

/** Direction of the data phase, for the SCSI Command PDU's R/W bits. */
export type CdbDirection = 'none' | 'read' | 'write';

/** A built command. */
export interface Cdb {
  /** 16 bytes; bytes past `cdbLength` are zero. */
  readonly cdb: Buffer;
  /** Real CDB length: 6, 12 or 16. */
  readonly cdbLength: 6 | 12 | 16;
  /** Data phase of the command. */
  readonly direction: CdbDirection;
}

/** Options for READ(16)/WRITE(16). */
export interface ReadWrite16Options {
  /** First logical block: bigint up to 2^64-1 or a safe integer number (< 2^53). */
  lba: bigint | number;
  /** TRANSFER LENGTH in logical blocks, 0 .. 2^32-1 (0 transfers nothing). */
  blocks: number;
  /** Force Unit Access (bypass the volatile cache). */
  fua?: boolean;
  /** Disable Page Out (do not keep the blocks in cache). */
  dpo?: boolean;
}

const MAX_U64 = (1n << 64n) - 1n;

function badField(field: string, value: unknown, range: string): ConfigError {
  return new ConfigError('BAD_CDB_FIELD', `CDB field ${field}=${String(value)} out of range ${range}`, { details: { field } });
}

function checkUint(field: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) throw badField(field, value, `0..${max}`);
}

function make(op: number, cdbLength: Cdb['cdbLength'], direction: CdbDirection): { buf: Buffer; out: Cdb } {
  const buf = Buffer.alloc(CDB_FIELD_LENGTH);
  buf[0] = op;
  return { buf, out: { cdb: buf, cdbLength, direction } };
}

/**
 * TEST UNIT READY, SPC-4 TEST UNIT READY command, (6 bytes):
 *   0 OPERATION CODE (00h) | 1-4 reserved | 5 CONTROL
 */
export function testUnitReadyCdb(): Cdb {
  return make(ScsiOp.TestUnitReady, 6, 'none').out;
}

/**
 * INQUIRY, SPC-4 §6.6 (6 bytes):
 *   0 OPERATION CODE (12h)
 *   1 bit 0 EVPD (bit 1 CMDDT is obsolete, 0)
 *   2 PAGE CODE (must be 0 when EVPD is 0)
 *   3-4 ALLOCATION LENGTH (16-bit)
 *   5 CONTROL
 * Without `pageCode` this asks for standard INQUIRY data; with it, EVPD=1 and
 * the given VPD page.
 */
export function inquiryCdb(opts: { allocationLength: number; pageCode?: number }): Cdb {
  checkUint('ALLOCATION LENGTH', opts.allocationLength, 0xffff);
  const { buf, out } = make(ScsiOp.Inquiry, 6, 'read');
  if (opts.pageCode !== undefined) {
    checkUint('PAGE CODE', opts.pageCode, 0xff);
    buf[1] = 0x01;
    buf[2] = opts.pageCode;
  }
  buf.writeUInt16BE(opts.allocationLength, 3);
  return out;
}

/**
 * REPORT LUNS, SPC-4 REPORT LUNS command, (12 bytes):
 *   0 OPERATION CODE (A0h) | 1 reserved | 2 SELECT REPORT | 3-5 reserved
 *   6-9 ALLOCATION LENGTH (32-bit, at least 16) | 10 reserved | 11 CONTROL
 * SELECT REPORT 0 = all logical units except well-known ones.
 */
export function reportLunsCdb(opts: { allocationLength: number; selectReport?: number }): Cdb {
  const sel = opts.selectReport ?? 0;
  checkUint('SELECT REPORT', sel, 0xff);
  checkUint('ALLOCATION LENGTH', opts.allocationLength, 0xffffffff);
  if (opts.allocationLength < 16) throw badField('ALLOCATION LENGTH', opts.allocationLength, '16..4294967295 (SPC-4 REPORT LUNS)');
  const { buf, out } = make(ScsiOp.ReportLuns, 12, 'read');
  buf[2] = sel;
  buf.writeUInt32BE(opts.allocationLength, 6);
  return out;
}

/**
 * READ CAPACITY(16) = SERVICE ACTION IN(16) with service action 10h, SBC-3 READ CAPACITY (16) command (16 bytes):
 *   0 OPERATION CODE (9Eh) | 1 bits 4-0 SERVICE ACTION (10h)
 *   2-9 obsolete (LOGICAL BLOCK ADDRESS, 0) | 10-13 ALLOCATION LENGTH (32-bit)
 *   14 bit 0 obsolete PMI (0) | 15 CONTROL
 * The parameter data is 32 bytes, so that is the default allocation length.
 */
export function readCapacity16Cdb(allocationLength = 32): Cdb {
  checkUint('ALLOCATION LENGTH', allocationLength, 0xffffffff);
  const { buf, out } = make(ScsiOp.ServiceActionIn16, 16, 'read');
  buf[1] = SA_READ_CAPACITY_16;
  buf.writeUInt32BE(allocationLength, 10);
  return out;
}

function lbaToBigint(lba: bigint | number): bigint {
  if (typeof lba === 'bigint') {
    if (lba < 0n || lba > MAX_U64) throw badField('LOGICAL BLOCK ADDRESS', lba, '0..2^64-1');
    return lba;
  }
  if (!Number.isSafeInteger(lba) || lba < 0) throw badField('LOGICAL BLOCK ADDRESS', lba, '0..2^53-1 (use a bigint above)');
  return BigInt(lba);
}

/**
 * READ(16) / WRITE(16), SBC-3 READ (16) and WRITE (16) command tables (16 bytes):
 *   0 OPERATION CODE (88h READ, 8Ah WRITE)
 *   1 bits 7-5 RDPROTECT/WRPROTECT (0), bit 4 DPO, bit 3 FUA, bit 2 RARC (read only, 0),
 *     bit 1 obsolete, bit 0 DLD2 (0)
 *   2-9 LOGICAL BLOCK ADDRESS (64-bit)
 *   10-13 TRANSFER LENGTH (32-bit, in logical blocks)
 *   14 bit 7 restricted, bits 6-5 DLD1/DLD0 (0), bits 4-0 GROUP NUMBER (0)
 *   15 CONTROL
 */
function rw16(op: number, direction: CdbDirection, o: ReadWrite16Options): Cdb {
  checkUint('TRANSFER LENGTH', o.blocks, 0xffffffff);
  const { buf, out } = make(op, 16, direction);
  buf[1] = (o.dpo === true ? 0x10 : 0) | (o.fua === true ? 0x08 : 0);
  if (typeof o.lba === 'number' && Number.isSafeInteger(o.lba) && o.lba >= 0) {
    // A safe integer as two 32-bit halves: no BigInt per command (bench/read-64k).
    buf.writeUInt32BE(Math.floor(o.lba / 2 ** 32), 2);
    buf.writeUInt32BE(o.lba >>> 0, 6);
  } else {
    buf.writeBigUInt64BE(lbaToBigint(o.lba), 2);
  }
  buf.writeUInt32BE(o.blocks, 10);
  return out;
}

/** READ(16) (SBC-3): read `blocks` logical blocks starting at `lba`. */
export function read16Cdb(opts: ReadWrite16Options): Cdb {
  return rw16(ScsiOp.Read16, 'read', opts);
}

/** WRITE(16) (SBC-3): write `blocks` logical blocks starting at `lba`. */
export function write16Cdb(opts: ReadWrite16Options): Cdb {
  return rw16(ScsiOp.Write16, 'write', opts);
}
