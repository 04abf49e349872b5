/**
 * Text Requests in the full feature phase (RFC 7143 §11.10, §11.11, App. C):
 * SendTargets with records split over several Text Responses (F=0 + TTT, or
 * C=1), continuation requests checked (I-08, I-09), C=1 requests reassembled,
 * and other keys answered with the negotiation table.
 */
import { RESERVED_TAG, type TextRequest, type TextResponse } from '../../../src/iscsi/pdu/types.js';
import type { FfpState, SendTargetsOptions } from './ffp-state.js';
import type { TargetSpec } from './login-state.js';
import { answerFor, TARGET_KEYS } from './negotiation.js';
import { encodePairs, parsePairs, segments, type Pair } from './text.js';
import type { ConnContext } from './types.js';

/** Sends one PDU with the script's response delay. */
export type SendOne = (ctx: ConnContext, pdu: TextResponse) => void;

const EMPTY = Buffer.alloc(0);

/** `host:port` of this connection's portal, IPv6 in brackets (§13.8). */
export function portalOf(ctx: ConnContext): string {
  const a = ctx.local.address;
  return a.includes(':') ? `[${a}]:${ctx.local.port}` : `${a}:${ctx.local.port}`;
}

/** Handles Text Requests for one standard target. */
export class TextHandler {
  constructor(
    private readonly o: SendTargetsOptions,
    private readonly targets: readonly TargetSpec[],
    private readonly tpgt: number,
    private readonly send: SendOne,
  ) {}

  handle(ctx: ConnContext, st: FfpState, req: TextRequest): void {
    // A TTT continues our split response, unless we are collecting a C=1 request (whose acks carry a TTT).
    if (req.ttt !== RESERVED_TAG && st.textIn.length === 0 && !req.cont) {
      this.continueResponse(ctx, st, req);
      return;
    }
    if (req.cont) {
      st.textIn.push(req.data);
      st.textOut = undefined;
      this.sendPiece(ctx, req.itt, EMPTY, false, this.newTtt(st), false);
      return;
    }
    const text = Buffer.concat([...st.textIn, req.data]);
    st.textIn = [];
    const { pairs, bad } = parsePairs(text);
    if (bad) ctx.log('violation', 'TEXT_MALFORMED', 'Text Request data is not key=value NUL-terminated text (C-06)');
    const isSendTargets = pairs.some(([k]) => k === 'SendTargets');
    if (isSendTargets) this.checkSendTargets(ctx, st, req, pairs);
    const out = isSendTargets ? this.records(ctx, st, pairs.find(([k]) => k === 'SendTargets')![1]) : this.negotiate(pairs);
    const data = encodePairs(out);
    const size = this.o.segmentSize ?? st.negotiated.initiatorMaxRecv;
    const pieces = segments(data, size);
    st.textOut = { itt: req.itt, ttt: RESERVED_TAG, pieces: pieces.slice(1) };
    this.nextPiece(ctx, st, req.itt, pieces[0]!);
  }

  /** I-03, I-04, I-18 checks on a SendTargets request. */
  private checkSendTargets(ctx: ConnContext, st: FfpState, req: TextRequest, pairs: Pair[]): void {
    const v = (code: string, msg: string): void => ctx.log('violation', code, msg);
    if (!req.final || req.cont) v('SENDTARGETS_FLAGS', 'SendTargets request must have F=1, C=0 (I-03)');
    if (pairs.length !== 1) v('SENDTARGETS_KEYS', `SendTargets request carries ${pairs.length} keys (I-03)`);
    const value = pairs.find(([k]) => k === 'SendTargets')![1];
    if (st.sessionType === 'Normal' && value === 'All') v('SENDTARGETS_ALL_ON_NORMAL', 'SendTargets=All on a Normal session (I-04)');
  }

  private records(ctx: ConnContext, st: FfpState, value: string): Pair[] {
    if (this.o.raw !== undefined) return this.o.raw;
    const records = typeof this.o.records === 'function' ? this.o.records(ctx) : this.o.records
      ?? this.targets.map((t) => ({ name: t.name, addresses: [`${portalOf(ctx)},${this.tpgt}`] }));
    let chosen = records;
    if (value === '' && st.target) chosen = records.filter((r) => r.name === st.target!.name);
    else if (value !== 'All' && value !== '') chosen = records.filter((r) => r.name === value);
    return chosen.flatMap((r): Pair[] => [
      ['TargetName', r.name],
      ...(r.addresses ?? [`${portalOf(ctx)},${this.tpgt}`]).map((a): Pair => ['TargetAddress', a]),
    ]);
  }

  private negotiate(pairs: Pair[]): Pair[] {
    const out: Pair[] = [];
    for (const [k, v] of pairs) {
      const a = answerFor(k, v, TARGET_KEYS);
      if (a !== undefined) out.push([k, a]);
    }
    return out;
  }

  /** The initiator asks for the next piece: same ITT, our TTT, no data (I-08, I-09). */
  private continueResponse(ctx: ConnContext, st: FfpState, req: TextRequest): void {
    const out = st.textOut;
    if (out === undefined || out.ttt !== req.ttt || out.itt !== req.itt) {
      ctx.log('violation', 'TEXT_BAD_CONTINUATION', `Text Request TTT 0x${req.ttt.toString(16)} / ITT 0x${req.itt.toString(16)} matches no pending response (I-08)`);
      this.sendPiece(ctx, req.itt, EMPTY, true, RESERVED_TAG, false);
      return;
    }
    if (req.data.length > 0) ctx.log('violation', 'TEXT_CONTINUATION_DATA', 'continuation Text Request carries data (I-08, I-09)');
    if (!req.final) ctx.log('violation', 'TEXT_CONTINUATION_FLAGS', 'continuation Text Request without F=1 (I-08)');
    this.nextPiece(ctx, st, req.itt, out.pieces.shift() ?? EMPTY);
  }

  private nextPiece(ctx: ConnContext, st: FfpState, itt: number, data: Buffer): void {
    const out = st.textOut!;
    const last = out.pieces.length === 0;
    if (last) {
      st.textOut = undefined;
      this.sendPiece(ctx, itt, data, true, RESERVED_TAG, false);
      return;
    }
    out.ttt = this.newTtt(st);
    this.sendPiece(ctx, itt, data, false, out.ttt, this.o.continuation === 'c-bit');
  }

  private newTtt(st: FfpState): number {
    const t = st.nextTtt;
    st.nextTtt = (st.nextTtt + 1) >>> 0;
    return t;
  }

  private sendPiece(ctx: ConnContext, itt: number, data: Buffer, final: boolean, ttt: number, cont: boolean): void {
    this.send(ctx, { kind: 'text-response', final, cont, lun: Buffer.alloc(8), itt, ttt, ...ctx.sn.next(), data });
  }
}
