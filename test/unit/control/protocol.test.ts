import { describe, expect, it } from 'vitest';
import {
  ConfigError, IscsiError, ISCSI_ERR, LoginError, ProtocolError, TransportError,
} from '../../../src/shared/errors.js';
import { CONTROL_ERRORS, RPC_CODE, controlError, type ControlErrorCode } from '../../../src/control/errors.js';
import {
  errorLine, eventLine, fromRpcError, parseRequest, peekId, resultLine, toRpcError,
} from '../../../src/control/protocol.js';
import { isSecretKey, redact } from '../../../src/control/redact.js';

describe('parseRequest (JSON-RPC 2.0 §4)', () => {
  it.each([
    ['request', '{"jsonrpc":"2.0","id":1,"method":"echo","params":{"text":"x"}}', { id: 1, method: 'echo' }],
    ['string id', '{"jsonrpc":"2.0","id":"a-1","method":"echo"}', { id: 'a-1', method: 'echo' }],
    ['null id', '{"jsonrpc":"2.0","id":null,"method":"echo"}', { id: null, method: 'echo' }],
    ['array params', '{"jsonrpc":"2.0","id":2,"method":"echo","params":[1]}', { id: 2, method: 'echo' }],
  ])('accepts a %s', (_n, text, want) => {
    const r = parseRequest(text);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.request).toMatchObject(want);
  });

  it('a notification has no id property', () => {
    const r = parseRequest('{"jsonrpc":"2.0","method":"echo"}');
    expect(r.ok && 'id' in r.request).toBe(false);
  });

  it.each([
    ['not JSON', '{"jsonrpc":', 'PARSE_ERROR', null],
    ['a batch', '[{"jsonrpc":"2.0","id":1,"method":"echo"}]', 'BATCH_NOT_SUPPORTED', null],
    ['a string', '"hello"', 'INVALID_REQUEST', null],
    ['jsonrpc 1.0', '{"jsonrpc":"1.0","id":7,"method":"echo"}', 'INVALID_REQUEST', 7],
    ['no jsonrpc', '{"id":"q","method":"echo"}', 'INVALID_REQUEST', 'q'],
    ['no method', '{"jsonrpc":"2.0","id":3}', 'INVALID_REQUEST', 3],
    ['numeric method', '{"jsonrpc":"2.0","id":3,"method":5}', 'INVALID_REQUEST', 3],
    ['string params', '{"jsonrpc":"2.0","id":4,"method":"echo","params":"x"}', 'INVALID_REQUEST', 4],
    ['object id', '{"jsonrpc":"2.0","id":{},"method":"echo"}', 'INVALID_REQUEST', null],
  ])('rejects %s', (_n, text, code, id) => {
    const r = parseRequest(text);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe(code);
      expect(r.id).toBe(id);
    }
  });

  it('peekId finds the id of a well-formed frame and null otherwise', () => {
    expect(peekId('{"id":9,"method":"x"}')).toBe(9);
    expect(peekId('garbage')).toBe(null);
    expect(peekId('{"id":[1]}')).toBe(null);
  });
});

