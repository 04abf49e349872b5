/**
 * read-floor: how fast can any Node.js initiator do 64 KiB READs at queue depth 1 on this
 * machine? A diagnostic for read-64k, not a goal of its own.
 *
 * Per round, against one tgtd LUN (a file in /dev/shm), side by side:
 *   - stack: our Session + read16() into a preallocated buffer, QD 1 (as read-64k);
 *   - floor: the same logged-in connection, taken over after the stack's run: the socket
 *     reads each Data-In header (48 bytes) and then its data straight into one buffer,
 *     and every completion writes the next READ(16) from a 48-byte template. No framer,
 *     no task table, no promise, no statistics: node:net's read callback and write()
 *     and nothing else, the least JavaScript an initiator can run per I/O;
 *   - iscsi-perf -m 1 -b 128 (libiscsi), as in read-64k.
 * A session is used once (the floor leaves it without bookkeeping) and then destroyed.
 *
 *   node bench/out/bench/read-floor.js [--seconds 3] [--rounds 3]
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { isidFromQualifier } from '../src/iscsi/isid.js';
import { read16 } from '../src/session/scsi-ops.js';
import { Session } from '../src/session/session.js';
import { userTcpTransport } from '../src/transport/usertcp/index.js';
import { benchArgs, emit, intArg, log, machineInfo, median, OUR_INITIATOR, round, run, series, TARGET_PREFIX, withTgtd, type Summary, type Tgtd } from './lib/common.js';

const args = benchArgs({ seconds: { type: 'string' } });
const seconds = intArg(args.seconds, 3, 1, 30, 'seconds');
const rounds = intArg(args.rounds, 3, 1, 10, 'rounds');
const IQN = `${TARGET_PREFIX}:readfloor`;
const IO = 64 * 1024;
const BLOCKS = IO / 512;
const EXTENTS = 2000;

/** The private parts of a logged-in Session the floor takes over (bench-only access). */
interface Internals {
  conn: {
    stream: { socket: Socket; readBuffer: () => Buffer; received: (chunk: Buffer) => void };
    numbering: { cmdSN: number; expStatSN: number };
    keepalive: { stop(): void };
  };
}

async function login(t: Tgtd): Promise<Session> {
  const s = new Session({ transport: userTcpTransport, portal: { host: t.host, port: t.port }, initiatorName: OUR_INITIATOR, targetName: IQN, sessionType: 'Normal', isid: isidFromQualifier(1), noopOutIntervalMs: 0 });
  await s.login();
  return s;
}

async function stack(s: Session, into: Buffer): Promise<number> {
  let ops = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) await read16(s, 1, (ops++ % EXTENTS) * BLOCKS, BLOCKS, 512, into);
  return (ops * 1000) / (performance.now() - start);
}

/** READ(16) of LUN 1 as a template: F, R, SIMPLE; EDTL 64 KiB; CDB 88h, 128 blocks (RFC 7143 §11.3, SBC-3). */
function template(): Buffer {
  const t = Buffer.alloc(48);
  t[0] = 0x01;
  t[1] = 0xc1;
  t.writeUInt16BE(0x0001, 8);
  t.writeUInt32BE(IO, 20);
  t[32] = 0x88;
  t.writeUInt32BE(BLOCKS, 32 + 10);
  return t;
}

