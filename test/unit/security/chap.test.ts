import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/shared/errors.js';
import { ChallengeRegistry, chapResponse, validateChapConfig, type ChapConfig } from '../../../src/iscsi/chap.js';
import { decodeChapBinary, parseChapNumber } from '../../../src/iscsi/chap-values.js';
import { expectCode, expectMalformed, expectedResponse } from './helpers.js';

const SECRET = 'initiator-secret-1';

function configError(cfg: ChapConfig): ConfigError {
  try {
    validateChapConfig(cfg);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).errno).toBe(7);
    return err as ConfigError;
  }
  throw new Error('expected validateChapConfig to throw');
}

describe('CHAP response and configuration (RFC 1994, RFC 7143 §9.2.1, §12.1.3)', () => {
  it('H-11 response is H(id octet || secret || challenge bytes): fixed vectors', () => {
    // Inputs: identifier 0x2a, secret = ASCII "0123456789abcdef", challenge = bytes 0x00..0x0f.
    // Expected digests computed outside Node with Python hashlib, e.g.
    //   hashlib.md5(bytes([0x2a]) + b'0123456789abcdef' + bytes(range(16))).hexdigest()
    // and cross-checked with `openssl dgst -md5` over the same 33 bytes.
    const secret = Buffer.from('0123456789abcdef', 'ascii');
    const challenge = Buffer.from([...Array(16).keys()]);
    expect(chapResponse(5, 0x2a, secret, challenge).toString('hex')).toBe('0fbee2a235349701655e644832d106bf');
    expect(chapResponse(6, 0x2a, secret, challenge).toString('hex')).toBe('5617a555f0045171364ed82310b9c08c4d48faeb');
    expect(chapResponse(7, 0x2a, secret, challenge).toString('hex')).toBe('d8c3aedd13f3e0017b09becc2da9c74a6d001ab22424256ad456063e668f5d14');
    expect(chapResponse(8, 0x2a, secret, challenge).toString('hex')).toBe('972a2f638a858f5d97206e79fdf525a79b427550f3b79af445c6664fea05b508');
    // Trap: hashing the hex text of the challenge instead of its bytes gives 94262c3d... (hashlib).
    expect(chapResponse(5, 0x2a, secret, challenge).toString('hex')).not.toBe('94262c3d4c9e7cd35085d3df5b61a9e4');
  });

  it('H-11 response matches node:crypto for random inputs, all ids and every algorithm', () => {
    const hashes = { 5: 'md5', 6: 'sha1', 7: 'sha256', 8: 'sha3-256' } as const;
    for (const alg of [5, 6, 7, 8] as const) {
      for (const id of [0, 1, 127, 255]) {
        const challenge = randomBytes(1 + (id % 50));
        const got = chapResponse(alg, id, Buffer.from(SECRET), challenge);
        expect(got.equals(expectedResponse(hashes[alg], id, SECRET, challenge)), `alg ${alg} id ${id}`).toBe(true);
      }
    }
  });

  it('H-22 digest lengths: 5 MD5=16, 6 SHA-1=20, 7 SHA-256=32, 8 SHA3-256=32 bytes', () => {
    const lengths = ([5, 6, 7, 8] as const).map((a) => chapResponse(a, 1, Buffer.from(SECRET), Buffer.of(1)).length);
    expect(lengths).toEqual([16, 20, 32, 32]);
    expectCode(() => chapResponse(5, 256, Buffer.from(SECRET), Buffer.of(1)), 'CHAP_ID_RANGE');
  });

  it('H-16 refuses the same secret for both directions', () => {
    const err = configError({ username: 'u', secret: SECRET, usernameIn: 't', secretIn: SECRET });
    expect(err.code).toBe('CHAP_SAME_SECRET');
  });

  it('H-21 refuses secrets under 12 bytes unless allowShortSecret, and supports 16-byte random secrets', () => {
    expect(configError({ username: 'u', secret: '01234567890' }).code).toBe('CHAP_SECRET_TOO_SHORT');
    expect(configError({ username: 'u', secret: SECRET, usernameIn: 't', secretIn: 'short' }).details.field).toBe('secretIn');
    expect(() => validateChapConfig({ username: 'u', secret: '012345678901' })).not.toThrow();
    expect(() => validateChapConfig({ username: 'u', secret: 'short', allowShortSecret: true })).not.toThrow();
    // 128-bit random secret (hex text of 16 random bytes is 32 bytes; raw latin1 also works).
    expect(() => validateChapConfig({ username: 'u', secret: randomBytes(16).toString('hex') })).not.toThrow();
    // Bytes, not characters: 6 two-byte characters are 12 bytes.
    expect(() => validateChapConfig({ username: 'u', secret: 'ääääää' })).not.toThrow();
  });

  it('validateChapConfig refuses incomplete or invalid credentials', () => {
    expect(configError({ username: '', secret: SECRET }).code).toBe('CHAP_USERNAME_MISSING');
    expect(configError({ username: 'u', secret: '' }).code).toBe('CHAP_SECRET_MISSING');
    expect(configError({ username: 'u', secret: '', allowShortSecret: true }).code).toBe('CHAP_SECRET_MISSING');
    expect(configError({ username: 'u\u0000', secret: SECRET }).code).toBe('CHAP_USERNAME_INVALID');
    expect(configError({ username: 'u', secret: SECRET, usernameIn: 't' }).code).toBe('CHAP_MUTUAL_INCOMPLETE');
    expect(configError({ username: 'u', secret: SECRET, secretIn: 'target-secret-1' }).code).toBe('CHAP_MUTUAL_INCOMPLETE');
    expect(configError({ username: 'u', secret: SECRET, algorithms: [] }).code).toBe('CHAP_ALGORITHMS_INVALID');
    expect(configError({ username: 'u', secret: SECRET, algorithms: [5, 5] }).code).toBe('CHAP_ALGORITHMS_INVALID');
    expect(configError({ username: 'u', secret: SECRET, algorithms: [4 as 5] }).code).toBe('CHAP_ALGORITHMS_INVALID');
  });

  it('secrets never appear in configuration error messages or details', () => {
    const secrets = ['tiny', 'same-secret-value'];
    const errs = [
      configError({ username: 'u', secret: 'tiny' }),
      configError({ username: 'u', secret: 'same-secret-value', usernameIn: 't', secretIn: 'same-secret-value' }),
    ];
    for (const err of errs) {
      const text = err.message + JSON.stringify(err.toJSON());
      for (const s of secrets) expect(text).not.toContain(s);
    }
  });

  it('H-09 binary values decode up to 1024 bytes (hex and base64) and refuse 1025', () => {
    expect(decodeChapBinary(`0x${'ab'.repeat(1024)}`, 'CHAP_C').length).toBe(1024);
    expect(decodeChapBinary(`0b${Buffer.alloc(1024, 7).toString('base64')}`, 'CHAP_C').length).toBe(1024);
    expectMalformed(() => decodeChapBinary(`0x${'ab'.repeat(1025)}`, 'CHAP_C'), 'CHAP_C_TOO_LONG');
    expectMalformed(() => decodeChapBinary(`0b${Buffer.alloc(1025).toString('base64')}`, 'CHAP_C'), 'CHAP_C_TOO_LONG');
    // Odd digit count: implied leading zero nibble (RFC 7143 §6.1 byte-length (n+1)/2).
    expect([...decodeChapBinary('0xabc', 'CHAP_C')]).toEqual([0x0a, 0xbc]);
    expect([...decodeChapBinary('0XAbCd', 'CHAP_C')]).toEqual([0xab, 0xcd]);
    expectMalformed(() => decodeChapBinary('0b@@@@', 'CHAP_C'), 'CHAP_C_MALFORMED');
  });

  it('H-10 zero-length binary values are refused', () => {
    expectMalformed(() => decodeChapBinary('0x', 'CHAP_C'), 'CHAP_C_EMPTY');
    expectMalformed(() => decodeChapBinary('0b', 'CHAP_C'), 'CHAP_C_EMPTY');
    expectMalformed(() => decodeChapBinary('', 'CHAP_C'), 'CHAP_C_MALFORMED');
  });

  it('H-08 CHAP numbers are decimal or 0x hex, at most one octet for CHAP_I', () => {
    expect(parseChapNumber('0', 'CHAP_I', 255)).toBe(0);
    expect(parseChapNumber('255', 'CHAP_I', 255)).toBe(255);
    expect(parseChapNumber('0xff', 'CHAP_I', 255)).toBe(255);
    expectMalformed(() => parseChapNumber('256', 'CHAP_I', 255), 'CHAP_I_RANGE');
    expectMalformed(() => parseChapNumber('abc', 'CHAP_I', 255), 'CHAP_I_MALFORMED');
    expectMalformed(() => parseChapNumber('-1', 'CHAP_I', 255), 'CHAP_I_MALFORMED');
    expectMalformed(() => parseChapNumber('', 'CHAP_I', 255), 'CHAP_I_MALFORMED');
    expectMalformed(() => parseChapNumber('1.5', 'CHAP_I', 255), 'CHAP_I_MALFORMED');
  });

  it('ChallengeRegistry counts entries so one release does not drop another connection', () => {
    const reg = new ChallengeRegistry();
    const c = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    expect(reg.has(c)).toBe(false);
    reg.add(c);
    reg.add(Buffer.from(c));
    reg.delete(c);
    expect(reg.has(Buffer.from(c))).toBe(true);
    reg.delete(c);
    expect(reg.has(c)).toBe(false);
    expect(reg.size).toBe(0);
  });
});
