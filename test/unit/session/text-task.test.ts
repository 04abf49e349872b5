/**
 * The text exchange's memory bound: a target that keeps sending F=0 Text Responses (I-08)
 * cannot grow the reassembled answer past MAX_TEXT_RESPONSE_BYTES; the error names the
 * Text Response data.
 */
import { describe, expect, it } from 'vitest';
import type { TextResponse } from '../../../src/iscsi/pdu/types.js';
import { MAX_TEXT_RESPONSE_BYTES, TextTask } from '../../../src/session/text-task.js';
import { ProtocolError } from '../../../src/shared/errors.js';

const CHUNK = Buffer.alloc(MAX_TEXT_RESPONSE_BYTES / 2, 0x41);

function partial(data: Buffer): TextResponse {
  return { kind: 'text-response', final: false, cont: false, lun: Buffer.alloc(8), itt: 7, ttt: 0x99, statSN: 1, expCmdSN: 2, maxCmdSN: 9, data };
}

describe('TextTask', () => {
  it('fails with TEXT_TOO_LONG at TextResponse.data once the answer passes 16 MiB', () => {
    const task = new TextTask(7, [['SendTargets', 'All']], 8192);
    task.first(1, 1);
    expect(task.onResponse(partial(CHUNK), 1, 2).type).toBe('send');
    expect(task.onResponse(partial(CHUNK), 1, 3).type).toBe('send'); // exactly the limit so far
    let err: unknown;
    try {
      task.onResponse(partial(Buffer.alloc(1)), 1, 4);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProtocolError);
    expect(err).toMatchObject({ code: 'TEXT_TOO_LONG', details: { where: 'TextResponse.data' } });
  });
});