function floor(s: Session, into: Buffer): Promise<number> {
  const { conn } = s as unknown as Internals;
  conn.keepalive.stop();
  const { stream } = conn;
  const sock = stream.socket;
  const tmpl = template();
  let { cmdSN, expStatSN } = conn.numbering;
  let itt = 0x10000;
  let n = 0;
  let inData = false;
  let done = 0;
  const send = (): void => {
    const b = Buffer.allocUnsafe(48);
    tmpl.copy(b);
    b.writeUInt32BE(itt++, 16);
    b.writeUInt32BE(cmdSN++, 24);
    b.writeUInt32BE(expStatSN, 28);
    b.writeUInt32BE((n++ % EXTENTS) * BLOCKS, 32 + 6);
    sock.write(b);
  };
  const header = Buffer.allocUnsafe(48);
  let next: Buffer = header;
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const end = start + seconds * 1000;
    stream.readBuffer = () => next;
    stream.received = (chunk: Buffer) => {
      if (!inData) {
        // The first read after the take-over still lands in the framer's buffer: use the chunk.
        if (chunk.length !== 48 || (chunk[0]! & 0x3f) !== 0x25 || chunk.readUIntBE(5, 3) !== IO) {
          reject(new Error(`floor: expected a 64 KiB Data-In header, got ${chunk.toString('hex')}`));
          return;
        }
        expStatSN = (chunk.readUInt32BE(24) + 1) >>> 0;
        inData = true;
        next = into;
        return;
      }
      const filled = chunk.byteOffset + chunk.length - into.byteOffset;
      if (filled < IO) {
        next = into.subarray(filled);
        return;
      }
      inData = false;
      next = header;
      done++;
      if (performance.now() < end) send();
      else resolve((done * 1000) / (performance.now() - start));
    };
    send();
  });
}

async function peer(t: Tgtd): Promise<number> {
  const r = await run('iscsi-perf', ['-m', '1', '-b', String(BLOCKS), '-t', String(seconds), `iscsi://${t.host}:${t.port}/${IQN}/1`], (seconds + 30) * 1000);
  const iops = Number([...r.stdout.matchAll(/iops average (\d+)/g)].at(-1)?.[1]);
  if (!Number.isFinite(iops) || iops <= 0) throw new Error(`cannot parse iscsi-perf output: ${r.stdout.slice(-300)}`);
  return iops;
}

async function main(): Promise<void> {
  const machine = await machineInfo();
  const m = await withTgtd({ tmpDir: '/dev/shm' }, async (t) => {
    const file = join(t.dir, 'floor.img');
    await writeFile(file, Buffer.alloc(EXTENTS * IO, 0x5a));
    await t.addTarget({ tid: 1, iqn: IQN, luns: [{ lun: 1, sizeMiB: (EXTENTS * IO) / 2 ** 20, path: file }] });
    const into = Buffer.allocUnsafe(IO);
    const out = { stack: [] as number[], floor: [] as number[], peer: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      const s = await login(t);
      try {
        out.stack.push(await stack(s, into));
        out.floor.push(await floor(s, into));
        if (!into.every((b) => b === 0x5a)) throw new Error('floor: the data read differs from the LUN');
      } finally {
        s.close();
      }
      out.peer.push(await peer(t));
      log(`round ${r + 1}/${rounds}: stack ${out.stack.at(-1)!.toFixed(0)}, floor ${out.floor.at(-1)!.toFixed(0)}, iscsi-perf ${out.peer.at(-1)} IOPS`);
    }
    return out;
  });
  const p = median(m.peer);
  const summary: Summary = {
    bench: 'read-floor',
    machine,
    params: { seconds, rounds, ioBytes: IO, queueDepth: 1 },
    setup: { backing: 'file in /dev/shm (tmpfs)' },
    series: { stackIops: series('IOPS', m.stack), floorIops: series('IOPS', m.floor), iscsiPerfIops: series('IOPS', m.peer) },
    goals: [],
    notes: [
      'diagnostic, no goal: the floor is the least JavaScript per I/O (read callback + write of a template); what it reaches bounds any Node initiator on this machine',
      'ratios are medians over rounds, each against iscsi-perf -m 1 run right after on the same tgtd',
    ],
    table: {
      header: ['QD 1, 64 KiB READ', 'IOPS (median)', '/ iscsi-perf'],
      rows: [
        ['our stack (Session + read16)', round(median(m.stack), 0).toString(), (median(m.stack) / p).toFixed(2)],
        ['Node floor (bare read callback + write)', round(median(m.floor), 0).toString(), (median(m.floor) / p).toFixed(2)],
        ['libiscsi iscsi-perf -m 1', round(p, 0).toString(), '1.00'],
      ],
    },
  };
  await emit(summary, args['json-out']);
}

await main();
