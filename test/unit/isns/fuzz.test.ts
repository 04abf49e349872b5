/**
 * Every iSNS decoder fed split at every offset and random / mutated bytes: only typed
 * ProtocolErrors come out (DESIGN.md §5.5).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { IsnsFramer, nodesOf, parseResponse, parseScn, parseServerMessage, portalGroupsOf, splitObjects } from '../../../src/iscsi/isns/index.js';
import { ProtocolError } from '../../../src/shared/errors.js';
import { mulberry32 } from '../../support/prng.js';

const golden = (JSON.parse(readFileSync('/work/shared/reference/boot-and-isns/isns-golden.json', 'utf8')) as { exchanges: { request_hex: string; response_hex: string }[] }).exchanges;
const valid = golden.flatMap((e) => [e.request_hex, e.response_hex]).map((h) => Buffer.from(h, 'hex')).filter((b) => b.readUInt16BE(0) === 1);

/** Run all decoders over a stream; return the number of messages. Throws only what they throw. */
function decodeAll(chunks: readonly Buffer[]): number {
  const f = new IsnsFramer({ maxMessage: 1 << 20 });
  let n = 0;
  for (const c of chunks) {
    for (const m of f.push(c)) {
      n++;
      if (m.func & 0x8000) {
        const objs = splitObjects(parseResponse(m).operating);
        portalGroupsOf(objs);
        nodesOf(objs);
      } else {
        parseScn(parseServerMessage(m));
      }
    }
  }
  return n;
}

function onlyTyped(chunks: readonly Buffer[]): void {
  try {
    decodeAll(chunks);
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).errno).toBe(25);
  }
}

describe('iSNS decoders under split feeds and garbage', () => {
  it('each golden message split at every offset decodes the same as whole', () => {
    for (const b of valid) {
      const whole = decodeAll([b]);
      for (let i = 0; i <= b.length; i++) expect(decodeAll([b.subarray(0, i), b.subarray(i)])).toBe(whole);
      expect(decodeAll([...b].map((x) => Buffer.from([x])))).toBe(whole);
    }
  });
  it('random bytes give only typed errors', () => {
    const r = mulberry32(1);
    for (let i = 0; i < 3000; i++) {
      const len = Math.floor(r() * 200);
      const b = Buffer.alloc(len);
      for (let j = 0; j < len; j++) b[j] = Math.floor(r() * 256);
      if (len >= 2 && r() < 0.7) b.writeUInt16BE(1, 0); // mostly a valid version, to get past the header
      onlyTyped([b]);
    }
  });
  it('mutated golden messages give only typed errors', () => {
    const r = mulberry32(2);
    for (let i = 0; i < 5000; i++) {
      const b = Buffer.from(valid[i % valid.length]!);
      const flips = 1 + Math.floor(r() * 4);
      for (let k = 0; k < flips; k++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
      const cut = r() < 0.3 ? Math.floor(r() * b.length) : b.length;
      onlyTyped([b.subarray(0, cut)]);
    }
  });
});
