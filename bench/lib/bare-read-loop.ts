/**
 * The least JavaScript a node:net initiator can run per READ (read-floor): a logged-in
 * usertcp connection is taken over, and from then on its read callback only follows PDU
 * boundaries and its completions write the next command from a 48-byte template.
 * No framer, no task table, no promise, no statistics. What this loop reaches bounds what
 * any initiator built on node:net can reach on the machine.
 *
 * Each of `qd` slots owns one destination buffer and keeps one READ(16) in flight; the slot
 * rides in the low byte of the ITT. Every PDU header is read alone (48 bytes) and its data
 * straight into the slot's buffer, libiscsi's pattern. Only what tgtd answers to a READ is
 * accepted: Data-In (with or without status) and SCSI Response, GOOD status, no sense.
 */
import type { BareConnection } from './bare-connection.js';

export interface BareReadOptions {
  /** One destination buffer per command in flight (qd = buffers.length, at most 256). */
  buffers: readonly Buffer[];
  /** Blocks of 512 bytes per READ; each buffer holds exactly one READ's data. */
  blocks: number;
  /** READs go to consecutive extents of `blocks`, wrapping after this many. */
  extents: number;
  seconds: number;
}

const BHS = 48;
const OP_SCSI_RESPONSE = 0x21;
const OP_DATA_IN = 0x25;
/** Seconds after the run's end by which every slot must have completed. */
const STALL_S = 10;

/** READ(16) of LUN 1: F, R, SIMPLE; EDTL; CDB 88h (RFC 7143 §11.3, SBC-3 READ(16)). */
function readTemplate(blocks: number): Buffer {
  const t = Buffer.alloc(BHS);
  t[0] = 0x01;
  t[1] = 0xc1;
  t.writeUInt16BE(0x0001, 8);
  t.writeUInt32BE(blocks * 512, 20);
  t[32] = 0x88;
  t.writeUInt32BE(blocks, 32 + 10);
  return t;
}

/** Run the loop for `seconds`; resolves with IOPS. The connection is unusable afterwards. */
export function bareReadLoop(c: BareConnection, o: BareReadOptions): Promise<number> {
  const qd = o.buffers.length;
  const io = o.blocks * 512;
  if (qd < 1 || qd > 256 || o.buffers.some((b) => b.length !== io)) throw new RangeError(`bareReadLoop: 1..256 buffers of ${io} bytes`);
  const tmpl = readTemplate(o.blocks);
  const header = Buffer.alloc(BHS);
  let { cmdSN, expStatSN } = c;
  let gen = 1;
  let next = 0;
  let done = 0;
  /** Bytes of the current header read so far; the slot whose data is being read (-1: a header). */
  let headerFill = 0;
  let slot = -1;
  let dataFill = 0;
  let withStatus = false;

  const send = (k: number): void => {
    const b = Buffer.allocUnsafe(BHS);
    tmpl.copy(b);
    b.writeUInt32BE((((gen++ & 0xffffff) << 8) | k) >>> 0, 16);
    b.writeUInt32BE(cmdSN >>> 0, 24);
    cmdSN++;
    b.writeUInt32BE(expStatSN, 28);
    b.writeUInt32BE((next++ % o.extents) * o.blocks, 32 + 6);
    c.socket.write(b);
  };

  return new Promise((resolve, reject) => {
    const start = performance.now();
    const end = start + o.seconds * 1000;
    let live = qd;
    let failed = false;
    const fail = (why: string): void => {
      failed = true;
      clearTimeout(watchdog);
      reject(new Error(`bare read loop: ${why} (header ${header.toString('hex')})`));
    };
    // A stalled target or lost accounting must not hang the bench.
    const watchdog = setTimeout(() => fail(`${live} of ${qd} commands unanswered ${STALL_S} s after the end`), (o.seconds + STALL_S) * 1000);
    const complete = (k: number): void => {
      done++;
      if (performance.now() < end) send(k);
      else if (--live === 0) {
        clearTimeout(watchdog);
        resolve((done * 1000) / (performance.now() - start));
      }
    };
    const onHeader = (): void => {
      const op = header[0]! & 0x3f;
      const length = header.readUIntBE(5, 3);
      if (op === OP_SCSI_RESPONSE) {
        if (header[2] !== 0 || header[3] !== 0 || length !== 0) return fail('READ did not complete with GOOD status');
        expStatSN = (header.readUInt32BE(24) + 1) >>> 0;
        return complete(header[19]!);
      }
      if (op !== OP_DATA_IN || length !== io || header.readUInt32BE(40) !== 0) return fail(`expected one ${io}-byte Data-In at offset 0`);
      withStatus = (header[1]! & 0x01) === 1;
      if (withStatus && header[3] !== 0) return fail('READ did not complete with GOOD status');
      if (withStatus) expStatSN = (header.readUInt32BE(24) + 1) >>> 0;
      slot = header[19]!;
      if (slot >= qd) return fail(`ITT of no slot`);
      dataFill = 0;
    };
    /** `chunk` is in place when the socket read where {@link c.takeOver}'s buffer pointed; else (the first read) copy. */
    const take = (chunk: Buffer, off: number, dst: Buffer, at: number, n: number): void => {
      if (chunk.buffer !== dst.buffer || chunk.byteOffset + off !== dst.byteOffset + at) chunk.copy(dst, at, off, off + n);
    };
    c.takeOver(
      (chunk) => {
        for (let off = 0; off < chunk.length && !failed; ) {
          if (slot < 0) {
            const n = Math.min(BHS - headerFill, chunk.length - off);
            take(chunk, off, header, headerFill, n);
            headerFill += n;
            off += n;
            if (headerFill === BHS) {
              headerFill = 0;
              onHeader();
            }
          } else {
            const n = Math.min(io - dataFill, chunk.length - off);
            take(chunk, off, o.buffers[slot]!, dataFill, n);
            dataFill += n;
            off += n;
            if (dataFill === io) {
              const k = slot;
              slot = -1;
              if (withStatus) complete(k);
            }
          }
        }
      },
      () => (slot < 0 ? header.subarray(headerFill) : o.buffers[slot]!.subarray(dataFill)),
    );
    for (let k = 0; k < qd; k++) send(k);
  });
}
