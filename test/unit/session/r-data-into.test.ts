/**
 * ScsiTask Data-In placement (RFC 7143 §11.7): the PDU's data is borrowed (a view into the
 * connection's receive buffer, pdu-stream.ts), so the task copies it into the command's
 * buffer, the caller's `dataInBuffer` when given. The Data-In PDUs are built by hand here.
 */
import { describe, expect, it } from 'vitest';
import { RESERVED_TAG, type DataIn } from '../../../src/iscsi/pdu/types.js';
import { ScsiTask } from '../../../src/session/scsi-task.js';

const LUN = Buffer.alloc(8);
const SIZES = { immediateData: true, initialR2T: true, firstBurstLength: 65536, maxBurstLength: 262144, maxXmitDataSegmentLength: 65536 };

function dataIn(data: Buffer, o: { bufferOffset?: number; dataSN?: number; hasStatus?: boolean } = {}): DataIn {
  const hasStatus = o.hasStatus ?? true;
  return {
    kind: 'data-in', final: hasStatus, acknowledge: false, overflow: false, underflow: false, hasStatus, status: 0,
    lun: LUN, itt: 1, ttt: RESERVED_TAG, statSN: 1, expCmdSN: 1, maxCmdSN: 9, dataSN: o.dataSN ?? 0, bufferOffset: o.bufferOffset ?? 0, residualCount: 0, data,
  };
}

describe('R-06 Data-In is copied out of the receive buffer', () => {
  it('one Data-In with status: the result survives the receive buffer being overwritten', () => {
    const task = new ScsiTask(1, LUN, { lun: 0, cdb: Buffer.alloc(16), dataInLength: 4096 }, SIZES);
    const recv = Buffer.alloc(5000, 0x5a);
    const pdu = dataIn(recv.subarray(100, 4196));
    expect(task.onDataIn(pdu)).toBe(true);
    const result = task.resultFromDataIn(pdu);
    recv.fill(0xee);
    expect(result.data.length).toBe(4096);
    expect(result.data.every((b) => b === 0x5a)).toBe(true);
  });

  it('into the caller\'s dataInBuffer, over several Data-In PDUs', () => {
    const into = Buffer.alloc(8192, 0xff);
    const task = new ScsiTask(1, LUN, { lun: 0, cdb: Buffer.alloc(16), dataInLength: 4096, dataInBuffer: into }, SIZES);
    const recv = Buffer.alloc(2048);
    recv.fill(1);
    expect(task.onDataIn(dataIn(recv, { hasStatus: false }))).toBe(false);
    recv.fill(2);
    const last = dataIn(recv, { bufferOffset: 2048, dataSN: 1 });
    expect(task.onDataIn(last)).toBe(true);
    recv.fill(0xee);
    const { data } = task.resultFromDataIn(last);
    expect(data.buffer).toBe(into.buffer);
    expect(data.length).toBe(4096);
    expect([data[0], data[2047], data[2048], data[4095], into[4096]]).toEqual([1, 1, 2, 2, 0xff]);
  });

  it('a dataInBuffer smaller than the transfer is not used', () => {
    const into = Buffer.alloc(100);
    const task = new ScsiTask(1, LUN, { lun: 0, cdb: Buffer.alloc(16), dataInLength: 512, dataInBuffer: into }, SIZES);
    const pdu = dataIn(Buffer.alloc(512, 3));
    task.onDataIn(pdu);
    const { data } = task.resultFromDataIn(pdu);
    expect(data.buffer).not.toBe(into.buffer);
    expect(data.every((b) => b === 3)).toBe(true);
  });
});

describe('R-06 direct data placement: placement() names where a Data-In\'s data goes before it is read', () => {
  it('the next expected Data-In gets its part of the caller\'s buffer; onDataIn then finds the data in place', () => {
    const into = Buffer.alloc(8192, 0xff);
    const task = new ScsiTask(1, LUN, { lun: 0, cdb: Buffer.alloc(16), dataInLength: 4096, dataInBuffer: into }, SIZES);
    const first = task.placement(0, 0, 2048)!;
    expect(first.buffer).toBe(into.buffer);
    expect(first.byteOffset).toBe(into.byteOffset);
    first.fill(1); // the framer reads the data here
    expect(task.onDataIn(dataIn(first, { hasStatus: false }))).toBe(false);
    const second = task.placement(1, 2048, 2048)!;
    expect(second.byteOffset).toBe(into.byteOffset + 2048);
    second.fill(2);
    const last = dataIn(second, { bufferOffset: 2048, dataSN: 1 });
    expect(task.onDataIn(last)).toBe(true);
    const { data } = task.resultFromDataIn(last);
    expect([data[0], data[2047], data[2048], data[4095], into[4096]]).toEqual([1, 1, 2, 2, 0xff]);
  });

  it('declines a Data-In out of DataSN order or past the expected length (onDataIn refuses those: R-07, overrun)', () => {
    const task = new ScsiTask(1, LUN, { lun: 0, cdb: Buffer.alloc(16), dataInLength: 4096 }, SIZES);
    expect(task.placement(1, 0, 2048)).toBeUndefined();
    expect(task.placement(0, 2048, 4096)).toBeUndefined();
    expect(() => task.onDataIn(dataIn(Buffer.alloc(2048), { dataSN: 1 }))).toThrow(/DataSN 1, expected 0/);
  });

  it('without a caller buffer the placement allocates the command buffer once', () => {
    const task = new ScsiTask(1, LUN, { lun: 0, cdb: Buffer.alloc(16), dataInLength: 4096 }, SIZES);
    const a = task.placement(0, 0, 4096)!;
    a.fill(7);
    const pdu = dataIn(a);
    expect(task.onDataIn(pdu)).toBe(true);
    const { data } = task.resultFromDataIn(pdu);
    expect(data.buffer).toBe(a.buffer);
    expect(data.every((b) => b === 7)).toBe(true);
  });
});
