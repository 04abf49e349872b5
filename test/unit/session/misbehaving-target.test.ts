/**
 * A misbehaving target, over real loopback sockets: every case below ends in a typed
 * IscsiError (a code and an ISCSI_ERR number), the process keeps running, and once the
 * session is closed no socket and no timer of ours is left (process.getActiveResourcesInfo).
 * The cases are the list of what tgtd cannot provoke: a bad next stage, key
 * floods, endless login exchanges, oversize segments, a wrong CHAP response, a redirect
 * loop, NOP-In with odd tags, and garbage on the wire.
 */
import { describe, expect, it } from 'vitest';
import type { LoginResponse } from '../../../src/iscsi/pdu/types.js';
import type { Session } from '../../../src/session/session.js';
import { IscsiError } from '../../../src/shared/errors.js';
import { DEFAULT_TARGET_NAME, nopIn, type FakeTarget, type StandardTargetOptions } from '../../support/fake-target/index.js';
import { dataOf, newSession, ofKind, startTarget } from './helpers-jnr.js';

const SECRET = 'initiator-secret-01';
const SECRET_IN = 'target-secret-23456';

/** Sockets and timers alive in this process. */
function handles(): { sockets: number; timers: number } {
  const r = process.getActiveResourcesInfo();
  return { sockets: r.filter((x) => x === 'TCPSocketWrap').length, timers: r.filter((x) => x === 'Timeout').length };
}

/** Poll until `handles()` is back to `base` (closing sockets take a turn or two), or give up after 2 s. */
async function settledTo(base: { sockets: number; timers: number }): Promise<{ sockets: number; timers: number }> {
  const deadline = performance.now() + 2000;
  for (;;) {
    const now = handles();
    if ((now.sockets <= base.sockets && now.timers <= base.timers) || performance.now() > deadline) return now;
    await new Promise((r) => setImmediate(r));
  }
}

/** The error a promise rejects with (fails the test if it resolves). */
async function errorOf(p: Promise<unknown>): Promise<IscsiError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(IscsiError);
    return err as IscsiError;
  }
  throw new Error('expected a rejection');
}

interface Case {
  name: string;
  target: StandardTargetOptions;
  session?: Parameters<typeof newSession>[1];
  /** What the target does after login (full feature phase cases). */
  ffp?: (target: FakeTarget) => void;
  code: string;
  errno: number;
  /** What the error names, where it applies (`details`). */
  details: Record<string, unknown>;
}

/** A response one stage further than allowed: T=1 to the reserved stage 2. */
const badNextStage = (_ctx: unknown, _req: unknown, res: LoginResponse): LoginResponse => ({ ...res, transit: true, nsg: 2 });

