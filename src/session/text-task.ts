/**
 * One Text Request/Response exchange (RFC 7143 §6.2, §6.4, §11.10, §11.11): our text
 * split with C=1 when longer than the target's MaxRecvDataSegmentLength, the target's
 * C=1 continuation and F=0 multi-response sequences reassembled (I-08..I-11).
 */
import { ProtocolError } from '../shared/errors.js';
import { RESERVED_TAG, type TextRequest, type TextResponse } from '../iscsi/pdu/types.js';
import { TextAssembler, encodeText, splitText, type TextPair } from '../iscsi/text/codec.js';

const EMPTY = Buffer.alloc(0);

/** `done` carries the answer as reassembled key=value text, not yet decoded (see Session.text). */
export type TextStep = { type: 'send'; pdu: TextRequest } | { type: 'done'; text: Buffer };

/**
 * Cap on one reassembled Text Response. The 64 KB login-text default is too small for
 * SendTargets=All: 1000 tgtd targets answer about 82 KB (bench/discovery-1000). Still
 * bounded so a runaway target cannot grow our memory without limit.
 */
export const MAX_TEXT_RESPONSE_BYTES = 16 * 1024 * 1024;

export class TextTask {
  private readonly segments: Buffer[];
  private readonly incoming = new TextAssembler({ maxBytes: MAX_TEXT_RESPONSE_BYTES, where: 'TextResponse.data' });
  private readonly lun = Buffer.alloc(8);

  constructor(readonly itt: number, pairs: readonly TextPair[], maxSegment: number) {
    const text = encodeText(pairs);
    this.segments = text.length === 0 ? [text] : splitText(text, maxSegment);
  }

  /** The first request: F=1, C=0, TTT=0xffffffff, one fresh ITT (I-03). */
  first(cmdSN: number, expStatSN: number): TextRequest {
    return this.request(this.segments.shift()!, RESERVED_TAG, false, cmdSN, expStatSN);
  }

  onResponse(pdu: TextResponse, cmdSN: number, expStatSN: number): TextStep {
    const where = 'TextResponse';
    if (this.segments.length > 0) {
      // We sent C=1: the target answers empty and F=0 until our text is complete.
      if (pdu.final || pdu.data.length > 0) {
        throw new ProtocolError('TEXT_CONTINUATION_VIOLATED', 'target answered a C=1 Text Request with data or F=1 (I-11)', { where });
      }
      return { type: 'send', pdu: this.request(this.segments.shift()!, pdu.ttt, true, cmdSN, expStatSN) };
    }
    if (pdu.cont) {
      if (pdu.final) throw new ProtocolError('TEXT_F_AND_C', 'Text Response with both F and C set', { where });
      this.incoming.push(pdu.data, true);
      return { type: 'send', pdu: this.request(EMPTY, pdu.ttt, true, cmdSN, expStatSN) }; // I-09
    }
    if (!pdu.final) {
      if (pdu.ttt === RESERVED_TAG) {
        throw new ProtocolError('TEXT_F0_WITHOUT_TTT', 'Text Response F=0 with TTT 0xffffffff (I-11)', { where: 'TextResponse.TTT' });
      }
      // Keep the partial text (a pair may span PDUs) and ask for more: empty request,
      // F=1, TTT and LUN copied (I-08).
      this.incoming.push(pdu.data, true);
      return { type: 'send', pdu: { ...this.request(EMPTY, pdu.ttt, true, cmdSN, expStatSN), lun: pdu.lun } };
    }
    // F=1: done; its TTT is ignored (I-10).
    return { type: 'done', text: this.incoming.push(pdu.data, false) ?? EMPTY };
  }

  private request(data: Buffer, ttt: number, immediate: boolean, cmdSN: number, expStatSN: number): TextRequest {
    const cont = this.segments.length > 0;
    return { kind: 'text-request', immediate, final: !cont, cont, lun: this.lun, itt: this.itt, ttt, cmdSN, expStatSN, data };
  }
}
