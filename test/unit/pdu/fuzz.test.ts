/**
 * Random BHS fuzzing of every decoder (DESIGN.md §5.5): only ProtocolError may
 * come out, never TypeError/RangeError. Seeded (mulberry32) so a failure names
 * the seed and iteration that reproduce it; override with PDU_FUZZ_SEED.
 */
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/shared/errors.js';
import * as codec from '../../../src/iscsi/pdu/index.js';
import { Opcode, decodeInitiatorPdu, decodePdu, decodeTargetPdu, encodePdu, type Pdu, type RawPdu } from '../../../src/iscsi/pdu/index.js';

const ITERATIONS = 20_000;
const SEED = Number(process.env['PDU_FUZZ_SEED'] ?? 0x15c5152);

/** mulberry32: small deterministic PRNG returning [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Decoder = (raw: RawPdu) => Pdu;
type PartsDecoder = (bhs: Buffer, ahs: Buffer, data: Buffer) => Pdu;

/** Every per-family decodeX exported by the codec, called directly as well. */
const FAMILY_DECODERS: PartsDecoder[] = Object.entries(codec)
  .filter(([name, fn]) => /^decode[A-Z]/.test(name) && !/Pdu$/.test(name) && typeof fn === 'function')
  .map(([, fn]) => fn as PartsDecoder);

const KNOWN_OPCODES: number[] = Object.values(Opcode);

function randomBytes(rand: () => number, n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(rand() * 256);
  return out;
}

/** A random RawPdu; most have consistent length fields so field decoding is reached. */
function randomRaw(rand: () => number): RawPdu {
  const r = rand();
  const bhsLength = r < 0.02 ? Math.floor(rand() * 96) : 48;
  const bhs = randomBytes(rand, bhsLength);
  if (bhsLength < 48) return { bhs, ahs: Buffer.alloc(0), data: Buffer.alloc(0) };
  const pick = rand();
  const opcode = pick < 0.7 ? KNOWN_OPCODES[Math.floor(rand() * KNOWN_OPCODES.length)]! : Math.floor(rand() * 64);
  bhs[0] = (bhs[0]! & 0xc0) | opcode;
  const ahsWords = rand() < 0.8 ? 0 : Math.floor(rand() * 4);
  const dataLength = rand() < 0.5 ? 0 : Math.floor(rand() * 80);
  if (rand() < 0.9) {
    bhs[4] = ahsWords;
    bhs.writeUIntBE(dataLength, 5, 3);
    if (rand() < 0.5) bhs.writeUInt32BE(0xffffffff, 16); // reach the tag-dependent paths
  }
  return { bhs, ahs: randomBytes(rand, ahsWords * 4), data: randomBytes(rand, dataLength) };
}

function describeFailure(error: unknown, i: number, what: string): string {
  const name = error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error);
  return `seed ${SEED} iteration ${i} ${what}: ${name}`;
}

/** Runs `fn`; returns true on success, false on ProtocolError, fails the test on anything else. */
function attempt(fn: () => unknown, i: number, what: string): boolean {
  try {
    fn();
    return true;
  } catch (error) {
    if (!(error instanceof ProtocolError)) expect.fail(describeFailure(error, i, what));
    return false;
  }
}

describe('PDU decoder fuzz', () => {
  it(`throws only ProtocolError on ${ITERATIONS} random headers (seed ${SEED})`, () => {
    const rand = prng(SEED);
    const decoders: Array<[string, Decoder]> = [['decodePdu', decodePdu], ['decodeTargetPdu', decodeTargetPdu], ['decodeInitiatorPdu', decodeInitiatorPdu]];
    const decoded = new Set<string>();
    let ok = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const raw = randomRaw(rand);
      for (const [name, decode] of decoders) {
        if (attempt(() => decode(raw), i, name)) ok++;
      }
      const family = FAMILY_DECODERS[i % FAMILY_DECODERS.length]!;
      attempt(() => family(raw.bhs, raw.ahs, raw.data), i, family.name);
      let pdu: Pdu | undefined;
      attempt(() => { pdu = decodePdu(raw); }, i, 'decodePdu');
      if (pdu === undefined) continue;
      decoded.add(pdu.kind);
      // Anything we accept re-encodes without error and decodes to the same object.
      const again = decodePdu(encodePdu(pdu));
      if (JSON.stringify(again) !== JSON.stringify(pdu)) expect.fail(`seed ${SEED} iteration ${i}: ${pdu.kind} does not round-trip`);
    }
    expect(FAMILY_DECODERS.length).toBe(18);
    expect(decoded.size).toBe(18); // every family was reached and accepted something
    expect(ok).toBeGreaterThan(ITERATIONS / 2);
  });
});