const CASES: Case[] = [
  { name: 'D-05 bad next stage (NSG 2)', target: { onLoginRequest: badNextStage }, code: 'BAD_STAGE', errno: 4, details: { where: 'LoginResponse.nsg' } },
  {
    name: 'key flood past 64 KiB of login text (5000 X- keys)',
    target: { splitResponsesAt: 4096, extraKeys: Array.from({ length: 5000 }, (_, i): [string, string] => [`X-com.example.flood${i}`, 'x']) },
    code: 'TEXT_TOO_LONG', errno: 4, details: { where: 'LoginResponse.data' },
  },
  { name: 'D-18 endless T=0 login exchanges (bounded)', target: { t0Rounds: 1000 }, code: 'TOO_MANY_LOGIN_EXCHANGES', errno: 4, details: { where: 'LoginResponse' } },
  {
    name: 'C-09 oversize Login Response (16 KiB data)',
    target: { onLoginRequest: (_c, _r, res) => ({ ...res, data: Buffer.from(`X-com.example.big=${'a'.repeat(16 * 1024)}\0`) }) },
    code: 'DATA_SEGMENT_TOO_LONG', errno: 4, details: { where: 'BHS.DataSegmentLength', length: 16403, limit: 8192 },
  },
  {
    name: 'H-19 wrong mutual CHAP response',
    target: { auth: { username: 'alice', secret: SECRET, mutual: { secret: SECRET_IN, wrongResponse: true } } },
    session: { chap: { username: 'alice', secret: SECRET, usernameIn: DEFAULT_TARGET_NAME, secretIn: SECRET_IN } },
    code: 'AUTH_FAILED', errno: 24, details: { reason: 'MUTUAL_RESPONSE_WRONG' },
  },
  {
    name: 'G-07 redirect loop (to itself)',
    target: { status: { statusClass: 1, statusDetail: 1, addresses: (ctx) => [`${ctx.local.address}:${ctx.local.port},1`] } },
    code: 'TOO_MANY_REDIRECTS', errno: 19, details: { portal: expect.stringMatching(/^127\.0\.0\.1:\d+$/) },
  },
  {
    name: 'K-05 NOP-In with both a valid ITT and TTT',
    target: {},
    ffp: (t) => t.ctx(0).send(nopIn(t.ctx(0), { itt: 0x1234, ttt: 0x77 })),
    code: 'BAD_TAG', errno: 4, details: { where: 'NopIn.ttt', itt: 0x1234, ttt: 0x77 },
  },
  {
    name: 'J-13 NOP-In ping answer with an ITT never used',
    target: {},
    ffp: (t) => t.ctx(0).send(nopIn(t.ctx(0), { itt: 0x4242 })),
    code: 'UNKNOWN_ITT', errno: 4, details: { where: 'NOP-In' },
  },
  {
    name: 'garbage bytes in full feature phase',
    target: {},
    ffp: (t) => t.ctx(0).sendRaw(Buffer.alloc(48, 0xee)),
    code: 'DATA_SEGMENT_TOO_LONG', errno: 4, details: { where: 'BHS.DataSegmentLength', limit: 262144 },
  },
];

/** Where a login case fails, or (FFP cases) the error the session reports. */
async function provoke(c: Case): Promise<{ err: IscsiError; session: Session }> {
  const { target } = await startTarget(c.target);
  const session = newSession(target.portal, { loginTimeoutMs: 3000, ...c.session });
  if (!c.ffp) return { err: await errorOf(session.login()), session };
  await session.login();
  const failed = new Promise<IscsiError>((resolve) => session.once('connection-error', resolve));
  c.ffp(target);
  return { err: await failed, session };
}

describe('a misbehaving target', () => {
  for (const c of CASES) {
    it(`${c.name}: a typed error, and no socket or timer left`, async () => {
      const base = handles();
      const { err, session } = await provoke(c);
      expect(err.code).toBe(c.code);
      expect(err.errno).toBe(c.errno);
      expect(err.details).toMatchObject(c.details);
      session.close();
      expectNoLeak(base, await settledTo(base));
    });
  }

  it('E-06 key flood within 64 KiB (1000 unknown keys in C=1 responses of a T=0 answer): each answered NotUnderstood (E-06) over C=1 requests, the login completes, nothing left after logout', async () => {
    const base = handles();
    const flood = Array.from({ length: 1000 }, (_, i): [string, string] => [`X-com.example.flood${i}`, 'x']);
    const { target } = await startTarget({ splitResponsesAt: 4096, extraKeys: flood, t0OnFirstOperational: true });
    const session = newSession(target.portal);
    await session.login();
    // The request text, joined across C=1 PDUs (an item may be cut between two), read from the wire bytes.
    const text = Buffer.concat(ofKind(target, 'login-request').map((r) => dataOf(r.raw)));
    const answered = new Set<string>();
    for (const item of text.toString('latin1').split('\0')) {
      if (item.endsWith('=NotUnderstood')) answered.add(item.slice(0, -'=NotUnderstood'.length));
    }
    expect(answered.size).toBe(flood.length);
    expect(target.violations()).toEqual([]);
    await session.logout();
    expectNoLeak(base, await settledTo(base));
  });
});

function expectNoLeak(base: { sockets: number; timers: number }, after: { sockets: number; timers: number }): void {
  expect(after.sockets, 'sockets').toBeLessThanOrEqual(base.sockets);
  expect(after.timers, 'timers').toBeLessThanOrEqual(base.timers);
}
