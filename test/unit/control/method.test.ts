import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  checkResult, defineMethod, formatPath, MethodRegistry, parseParams,
} from '../../../src/control/method.js';
import { IscsiError } from '../../../src/shared/errors.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(IscsiError);
    return (e as IscsiError).code;
  }
  return undefined;
}

const login = defineMethod({
  name: 'session.login',
  params: z.strictObject({
    target: z.string().min(1),
    portals: z.array(z.object({ address: z.string(), port: z.number().int().max(65535) })).min(1),
  }),
  result: z.object({ sid: z.number().int() }),
  handler: () => ({ sid: 1 }),
});

describe('defineMethod / MethodRegistry', () => {
  it.each(['hello', 'session.login', 'node.update', 'a1.b2C'])('accepts the name %s', (name) => {
    expect(defineMethod({ name, params: z.object({}), result: z.null(), handler: () => null }).kind).toBe('control-method');
  });

  it.each(['', 'Hello', 'session..login', 'session.', '.x', 'rpc.discover', 'a-b', 'a b', 'x'.repeat(65)])('refuses the name "%s"', (name) => {
    expect(codeOf(() => defineMethod({ name, params: z.object({}), result: z.null(), handler: () => null }))).toBe('METHOD_NAME_INVALID');
  });

  it('refuses duplicates and lists names sorted', () => {
    const r = new MethodRegistry([login]);
    const b = defineMethod({ name: 'a.first', params: z.object({}), result: z.null(), handler: () => null });
    r.add(b);
    expect(r.names()).toEqual(['a.first', 'session.login']);
    expect(codeOf(() => r.add(login))).toBe('METHOD_DUPLICATE');
    expect(r.get('session.login')).toBe(login);
    expect(r.get('nope')).toBeUndefined();
  });
});

describe('params validation', () => {
  it('returns the parsed params', () => {
    expect(parseParams(login, { target: 't', portals: [{ address: 'a', port: 3260 }] })).toEqual({ target: 't', portals: [{ address: 'a', port: 3260 }] });
  });

  it.each([
    ['a nested bad field', { target: 't', portals: [{ address: 'a', port: 3260 }, { address: 'b', port: 70000 }] }, 'portals[1].port'],
    ['a missing field', { portals: [{ address: 'a', port: 1 }] }, 'target'],
    ['an unknown field', { target: 't', portals: [{ address: 'a', port: 1 }], bogus: 1 }, 'bogus'],
    ['absent params (treated as {})', undefined, 'target'],
    ['params of the wrong shape', [1, 2], '(params)'],
  ])('%s → INVALID_PARAMS naming %s', (_n, raw, path) => {
    try {
      parseParams(login, raw);
      expect.unreachable();
    } catch (e) {
      const err = e as IscsiError;
      expect(err.code).toBe('INVALID_PARAMS');
      expect(err.errno).toBe(7);
      expect((err.details.issues as { path: string }[]).map((i) => i.path)).toContain(path);
      expect(err.message).toContain(path);
    }
  });

  it('checkResult refuses a result that does not match the schema', () => {
    expect(codeOf(() => checkResult(login, { sid: 'x' }))).toBe('RESULT_INVALID');
    expect(codeOf(() => checkResult(login, { sid: 3 }))).toBeUndefined();
  });

  it.each([
    [[], '(params)'],
    [['a'], 'a'],
    [['a', 0, 'b'], 'a[0].b'],
    [[2], '[2]'],
  ] as [PropertyKey[], string][])('formatPath %j → %s', (path, want) => {
    expect(formatPath(path)).toBe(want);
  });
});
