/**
 * SCSI commands the control plane needs over a usertcp session: TEST UNIT READY,
 * REPORT LUNS, INQUIRY (standard and VPD 0x00/0x80/0x83), READ CAPACITY(16), and
 * READ(16)/WRITE(16) so the usertcp data path is real.
 *
 * A CHECK CONDITION with UNIT ATTENTION (power-on reset, "commands cleared by iSCSI
 * protocol event" 47h/7Fh after recovery, O-11) is retried a few times; any other
 * non-GOOD status becomes a ScsiError carrying the decoded sense.
 */
import { ISCSI_ERR, ScsiError } from '../shared/errors.js';
import { inquiryCdb, read16Cdb, readCapacity16Cdb, reportLunsCdb, testUnitReadyCdb, write16Cdb, type Cdb } from '../iscsi/scsi/cdb.js';
import {
  parseReadCapacity16,
  parseReportLuns,
  parseSense,
  parseStandardInquiry,
  parseVpdDeviceIdentification,
  parseVpdSupportedPages,
  parseVpdUnitSerial,
  reportLunsRequiredLength,
  scsiStatusName,
  senseKeyName,
  type Capacity16,
  type LunDescriptor,
  type SenseData,
  type StandardInquiry,
} from '../iscsi/scsi/parse.js';
import type { Designator } from '../iscsi/scsi/vpd.js';
import type { ScsiRequest, ScsiResult } from './scsi-task.js';

/** What a SCSI command runner needs: the Session satisfies it. */
export interface ScsiExecutor {
  execute(req: ScsiRequest): Promise<ScsiResult>;
}

/** A LUN number, or the raw 8-byte LUN from REPORT LUNS for addressing methods without a number. */
export type Lun = number | Buffer;

const UNIT_ATTENTION = 0x6;
const UA_RETRIES = 3;
const CHECK_CONDITION = 0x02;

function senseOf(result: ScsiResult): SenseData | undefined {
  if (!result.sense) return undefined;
  try {
    return parseSense(result.sense);
  } catch {
    return undefined;
  }
}

function lunText(lun: Lun): string {
  return typeof lun === 'number' ? String(lun) : lun.toString('hex');
}

/** Run a CDB; retry on UNIT ATTENTION; throw ScsiError on any other non-GOOD status. */
export async function runCdb(exec: ScsiExecutor, lun: Lun, cdb: Cdb, data: { in?: number; out?: Buffer; into?: Buffer } = {}): Promise<ScsiResult> {
  // The built CDB is the PDU's zero-padded 16-byte field (RFC 7143 §11.3.5), sent as it is.
  const req: ScsiRequest = { lun, cdb: cdb.cdb };
  if (data.in) req.dataInLength = data.in;
  if (data.into) req.dataInBuffer = data.into;
  if (data.out) req.dataOut = data.out;
  for (let attempt = 0; ; attempt++) {
    const result = await exec.execute(req);
    if (result.response === 0 && result.status === 0) return result;
    const sense = senseOf(result);
    if (result.status === CHECK_CONDITION && sense?.key === UNIT_ATTENTION && attempt < UA_RETRIES) continue;
    const what = sense ? `${senseKeyName(sense.key)}: ${sense.description}` : 'no sense data';
    throw new ScsiError('SCSI_COMMAND_FAILED', `SCSI command 0x${cdb.cdb[0]!.toString(16).padStart(2, '0')} to LUN ${lunText(lun)} failed: status ${scsiStatusName(result.status)}, response ${result.response} (${what})`, {
      errno: ISCSI_ERR.ERR,
      details: { lun: lunText(lun), opcode: cdb.cdb[0], status: result.status, response: result.response, ...(sense ? { senseKey: sense.key, asc: sense.asc, ascq: sense.ascq } : {}) },
    });
  }
}

export async function testUnitReady(exec: ScsiExecutor, lun: Lun): Promise<void> {
  await runCdb(exec, lun, testUnitReadyCdb());
}

