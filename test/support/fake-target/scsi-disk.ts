/**
 * In-memory SCSI block devices for the fake target (SPC-4 / SBC-3 subset):
 * TEST UNIT READY, INQUIRY (standard; VPD 0x00, 0x80, 0x83), REPORT LUNS,
 * READ CAPACITY(10/16), READ/WRITE(10/16). Sparse storage, so a LUN can claim
 * a large capacity. Data layouts are built here, independently of src/iscsi/scsi.
 *
 * Sense data is fixed format (SPC-4 §4.5.3): byte 0 = 0x70, byte 2 = sense key,
 * byte 7 = additional length (10), bytes 12/13 = ASC/ASCQ.
 */

/** One logical unit. */
export interface LunSpec {
  lun: number;
  /** Capacity in logical blocks (default 16384: 8 MiB at 512-byte blocks). */
  blocks?: number;
  /** Logical block size (default 512). */
  blockSize?: number;
  vendor?: string;
  product?: string;
  revision?: string;
  /** Unit serial number (VPD 0x80; default `FAKE<lun>`). */
  serial?: string;
  /** Peripheral device type (default 0, direct-access block device). */
  deviceType?: number;
}

/** Result of one command. */
export interface ScsiOutcome {
  /** SCSI status: 0x00 GOOD, 0x02 CHECK CONDITION, 0x08 BUSY, ... */
  status: number;
  /** Data-In bytes (already cut to the allocation length). */
  data?: Buffer;
  /** Sense data for CHECK CONDITION. */
  sense?: Buffer;
}

export const GOOD = 0x00;
export const CHECK_CONDITION = 0x02;
const CHUNK = 65536;

/** Fixed-format sense data. */
export function senseData(key: number, asc: number, ascq: number): Buffer {
  const s = Buffer.alloc(18);
  s[0] = 0x70;
  s[2] = key & 0x0f;
  s[7] = 10;
  s[12] = asc;
  s[13] = ascq;
  return s;
}

const check = (key: number, asc: number, ascq: number): ScsiOutcome => ({ status: CHECK_CONDITION, sense: senseData(key, asc, ascq) });
const ILLEGAL_OPCODE = (): ScsiOutcome => check(0x05, 0x20, 0x00);
const INVALID_FIELD = (): ScsiOutcome => check(0x05, 0x24, 0x00);
const LBA_RANGE = (): ScsiOutcome => check(0x05, 0x21, 0x00);
const NO_LUN = (): ScsiOutcome => check(0x05, 0x25, 0x00);

/** LUN number from the 8-byte LUN field (peripheral or flat addressing, SAM-5 §4.7). */
export function lunNumber(field: Buffer): number {
  const method = (field[0]! >> 6) & 3;
  return method === 1 ? ((field[0]! & 0x3f) << 8) | field[1]! : field[1]!;
}

/** 8-byte LUN field for `n` (peripheral below 256, flat above). */
export function lunField(n: number): Buffer {
  const b = Buffer.alloc(8);
  if (n < 256) b[1] = n;
  else {
    b[0] = 0x40 | ((n >> 8) & 0x3f);
    b[1] = n & 0xff;
  }
  return b;
}

function ascii(s: string, len: number): Buffer {
  return Buffer.from(s.padEnd(len, ' ').slice(0, len), 'ascii');
}

function cut(data: Buffer, alloc: number): Buffer {
  return data.subarray(0, Math.min(alloc, data.length));
}

class Unit {
  readonly blocks: number;
  readonly blockSize: number;
  private readonly chunks = new Map<number, Buffer>();

  constructor(readonly spec: LunSpec) {
    this.blocks = spec.blocks ?? 16384;
    this.blockSize = spec.blockSize ?? 512;
  }

  read(offset: number, length: number): Buffer {
    const out = Buffer.alloc(length);
    for (let done = 0; done < length;) {
      const pos = offset + done;
      const idx = Math.floor(pos / CHUNK);
      const within = pos % CHUNK;
      const n = Math.min(CHUNK - within, length - done);
      this.chunks.get(idx)?.copy(out, done, within, within + n);
      done += n;
    }
    return out;
  }

