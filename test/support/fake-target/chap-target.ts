/**
 * Target side of CHAP (RFC 7143 §12.1.3, RFC 1994 §4.1), independent of src/:
 *
 *   I: CHAP_A=<list>                 T: CHAP_A=<a> CHAP_I=<id> CHAP_C=<challenge>
 *   I: CHAP_N=<name> CHAP_R=<H(id|secret|challenge)> [CHAP_I=<id2> CHAP_C=<c2>]
 *                                     T: [CHAP_N=<tname> CHAP_R=<H(id2|tsecret|c2)>]  (mutual)
 *
 * Every value the target sends can be forced to something wrong for the H-group tests.
 */
import { createHash, randomBytes } from 'node:crypto';
import { parseNumber, type Pair } from './text.js';

/** CHAP settings of the fake target. */
export interface ChapTargetOptions {
  /** CHAP_N the initiator must send; undefined accepts any name. */
  username?: string;
  /** Secret the initiator must use (the target checks CHAP_R). */
  secret: string;
  /** CHAP_A values the target accepts (default [5]); it picks the first the initiator offered. */
  algorithms?: number[];
  /** Answer this CHAP_A whatever was offered (H-07). */
  forceAlgorithm?: number;
  /** Challenge length in bytes (default 16). */
  challengeLength?: number;
  /** Fixed challenge bytes (reflection tests, H-17). */
  challenge?: Buffer;
  /** Fixed identifier (default random). */
  identifier?: number;
  /** Send CHAP_C as `0b` base64 instead of `0x` hex (E-03). */
  challengeEncoding?: 'hex' | 'base64';
  /** Send these raw strings instead of the computed CHAP_I / CHAP_C (H-08, H-09, H-10). */
  rawIdentifier?: string;
  rawChallenge?: string;
  /** Mutual CHAP: how the target authenticates itself. */
  mutual?: {
    /** CHAP_N the target sends (default: the target name). */
    name?: string;
    /** Target secret used for the target's CHAP_R. */
    secret: string;
    /** Flip a byte of the computed CHAP_R (H-19). */
    wrongResponse?: boolean;
    /** Send this raw CHAP_R instead. */
    response?: string;
  };
}

/** Hash of each CHAP_A value (IANA PPP authentication algorithms). */
const HASHES: Readonly<Record<number, string>> = { 5: 'md5', 6: 'sha1', 7: 'sha256', 8: 'sha3-256' };

/** Outcome of one CHAP step. */
export type ChapStep =
  | { kind: 'continue'; answers: Pair[] }
  | { kind: 'done'; answers: Pair[] }
  | { kind: 'fail'; reason: string };

/** What the exchange saw, kept in the connection state for tests. */
export interface ChapRecord {
  algorithm?: number;
  identifier?: number;
  challenge?: Buffer;
  initiatorName?: string;
  verified?: boolean;
}

function decodeBinary(v: string): Buffer | undefined {
  const p = v.slice(0, 2).toLowerCase();
  if (p === '0x' && /^[0-9a-fA-F]+$/.test(v.slice(2))) return Buffer.from(v.length % 2 === 1 ? `0${v.slice(2)}` : v.slice(2), 'hex');
  if (p === '0b' && v.length > 2) return Buffer.from(v.slice(2), 'base64');
  return undefined;
}

function response(alg: number, id: number, secret: Buffer, challenge: Buffer): Buffer {
  return createHash(HASHES[alg] ?? 'md5').update(Buffer.of(id & 0xff)).update(secret).update(challenge).digest();
}

/** One connection's CHAP exchange. */
export class ChapExchange {
  private step: 'wait-a' | 'wait-r' | 'done' = 'wait-a';
  readonly record: ChapRecord = {};

  constructor(private readonly o: ChapTargetOptions, private readonly targetName: string) {}

  get done(): boolean {
    return this.step === 'done';
  }

  /** Handle the CHAP keys of one Login Request. */
  handle(keys: ReadonlyMap<string, string>): ChapStep {
    if (this.step === 'wait-a') return this.onAlgorithms(keys);
    if (this.step === 'wait-r') return this.onResponse(keys);
    return { kind: 'done', answers: [] };
  }

  private onAlgorithms(keys: ReadonlyMap<string, string>): ChapStep {
    const offered = keys.get('CHAP_A');
    if (offered === undefined) {
      if (keys.has('CHAP_N') || keys.has('CHAP_R')) return { kind: 'fail', reason: 'CHAP_R before CHAP_A' };
      return { kind: 'continue', answers: [] };
    }
    const accepted = this.o.algorithms ?? [5];
    const alg = this.o.forceAlgorithm ?? offered.split(',').map(parseNumber).find((a) => accepted.includes(a));
    if (alg === undefined) return { kind: 'fail', reason: `no acceptable CHAP_A in ${offered}` };
    const id = this.o.identifier ?? randomBytes(1)[0]!;
    const challenge = this.o.challenge ?? randomBytes(this.o.challengeLength ?? 16);
    Object.assign(this.record, { algorithm: alg, identifier: id, challenge });
    this.step = 'wait-r';
    const c = this.o.challengeEncoding === 'base64' ? `0b${challenge.toString('base64')}` : `0x${challenge.toString('hex')}`;
    return {
      kind: 'continue',
      answers: [['CHAP_A', String(alg)], ['CHAP_I', this.o.rawIdentifier ?? String(id)], ['CHAP_C', this.o.rawChallenge ?? c]],
    };
  }

  private onResponse(keys: ReadonlyMap<string, string>): ChapStep {
    const name = keys.get('CHAP_N');
    const r = keys.get('CHAP_R');
    if (name === undefined || r === undefined) return { kind: 'fail', reason: 'CHAP_N/CHAP_R missing' };
    this.record.initiatorName = name;
    if (this.o.username !== undefined && name !== this.o.username) return { kind: 'fail', reason: `unknown CHAP_N ${name}` };
    const got = decodeBinary(r);
    const want = response(this.record.algorithm!, this.record.identifier!, Buffer.from(this.o.secret, 'utf8'), this.record.challenge!);
    this.record.verified = got !== undefined && got.equals(want);
    if (!this.record.verified) return { kind: 'fail', reason: 'CHAP_R does not match' };
    this.step = 'done';
    const ci = keys.get('CHAP_I');
    const cc = keys.get('CHAP_C');
    if (ci === undefined && cc === undefined) return { kind: 'done', answers: [] };
    return this.mutualAnswer(ci, cc);
  }

  private mutualAnswer(ci: string | undefined, cc: string | undefined): ChapStep {
    const m = this.o.mutual;
    if (m === undefined) return { kind: 'fail', reason: 'initiator asked for mutual CHAP; not configured' };
    const id = ci === undefined ? Number.NaN : parseNumber(ci);
    const challenge = cc === undefined ? undefined : decodeBinary(cc);
    if (Number.isNaN(id) || id > 255 || challenge === undefined) return { kind: 'fail', reason: 'bad mutual CHAP_I/CHAP_C' };
    const mine = response(this.record.algorithm!, id, Buffer.from(m.secret, 'utf8'), challenge);
    if (m.wrongResponse) mine[0] = mine[0]! ^ 0xff;
    return { kind: 'done', answers: [['CHAP_N', m.name ?? this.targetName], ['CHAP_R', m.response ?? `0x${mine.toString('hex')}`]] };
  }
}
