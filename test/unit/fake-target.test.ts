/**
 * Self-test of the fake target (test/support/fake-target): drive it with a raw
 * node:net initiator (src codec + PduFramer) through login, NOP, SCSI, SendTargets,
 * CHAP, redirect, low-level script features and stop().
 */
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeText, encodeText, type TextPair } from '../../src/iscsi/text/codec.js';
import {
  RESERVED_TAG, type DataIn, type LoginRequest, type LoginResponse, type ScsiCommand, type TargetPdu,
} from '../../src/iscsi/pdu/types.js';
import { serializePdu } from '../../src/iscsi/framer.js';
import { encodePdu } from '../../src/iscsi/pdu/index.js';
import {
  asyncMessage, DEFAULT_TARGET_NAME, FakeTarget, ffpState, nopIn, standardTarget, type StandardTargetOptions,
} from '../support/fake-target/index.js';
import { RawInitiator } from '../support/fake-target/raw-client.js';

const ISID = Buffer.from([0x80, 0x00, 0x12, 0x34, 0x56, 0x00]);
const LUN0 = Buffer.alloc(8);
const INAME = 'iqn.2024-01.test.client:host1';
const started: FakeTarget[] = [];

async function startStd(opts: StandardTargetOptions = {}): Promise<FakeTarget> {
  const t = await FakeTarget.start(standardTarget(opts));
  started.push(t);
  return t;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((t) => t.stop()));
});

/** A raw initiator plus the numbering it must keep. */
class Session {
  cmdSN = 0x100;
  expStatSN = 0;
  private itt = 0x10;
  constructor(readonly c: RawInitiator) {}
  newItt(): number {
    return this.itt++;
  }
  login(f: { csg: number; nsg: number; transit: boolean; pairs: TextPair[]; tsih?: number; cont?: boolean }): void {
    const req: LoginRequest = {
      kind: 'login-request', transit: f.transit, cont: f.cont ?? false, csg: f.csg, nsg: f.transit ? f.nsg : 0,
      versionMax: 0, versionMin: 0, isid: ISID, tsih: f.tsih ?? 0, itt: 1, cid: 0, cmdSN: this.cmdSN,
      expStatSN: this.expStatSN, data: encodeText(f.pairs),
    };
    this.c.send(req);
  }
  async loginResponse(): Promise<{ res: LoginResponse; keys: Map<string, string> }> {
    const res = await this.c.nextOf('login-response');
    this.expStatSN = (res.statSN + 1) >>> 0;
    return { res, keys: res.cont ? new Map() : new Map(decodeText(res.data, 'test')) };
  }
  track(pdu: TargetPdu): void {
    if ('statSN' in pdu && pdu.kind !== 'r2t' && !(pdu.kind === 'data-in' && !pdu.hasStatus)) this.expStatSN = (pdu.statSN + 1) >>> 0;
  }
  command(f: { read?: boolean; write?: boolean; edtl: number; cdb: number[]; data?: Buffer; final?: boolean }): ScsiCommand {
    const cdb = Buffer.alloc(16);
    Buffer.from(f.cdb).copy(cdb);
    const cmd: ScsiCommand = {
      kind: 'scsi-command', immediate: false, final: f.final ?? true, read: f.read ?? false, write: f.write ?? false,
      attr: 1, lun: LUN0, itt: this.newItt(), expectedDataTransferLength: f.edtl, cmdSN: this.cmdSN,
      expStatSN: this.expStatSN, cdb, data: f.data ?? Buffer.alloc(0),
    };
    this.cmdSN = (this.cmdSN + 1) >>> 0;
    this.c.send(cmd);
    return cmd;
  }
}

const OPERATIONAL: TextPair[] = [
  ['HeaderDigest', 'None'], ['DataDigest', 'None'], ['InitialR2T', 'No'], ['ImmediateData', 'Yes'],
  ['MaxRecvDataSegmentLength', '65536'], ['MaxBurstLength', '262144'], ['FirstBurstLength', '65536'],
];

/** No-auth leading login straight from the Operational stage to FFP. */
async function loginToFfp(target: FakeTarget, set: Record<string, string> = {}): Promise<{ s: Session; res: LoginResponse; keys: Map<string, string> }> {
  const s = new Session(await RawInitiator.connect(target.portal));
  const op = OPERATIONAL.map(([k, v]): TextPair => [k, set[k] ?? v]);
  s.login({ csg: 1, nsg: 3, transit: true, pairs: [['InitiatorName', INAME], ['TargetName', DEFAULT_TARGET_NAME], ['SessionType', 'Normal'], ...op] });
  return { s, ...(await s.loginResponse()) };
}