  write(offset: number, data: Buffer): void {
    for (let done = 0; done < data.length;) {
      const pos = offset + done;
      const idx = Math.floor(pos / CHUNK);
      const within = pos % CHUNK;
      const n = Math.min(CHUNK - within, data.length - done);
      let chunk = this.chunks.get(idx);
      if (chunk === undefined) this.chunks.set(idx, (chunk = Buffer.alloc(CHUNK)));
      data.copy(chunk, within, done, done + n);
      done += n;
    }
  }
}

/** A set of LUNs behind one target name. */
export class ScsiDisk {
  private readonly units = new Map<number, Unit>();
  private readonly attentions = new Map<number, Array<[number, number]>>();

  constructor(specs: readonly LunSpec[]) {
    for (const s of specs) this.units.set(s.lun, new Unit(s));
  }

  /** LUN numbers, ascending. */
  luns(): number[] {
    return [...this.units.keys()].sort((a, b) => a - b);
  }

  /** Bytes of LUN `lun` (test helper). */
  read(lun: number, offset: number, length: number): Buffer {
    return this.unit(lun).read(offset, length);
  }

  /** Store bytes on LUN `lun` (test helper). */
  write(lun: number, offset: number, data: Buffer): void {
    this.unit(lun).write(offset, data);
  }

  /** Queue a UNIT ATTENTION (sense key 6) for the next command to `lun` (O-11, M-02). */
  addUnitAttention(lun: number, asc: number, ascq: number): void {
    const list = this.attentions.get(lun) ?? [];
    list.push([asc, ascq]);
    this.attentions.set(lun, list);
  }

  /** Execute a CDB. `dataOut` is the data the initiator sent for a write. */
  execute(lunFieldBytes: Buffer, cdb: Buffer, dataOut?: Buffer): ScsiOutcome {
    const lun = lunNumber(lunFieldBytes);
    const op = cdb[0]!;
    if (op === 0xa0) return this.reportLuns(cdb);
    const unit = this.units.get(lun);
    if (op === 0x12) return unit ? this.inquiry(unit, cdb) : { status: GOOD, data: cut(notConnected(), cdb.readUInt16BE(3)) };
    if (unit === undefined) return NO_LUN();
    const ua = this.attentions.get(lun)?.shift();
    if (ua !== undefined) return check(0x06, ua[0], ua[1]);
    switch (op) {
      case 0x00: return { status: GOOD };
      case 0x25: return readCapacity10(unit);
      case 0x9e: return (cdb[1]! & 0x1f) === 0x10 ? readCapacity16(unit, cdb) : ILLEGAL_OPCODE();
      case 0x28: return rw(unit, cdb.readUInt32BE(2), cdb.readUInt16BE(7), undefined);
      case 0x88: return rw(unit, Number(cdb.readBigUInt64BE(2)), cdb.readUInt32BE(10), undefined);
      case 0x2a: return rw(unit, cdb.readUInt32BE(2), cdb.readUInt16BE(7), dataOut ?? Buffer.alloc(0));
      case 0x8a: return rw(unit, Number(cdb.readBigUInt64BE(2)), cdb.readUInt32BE(10), dataOut ?? Buffer.alloc(0));
      default: return ILLEGAL_OPCODE();
    }
  }

  private unit(lun: number): Unit {
    const u = this.units.get(lun);
    if (u === undefined) throw new Error(`fake target: no LUN ${lun}`);
    return u;
  }

  /** REPORT LUNS parameter data: list length, 4 reserved, 8 bytes per LUN. */
  private reportLuns(cdb: Buffer): ScsiOutcome {
    const luns = this.luns();
    const data = Buffer.alloc(8 + 8 * luns.length);
    data.writeUInt32BE(8 * luns.length, 0);
    luns.forEach((n, i) => lunField(n).copy(data, 8 + 8 * i));
    return { status: GOOD, data: cut(data, cdb.readUInt32BE(6)) };
  }

