/**
 * The node:net floors of bench/ (read-floor, hold-10k) against a real tgtd. Those benches
 * say what any Node initiator can reach on a machine; a floor that read the wrong bytes,
 * lost pings or ignored a failed command would make that claim worthless. So: the bare
 * READ loop must end with the LUN's bytes in every slot, it must stop with an error on a
 * READ that is not GOOD, and every bare ping must be answered.
 *
 * Skips only when tgtd is missing AND `CI` is unset; in CI a missing tgtd fails.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bareConnection } from '../../bench/lib/bare-connection.js';
import { bareNopLoop } from '../../bench/lib/bare-nop-loop.js';
import { bareReadLoop } from '../../bench/lib/bare-read-loop.js';
import { isidFromQualifier } from '../../src/iscsi/isid.js';
import { testUnitReady } from '../../src/session/scsi-ops.js';
import { Session } from '../../src/session/session.js';
import { userTcpTransport } from '../../src/transport/usertcp/index.js';
import { Tgtd } from '../support/tgtd.js';

const INITIATOR = 'iqn.2024-01.org.tsiscsi:it-floors';
const IQN = 'iqn.2024-01.org.tsiscsi.it-floors:lun';
const IO = 64 * 1024;
const BLOCKS = IO / 512;
/** A 1 MiB LUN: 16 extents of 64 KiB, each different. */
const EXTENTS = 16;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!Tgtd.available() && !process.env.CI)('bench floors against tgtd', () => {
  let tgt: Tgtd;
  let lunBytes: Buffer;
  let qualifier = 0x300;
  const open_: Session[] = [];

  async function login(noopOutIntervalMs: number): Promise<Session> {
    const s = new Session({ transport: userTcpTransport, portal: { host: '127.0.0.1', port: tgt.port }, initiatorName: INITIATOR, targetName: IQN, sessionType: 'Normal', isid: isidFromQualifier(qualifier++), noopOutIntervalMs, loginTimeoutMs: 5000 });
    open_.push(s);
    await s.login();
    return s;
  }

  beforeAll(async () => {
    tgt = await Tgtd.start();
    lunBytes = randomBytes(EXTENTS * IO);
    const file = join(tgt.dir, 'floors.img');
    await writeFile(file, lunBytes);
    await tgt.addTarget({ tid: 1, iqn: IQN, luns: [{ lun: 1, sizeMiB: 1, path: file }] });
  });

  afterEach(() => {
    for (const s of open_.splice(0)) s.close();
  });

  afterAll(async () => {
    await tgt?.stop();
  });

  it('bare READ loop at QD 3: every slot ends with one of the LUN extents, byte for byte', async () => {
    const s = await login(0);
    await testUnitReady(s, 1); // takes the UNIT ATTENTION tgtd reports to a new I_T nexus
    const buffers = Array.from({ length: 3 }, () => Buffer.alloc(IO));
    const iops = await bareReadLoop(bareConnection(s), { buffers, blocks: BLOCKS, extents: EXTENTS, seconds: 1 });
    expect(iops).toBeGreaterThan(EXTENTS);
    const extents = Array.from({ length: EXTENTS }, (_, i) => lunBytes.subarray(i * IO, (i + 1) * IO));
    for (const b of buffers) expect(extents.findIndex((e) => e.equals(b))).toBeGreaterThanOrEqual(0);
  });

  it('bare READ loop stops with an error on a READ that is not GOOD (the UNIT ATTENTION of a new nexus)', async () => {
    const s = await login(0);
    await expect(bareReadLoop(bareConnection(s), { buffers: [Buffer.alloc(IO)], blocks: BLOCKS, extents: EXTENTS, seconds: 1 })).rejects.toThrow(/not complete with GOOD status \(header 21/);
  });

  it('bare NOP loop: sessions that ran their own keepalive are taken over, and every ping is answered', async () => {
    const sessions = await Promise.all(Array.from({ length: 4 }, () => login(300)));
    const loop = bareNopLoop(sessions.map(bareConnection), 200, 50);
    await sleep(1100);
    loop.stop();
    await sleep(200);
    expect(loop.errors).toEqual([]);
    expect(loop.sent).toBeGreaterThanOrEqual(4 * 4);
    expect(loop.received).toBe(loop.sent);
    // The sessions' own keepalives are stopped: none of them sent a ping of its own.
    for (const s of sessions) expect(s.stats!.noptx_pdus).toBe(0);
  });

  it('takes over only a logged-in session', async () => {
    const s = await login(0);
    s.close();
    expect(() => bareConnection(s)).toThrow(/not logged in/);
  });
});
