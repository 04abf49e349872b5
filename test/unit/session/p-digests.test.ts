/**
 * Digests end to end (RFC 7143 §11.2.3, §13.1, §7.8; checklist P-02..P-05), plus a
 * 1 MiB write/read integrity run with both digests on. Digest values on the wire are
 * checked with a bitwise CRC32C written here, apart from src/iscsi/crc32c.ts.
 */
import { describe, expect, it } from 'vitest';
import type { IscsiError } from '../../../src/shared/errors.js';
import type { Session } from '../../../src/session/session.js';
import { read16, write16 } from '../../../src/session/scsi-ops.js';
import { nopIn, type FakeTarget, type Received } from '../../support/fake-target/index.js';
import { dslOf, loggedIn, newSession, ofKind, pattern, rejectionOf, startTarget } from './helpers-jnr.js';
import { referenceCrc32c } from '../../support/crc32c-ref.js';

const pad4 = (n: number): number => (4 - (n % 4)) % 4;
const DIGESTS = { headerDigest: ['CRC32C' as const], dataDigest: ['CRC32C' as const] };

/** Check one recorded PDU's layout: with digests, BHS | HD | data+pad | DD (no DD for DSL 0). */
function expectLayout(r: Received, digests: boolean): void {
  const dsl = dslOf(r.raw);
  const ahs = r.raw[4]! * 4;
  const header = 48 + ahs;
  if (!digests) {
    expect(r.raw.length).toBe(header + dsl + pad4(dsl));
    return;
  }
  expect(r.raw.readUInt32LE(header)).toBe(referenceCrc32c(r.raw.subarray(0, header)));
  const dataStart = header + 4;
  const dataEnd = dataStart + dsl + pad4(dsl);
  if (dsl === 0) {
    expect(r.raw.length).toBe(dataStart);
    return;
  }
  expect(r.raw.length).toBe(dataEnd + 4);
  expect(r.raw.readUInt32LE(dataEnd)).toBe(referenceCrc32c(r.raw.subarray(dataStart, dataEnd)));
}

function failure(session: Session): Promise<IscsiError> {
  return new Promise((resolve) => session.once('connection-error', resolve));
}

function digestErrors(target: FakeTarget): string[] {
  return target.log.filter((e) => e.code.includes('DIGEST')).map((e) => e.code);
}

describe('P: digests', () => {
  it('P-02 header digest covers the BHS, data digest covers data + padding, none for an empty data segment', async () => {
    const { target, session } = await loggedIn({}, { offer: DIGESTS });
    expect(session.params).toMatchObject({ headerDigest: 'CRC32C', dataDigest: 'CRC32C' });
    await session.ping(Buffer.from('abcde')); // 5 bytes: 3 bytes of padding inside the data digest
    await session.ping();
    await session.execute({ lun: 0, cdb: Buffer.from([0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0]), dataOut: pattern(512) });
    const nops = ofKind(target, 'nop-out');
    expect(nops[0]!.raw.length).toBe(48 + 4 + 8 + 4);
    expect(nops[1]!.raw.length).toBe(48 + 4);
    for (const r of target.received.filter((x) => x.pdu.kind !== 'login-request')) expectLayout(r, true);
    expect(digestErrors(target)).toEqual([]);
    expect(target.violations()).toEqual([]);
  });

  it('P-03 digests start with the first FFP PDU, never on login PDUs, and are set up per connection', async () => {
    const { target, session } = await loggedIn({ t0OnFirstOperational: true }, { offer: DIGESTS });
    await session.ping(Buffer.from('first'));
    const conn0 = target.received.filter((r) => r.conn === 0);
    const firstFfp = conn0.findIndex((r) => r.pdu.kind !== 'login-request');
    expect(conn0.slice(0, firstFfp).length).toBeGreaterThanOrEqual(2);
    for (const r of conn0.slice(0, firstFfp)) expectLayout(r, false);
    expectLayout(conn0[firstFfp]!, true);
    // A new connection logs in without digests again and uses them from its first FFP PDU.
    target.ctx(0).reset();
    await failure(session);
    await session.login();
    await session.ping(Buffer.from('second'));
    const conn1 = target.received.filter((r) => r.conn === 1);
    for (const r of conn1.filter((x) => x.pdu.kind === 'login-request')) expectLayout(r, false);
    for (const r of conn1.filter((x) => x.pdu.kind !== 'login-request')) expectLayout(r, true);
    expect(digestErrors(target)).toEqual([]);
  });

  it('P-04 a wrong header digest from the target fails the connection (HEADER_DIGEST_ERROR)', async () => {
    const { target, session } = await loggedIn({ blackHole: (p) => p.kind === 'nop-out' }, { offer: DIGESTS });
    const failed = failure(session);
    const ping = session.ping(Buffer.from('x'));
    await target.waitFor((r) => r.pdu.kind === 'nop-out');
    const ctx = target.ctx(0);
    ctx.corruptNext({ headerDigest: true });
    ctx.send(nopIn(ctx, { itt: ofKind(target, 'nop-out')[0]!.pdu.itt, data: Buffer.from('x') }));
    expect((await failed).code).toBe('HEADER_DIGEST_ERROR');
    expect((await rejectionOf(ping)).details?.reason).toBe('HEADER_DIGEST_ERROR');
    expect(session.state).toBe('failed');
    expect(session.stats?.digest_err).toBe(1);
    await target.waitForClosed(0);
  });

  it('P-05 a SendTargets Text Response with a wrong data digest fails discovery (DATA_DIGEST_ERROR)', async () => {
    const { target } = await startTarget({
      onPdu: (ctx, pdu) => {
        if (pdu.kind === 'text-request') ctx.corruptNext({ dataDigest: true });
        return false;
      },
    });
    const session = newSession(target.portal, { sessionType: 'Discovery', targetName: undefined, offer: DIGESTS });
    await session.login();
    const failed = failure(session);
    const err = await rejectionOf(session.sendTargets());
    expect(err.code).toBe('SESSION_FAILED');
    expect(err.details?.reason).toBe('DATA_DIGEST_ERROR');
    expect((await failed).code).toBe('DATA_DIGEST_ERROR');
    await target.waitForClosed(0);
  });

  it('P-02 P-03 1 MiB written and read back intact through the fake target with both digests on', async () => {
    const { target, script, session } = await loggedIn({ declare: { MaxRecvDataSegmentLength: 65536 } }, { offer: { ...DIGESTS, maxRecvDataSegmentLength: 32768 } });
    const data = pattern(1 << 20, 0x5eed);
    await write16(session, 0, 1000, data, 512);
    expect(script.disk().read(0, 1000 * 512, data.length).equals(data)).toBe(true);
    const back = await read16(session, 0, 1000, 2048, 512);
    expect(back.equals(data)).toBe(true);
    expect(ofKind(target, 'data-out').length).toBeGreaterThanOrEqual(15);
    expect(digestErrors(target)).toEqual([]);
    expect(target.violations()).toEqual([]);
    expect(session.stats?.digest_err).toBe(0);
  });
});