/** REPORT LUNS, re-issued with a larger allocation length when the list does not fit. */
export async function reportLuns(exec: ScsiExecutor, lun: Lun = 0): Promise<LunDescriptor[]> {
  let alloc = 16 + 8 * 256;
  for (;;) {
    const { data } = await runCdb(exec, lun, reportLunsCdb({ allocationLength: alloc }), { in: alloc });
    const needed = reportLunsRequiredLength(data);
    if (needed <= data.length || needed <= alloc) return parseReportLuns(data);
    alloc = needed;
  }
}

export async function inquiry(exec: ScsiExecutor, lun: Lun): Promise<StandardInquiry> {
  const { data } = await runCdb(exec, lun, inquiryCdb({ allocationLength: 255 }), { in: 255 });
  return parseStandardInquiry(data);
}

async function vpd(exec: ScsiExecutor, lun: Lun, page: number): Promise<Buffer> {
  const { data } = await runCdb(exec, lun, inquiryCdb({ allocationLength: 4096, pageCode: page }), { in: 4096 });
  return data;
}

export async function vpdSupportedPages(exec: ScsiExecutor, lun: Lun): Promise<number[]> {
  return parseVpdSupportedPages(await vpd(exec, lun, 0x00));
}

export async function vpdUnitSerial(exec: ScsiExecutor, lun: Lun): Promise<string> {
  return parseVpdUnitSerial(await vpd(exec, lun, 0x80));
}

export async function vpdDeviceIdentification(exec: ScsiExecutor, lun: Lun): Promise<Designator[]> {
  return parseVpdDeviceIdentification(await vpd(exec, lun, 0x83));
}

export async function readCapacity16(exec: ScsiExecutor, lun: Lun): Promise<Capacity16> {
  const { data } = await runCdb(exec, lun, readCapacity16Cdb(32), { in: 32 });
  return parseReadCapacity16(data);
}

/**
 * READ(16) of `blocks` blocks. With `into` (at least blocks x blockLength bytes) the data is
 * read into it and the result is a view of it: no allocation per read.
 */
export async function read16(exec: ScsiExecutor, lun: Lun, lba: bigint | number, blocks: number, blockLength: number, into?: Buffer): Promise<Buffer> {
  const length = blocks * blockLength;
  if (into !== undefined && into.length < length) {
    throw new ScsiError('READ_BUFFER_TOO_SMALL', `READ(16) of ${length} bytes into a ${into.length}-byte buffer`, { errno: ISCSI_ERR.INVAL, details: { length, buffer: into.length } });
  }
  const { data } = await runCdb(exec, lun, read16Cdb({ lba, blocks }), { in: length, into });
  return data;
}

export async function write16(exec: ScsiExecutor, lun: Lun, lba: bigint | number, data: Buffer, blockLength: number): Promise<void> {
  if (data.length % blockLength !== 0) {
    throw new ScsiError('WRITE_NOT_BLOCK_ALIGNED', `write of ${data.length} bytes is not a multiple of the ${blockLength}-byte block`, { errno: ISCSI_ERR.INVAL });
  }
  await runCdb(exec, lun, write16Cdb({ lba, blocks: data.length / blockLength }), { out: data });
}

/** Everything `-m session -P 3` and the demo print about one LUN. */
export interface LunInfo {
  /** LUN number; -1 when the address method has no plain number (see `raw`). */
  lun: number;
  raw: Buffer;
  inquiry: StandardInquiry;
  capacity?: Capacity16;
  serial?: string;
}

/** REPORT LUNS, then INQUIRY (+ READ CAPACITY for disks and the unit serial when offered) per LUN. */
export async function describeLuns(exec: ScsiExecutor): Promise<LunInfo[]> {
  const luns = await reportLuns(exec);
  const out: LunInfo[] = [];
  for (const l of luns) {
    const addr: Lun = l.lun ?? l.raw;
    const info: LunInfo = { lun: l.lun ?? -1, raw: l.raw, inquiry: await inquiry(exec, addr) };
    if (info.inquiry.peripheralQualifier === 0 && info.inquiry.peripheralDeviceType === 0) {
      info.capacity = await readCapacity16(exec, addr);
    }
    const pages = await vpdSupportedPages(exec, addr).catch(() => [] as number[]);
    if (pages.includes(0x80)) info.serial = await vpdUnitSerial(exec, addr).catch(() => undefined);
    out.push(info);
  }
  return out;
}
