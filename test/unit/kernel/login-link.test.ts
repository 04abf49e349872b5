/**
 * KernelLoginLink: PDUs written by the initiator go out as SEND_PDU (header and unpadded
 * data, as the fake kernel parsed them); RECV_PDU events come back as padded PDU bytes
 * with the ITT of our request restored in Login/Text Responses (the kernel's build_itt
 * replaced it), and a CONN_ERROR of the same connection ends the stream.
 */
import { describe, expect, it } from 'vitest';
import { KernelTcpDriver } from '../../../src/transport/kernel/driver.js';
import { KernelLoginLink } from '../../../src/transport/kernel/kernel-login-link.js';
import { FakeKernel } from '../../support/fake-kernel/index.js';
import { loginRequest, loginResponse, nopIn, textData } from '../../support/pdu-builder.js';

async function setup() {
  const k = new FakeKernel();
  const ch = k.open({ pid: 99 });
  const driver = new KernelTcpDriver({ channel: ch, pid: ch.pid, transportHandle: k.transport('tcp').handle });
  const { sid } = await driver.createSession(0, 128, 32);
  await driver.createConn(sid, 0);
  await driver.bindConn(sid, 0, 17, true);
  return { k, driver, sid };
}

const wire = (b: { bhs: Buffer; ahs: Buffer; data: Buffer }): Buffer =>
  Buffer.concat([b.bhs, b.ahs, b.data, Buffer.alloc((4 - (b.data.length % 4)) % 4)]);

describe('KernelLoginLink', () => {
  it('a written Login Request goes out as one SEND_PDU: 48-byte header, data without the pad bytes', async () => {
    const { k, driver, sid } = await setup();
    const link = new KernelLoginLink(driver, sid, 0);
    const data = textData([['InitiatorName', 'iqn.x'], ['AuthMethod', 'None']]); // 30 bytes: 2 pad bytes on the wire
    const req = loginRequest({
      transit: true, cont: false, csg: 0, nsg: 1, versionMax: 0, versionMin: 0, isid: Buffer.from('00023d000001', 'hex'),
      tsih: 0, itt: 0x55, cid: 0, cmdSN: 1, expStatSN: 0, data,
    });
    const bytes = wire(req);
    // split across two writes, as a socket may deliver them
    link.write(bytes.subarray(0, 20));
    await new Promise<void>((r) => link.write(bytes.subarray(20), () => r()));
    expect(k.sentPdus).toHaveLength(1);
    expect(k.sentPdus[0]!.header).toEqual(req.bhs);
    expect(k.sentPdus[0]!.data).toEqual(data);
    link.destroy();
  });

  it('a RECV_PDU Login Response is read back padded, with our request ITT in place of the kernel ITT; other PDUs keep theirs', async () => {
    const { k, driver, sid } = await setup();
    const link = new KernelLoginLink(driver, sid, 0);
    const got: Buffer[] = [];
    link.on('data', (c: Buffer) => got.push(c));
    const req = loginRequest({
      transit: true, cont: false, csg: 1, nsg: 3, versionMax: 0, versionMin: 0, isid: Buffer.alloc(6),
      tsih: 0, itt: 0x77, cid: 0, cmdSN: 1, expStatSN: 0,
    });
    await new Promise<void>((r) => link.write(wire(req), () => r()));
    const rsp = loginResponse({
      transit: true, cont: false, csg: 1, nsg: 3, versionMax: 0, versionActive: 0, isid: Buffer.alloc(6), tsih: 3, itt: 0x4000_0001,
      statusClass: 0, statusDetail: 0, statSN: 1, expCmdSN: 1, maxCmdSN: 2, data: textData([['HeaderDigest', 'None']]),
    });
    k.recvPdu(sid, 0, rsp.bhs, rsp.data);
    const nop = nopIn({ lun: Buffer.alloc(8), itt: 0x4000_0002, ttt: 0xffffffff, statSN: 2, expCmdSN: 1, maxCmdSN: 2 });
    k.recvPdu(sid, 0, nop.bhs);
    await new Promise((r) => setTimeout(r, 10));
    const all = Buffer.concat(got);
    expect(all.length).toBe(48 + 20 + 48); // "HeaderDigest=None\0" is 18 bytes, padded to 20
    expect(all.readUInt32BE(16)).toBe(0x77);
    expect(all.subarray(0, 16)).toEqual(rsp.bhs.subarray(0, 16));
    expect(all.subarray(48, 66)).toEqual(rsp.data);
    expect(all.readUInt32BE(68 + 16)).toBe(0x4000_0002);
    link.destroy();
  });

  it('CONN_ERROR of the connection destroys the stream with the typed KernelConnError', async () => {
    const { k, driver, sid } = await setup();
    const link = new KernelLoginLink(driver, sid, 0);
    const failed = new Promise<Error>((r) => link.on('error', r));
    k.connError(sid, 0, 1020);
    const err = await failed;
    expect(err).toMatchObject({ code: 'KERNEL_CONN_ERROR', kernelCode: 1020 });
  });
});