describe('error mapping', () => {
  const wire = Object.entries(CONTROL_ERRORS).filter(([, row]) => 'rpc' in row) as [ControlErrorCode, { rpc: number; errno: number; retryable: boolean }][];

  it.each(wire)('%s travels with its JSON-RPC code and errno', (code, row) => {
    const obj = toRpcError(controlError(code, 'm'));
    expect(obj.code).toBe(row.rpc);
    expect(obj.data).toMatchObject({ code, errno: row.errno, retryable: row.retryable });
  });

  it('uses the standard codes for the standard conditions', () => {
    expect(RPC_CODE).toMatchObject({ PARSE_ERROR: -32700, INVALID_REQUEST: -32600, METHOD_NOT_FOUND: -32601, INVALID_PARAMS: -32602, INTERNAL_ERROR: -32603 });
    for (const row of Object.values(CONTROL_ERRORS)) {
      if (!('rpc' in row)) continue;
      expect(row.rpc >= -32099 && row.rpc <= -32000 || [-32700, -32600, -32601, -32602, -32603].includes(row.rpc)).toBe(true);
    }
  });

  it('a handler IscsiError is an application error (-32000) with its own errno and code', () => {
    const obj = toRpcError(new LoginError('LOGIN_AUTH_FAILED', 'auth failed', { errno: ISCSI_ERR.LOGIN_AUTH_FAILED }));
    expect(obj).toEqual({
      code: -32000,
      message: 'auth failed',
      data: { errno: 24, code: 'LOGIN_AUTH_FAILED', retryable: false, name: 'LoginError', details: {} },
    });
  });

  it('a non-IscsiError becomes an internal error that does not leak its text', () => {
    const obj = toRpcError(new Error('secret path /etc/shadow'));
    expect(obj.code).toBe(-32603);
    expect(obj.data).toMatchObject({ errno: 9, code: 'INTERNAL_ERROR' });
    expect(JSON.stringify(obj)).not.toContain('shadow');
  });

  it.each([
    ['LoginError', new LoginError('LOGIN_AUTH_FAILED', 'x', { errno: ISCSI_ERR.LOGIN_AUTH_FAILED, details: { target: 'iqn.x' } })],
    ['TransportError', new TransportError('CONNECT_REFUSED', 'refused', { details: { portal: '10.0.0.1:3260' } })],
    ['ConfigError', new ConfigError('BAD_NAME', 'bad name')],
    ['ProtocolError', new ProtocolError('PDU_BAD', 'bad pdu', { where: 'LoginResponse.ITT' })],
    ['IscsiError', new IscsiError('SESSION_NOT_FOUND', 'no sid 3', { errno: ISCSI_ERR.SESS_NOT_FOUND, retryable: true })],
  ])('%s survives a round trip through the wire (class, code, errno, retryable, details)', (_n, err) => {
    const line = errorLine(5, err);
    const msg = JSON.parse(line) as { id: number; error: unknown };
    expect(msg.id).toBe(5);
    const back = fromRpcError(msg.error);
    expect(back.constructor).toBe(err.constructor);
    expect(back).toMatchObject({ code: err.code, errno: err.errno, retryable: err.retryable, message: err.message, details: err.details });
  });

  it('details pass through the redactor: secrets never reach the wire', () => {
    const err = new LoginError('LOGIN_AUTH_FAILED', 'auth failed', {
      details: {
        username: 'bob',
        password: 'hunter2',
        node: { 'node.session.auth.password_in': 'pw-in', CHAP_R: 'deadbeef', secretIn: 's', portal: 'p' },
        list: [{ discoveryPassword: 'x', ok: 1 }],
        raw: Buffer.from('hunter2'),
      },
    });
    const line = errorLine(1, err);
    for (const s of ['hunter2', 'pw-in', 'deadbeef', '"s"', 'discoveryPassword']) expect(line).not.toContain(s);
    const back = fromRpcError((JSON.parse(line) as { error: unknown }).error);
    expect(back.details).toEqual({ username: 'bob', node: { portal: 'p' }, list: [{ ok: 1 }], raw: '[7 bytes]' });
  });

  it.each([
    ['no data (foreign server)', { code: -32601, message: 'nope' }, { code: 'RPC_ERROR_-32601', errno: 16 }],
    ['unknown errno', { code: -32000, message: 'x', data: { errno: 999, code: 'X' } }, { code: 'X', errno: 1 }],
    ['errno 0 is not an error', { code: -32000, message: 'x', data: { errno: 0, code: 'X' } }, { code: 'X', errno: 1 }],
    ['not an object', 'boom', { code: 'BAD_RESPONSE', errno: 18 }],
  ])('fromRpcError tolerates %s', (_n, obj, want) => {
    expect(fromRpcError(obj)).toMatchObject(want);
  });

  it('fromRpcError does not trust data.name for classes that are not ours', () => {
    const e = fromRpcError({ code: -32000, message: 'x', data: { name: 'TypeError', code: 'X', errno: 7 } });
    expect(e).toBeInstanceOf(IscsiError);
    expect(e.constructor).toBe(IscsiError);
  });
});

describe('lines', () => {
  it('resultLine/eventLine are single JSON lines', () => {
    const r = resultLine('a', { x: 'line\nbreak' });
    expect(r.endsWith('\n')).toBe(true);
    expect(r.indexOf('\n')).toBe(r.length - 1);
    expect(JSON.parse(r)).toEqual({ jsonrpc: '2.0', id: 'a', result: { x: 'line\nbreak' } });
    const e = eventLine('s1', JSON.stringify({ type: 'session.state', sid: 1 }));
    expect(JSON.parse(e)).toEqual({ jsonrpc: '2.0', method: 'event', params: { subscription: 's1', event: { type: 'session.state', sid: 1 } } });
  });

  it('an undefined result is sent as null (JSON-RPC requires the member)', () => {
    expect(JSON.parse(resultLine(1, undefined))).toEqual({ jsonrpc: '2.0', id: 1, result: null });
  });
});

describe('redact', () => {
  it.each(['password', 'PASSWORD', 'node.session.auth.password', 'password_in', 'CHAP_R', 'chap_c', 'secret', 'usernameSecret', 'private_key'])(
    '%s is a secret key', (k) => expect(isSecretKey(k)).toBe(true));
  it.each(['username', 'target', 'portal', 'key', 'HeaderDigest'])('%s is not a secret key', (k) => expect(isSecretKey(k)).toBe(false));

  it('handles cycles, depth, bigint, errors, maps and non-JSON values', () => {
    const a: Record<string, unknown> = { n: 1n, f: () => 1, u: undefined, inf: Infinity, m: new Map([['k', 1]]), s: new Set([1, 2]) };
    a.self = a;
    a.err = Object.assign(new Error('e'), { code: 'ECONNRESET' });
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let i = 0; i < 20; i++) deep = (deep.d = {}) as Record<string, unknown>;
    a.deep = root;
    const out = redact(a) as Record<string, unknown>;
    expect(out).toMatchObject({ n: '1', inf: 'Infinity', m: { k: 1 }, s: [1, 2], self: '[circular]', err: { name: 'Error', message: 'e', code: 'ECONNRESET' } });
    expect('f' in out || 'u' in out).toBe(false);
    expect(JSON.stringify(out)).toContain('[depth]');
  });
});
