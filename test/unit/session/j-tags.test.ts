/**
 * Initiator Task Tags (RFC 7143 §11.2.1.8, §4.2.5.3; checklist J-11, J-13).
 */
import { describe, expect, it } from 'vitest';
import { RESERVED_TAG } from '../../../src/iscsi/pdu/types.js';
import type { IscsiError } from '../../../src/shared/errors.js';
import type { Session } from '../../../src/session/session.js';
import { TagCounter, TaskTable } from '../../../src/session/tasks.js';
import { scsiResponse } from '../../support/fake-target/index.js';
import { ittOf, loggedIn, ofKind, quiet, rejectionOf, tur, until } from './helpers-jnr.js';

function failure(session: Session): Promise<IscsiError> {
  return new Promise((resolve) => session.once('connection-error', resolve));
}

describe('J: task tags', () => {
  it('J-11 ITTs are unique while tasks exist and 0xffffffff is never assigned', async () => {
    // Table level: allocation across the 2^32 wrap skips the reserved tag and live tags.
    const table = new TaskTable<string>(new TagCounter(0xfffffffe));
    const tags = [table.add(() => 'a'), table.add(() => 'b'), table.add(() => 'c')];
    expect(tags).toEqual([0xfffffffe, 0, 1]);
    const wrapped = new TaskTable<string>(new TagCounter(1));
    const live = wrapped.add(() => 'live');
    for (let i = 0; i < 5; i++) wrapped.delete(wrapped.add(() => 'done'));
    expect(live).toBe(1);
    expect(wrapped.get(1)).toBe('live');
    // Wire level: 40 concurrent commands (window 8) carry 40 distinct tags, none reserved.
    const { target, session } = await loggedIn({ window: 8 });
    await Promise.all([...Array.from({ length: 40 }, () => tur(session)), session.ping(), session.ping()]);
    const itts = target.received.filter((r) => r.pdu.kind === 'scsi-command' || (r.pdu.kind === 'nop-out' && r.pdu.itt !== RESERVED_TAG)).map((r) => ittOf(r.raw));
    expect(itts).toHaveLength(42);
    expect(new Set(itts).size).toBe(42);
    expect(itts).not.toContain(RESERVED_TAG);
  });

  it('J-13 a response whose ITT matches no task, or whose LUN differs from the task, is a protocol error', async () => {
    {
      const { target, session } = await loggedIn();
      const failed = failure(session);
      const ctx = target.ctx(0);
      ctx.send(scsiResponse(ctx, { itt: 0x0badf00d, status: 0 }));
      expect((await failed).code).toBe('UNKNOWN_ITT');
      expect(session.state).toBe('failed');
    }
    {
      // R2T for the write, but with LUN 5 instead of the command's LUN 0.
      const { target, session } = await loggedIn({
        onPdu: (ctx, pdu) => {
          if (pdu.kind !== 'scsi-command') return false;
          ctx.sn.command(pdu.cmdSN, pdu.immediate);
          const lun = Buffer.alloc(8);
          lun[1] = 5;
          ctx.send({ kind: 'r2t', lun, itt: pdu.itt, ttt: 0x99, ...ctx.sn.peek(), r2tSN: 0, bufferOffset: 0, desiredDataTransferLength: 512, data: Buffer.alloc(0) });
          return true;
        },
      }, { offer: { immediateData: false, initialR2T: true } });
      const failed = failure(session);
      const write = quiet(session.execute({ lun: 0, cdb: Buffer.from([0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0]), dataOut: Buffer.alloc(512) }));
      expect((await failed).code).toBe('LUN_MISMATCH');
      expect((await rejectionOf(write)).details?.reason).toBe('LUN_MISMATCH');
      await until(() => target.openConnections() === 0);
      expect(ofKind(target, 'data-out')).toHaveLength(0);
    }
  });
});
