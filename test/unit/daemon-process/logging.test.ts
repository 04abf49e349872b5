/**
 * The daemon logger: -d → level, CHAP secrets never written (any depth, dotted record
 * keys, error details and causes, child bindings), errors serialized with code/errno,
 * human-readable lines only in the foreground on a TTY.
 */
import { describe, expect, it } from 'vitest';
import {
  CENSOR, connectionLogger, createDaemonLogger, formatHumanLine, levelForDebug, scrubSecrets,
} from '../../../src/daemon/logging.js';
import { ConfigError } from '../../../src/shared/errors.js';
import type { Logger } from '../../../src/shared/logger.js';

const SECRET = 'Sup3rS3cretChapPw';

function capture(opts: { debug?: number; foreground?: boolean; isTty?: boolean } = {}) {
  const lines: string[] = [];
  const log = createDaemonLogger({
    debug: opts.debug ?? 0, foreground: opts.foreground ?? false, isTty: opts.isTty ?? false,
    stream: { write: (s: string) => void lines.push(s) },
  });
  return { log, lines, json: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('levelForDebug', () => {
  it.each([[0, 'info'], [1, 'debug'], [2, 'debug'], [3, 'trace'], [8, 'trace']] as const)('-d %i → %s', (d, level) => {
    expect(levelForDebug(d)).toBe(level);
    expect(capture({ debug: d }).log.level).toBe(level);
  });

  it('-d 0 drops debug lines, -d 1 keeps them', () => {
    const quiet = capture({ debug: 0 });
    quiet.log.debug({ a: 1 }, 'hidden');
    quiet.log.info({ a: 1 }, 'shown');
    expect(quiet.json().map((r) => r.msg)).toEqual(['shown']);
    const loud = capture({ debug: 1 });
    loud.log.debug({ a: 1 }, 'shown');
    expect(loud.json().map((r) => r.msg)).toEqual(['shown']);
  });
});

describe('secret redaction', () => {
  it('satisfies the shared Logger interface', () => {
    const l: Logger = capture().log;
    expect(typeof l.child).toBe('function');
  });

  it('censors SECRET_KEYS and record password keys at every depth', () => {
    const c = capture({ debug: 8 });
    const deep = { a: { b: { c: { d: { e: { password: SECRET, secretIn: SECRET } } } } } };
    c.log.info({
      password: SECRET, password_in: SECRET, secret: SECRET, CHAP_R: SECRET, CHAP_C: SECRET, passwordIn: SECRET,
      rec: { 'node.session.auth.password': SECRET, 'node.session.auth.password_in': SECRET, 'node.session.auth.username': 'alice' },
      list: [{ 'discovery.sendtargets.auth.password': SECRET }],
      map: new Map([['secret', SECRET]]),
      deep,
    }, 'login');
    const text = c.lines.join('');
    expect(text).not.toContain(SECRET);
    const rec = c.json()[0]!;
    expect(rec.password).toBe(CENSOR);
    expect((rec.rec as Record<string, unknown>)['node.session.auth.username']).toBe('alice');
    expect(text).toContain(CENSOR);
  });

  it('serializes errors with code and errno, scrubbing details and causes', () => {
    const c = capture();
    const cause = new ConfigError('INNER', 'inner problem', { details: { password: SECRET } });
    const err = new ConfigError('CHAP_FAILED', 'CHAP failed', { details: { username: 'u', secret: SECRET }, cause });
    c.log.error({ err, nested: { other: err } }, 'failed');
    const text = c.lines.join('');
    expect(text).not.toContain(SECRET);
    const e = c.json()[0]!.err as Record<string, unknown>;
    expect(e).toMatchObject({ type: 'ConfigError', code: 'CHAP_FAILED', errno: 7, message: 'CHAP failed', details: { username: 'u', secret: CENSOR } });
    expect((e.cause as Record<string, unknown>).code).toBe('INNER');
    expect(typeof e.stack).toBe('string');
  });

  it('censors secrets in child bindings and byte buffers', () => {
    const c = capture();
    c.log.child({ password: SECRET }).info({ challenge: Buffer.from(SECRET) }, 'x');
    expect(c.lines.join('')).not.toContain(SECRET);
    expect(c.json()[0]!.challenge).toBe(`[${SECRET.length} bytes]`);
  });

  it('scrubSecrets survives cycles', () => {
    const o: Record<string, unknown> = { password: SECRET };
    o.self = o;
    expect(scrubSecrets(o)).toEqual({ password: CENSOR, self: '[circular]' });
  });
});

describe('connectionLogger', () => {
  it('binds sid, cid, target and portal to every line', () => {
    const c = capture();
    connectionLogger(c.log, { sid: 3, cid: 0, target: 'iqn.2001-04.com.example:t', portal: '127.0.0.1:3260' }).info({}, 'up');
    expect(c.json()[0]).toMatchObject({ sid: 3, cid: 0, target: 'iqn.2001-04.com.example:t', portal: '127.0.0.1:3260', msg: 'up' });
  });
});

describe('output format', () => {
  it('JSON lines unless foreground on a TTY', () => {
    for (const opts of [{ foreground: false, isTty: true }, { foreground: true, isTty: false }]) {
      const c = capture(opts);
      c.log.info({ sid: 1 }, 'hello');
      expect(JSON.parse(c.lines[0]!)).toMatchObject({ msg: 'hello', sid: 1, level: 30, name: 'tsiscsid' });
    }
  });

  it('human-readable single lines in the foreground on a TTY', () => {
    const c = capture({ foreground: true, isTty: true });
    c.log.warn({ file: '/etc/tsiscsi/iscsid.conf', line: 4, password: SECRET }, 'bad line');
    const line = c.lines[0]!;
    expect(line).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN  bad line file=\/etc\/tsiscsi\/iscsid\.conf line=4 password=\[REDACTED\]\n$/);
    expect(line).not.toContain(SECRET);
  });

  it('formatHumanLine shows errors by code and passes non-JSON through', () => {
    const line = formatHumanLine(JSON.stringify({ level: 50, time: 0, msg: 'boom', err: { code: 'X_Y', message: 'it broke' } }));
    expect(line).toContain('ERROR boom err="X_Y: it broke"');
    expect(formatHumanLine('not json')).toBe('not json\n');
  });
});