function cdb16(op: number, lba: number, blocks: number): number[] {
  const b = Buffer.alloc(16);
  b[0] = op;
  b.writeBigUInt64BE(BigInt(lba), 2);
  b.writeUInt32BE(blocks, 10);
  return [...b];
}

describe('fake target: standard script', () => {
  it('logs in without authentication to full feature phase and records the wire bytes', async () => {
    const target = await startStd();
    const { res, keys } = await loginToFfp(target);
    expect(res).toMatchObject({ statusClass: 0, statusDetail: 0, transit: true, csg: 1, nsg: 3, itt: 1, statSN: 1, expCmdSN: 0x100, maxCmdSN: 0x100 + 31 });
    expect(res.tsih).not.toBe(0);
    expect(res.isid.equals(ISID)).toBe(true);
    expect(keys.get('TargetPortalGroupTag')).toBe('1');
    expect(keys.get('MaxRecvDataSegmentLength')).toBe('262144');
    expect(keys.get('InitialR2T')).toBe('Yes'); // OR: the target wants Yes
    expect(keys.get('ImmediateData')).toBe('Yes');
    expect(keys.get('MaxBurstLength')).toBe('262144');
    expect(keys.has('InitiatorName')).toBe(false);
    const rec = target.received[0]!;
    expect(rec.conn).toBe(0);
    expect(rec.pdu.kind).toBe('login-request');
    expect(rec.raw[0]).toBe(0x43);
    expect(rec.raw.length).toBe(48 + Math.ceil(rec.raw.readUIntBE(5, 3) / 4) * 4);
    expect(target.violations()).toEqual([]);
  });

  it('echoes a NOP-Out ping and advances StatSN', async () => {
    const target = await startStd();
    const { s } = await loginToFfp(target);
    s.c.send({ kind: 'nop-out', immediate: true, lun: LUN0, itt: 0x77, ttt: RESERVED_TAG, cmdSN: s.cmdSN, expStatSN: s.expStatSN, data: Buffer.from('ping') });
    const nop = await s.c.nextOf('nop-in');
    expect(nop).toMatchObject({ itt: 0x77, ttt: RESERVED_TAG, statSN: 2, expCmdSN: 0x100 });
    expect(nop.data.toString()).toBe('ping');
  });

  it('answers INQUIRY with standard data, S bit and an underflow residual', async () => {
    const target = await startStd();
    const { s } = await loginToFfp(target);
    s.command({ read: true, edtl: 96, cdb: [0x12, 0, 0, 0, 96, 0] });
    const d = await s.c.nextOf('data-in');
    expect(d).toMatchObject({ hasStatus: true, final: true, status: 0, underflow: true, residualCount: 60, dataSN: 0, statSN: 2 });
    expect(d.data.length).toBe(36);
    expect(d.data.subarray(8, 16).toString('ascii')).toBe('FAKE    ');
    expect(target.ctx(0).sn.expCmdSN).toBe(0x101);
  });

  it('writes 128 KiB through immediate data and an R2T, then reads it back split at MaxRecvDataSegmentLength', async () => {
    const script = standardTarget();
    const target = await FakeTarget.start(script);
    started.push(target);
    const { s } = await loginToFfp(target);
    const payload = Buffer.from(Array.from({ length: 131072 }, (_, i) => (i * 7 + (i >> 9)) & 0xff));
    const w = s.command({ write: true, edtl: payload.length, cdb: cdb16(0x8a, 8, 256), data: payload.subarray(0, 8192) });
    const r2t = await s.c.nextOf('r2t');
    expect(r2t).toMatchObject({ itt: w.itt, r2tSN: 0, bufferOffset: 8192, desiredDataTransferLength: 131072 - 8192 });
    for (let off = r2t.bufferOffset, sn = 0; off < payload.length; off += 32768, sn++) {
      const end = Math.min(off + 32768, payload.length);
      s.c.send({ kind: 'data-out', final: end === payload.length, lun: LUN0, itt: w.itt, ttt: r2t.ttt, expStatSN: s.expStatSN, dataSN: sn, bufferOffset: off, data: payload.subarray(off, end) });
    }
    const wres = await s.c.nextOf('scsi-response');
    expect(wres).toMatchObject({ itt: w.itt, status: 0, response: 0 });
    s.track(wres);
    expect(script.disk().read(0, 8 * 512, payload.length).equals(payload)).toBe(true);

    const r = s.command({ read: true, edtl: payload.length, cdb: cdb16(0x88, 8, 256) });
    const ins: DataIn[] = [];
    while (!ins.at(-1)?.hasStatus) ins.push(await s.c.nextOf('data-in'));
    expect(ins.map((d) => d.data.length)).toEqual([65536, 65536]);
    expect(ins.map((d) => d.dataSN)).toEqual([0, 1]);
    expect(ins.every((d) => d.itt === r.itt)).toBe(true);
    expect(Buffer.concat(ins.map((d) => d.data)).equals(payload)).toBe(true);
    expect(target.violations()).toEqual([]);
  });

  it('answers SendTargets=All in pieces with F=0 and a TTT until the last one', async () => {
    const names = ['iqn.2024-01.test.fake:a', 'iqn.2024-01.test.fake:b', 'iqn.2024-01.test.fake:c'];
    const target = await startStd({ targets: names.map((name) => ({ name })), sendTargets: { segmentSize: 48 } });
    const s = new Session(await RawInitiator.connect(target.portal));
    s.login({ csg: 1, nsg: 3, transit: true, pairs: [['InitiatorName', INAME], ['SessionType', 'Discovery'], ['MaxRecvDataSegmentLength', '8192']] });
    const { res, keys } = await s.loginResponse();
    expect(res.statusClass).toBe(0);
    expect(keys.has('TargetPortalGroupTag')).toBe(false);
    const itt = s.newItt();
    const pieces: Buffer[] = [];
    let ttt = RESERVED_TAG;
    let data = encodeText([['SendTargets', 'All']]);
    for (let round = 0; round < 20; round++) {
      s.c.send({ kind: 'text-request', immediate: false, final: true, cont: false, lun: LUN0, itt, ttt, cmdSN: s.cmdSN, expStatSN: s.expStatSN, data });
      s.cmdSN++;
      const tr = await s.c.nextOf('text-response');
      s.track(tr);
      expect(tr.itt).toBe(itt);
      expect(tr.data.length).toBeLessThanOrEqual(48);
      pieces.push(tr.data);
      if (tr.final) {
        expect(tr.ttt).toBe(RESERVED_TAG);
        break;
      }
      expect(tr.ttt).not.toBe(RESERVED_TAG);
      ttt = tr.ttt;
      data = Buffer.alloc(0);
    }
    expect(pieces.length).toBeGreaterThan(3);
    const pairs = decodeText(Buffer.concat(pieces), 'test');
    const addr = `127.0.0.1:${target.port},1`;
    expect(pairs).toEqual(names.flatMap((n) => [['TargetName', n], ['TargetAddress', addr]]));
    expect(target.violations()).toEqual([]);
  });

  it('runs a mutual CHAP (MD5) login whose responses the test computes with node:crypto', async () => {
    const secret = 'initiator-secret-16';
    const tsecret = 'target-secret-1616';
    const target = await startStd({ auth: { username: 'alice', secret, mutual: { name: 'tgt', secret: tsecret } } });
    const s = new Session(await RawInitiator.connect(target.portal));
    s.login({ csg: 0, nsg: 1, transit: false, pairs: [['InitiatorName', INAME], ['TargetName', DEFAULT_TARGET_NAME], ['AuthMethod', 'CHAP,None']] });
    let r = await s.loginResponse();
    expect(r.keys.get('AuthMethod')).toBe('CHAP');
    expect(r.keys.get('TargetPortalGroupTag')).toBe('1');
    s.login({ csg: 0, nsg: 1, transit: false, pairs: [['CHAP_A', '7,5']] });
    r = await s.loginResponse();
    expect(r.keys.get('CHAP_A')).toBe('5');
    const id = Number(r.keys.get('CHAP_I'));
    const challenge = Buffer.from(r.keys.get('CHAP_C')!.slice(2), 'hex');
    expect(challenge.length).toBe(16);
    const md5 = (i: number, sec: string, c: Buffer): string => createHash('md5').update(Buffer.of(i)).update(sec).update(c).digest('hex');
    const myChallenge = Buffer.alloc(16, 0x5a);
    s.login({ csg: 0, nsg: 1, transit: true, pairs: [['CHAP_N', 'alice'], ['CHAP_R', `0x${md5(id, secret, challenge)}`], ['CHAP_I', '9'], ['CHAP_C', `0x${myChallenge.toString('hex')}`]] });
    r = await s.loginResponse();
    expect(r.res).toMatchObject({ statusClass: 0, transit: true, csg: 0, nsg: 1 });
    expect(r.keys.get('CHAP_N')).toBe('tgt');
    expect(r.keys.get('CHAP_R')).toBe(`0x${md5(9, tsecret, myChallenge)}`);
    s.login({ csg: 1, nsg: 3, transit: true, pairs: OPERATIONAL });
    r = await s.loginResponse();
    expect(r.res).toMatchObject({ statusClass: 0, transit: true, nsg: 3 });
    expect(r.res.tsih).not.toBe(0);
  });

  it('fails a CHAP login with a wrong response with status 0x0201', async () => {
    const target = await startStd({ auth: { secret: 'initiator-secret-16' } });
    const s = new Session(await RawInitiator.connect(target.portal));
    s.login({ csg: 0, nsg: 1, transit: false, pairs: [['InitiatorName', INAME], ['TargetName', DEFAULT_TARGET_NAME], ['AuthMethod', 'CHAP'], ['CHAP_A', '5']] });
    const r = await s.loginResponse();
    expect(r.keys.get('CHAP_A')).toBe('5');
    s.login({ csg: 0, nsg: 1, transit: true, pairs: [['CHAP_N', 'x'], ['CHAP_R', `0x${'00'.repeat(16)}`]] });
    const f = await s.loginResponse();
    expect(f.res).toMatchObject({ statusClass: 2, statusDetail: 1 });
  });

  it('redirects with status 0x0101 and the configured TargetAddress list', async () => {
    const target = await startStd({ status: { statusClass: 1, statusDetail: 1, addresses: ['127.0.0.2:3261', '[::1]:3262,1'] } });
    const { res } = await loginToFfp(target);
    expect(res).toMatchObject({ statusClass: 1, statusDetail: 1, transit: false });
    expect(decodeText(res.data, 'test')).toEqual([['TargetAddress', '127.0.0.2:3261'], ['TargetAddress', '[::1]:3262,1']]);
  });
});