  private inquiry(unit: Unit, cdb: Buffer): ScsiOutcome {
    const evpd = (cdb[1]! & 1) === 1;
    const page = cdb[2]!;
    const alloc = cdb.readUInt16BE(3);
    if (!evpd) return page === 0 ? { status: GOOD, data: cut(standardInquiry(unit.spec), alloc) } : INVALID_FIELD();
    const body = vpdPage(unit.spec, page);
    if (body === undefined) return INVALID_FIELD();
    const head = Buffer.from([unit.spec.deviceType ?? 0, page, body.length >> 8, body.length & 0xff]);
    return { status: GOOD, data: cut(Buffer.concat([head, body]), alloc) };
  }
}

/** Standard INQUIRY data, 36 bytes (SPC-4 §6.4.2). */
function standardInquiry(s: LunSpec): Buffer {
  const d = Buffer.alloc(36);
  d[0] = s.deviceType ?? 0;
  d[2] = 0x06; // SPC-4
  d[3] = 0x02; // response data format 2
  d[4] = 31; // additional length
  d[7] = 0x02; // CmdQue
  ascii(s.vendor ?? 'FAKE', 8).copy(d, 8);
  ascii(s.product ?? 'FAKE DISK', 16).copy(d, 16);
  ascii(s.revision ?? '0001', 4).copy(d, 32);
  return d;
}

/** INQUIRY data for a LUN that does not exist: peripheral qualifier 3, type 0x1f. */
function notConnected(): Buffer {
  const d = Buffer.alloc(36);
  d[0] = 0x7f;
  d[4] = 31;
  return d;
}

/** VPD page bodies (after the 4-byte page header); undefined = unsupported. */
function vpdPage(s: LunSpec, page: number): Buffer | undefined {
  const serial = s.serial ?? `FAKE${s.lun}`;
  if (page === 0x00) return Buffer.from([0x00, 0x80, 0x83]);
  if (page === 0x80) return Buffer.from(serial, 'ascii');
  if (page !== 0x83) return undefined;
  // NAA IEEE Registered Extended (NAA 6), 16 bytes: code set 1 binary, association LU, type 3.
  const naa = Buffer.alloc(16);
  naa[0] = 0x60;
  naa.writeUInt32BE(0x0fa4e000 | (s.lun & 0xfff), 4);
  Buffer.from(serial, 'ascii').copy(naa, 8, 0, 8);
  // T10 vendor ID: code set 2 ASCII, type 1: 8-byte vendor then the serial.
  const t10 = Buffer.concat([ascii(s.vendor ?? 'FAKE', 8), Buffer.from(serial, 'ascii')]);
  return Buffer.concat([
    Buffer.from([0x01, 0x03, 0x00, naa.length]), naa,
    Buffer.from([0x02, 0x01, 0x00, t10.length]), t10,
  ]);
}

function readCapacity10(u: Unit): ScsiOutcome {
  const d = Buffer.alloc(8);
  d.writeUInt32BE(Math.min(u.blocks - 1, 0xffffffff), 0);
  d.writeUInt32BE(u.blockSize, 4);
  return { status: GOOD, data: d };
}

/** READ CAPACITY(16) parameter data, 32 bytes: last LBA (8), block length (4), rest 0. */
function readCapacity16(u: Unit, cdb: Buffer): ScsiOutcome {
  const d = Buffer.alloc(32);
  d.writeBigUInt64BE(BigInt(u.blocks - 1), 0);
  d.writeUInt32BE(u.blockSize, 8);
  return { status: GOOD, data: cut(d, cdb.readUInt32BE(10)) };
}

function rw(u: Unit, lba: number, count: number, dataOut: Buffer | undefined): ScsiOutcome {
  if (lba + count > u.blocks) return LBA_RANGE();
  const offset = lba * u.blockSize;
  const length = count * u.blockSize;
  if (dataOut === undefined) return { status: GOOD, data: u.read(offset, length) };
  u.write(offset, dataOut.subarray(0, length));
  return { status: GOOD };
}