describe('fake target: low-level scripts and robustness', () => {
  it('delivers one PDU split over several writes, switches digests and corrupts a data digest on request', async () => {
    const target = await FakeTarget.start((ctx, pdu) => {
      if (pdu.kind !== 'nop-out') return;
      if (pdu.itt === 3) {
        ctx.sendSplit(nopIn(ctx, { itt: pdu.itt, data: Buffer.from('split!') }), [1, 20, 30]);
        ctx.setDigests({ header: true, data: true });
        return;
      }
      ctx.corruptNext({ dataDigest: true });
      ctx.send(nopIn(ctx, { itt: pdu.itt, data: Buffer.from('bad') }));
    });
    started.push(target);
    const c = await RawInitiator.connect(target.portal);
    const ping = (itt: number): void => c.send({ kind: 'nop-out', immediate: true, lun: LUN0, itt, ttt: RESERVED_TAG, cmdSN: 0, expStatSN: 0, data: Buffer.from('hi') });
    ping(3);
    const first = await c.nextOf('nop-in');
    expect(first.data.toString()).toBe('split!');
    c.setDigests(true, true);
    ping(4);
    await expect(c.next()).rejects.toMatchObject({ code: 'DATA_DIGEST_ERROR' });
    const second = await target.waitFor((r) => r.pdu.kind === 'nop-out' && r.pdu.itt === 4);
    // BHS 48 + header digest 4 + "hi" padded to 4 + data digest 4
    expect(second.raw.length).toBe(60);
    expect(second.dataDigestError).toBeUndefined();
  });

  it('logs and closes on an undecodable PDU without crashing, and stop() leaves no sockets', async () => {
    const target = await startStd();
    const a = await RawInitiator.connect(target.portal);
    const b = await RawInitiator.connect(target.portal);
    const bad = Buffer.alloc(48);
    bad[0] = 0x3b; // unassigned opcode
    a.socket.write(bad);
    await a.closed;
    await target.waitForClosed(0);
    expect(target.log.some((e) => e.code === 'BAD_PDU' && e.conn === 0)).toBe(true);
    await target.waitForConnections(2);
    expect(target.openConnections()).toBe(1);
    await target.stop();
    await b.closed;
    expect(target.openConnections()).toBe(0);
    const refused = await new Promise<string>((resolve) => {
      const sock = connect(target.port, target.host);
      sock.on('connect', () => resolve('connected'));
      sock.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
  });

  it('applies negotiated digests from the first FFP PDU and rejects a bad data digest with reason 0x02', async () => {
    const target = await startStd();
    const { s, keys } = await loginToFfp(target, { HeaderDigest: 'CRC32C,None', DataDigest: 'CRC32C' });
    expect(keys.get('HeaderDigest')).toBe('CRC32C');
    expect(keys.get('DataDigest')).toBe('CRC32C');
    s.c.setDigests(true, true);
    const nop = (itt: number) => ({ kind: 'nop-out' as const, immediate: true, lun: LUN0, itt, ttt: RESERVED_TAG, cmdSN: s.cmdSN, expStatSN: s.expStatSN, data: Buffer.from('abcde') });
    s.c.send(nop(0x21));
    expect((await s.c.nextOf('nop-in')).data.toString()).toBe('abcde');
    const wire = Buffer.concat(serializePdu(encodePdu(nop(0x22)), { headerDigest: true, dataDigest: true }));
    wire[wire.length - 1] = wire[wire.length - 1]! ^ 0xff;
    s.c.socket.write(wire);
    const rej = await s.c.nextOf('reject');
    expect(rej.reason).toBe(0x02);
    expect(rej.data.readUInt32BE(16)).toBe(0x22);
    expect(target.received.at(-1)).toMatchObject({ dataDigestError: true });
  });

  it('splits login responses with C=1, answers the first T=1 request with T=0 and sends extra keys', async () => {
    const target = await startStd({ splitResponsesAt: 32, t0OnFirstOperational: true, extraKeys: [['X-com.example.foo', '1']] });
    const { s, res: first } = await loginToFfp(target);
    const pieces = [first];
    while (pieces.at(-1)!.cont) {
      s.login({ csg: 1, nsg: 3, transit: false, pairs: [] });
      pieces.push((await s.loginResponse()).res);
    }
    expect(pieces.length).toBeGreaterThan(2);
    expect(pieces.every((p) => p.data.length <= 32 && !p.transit)).toBe(true);
    const keys = new Map(decodeText(Buffer.concat(pieces.map((p) => p.data)), 'test'));
    expect(keys.get('X-com.example.foo')).toBe('1');
    expect(keys.get('MaxBurstLength')).toBe('262144');
    s.login({ csg: 1, nsg: 3, transit: true, pairs: [] });
    const last = (await s.loginResponse()).res;
    expect(last).toMatchObject({ transit: true, nsg: 3, statusClass: 0 });
    expect(target.violations()).toEqual([]);
  });

  it('pings with odd TTTs, injects an Async Message and advertises a closed window', async () => {
    const target = await startStd({
      window: 0,
      ping: { intervalMs: 10, count: 1, ttt: () => 0xfffffffe },
      onFullFeature: (ctx) => ctx.send(asyncMessage(ctx, { event: 1, parameter3: 5 })),
    });
    const { s, res } = await loginToFfp(target);
    expect(res.maxCmdSN).toBe((res.expCmdSN - 1) >>> 0);
    const msg = await s.c.nextOf('async-message');
    expect(msg).toMatchObject({ asyncEvent: 1, parameter3: 5, statSN: res.statSN + 1 });
    const ping = await s.c.nextOf('nop-in');
    expect(ping).toMatchObject({ itt: RESERVED_TAG, ttt: 0xfffffffe, statSN: res.statSN + 2 });
    s.c.send({ kind: 'nop-out', immediate: true, lun: ping.lun, itt: RESERVED_TAG, ttt: ping.ttt, cmdSN: s.cmdSN, expStatSN: res.statSN + 2, data: Buffer.alloc(0) });
    await target.waitFor((r) => r.pdu.kind === 'nop-out');
    expect(ffpState(target.ctx(0))!.pings.replied).toEqual([0xfffffffe]);
  });

  it('survives random garbage and a throwing script: entries in the log, connections closed', async () => {
    const target = await FakeTarget.start(() => {
      throw new Error('script bug');
    });
    started.push(target);
    let seed = 12345;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let i = 0; i < 20; i++) {
      const c = await RawInitiator.connect(target.portal);
      const junk = Buffer.from(Array.from({ length: 48 + Math.floor(rnd() * 200) }, () => Math.floor(rnd() * 256)));
      junk[0] = i % 2 === 0 ? 0x40 : junk[0]!; // even rounds: a NOP-Out header, so the script runs and throws
      junk.fill(0, 4, 8);
      c.socket.write(junk);
      c.end();
      await target.waitForClosed(i);
    }
    expect(target.log.some((e) => e.code === 'SCRIPT_ERROR')).toBe(true);
    expect(target.openConnections()).toBe(0);
  });
});
